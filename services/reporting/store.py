"""Reporting's collections: the append-only event store, the projections and their region roll-ups.

- ``events``: one document per event, ``_id`` = its arrival sequence number (the feed's cursor), unique
  ``event_id``. The numbers come from counters written in the same transaction (``domain.sequence``): one
  counter, gap-free, with one partition; a counter per partition with several, read up to their horizon.
- Every write of a transaction goes through its ``Writes`` buffer and is made at commit, in bulk.
- one collection per projection (``domain.projection.AGGREGATES``): the state of each aggregate.
- ``rollups``: per region (``""`` = national) the counters derived from the aggregates' states; with several
  partitions one document per region and partition (``<region>#<p>``, partition 0 the plain ``<region>``), so
  replicas never write the same one, summed when read.
- The projections and roll-ups come in generations (blue/green): a replay builds the next one beside the one in use
  and switches to it at once. The events' counter document holds the generation in use (``generation``, 0 when
  absent, whose collections keep their plain names); see "Generations" below.
- ``district_activity``: the (district, month) pairs with events, for the monthly reports; their month-end timers.
- ``reports`` (the jobs) and their files in the GridFS bucket ``report_files``; ``replays``: the state of the last
  replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from gridfs import AsyncGridFSBucket, AsyncGridOut, NoFile
from pymongo import ASCENDING, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError
from pymongo.results import UpdateResult

from contracts.envelope import Envelope
from contracts.events.notify import failure_reason
from contracts.topology import SHARDS
from pilar_runtime.api import page_of
from pilar_runtime.models import PageParams
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.personal import without_personal_data
from pilar_runtime.poller import lease_free
from pilar_runtime.regions import ancestors
from pilar_runtime.service import Runtime
from pilar_runtime.timers import TIMERS, schedule_timer
from services.reporting.domain.months import month_timer_key, timer_moves
from services.reporting.domain.projection import (
    AGGREGATES,
    CAMPAIGNS,
    FOLLOWUPS,
    INSTITUTIONS,
    REGULATIONS,
    SESSIONS,
    WORKERS,
    level,
)
from services.reporting.domain.reports import ANOTHER_VERSION
from services.reporting.domain.sequence import Counters

EVENTS = "events"
ROLLUPS = "rollups"
COUNTERS = "counters"
REPORTS = "reports"
REPORT_FILES = "report_files"  # a GridFS bucket: report_files.files and report_files.chunks
FILE_CHUNK = 1 << 20
ACTIVITY = "district_activity"
PROJECTIONS = (*AGGREGATES, ROLLUPS)

Db = AsyncDatabase[dict[str, Any]]


async def ensure_indexes(db: Db) -> None:
    await db[EVENTS].create_index("event_id", unique=True)
    await db[EVENTS].create_index([("regions", ASCENDING), ("_id", ASCENDING)])
    await db[EVENTS].create_index([("event_type", ASCENDING), ("_id", ASCENDING)])
    await db[EVENTS].create_index(HISTORY_INDEX)
    await ensure_projection_indexes(db, await generation(db))
    await db[REPORTS].create_index([("status", ASCENDING), ("lease_until", ASCENDING)])
    await db[REPORTS].create_index([("regions", ASCENDING), ("created_at", ASCENDING)])


async def ensure_projection_indexes(db: Db, generation: int) -> None:
    """The indexes of one generation's projections: only those a query uses (each one costs every write)."""
    for name in (SESSIONS, REGULATIONS, WORKERS):  # read by region
        await db[collection_name(name, generation)].create_index("regions")
    institutions = db[collection_name(INSTITUTIONS, generation)]
    await institutions.create_index(REGION_QUIET)  # read by region, and a region's quietest
    await institutions.create_index(QUIET)  # the nation's quietest
    sessions = db[collection_name(SESSIONS, generation)]
    await sessions.create_index("campaign_id")
    await sessions.create_index("pilot_regions")
    await db[collection_name(FOLLOWUPS, generation)].create_index("session_id")
    await db[collection_name(INSTITUTIONS, generation)].create_index([("kind", ASCENDING), ("formed_on", ASCENDING)])
    await db[collection_name(ROLLUPS, generation)].create_index([("level", ASCENDING), ("_id", ASCENDING)])


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
MONTHS_ACTIVE = "reporting.months_active"
REPLAYS = "replays"
MONTHLY_TIMER = "monthly_district"


class Writes:
    """What one transaction's events write to the store, the projections and the roll-ups, made once just before
    it commits: a batch of events costs a sequence bump, one insert, one bulk write per projection and one for
    the roll-ups, however many events it holds.

    The projections are those of the generation in use as this transaction sees it. A replay's switch writes the
    counter document this transaction bumps, so a transaction that read the older generation conflicts with the
    switch and is retried: no event is projected into a generation that is no longer in use.
    """

    def __init__(self, generation: int | None = None) -> None:
        self.generation = generation  # read in the transaction when first needed; given by a replay's catch-up
        self._counters: Counters | None = None
        self.held: set[int] = set()  # the partitions this replica holds: their counters keep up with its commits
        self.events: list[dict[str, Any]] = []  # numbered at flush, in arrival order
        self.states: dict[tuple[str, str], dict[str, Any] | None] = {}  # aggregates read or written so far
        self.changed: dict[tuple[str, str], dict[str, Any]] = {}
        self.moves: dict[str, Counter[str]] = {}  # by roll-up document (region, and partition)

    async def counters(self, uow: UnitOfWork) -> Counters:
        """The sequence counters and the generation in use, as this transaction sees them (read once)."""
        if self._counters is None:
            self._counters, in_use = await read_counters(uow.db, uow)
            if self.generation is None:
                self.generation = in_use
        return self._counters

    async def projection(self, uow: UnitOfWork, name: str) -> AsyncCollection[dict[str, Any]]:
        if self.generation is None:
            await self.counters(uow)
        assert self.generation is not None
        return uow.db[collection_name(name, self.generation)]

    async def state(self, uow: UnitOfWork, projection: str, key: str) -> dict[str, Any] | None:
        """An aggregate's current state: as an earlier event of this transaction left it, else as stored."""
        if (projection, key) not in self.states:
            stored = await (await self.projection(uow, projection)).find_one({"_id": key}, session=uow.session)
            self.states[(projection, key)] = stored
        return self.states[(projection, key)]

    async def read_ahead(self, uow: UnitOfWork, keys: list[tuple[str, str]]) -> None:
        """Read the states of many aggregates at once (absent ones are noted as such)."""
        wanted: dict[str, set[str]] = {}
        for projection, key in keys:
            if (projection, key) not in self.states:
                wanted.setdefault(projection, set()).add(key)
        for projection, ids in wanted.items():
            collection = await self.projection(uow, projection)
            found = {
                doc["_id"]: doc async for doc in collection.find({"_id": {"$in": sorted(ids)}}, session=uow.session)
            }
            for key in ids:
                self.states[(projection, key)] = found.get(key)

    def put(self, projection: str, key: str, state: dict[str, Any]) -> None:
        self.states[(projection, key)] = self.changed[(projection, key)] = state

    def move(self, region: str, delta: Mapping[str, int], partition: int = 0) -> None:
        self.moves.setdefault(rollup_id(region, partition), Counter()).update(delta)

    async def flush(self, uow: UnitOfWork) -> None:
        if self.events:
            await self._number(uow)
            await uow.db[EVENTS].insert_many(self.events, session=uow.session)
            uow.leave_work(EVENTS)  # the feed's waiting readers
        by_projection: dict[str, list[ReplaceOne[dict[str, Any]]]] = {}
        for (projection, key), state in self.changed.items():
            by_projection.setdefault(projection, []).append(ReplaceOne({"_id": key}, state, upsert=True))
        for projection, replacements in by_projection.items():
            await (await self.projection(uow, projection)).bulk_write(replacements, ordered=False, session=uow.session)
        rollups = rollup_updates(self.moves)
        if rollups:
            await (await self.projection(uow, ROLLUPS)).bulk_write(rollups, ordered=True, session=uow.session)

    async def _number(self, uow: UnitOfWork) -> None:
        """Give the transaction's events their sequence numbers, moving the counters they come from."""
        counters = await self.counters(uow)
        if not counters.partitioned:
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
            return
        by_partition: dict[int, list[dict[str, Any]]] = {}
        for document in self.events:
            by_partition.setdefault(counters.partition(document["aggregate_id"]), []).append(document)
        numbers = counters.numbered({p: len(documents) for p, documents in by_partition.items()})
        for p, documents in by_partition.items():
            for document, seq in zip(documents, numbers[p], strict=True):
                document["_id"] = seq
        # Each partition's counter moves to its last number, and those of the other partitions held here (idle
        # in this batch) up with them, so the horizon follows. Only counters of partitions held here: the replica
        # that owns a partition is the only one writing its counter.
        top = counters.start() + max(len(documents) for documents in by_partition.values())
        tops = {p: counters.start() + len(documents) for p, documents in by_partition.items()}
        tops |= {p: top for p in self.held - set(tops) if counters.tops.get(p, 0) < top}
        for p, k in sorted(tops.items()):
            await uow.db[COUNTERS].update_one(
                {"_id": partition_counter(p)}, {"$set": {"k": k, "at": _now()}}, upsert=True, session=uow.session
            )
        self.events.sort(key=lambda document: int(document["_id"]))


def writes(uow: UnitOfWork) -> Writes:
    return uow.buffer(WRITES, Writes)


def writes_into(uow: UnitOfWork, generation: int) -> Writes:
    """The transaction's writes, into ``generation`` rather than the one in use (a replay's catch-up)."""
    return uow.buffer(WRITES, lambda: Writes(generation))


def rollup_updates(moves: Mapping[str, Counter[str]]) -> list[UpdateOne]:
    """One upsert per roll-up document whose counters move, in order (concurrent writers lock them alike)."""
    return [
        UpdateOne(
            {"_id": rollup},
            {"$inc": {f"counts.{k}": v for k, v in delta.items()}, "$setOnInsert": {"level": level(region_of(rollup))}},
            upsert=True,
        )
        for rollup, delta in sorted(moves.items())
        if delta
    ]


def rollup_id(region: str, partition: int) -> str:
    return region if partition == 0 else f"{region}#{partition}"


def region_of(rollup: str) -> str:
    return rollup.partition("#")[0]


def _summed(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each region's roll-up: its partitions' documents added up, in the order first met."""
    regions: dict[str, dict[str, Any]] = {}
    for doc in documents:
        region = region_of(str(doc["_id"]))
        into = regions.setdefault(region, {"_id": region, "level": doc.get("level"), "counts": Counter()})
        into["counts"].update(doc.get("counts", {}))
    return regions


async def counts_of(db: Db, region: str) -> dict[str, int]:
    ids = [rollup_id(region, p) for p in range(SHARDS)]
    found = await (await view(db, ROLLUPS)).find({"_id": {"$in": ids}}).to_list(None)
    summed = _summed(found).get(region, {"counts": {}})
    return {k: v for k, v in summed["counts"].items() if v}


class MonthsActive:
    """The (district, month) pairs of a transaction's events, and when each month's reports fall due, written once:
    a district with activity in a month gets a monthly report when that month's timer fires."""

    def __init__(self, grace: timedelta) -> None:
        self.grace = grace  # how long the reports wait after the last event (see ``domain.months.timer_moves``)
        self.districts: set[tuple[str, str]] = set()
        # (month, zone) → when its reports are due, as the latest event asks: each zone's month ends at its midnight.
        self.due: dict[tuple[str, str], datetime] = {}

    def note(self, district: str, month: str, due: datetime, zone: str = "WIB") -> None:
        self.districts.add((district, month))
        self.due[month, zone] = max(due, self.due.get((month, zone), due))

    async def flush(self, uow: UnitOfWork) -> None:
        # Only what is new is written: documents every batch would rewrite alike are where replicas contend.
        ids = {f"{district}|{month}": (district, month) for district, month in sorted(self.districts)}
        if ids:
            known = {
                d["_id"]
                for d in await uow.db[ACTIVITY]
                .find({"_id": {"$in": list(ids)}}, {"_id": 1}, session=uow.session)
                .to_list(None)
            }
            if fresh := [{"_id": i, "district": d, "month": m} for i, (d, m) in ids.items() if i not in known]:
                await uow.db[ACTIVITY].insert_many(fresh, session=uow.session)
        for (month, zone), due in sorted(self.due.items()):
            key = month_timer_key(month, zone)
            timer = await uow.db[TIMERS].find_one({"kind": MONTHLY_TIMER, "key": key}, session=uow.session)
            if timer is None or (timer["status"] == "pending" and timer_moves(timer["due_at"], due, self.grace)):
                await schedule_timer(uow, MONTHLY_TIMER, key, due, {"month": month, "zone": zone})
            # A fired timer stays fired: a late event does not rebuild a month's reports (POST /reports can).


def months_active(uow: UnitOfWork, grace: timedelta) -> MonthsActive:
    return uow.buffer(MONTHS_ACTIVE, lambda: MonthsActive(grace))


async def districts_active(uow: UnitOfWork, month: str) -> list[str]:
    found = await uow.db[ACTIVITY].find({"month": month}, session=uow.session).sort("_id", 1).to_list(None)
    return [str(doc["district"]) for doc in found]


# Generations of the projections (blue/green) and replay: the stored events in arrival order, a new generation
# written whole, then switched to

GENERATION = "generation"  # the field of the events' counter document naming the generation in use
PARTITIONS = "partitions"  # the field of the same document: how many partitions number the events
WRITE_BATCH = 5000
DUPLICATE_KEY = 11000
_COLLECTION = re.compile(rf"({'|'.join(PROJECTIONS)})(?:_g([1-9][0-9]*))?")


def collection_name(projection: str, generation: int) -> str:
    """A projection's collection in a generation; generation 0 keeps the plain name it had before generations."""
    return projection if generation == 0 else f"{projection}_g{generation}"


def partition_counter(partition: int) -> str:
    return f"{EVENTS}.{partition}"


async def read_counters(db: Db, uow: UnitOfWork | None = None) -> tuple[Counters, int]:
    """The sequence counters and the generation in use, as stored (in ``uow``'s transaction when given): one query."""
    return counters_of(await _counter_documents(db, uow))


async def _counter_documents(db: Db, uow: UnitOfWork | None = None) -> list[dict[str, Any]]:
    ids = [EVENTS, *(partition_counter(p) for p in range(SHARDS))]
    return await db[COUNTERS].find({"_id": {"$in": ids}}, session=uow.session if uow else None).to_list(None)


def counters_of(found: list[dict[str, Any]]) -> tuple[Counters, int]:
    single = next((doc for doc in found if doc["_id"] == EVENTS), {})
    tops = {int(doc["_id"].rpartition(".")[2]): int(doc.get("k", 0)) for doc in found if doc["_id"] != EVENTS}
    counters = Counters(int(single.get("seq", 0)), int(single.get(PARTITIONS, 1)), tops)
    return counters, int(single.get(GENERATION, 0))


async def sequence(db: Db, uow: UnitOfWork | None = None) -> tuple[int, int]:
    """The sequence number up to which every event is stored (see ``domain.sequence``) and the generation in use."""
    counters, in_use = await read_counters(db, uow)
    return counters.horizon(), in_use


async def generation(db: Db, uow: UnitOfWork | None = None) -> int:
    return (await read_counters(db, uow))[1]


async def use_partitions(db: Db, partitions: int) -> None:
    """Record how many partitions the replicas number events in (every replica runs with the same number: change
    it with reporting stopped), and give each a counter, so that a replay's switch meets every one."""
    counters, _ = await read_counters(db)
    if partitions > 1:  # the counters first: a transaction that sees the number of partitions finds them all
        start = counters.start()
        for p in range(partitions):
            await db[COUNTERS].update_one(
                {"_id": partition_counter(p)}, {"$max": {"k": start}, "$setOnInsert": {"at": _now()}}, upsert=True
            )
    await db[COUNTERS].update_one({"_id": EVENTS}, {"$set": {PARTITIONS: partitions}}, upsert=True)
    if partitions == 1 and counters.tops:
        # Back to one counter: it goes on above the partitions' numbers.
        highest = max(counters.tops[p] * SHARDS + p for p in counters.tops)
        await db[COUNTERS].update_one({"_id": EVENTS}, {"$max": {"seq": highest}})


async def tick(uow: UnitOfWork, idle: timedelta) -> None:
    """Move up to the highest the counters of partitions that numbered nothing for ``idle`` (whoever holds them, or
    nobody, between a replica leaving and another taking over), so the horizon follows the busy ones. Any replica
    may: a counter is written in transactions only, so one moved meanwhile by its holder conflicts and is retried."""
    found = await _counter_documents(uow.db, uow)
    counters, _ = counters_of(found)
    start = counters.start()
    in_use = {partition_counter(p) for p in range(counters.partitions)}
    quiet_since = _now() - idle
    for doc in found:
        if doc["_id"] in in_use and int(doc.get("k", 0)) < start and doc.get("at", quiet_since) <= quiet_since:
            await uow.db[COUNTERS].update_one(
                {"_id": doc["_id"]}, {"$set": {"k": start, "at": _now()}}, session=uow.session
            )


def _now() -> datetime:
    return datetime.now(UTC)


class _InUse:
    """The generation readers use, per database: read again at most every ``FRESH`` seconds (another replica's
    switch is seen within that; the generation it replaced is dropped only after ``DROP_AFTER``), set at once by
    a switch made in this process."""

    FRESH = 1.0
    DROP_AFTER = 3 * FRESH

    def __init__(self) -> None:
        self.seen: dict[str, tuple[int, float]] = {}

    async def of(self, db: Db) -> int:
        seen = self.seen.get(db.name)
        if seen is None or time.monotonic() - seen[1] > self.FRESH:
            seen = self.seen[db.name] = (await generation(db), time.monotonic())
        return seen[0]

    def switched(self, db: Db, to: int) -> None:
        self.seen[db.name] = (to, time.monotonic())


IN_USE = _InUse()


async def view(db: Db, projection: str) -> AsyncCollection[dict[str, Any]]:
    """A projection's collection in the generation in use, for reading."""
    return db[collection_name(projection, await IN_USE.of(db))]


async def events_up_to(db: Db, seq: int, batch: int) -> AsyncIterator[list[dict[str, Any]]]:
    """The stored events up to ``seq`` in arrival order, a batch at a time. The next batch is asked for before
    this one is handed over, so the server reads it while the caller folds this one. (No filter on ``_id``: the
    scan reads the few events stored since ``seq`` too, cheaper than a range some servers answer by a full scan.)"""
    cursor = db[EVENTS].find({}, batch_size=batch).hint([("_id", 1)])
    ahead = asyncio.ensure_future(cursor.to_list(batch))
    try:
        while found := await ahead:
            ahead = asyncio.ensure_future(cursor.to_list(batch))
            await asyncio.sleep(0)  # the request for the next batch goes out now
            yield [doc for doc in found if doc["_id"] <= seq]
    finally:
        ahead.cancel()
        await cursor.close()


async def stored_events(db: Db) -> int:
    return await db[EVENTS].estimated_document_count()


async def events_numbered(uow: UnitOfWork, numbers: list[int]) -> list[dict[str, Any]]:
    """The stored events of these sequence numbers, in arrival order, as the transaction sees them (looked up by
    number: a list of ids every server answers by the index, where some scan the whole store for a range)."""
    if not numbers:
        return []
    found = await uow.db[EVENTS].find({"_id": {"$in": numbers}}, session=uow.session).to_list(None)
    return sorted(found, key=lambda doc: int(doc["_id"]))


async def write_generation(db: Db, generation: int, documents: Mapping[str, list[dict[str, Any]]]) -> None:
    """Fill a new generation's collections, all at once: plain unordered inserts into fresh collections (their
    indexes are built after, once over what was written: cheaper than entry by entry)."""

    async def insert(name: str, docs: list[dict[str, Any]]) -> None:
        for start in range(0, len(docs), WRITE_BATCH):
            try:
                await db[collection_name(name, generation)].insert_many(
                    docs[start : start + WRITE_BATCH], ordered=False
                )
            except BulkWriteError as failed:
                # Only this replay writes the new generation: a duplicate is a document an earlier attempt of the
                # same insert wrote (a write retried after a lost answer, on a server that does not recognise the
                # retry), the same document. Anything else is a real failure.
                if any(error["code"] != DUPLICATE_KEY for error in failed.details["writeErrors"]):
                    raise

    await asyncio.gather(*(insert(name, docs) for name, docs in documents.items() if docs))


async def switch_generation(uow: UnitOfWork, replaced: int, to: int) -> Counters | None:
    """Put generation ``to`` in use in this transaction; returns the counters as it sees them (every event they
    number is stored), or None when the generation in use was no longer ``replaced``. Live transactions write
    one of the same documents: until this one commits, theirs wait (they conflict and retry)."""
    counters, in_use = await read_counters(uow.db, uow)
    if in_use != replaced:
        return None
    await uow.db[COUNTERS].update_one({"_id": EVENTS}, {"$set": {GENERATION: to}}, upsert=True, session=uow.session)
    if counters.tops:
        ids = [partition_counter(p) for p in counters.tops]
        await uow.db[COUNTERS].update_many({"_id": {"$in": ids}}, {"$set": {GENERATION: to}}, session=uow.session)
    return counters


async def generations_stored(db: Db) -> dict[int, list[str]]:
    """Every generation's collections, by generation."""
    found: dict[int, list[str]] = {}
    for name in await db.list_collection_names():
        if matched := _COLLECTION.fullmatch(name):
            found.setdefault(int(matched.group(2) or 0), []).append(name)
    return found


async def drop_generation(db: Db, number: int) -> None:
    for name in (await generations_stored(db)).get(number, []):
        await db[name].drop()


# The event feed and the dashboard


async def events_after(
    db: Db,
    scope: dict[str, Any],
    after: int,
    limit: int,
    *,
    region: str,
    event_types: list[str],
    aggregate_id: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of stored events after the cursor, oldest first, and how many match after it. ``scope`` is the list
    filter (on ``region_code``); ``region`` (a subtree that holds it, "" for all) lets the query use the
    ``regions`` index; ``event_types`` empty: every type."""
    counters, _ = await read_counters(db)
    # With partitions, only up to the horizon: a number above it may still be committed below one shown now.
    numbers = {"$gt": after, "$lte": counters.horizon()} if counters.partitioned else {"$gt": after}
    query: dict[str, Any] = {"_id": numbers, **scope}
    if region:
        query["regions"] = region
    if event_types:
        query["event_type"] = event_types[0] if len(event_types) == 1 else {"$in": event_types}
    if aggregate_id:
        query["aggregate_id"] = aggregate_id
    items = await db[EVENTS].find(query).sort("_id", 1).limit(limit).to_list(None)
    return items, (await db[EVENTS].count_documents(query) if items else 0)  # none after the cursor: none to count


async def recent_events(db: Db, region: str, limit: int) -> list[dict[str, Any]]:
    return await db[EVENTS].find({"regions": region} if region else {}).sort("_id", -1).limit(limit).to_list(None)


async def rollups_below(db: Db, region: str, depth: int, limit: int) -> list[dict[str, Any]]:
    """The roll-ups of one level (``depth``, see ``level``) inside a region, in code order."""
    below: dict[str, Any] = {"level": depth}
    if region:
        # The codes below "33" run from "33." to "33/" ("/" follows "."): a range the index answers, a regex is not.
        below["_id"] = {"$gte": region + ".", "$lt": region + "/"}
    found = await (await view(db, ROLLUPS)).find(below).sort("_id", 1).limit(limit * SHARDS).to_list(None)
    return [{**doc, "counts": dict(doc["counts"])} for doc in list(_summed(found).values())[:limit]]


# What reports and campaign progress read from the projections


async def campaign(db: Db, campaign_id: str) -> dict[str, Any] | None:
    return await (await view(db, CAMPAIGNS)).find_one({"_id": campaign_id})


async def campaign_sessions(db: Db, campaign: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The campaign's sessions inside its region (nothing outside a campaign's region ever counts for it)."""
    return (
        await (await view(db, SESSIONS))
        .find({"campaign_id": campaign["_id"], "regions": campaign["region_code"]})
        .to_list(None)
    )


async def campaign_institutions(
    db: Db, campaign: Mapping[str, Any], kinds: list[str] | None = None
) -> list[dict[str, Any]]:
    """Institutions inside the campaign's region that cite it or lie in one of its desa."""
    query: dict[str, Any] = {
        "$or": [{"campaign_id": campaign["_id"]}, {"region_code": {"$in": campaign.get("desa_codes", [])}}],
        "regions": campaign["region_code"],
    }
    if kinds is not None:
        query["kind"] = {"$in": kinds}
    return await (await view(db, INSTITUTIONS)).find(query).to_list(None)


async def workers(db: Db, ids: set[str]) -> dict[str, dict[str, Any]]:
    return {w["_id"]: w for w in await (await view(db, WORKERS)).find({"_id": {"$in": sorted(ids)}}).to_list(None)}


async def formed_between(db: Db, region: str, start: str, end: str) -> list[dict[str, Any]]:
    return (
        await (await view(db, INSTITUTIONS))
        .find({"regions": region, "formed_on": {"$gte": start, "$lte": end}})
        .to_list(None)
    )


async def held_between(db: Db, region: str, start: str, end: str) -> list[dict[str, Any]]:
    query = {"regions": region, "status": "held", "held_on": {"$gte": start, "$lte": end}}
    return await (await view(db, SESSIONS)).find(query).to_list(None)


async def adopted_between(db: Db, region: str, start: str, end: str) -> list[dict[str, Any]]:
    return (
        await (await view(db, REGULATIONS))
        .find({"regions": region, "adopted_on": {"$gte": start, "$lte": end}})
        .to_list(None)
    )


# --- A record's history (``GET /<records>/{id}/history``) ---

# Equality on the aggregate, then its own order: the index answers the query and its sort (and the count) alone.
HISTORY_INDEX = [("aggregate_id", ASCENDING), ("aggregate_version", ASCENDING), ("_id", ASCENDING)]


async def record_state(db: Db, projection: str, record_id: str) -> dict[str, Any] | None:
    return await (await view(db, projection)).find_one({"_id": record_id}, {"region_code": 1})


async def history_page(
    db: Db, aggregate_id: str, page: PageParams, show: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """The stored events of one aggregate, oldest first: in the producer's order (``aggregate_version``), then
    in arrival order."""
    sort = [("aggregate_version", 1), ("_id", 1)]
    return await page_of(db[EVENTS], {"aggregate_id": aggregate_id}, page, sort, show=show)


# --- end of a record's history ---


# --- FGD minutes and pilot desa (fgd_minutes reports; the summary's and the dashboard's pilot desa) ---


async def session(db: Db, session_id: str) -> dict[str, Any] | None:
    return await (await view(db, SESSIONS)).find_one({"_id": session_id})


async def session_followups(db: Db, session_id: str) -> list[dict[str, Any]]:
    return await (await view(db, FOLLOWUPS)).find({"session_id": session_id}).to_list(None)


async def fgds_with_pilots(db: Db, region: str, provinces: list[str]) -> list[dict[str, Any]]:
    """Held FGDs that chose a pilot desa inside the region (every held FGD with pilot desa for "")."""
    query: dict[str, Any] = {"status": "held", "kind": "FGD"}
    # Every pilot desa lies in a province: asking for the provinces lets the index answer for the nation too.
    query["pilot_regions"] = region if region else {"$in": provinces}
    return await (await view(db, SESSIONS)).find(query).to_list(None)


async def requeue_report(uow: UnitOfWork, report_id: str, trigger_event_id: str) -> bool:
    """Ask for a new version of a recorded report; True when there is one to rebuild. A build in progress loses its
    lease and is not recorded as done: the next turn of the worker builds from the newer facts."""
    result: UpdateResult = await uow.db[REPORTS].update_one(
        {"_id": report_id, "withdrawn": {"$ne": True}},
        {"$set": {**ANOTHER_VERSION, "trigger_event_id": trigger_event_id}},
        session=uow.session,
    )
    if result.matched_count:
        uow.leave_work(REPORTS)
    return result.matched_count > 0


# --- end FGD minutes and pilot desa ---


# Registry export: the registry of a region as reporting's projections hold it -----------------------------------

EXPORTED_INSTITUTION = [
    "kind", "name", "region_code", "address", "status", "legal_basis", "formed_on", "board", "member_ids",
    "member_count",
]  # fmt: skip
EXPORTED_WORKER = ["role", "name", "region_code", "active"]


async def active_or_dormant(db: Db, region: str, start: str, quiet_before: str) -> list[dict[str, Any]]:
    """The region's institutions a monthly report from ``start`` may show: those active since (their last activity
    on or after it) and those dormant (active, quiet since before ``quiet_before``) — not the whole registry."""
    institutions = await view(db, INSTITUTIONS)
    # Two queries rather than an $or (which the dev server answers by a scan): the dormant through the index of
    # region, status and quiet day, the active among the region's institutions.
    dormant = {"regions": region, "status": "active", "quiet_since": {"$lt": quiet_before}}
    found = {d["_id"]: d for d in await institutions.find(dormant).to_list(None)}
    active = {"regions": region, "last_activity_on": {"$gte": start}}
    found |= {d["_id"]: d async for d in institutions.find(active)}
    return list(found.values())


async def workers_exported(db: Db, region: str) -> AsyncIterator[dict[str, Any]]:
    """The region's workers one at a time, with only what the export shows (names and roles, no contacts)."""
    async for worker in (await view(db, WORKERS)).find({"regions": region}, EXPORTED_WORKER, batch_size=1000):
        yield worker


async def institutions_exported(db: Db, region: str) -> AsyncIterator[dict[str, Any]]:
    """The region's institutions one at a time, with only what the export shows: a province holds tens of
    thousands, never all read into memory at once."""
    found = (await view(db, INSTITUTIONS)).find({"regions": region}, EXPORTED_INSTITUTION, batch_size=1000)
    async for institution in found:
        yield institution


async def newest_registry_event(db: Db, region: str) -> datetime | None:
    """When the newest registry fact of the region (by arrival) happened: the export's "as of"."""
    found = await db[EVENTS].find_one({"regions": region, "producer": "registry"}, sort=[("_id", -1)])
    return found["occurred_at"] if found else None


# End of the registry export's queries ---------------------------------------------------------------------------


# Reports: the jobs (``reports``) and their files (``report_files``)


async def reports_page(
    db: Db, scope: dict[str, Any], page: PageParams, kind: str | None, show: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """A page of the reports in ``scope`` (the caller's list filter), newest first."""
    query = {**scope, **({"kind": kind} if kind else {})}
    return await page_of(db[REPORTS], query, page, [("created_at", -1), ("_id", 1)], show=show)


async def report(db: Db, report_id: str) -> dict[str, Any] | None:
    return await db[REPORTS].find_one({"_id": report_id})


def _files(db: Db) -> AsyncGridFSBucket:
    return AsyncGridFSBucket(db, bucket_name=REPORT_FILES, chunk_size_bytes=FILE_CHUNK)


async def report_file(db: Db, file_id: ObjectId) -> AsyncGridOut | None:
    """A stored file to stream, or None when it is gone."""
    try:
        return await _files(db).open_download_stream(file_id)
    except NoFile:
        return None


async def store_report_files(db: Db, report_id: str, files: Mapping[str, bytes]) -> dict[str, ObjectId]:
    """Stores a build's files, each under an id of its own; the job names them once it is marked done. GridFS
    writes can't be part of a transaction, so they come first, and ``drop_report_files`` removes a build's files
    that never became the job's."""
    stored: dict[str, ObjectId] = {}
    for fmt, data in files.items():
        metadata = {"report_id": report_id, "format": fmt, "sha256": hashlib.sha256(data).hexdigest()}
        stored[fmt] = await _files(db).upload_from_stream(f"{report_id}.{fmt}", io.BytesIO(data), metadata=metadata)
    return stored


async def report_files_before(db: Db, when: datetime) -> AsyncIterator[list[dict[str, Any]]]:
    """The stored files uploaded before ``when`` (id and report), a batch at a time."""
    found = db[f"{REPORT_FILES}.files"].find({"uploadDate": {"$lt": when}}, {"metadata.report_id": 1})
    while batch := await found.to_list(500):
        yield batch


async def files_named(db: Db, report_ids: Iterable[str]) -> set[ObjectId]:
    """The files these reports' jobs name."""
    jobs = db[REPORTS].find({"_id": {"$in": list(report_ids)}}, {"files": 1})
    return {file_id async for job in jobs for file_id in (job.get("files") or {}).values()}


async def drop_report_files(db: Db, file_ids: Iterable[ObjectId]) -> None:
    for file_id in file_ids:
        with contextlib.suppress(NoFile):  # dropped already
            await _files(db).delete(file_id)


async def add_report(uow: UnitOfWork, job: dict[str, Any]) -> bool:
    """Record a job unless one with its id exists; True when recorded."""
    if await uow.db[REPORTS].find_one({"_id": job["_id"]}, {"_id": 1}, session=uow.session):
        return False
    await uow.db[REPORTS].insert_one(job, session=uow.session)
    uow.leave_work(REPORTS)
    return True


async def mark_report_done(uow: UnitOfWork, job: Mapping[str, Any], owner: str, done: dict[str, Any]) -> bool:
    """Mark a job done unless its lease passed to another worker; False when it did."""
    result: UpdateResult = await uow.db[REPORTS].update_one(
        {"_id": job["_id"], "lease_owner": owner, "status": "pending"}, {"$set": done}, session=uow.session
    )
    return result.modified_count > 0


# --- Revised reports: a job read and changed in the transaction of the fact that revises it ---


async def report_in(uow: UnitOfWork, report_id: str) -> dict[str, Any] | None:
    return await uow.db[REPORTS].find_one({"_id": report_id}, session=uow.session)


async def update_report(uow: UnitOfWork, report_id: str, changes: dict[str, Any]) -> None:
    """Change a job in the transaction of the fact that changes it (a revision puts it back to be built)."""
    await uow.db[REPORTS].update_one({"_id": report_id}, {"$set": changes}, session=uow.session)
    uow.leave_work(REPORTS)


# --- end of revised reports ---


async def update_leased_report(db: Db, job: Mapping[str, Any], owner: str, changes: dict[str, Any]) -> bool:
    """Change a job this worker still holds; False when its lease passed to another."""
    result = await db[REPORTS].update_one({"_id": job["_id"], "lease_owner": owner}, {"$set": changes})
    return result.matched_count > 0


async def campaign_reports_not_withdrawn(db: Db) -> list[dict[str, Any]]:
    query = {"kind": "campaign", "withdrawn": {"$ne": True}}
    return await db[REPORTS].find(query, {"campaign_id": 1, "region_code": 1, "files": 1}).to_list(None)


async def withdraw_report(db: Db, job: Mapping[str, Any], error: str) -> None:
    """Mark a report failed and withdrawn, without title or files."""
    changes = {"status": "failed", "withdrawn": True, "title": None, "formats": [], "files": {}, "error": error}
    await db[REPORTS].update_one({"_id": job["_id"]}, {"$set": changes})
    await drop_report_files(db, (job.get("files") or {}).values())


# Replays: one document, ``replay``, holds the state of the last one


async def claim_replay(db: Db, started_by: str, now: datetime, lease: timedelta) -> bool:
    """Mark a replay running under a lease unless one holds it (a replay whose lease ran out died with its
    process); False when one runs."""
    await db[REPLAYS].update_one({"_id": "replay"}, {"$setOnInsert": {"status": "idle"}}, upsert=True)
    taken = await db[REPLAYS].find_one_and_update(
        {"_id": "replay", **lease_free(now)},
        {"$set": {"status": "running", "started_at": now, "started_by": started_by, "error": None,
                  "lease_until": now + lease}},
    )  # fmt: skip
    return taken is not None


async def end_replay(db: Db, changes: dict[str, Any]) -> None:
    await db[REPLAYS].update_one({"_id": "replay"}, {"$set": {**changes, "lease_until": None}})


async def replay_state(db: Db) -> dict[str, Any]:
    doc = await db[REPLAYS].find_one({"_id": "replay"}) or {"status": "idle"}
    doc.pop("_id", None)
    doc.pop("lease_until", None)  # the lease is the replay's own bookkeeping
    return doc


# --- after formation: institutions' activities and the dormant flag (computed at read time from dates) ---
DORMANT_SHOWN = 50


# A region's dormant institutions, by their last sign of life.
REGION_QUIET = [("regions", ASCENDING), ("status", ASCENDING), ("quiet_since", ASCENDING)]
QUIET = [("status", ASCENDING), ("quiet_since", ASCENDING)]


async def quietest_dormant(db: Db, region: str, until: str | None) -> list[dict[str, Any]]:
    """The region's dormant institutions quiet since ``until`` or before, the quietest first (at most
    ``DORMANT_SHOWN``). The roll-up tells how far back to look (``domain.activities.quietest_days_end``): only those
    few are read, through the index of their region, status and day (a server may sort every match before the limit)."""
    if until is None:
        return []
    query: dict[str, Any] = {**({"regions": region} if region else {}), "status": "active"}
    query["quiet_since"] = {"$lte": until}
    shown = {"kind": 1, "name": 1, "region_code": 1, "last_activity_on": 1, "last_activity_kind": 1, "quiet_since": 1}
    cursor = (await view(db, INSTITUTIONS)).find(query, shown).sort([("quiet_since", 1), ("_id", 1)])
    return await cursor.limit(DORMANT_SHOWN).to_list(None)


# --- end after formation ---


async def status_figures(runtime: Runtime) -> dict[str, int | str | None]:
    """reporting's line in ``pilar status``: how the last replay went and when."""
    replay = await replay_state(runtime.mongo.db)
    when = replay.get("finished_at") or replay.get("started_at")
    return {"last_replay": replay["status"], "last_replay_at": when.isoformat() if when else None}
