"""A fact: what the projections need of one stored event, the same whether it arrives live or from replay."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.catalogue import EVENT_TYPES
from contracts.envelope import Envelope


@dataclass(frozen=True, slots=True)
class Fact:
    event_id: str
    event_type: str
    region_code: str
    aggregate_id: str
    aggregate_version: int
    occurred_at: datetime
    payload: Mapping[str, Any]

    @property
    def known(self) -> bool:
        return self.event_type in EVENT_TYPES

    @classmethod
    def of(cls, envelope: Envelope) -> Fact:
        return cls(
            event_id=str(envelope.event_id),
            event_type=envelope.event_type,
            region_code=envelope.region_code,
            aggregate_id=envelope.aggregate_id,
            aggregate_version=envelope.aggregate_version,
            occurred_at=envelope.occurred_at,
            payload=envelope.payload,
        )

    @classmethod
    def from_stored(cls, doc: Mapping[str, Any]) -> Fact:
        """A document of the event store (see ``store.event_document``)."""
        return cls(
            event_id=doc["event_id"],
            event_type=doc["event_type"],
            region_code=doc["region_code"],
            aggregate_id=doc["aggregate_id"],
            aggregate_version=doc["aggregate_version"],
            occurred_at=doc["occurred_at"],
            payload=doc["payload"],
        )
