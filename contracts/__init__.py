"""What crosses the wire between Pilar's services: the envelope, every event, and the names of the topology.

No I/O and no logic beyond validation lives here, so district systems can read it as the contract.
"""

from contracts.catalogue import EVENT_TYPES, payload_model, routing_key
from contracts.envelope import Envelope, EventPayload

__all__ = ["EVENT_TYPES", "Envelope", "EventPayload", "payload_model", "routing_key"]
