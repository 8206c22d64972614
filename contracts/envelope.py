"""The envelope every event travels in (DESIGN §3).

Readers tolerate unknown fields, so a producer may add fields without breaking consumers; a breaking
change gets a new ``schema_version`` and an upcaster next to the payload model.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

REGION_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
PRODUCERS = ("registry", "outreach", "notify", "reporting", "console")


class EventPayload(BaseModel):
    """Base of every typed payload: frozen, and tolerant of fields added by a newer producer."""

    model_config = ConfigDict(frozen=True, extra="allow")


class Envelope(BaseModel):
    """One event on `pilar.events`. The payload stays a plain dict here; `contracts.catalogue` types it."""

    model_config = ConfigDict(frozen=True, extra="allow")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str = Field(min_length=1, max_length=100)
    schema_version: int = Field(default=1, ge=1)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str = Field(min_length=1, max_length=200)
    causation_id: str | None = None
    actor: str = Field(min_length=1, max_length=200, description="who caused it: a user's `sub` or a service")
    region_code: str = Field(
        description="most specific Kemendagri code the fact belongs to (dotted); empty (national) only in the "
        "console's events about a national admin"
    )
    aggregate_id: str = Field(min_length=1)
    aggregate_version: int = Field(ge=0)
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone (UTC)")
        return value.astimezone(UTC)

    @field_validator("region_code")
    @classmethod
    def _dotted(cls, value: str, info: ValidationInfo) -> str:
        # A national admin's account belongs to no region: the console's events about it carry "" (the whole
        # country), which only national callers see.
        if value == "" and info.data.get("producer") == "console":
            return value
        if not REGION_CODE.match(value):
            raise ValueError(f"region_code {value!r} is not a dotted Kemendagri code")
        return value

    @field_validator("producer")
    @classmethod
    def _known_producer(cls, value: str) -> str:
        if value not in PRODUCERS:
            raise ValueError(f"unknown producer {value!r}")
        return value

    @property
    def routing_key(self) -> str:
        return f"{self.producer}.{self.event_type}"

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()
