"""Reporting's collections: the append-only event store, the projections and their region roll-ups.

- ``events``: one document per event, ``_id`` = a gap-free arrival sequence (the feed's cursor), unique
  ``event_id``. The sequence comes from a counter written in the same transaction, so concurrent writers
  serialise on it and a sequence number is visible only once every smaller one is committed.
- Every write of a transaction goes through its ``Writes`` buffer and is made at commit, in bulk.
- one collection per projection (``domain.projection.AGGREGATES``): the state of each aggregate.
- ``rollups``: per region (``""`` = national) the counters derived from the aggregates' states.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from contracts.envelope import Envelope
from contracts.events.notify import failure_reason
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.personal import without_personal_data
from pilar_runtime.regions import ancestors
from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import (
    AGGREGATES,
    apply,
    event_contributions,
    rollup_delta,
    scopes,
    touches,
)

EVENTS = "events"
ROLLUPS = "rollups"
COUNTERS = "counters"
REPORTS = "reports"
REPORT_FILES = "report_files"
ACTIVITY = "district_activity"
PROJECTIONS = (*AGGREGATES, ROLLUPS)

Db = AsyncDatabase[dict[str, Any]]


async def ensure_indexes(db: Db) -> None:
    await db[EVENTS].create_index("event_id", unique=True)
    await db[EVENTS].create_index([("regions", ASCENDING), ("_id", ASCENDING)])
    await db[EVENTS].create_index([("event_type", ASCENDING), ("_id", ASCENDING)])
    await ensure_projection_indexes(db)
    await db[REPORTS].create_index([("status", ASCENDING), ("lease_until", ASCENDING)])
    await db[REPORTS].create_index([("regions", ASCENDING), ("created_at", ASCENDING)])


async def ensure_projection_indexes(db: Db) -> None:
    for name in AGGREGATES:
        await db[name].create_index("regions")
    await db["sessions"].create_index("campaign_id")
    await db["institutions"].create_index([("kind", ASCENDING), ("formed_on", ASCENDING)])
    await db[ROLLUPS].create_index([("level", ASCENDING), ("_id", ASCENDING)])


def event_document(envelope: Envelope, received_at: datetime) -> dict[str, Any]:
    """The stored event; its ``_id`` (the arrival sequence) is given when the transaction's writes are made."""
    return {
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "routing_key": envelope.routing_key,
        "producer": envelope.producer,
        "schema_version": envelope.schema_version,
        "occurred_at": envelope.occurred_at,
        "received_at": received_at,
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
        "actor": envelope.actor,
        "region_code": envelope.region_code,
        "regions": ancestors(envelope.region_code),
        "aggregate_id": envelope.aggregate_id,
        "aggregate_version": envelope.aggregate_version,
        "payload": stored_payload(envelope.event_type, envelope.payload),
    }


def stored_payload(event_type: str, payload: Any) -> Any:
    """What reporting keeps of a payload: no personal data; of a delivery, a failure's category (notify wrote the mail
    server's words there before, which quote the mailbox) and the template's name (it wrote a rule's own template
    text there before)."""
    kept = without_personal_data(payload)
    if not event_type.startswith("notification_") or not isinstance(kept, dict):
        return kept
    if isinstance(kept.get("reason"), str):
        kept["reason"] = failure_reason(kept["reason"]).value
    if isinstance(kept.get("template"), str) and not _TEMPLATE_NAME.fullmatch(kept["template"]):
        kept["template"] = "custom"
    return kept


# A shipped template's name (`email/session_reminder.j2`) or a word for one (`custom`); anything else is template text.
_TEMPLATE_NAME = re.compile(r"[a-z_]+(/[a-z_]+(\.j2)?)?")


WRITES = "reporting.writes"


class Writes:
    """What one transaction's events write to the store, the projections and the roll-ups, made once just before
    it commits: a batch of events costs a sequence bump, one insert, one bulk write per projection and one for
    the roll-ups, however many events it holds.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []  # numbered at flush, in arrival order
        self.states: dict[tuple[str, str], dict[str, Any] | None] = {}  # aggregates read or written so far
        self.changed: dict[tuple[str, str], dict[str, Any]] = {}
        self.moves: dict[str, Counter[str]] = {}

    async def state(self, uow: UnitOfWork, projection: str, key: str) -> dict[str, Any] | None:
        """An aggregate's current state: as an earlier event of this transaction left it, else as stored."""
        if (projection, key) not in self.states:
            self.states[(projection, key)] = await uow.db[projection].find_one({"_id": key}, session=uow.session)
        return self.states[(projection, key)]

    def put(self, projection: str, key: str, state: dict[str, Any]) -> None:
        self.states[(projection, key)] = self.changed[(projection, key)] = state

    def move(self, region: str, delta: Mapping[str, int]) -> None:
        self.moves.setdefault(region, Counter()).update(delta)

    async def flush(self, uow: UnitOfWork) -> None:
        if self.events:
            counter = await uow.db[COUNTERS].find_one_and_update(
                {"_id": EVENTS},
                {"$inc": {"seq": len(self.events)}},
                upsert=True,
                return_document=True,
                session=uow.session,
            )
            assert counter is not None  # upsert with return_document=True always returns the document
            first = counter["seq"] - len(self.events) + 1
            for offset, document in enumerate(self.events):
                document["_id"] = first + offset
            await uow.db[EVENTS].insert_many(self.events, session=uow.session)
        by_projection: dict[str, list[ReplaceOne[dict[str, Any]]]] = {}
        for (projection, key), state in self.changed.items():
            by_projection.setdefault(projection, []).append(ReplaceOne({"_id": key}, state, upsert=True))
        for projection, replacements in by_projection.items():
            await uow.db[projection].bulk_write(replacements, ordered=False, session=uow.session)
        rollups = rollup_updates(self.moves)
        if rollups:
            await uow.db[ROLLUPS].bulk_write(rollups, ordered=True, session=uow.session)


def append_event(uow: UnitOfWork, envelope: Envelope, received_at: datetime) -> Fact:
    """Store the event (at commit). The consumer's inbox lets each event through once; the unique ``event_id``
    index is the database's own guard."""
    uow.buffer(WRITES, Writes).events.append(event_document(envelope, received_at))
    return Fact.of(envelope)


async def project(uow: UnitOfWork, fact: Fact) -> None:
    """Apply one new fact to every projection it touches and move the roll-ups (written at commit)."""
    writes = uow.buffer(WRITES, Writes)
    for projection, key in touches(fact):
        old = await writes.state(uow, projection, key)
        new = apply(projection, key, old, fact)
        if new is None:
            continue
        writes.put(projection, key, new)
        for region, delta in rollup_delta(projection, old, new).items():
            writes.move(region, delta)
    for region in scopes(fact.region_code):
        writes.move(region, event_contributions(fact))


def rollup_updates(moves: Mapping[str, Counter[str]]) -> list[UpdateOne]:
    """One upsert per region whose counters move, in region order (concurrent writers lock them alike)."""
    return [
        UpdateOne(
            {"_id": region},
            {"$inc": {f"counts.{k}": v for k, v in delta.items()}, "$setOnInsert": {"level": level(region)}},
            upsert=True,
        )
        for region, delta in sorted(moves.items())
        if delta
    ]


def level(region: str) -> int:
    """0 national, 1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa."""
    return region.count(".") + 1 if region else 0


async def counts_of(db: Db, region: str) -> dict[str, int]:
    doc = await db[ROLLUPS].find_one({"_id": region})
    return {k: v for k, v in (doc or {}).get("counts", {}).items() if v}
