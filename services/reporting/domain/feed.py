"""What a reader of the event feed may ask for (GET /events)."""

from __future__ import annotations

from contracts.catalogue import EVENT_TYPES
from pilar_runtime.errors import Unprocessable

MAX_WAIT_SECONDS = 30


def event_types(asked: str | None) -> list[str]:
    """The catalogue's event types named in ``type=a,b``; none asked for: every type."""
    names = [name.strip() for name in (asked or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in EVENT_TYPES]
    if unknown:
        raise Unprocessable(f"type: {', '.join(sorted(set(unknown)))} is not an event type of the catalogue")
    return list(dict.fromkeys(names))
