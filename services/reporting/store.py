"""Reporting's collections: the append-only event store, the projections and their region roll-ups.

- ``events``: one document per event, ``_id`` = a gap-free arrival sequence (the feed's cursor), unique
  ``event_id``. The sequence comes from a counter written in the same transaction, so concurrent writers
  serialise on it and a sequence number is visible only once every smaller one is committed.
- one collection per projection (``domain.projection.AGGREGATES``): the state of each aggregate.
- ``rollups``: per region (``""`` = national) the counters derived from the aggregates' states.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from contracts.envelope import Envelope
from pilar_runtime.mongo import UnitOfWork
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


def event_document(seq: int, envelope: Envelope, received_at: datetime) -> dict[str, Any]:
    return {
        "_id": seq,
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
        "payload": envelope.payload,
    }


async def append_event(uow: UnitOfWork, envelope: Envelope, received_at: datetime) -> Fact | None:
    """Store the event; None when its ``event_id`` is stored already (a duplicate is ignored)."""
    events = uow.db[EVENTS]
    if await events.find_one({"event_id": str(envelope.event_id)}, {"_id": 1}, session=uow.session):
        return None
    counter = await uow.db[COUNTERS].find_one_and_update(
        {"_id": EVENTS}, {"$inc": {"seq": 1}}, upsert=True, return_document=True, session=uow.session
    )
    assert counter is not None  # upsert with return_document=True always returns the document
    await events.insert_one(event_document(counter["seq"], envelope, received_at), session=uow.session)
    return Fact.of(envelope)


async def project(uow: UnitOfWork, fact: Fact) -> dict[str, dict[str, Any]]:
    """Apply one new fact to every projection it touches and move the roll-ups; returns the changed states."""
    moves: dict[str, Counter[str]] = {}
    changed: dict[str, dict[str, Any]] = {}
    for projection, key in touches(fact):
        collection = uow.db[projection]
        old = await collection.find_one({"_id": key}, session=uow.session)
        new = apply(projection, key, old, fact)
        if new is None:
            continue
        await collection.replace_one({"_id": key}, new, upsert=True, session=uow.session)
        changed[projection] = new
        for region, delta in rollup_delta(projection, old, new).items():
            moves.setdefault(region, Counter()).update(delta)
    for region in scopes(fact.region_code):
        moves.setdefault(region, Counter()).update(event_contributions(fact))
    await move_rollups(uow, moves)
    return changed


async def move_rollups(uow: UnitOfWork, moves: Mapping[str, Counter[str]]) -> None:
    writes = [
        UpdateOne(
            {"_id": region},
            {"$inc": {f"counts.{k}": v for k, v in delta.items()}, "$setOnInsert": {"level": level(region)}},
            upsert=True,
        )
        for region, delta in sorted(moves.items())
        if delta
    ]
    if writes:
        await uow.db[ROLLUPS].bulk_write(writes, ordered=True, session=uow.session)


def level(region: str) -> int:
    """0 national, 1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa."""
    return region.count(".") + 1 if region else 0


async def counts_of(db: Db, region: str) -> dict[str, int]:
    doc = await db[ROLLUPS].find_one({"_id": region})
    return {k: v for k, v in (doc or {}).get("counts", {}).items() if v}
