"""One-off data migrations reporting runs at start-up, each recorded as done in ``migrations`` so it runs once.

A migration claims its marker with a lease (several replicas may start together: one works, the others go on;
a replica that dies mid-way leaves the lease to expire and the next start resumes). Each one is idempotent, so
work repeated after a lost lease does no harm.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from pilar_runtime.poller import lease_free
from services.reporting.commands.replays import REPLAY_LEASE
from services.reporting.commands.reports import withdraw_misscoped
from services.reporting.domain.activities import quiet_since
from services.reporting.store import (
    EVENTS,
    INSTITUTIONS,
    REPORTS,
    Db,
    claim_replay,
    drop_report_files,
    sequence,
    store_report_files,
    stored_payload,
    view,
)

log = structlog.get_logger("reporting.migrations")

MIGRATIONS = "migrations"
SCRUB_PERSONAL_DATA = "2026-11-events-without-personal-data"
FAILURE_REASONS = "2026-11-notification-failures-as-categories"
WITHDRAW_MISSCOPED_REPORTS = "2026-11-campaign-reports-outside-their-region"
QUIET_SINCE_FORMATION = "2026-11-dormant-since-formation-not-registration"
SIGNS_OF_LIFE_BY_DAY = "2026-11-signs-of-life-counted-by-day-in-roll-ups"
REPORT_FILES_IN_GRIDFS = "2026-11-report-files-in-gridfs"
ALL = (
    SCRUB_PERSONAL_DATA,
    REPORT_FILES_IN_GRIDFS,
    WITHDRAW_MISSCOPED_REPORTS,
    FAILURE_REASONS,
    QUIET_SINCE_FORMATION,
    SIGNS_OF_LIFE_BY_DAY,
)
SIGNS_OF_LIFE = ("last_activity_on", "formed_on", "registered_on", "quiet_since")
BATCH = 500
# Where the earlier release kept each report file whole, in one document (GridFS's are report_files.files/.chunks).
WHOLE_REPORT_FILES = "report_files"
LEASE = timedelta(minutes=5)


async def run_migrations(db: Db) -> bool:
    """Runs the migrations not done yet; True when one claimed a replay, which the caller runs in the background
    (``replays.run_replay``)."""
    await _once(db, SCRUB_PERSONAL_DATA, scrub_personal_data)
    await _once(db, REPORT_FILES_IN_GRIDFS, report_files_in_gridfs)  # before the withdrawal, which drops files
    await _once(db, WITHDRAW_MISSCOPED_REPORTS, lambda db, _still_working: withdraw_misscoped(db))
    await _once(db, FAILURE_REASONS, failure_reasons)
    await _once(db, QUIET_SINCE_FORMATION, quiet_since_formation)
    claimed: list[bool] = []
    await _once(db, SIGNS_OF_LIFE_BY_DAY, lambda db, _still_working: _claim_replay(db, claimed))
    return bool(claimed)


async def _claim_replay(db: Db, claimed: list[bool]) -> None:
    """The roll-ups count institutions by the day of their last sign of life and of their last activity (the
    summary's dormant and recently active institutions); roll-ups built before lack those counters and only a
    replay computes them, so the first start with events stored claims one, as ``pilar replay reporting`` would."""
    if (await sequence(db))[0] and await claim_replay(db, "migration", datetime.now(UTC), REPLAY_LEASE):
        claimed.append(True)


async def record_all_done(db: Db) -> None:
    """A store written whole by this release (events as it stores them, projections from its replay) needs none."""
    now = datetime.now(UTC)
    await db[MIGRATIONS].bulk_write(
        [UpdateOne({"_id": name}, {"$set": {"done_at": now, "lease_until": None}}, upsert=True) for name in ALL]
    )


async def _once(db: Db, name: str, migration: Any) -> None:
    now = datetime.now(UTC)
    try:
        await db[MIGRATIONS].find_one_and_update(
            {"_id": name, "done_at": None, **lease_free(now)},
            {"$set": {"lease_until": now + LEASE, "started_at": now, "done_at": None}},
            upsert=True,
        )
    except DuplicateKeyError:
        return  # done already, or another replica holds the lease
    log.info("reporting.migration_started", migration=name)
    await migration(db, lambda: _extend(db, name))
    await db[MIGRATIONS].update_one({"_id": name}, {"$set": {"done_at": datetime.now(UTC), "lease_until": None}})
    log.info("reporting.migration_done", migration=name)


async def _extend(db: Db, name: str) -> None:
    await db[MIGRATIONS].update_one({"_id": name}, {"$set": {"lease_until": datetime.now(UTC) + LEASE}})


async def scrub_personal_data(db: Db, still_working: Any) -> None:
    """Drops NIK, phone and e-mail from every stored event's payload."""
    await _keep_only_what_is_stored(db, still_working, {})


async def failure_reasons(db: Db, still_working: Any) -> None:
    """Replaces the free-text reason of stored delivery events (it may quote an address) by its category, and a
    rule's template text by `custom`, as events are stored now."""
    query = {"event_type": {"$in": ["notification_sent", "notification_failed"]}}
    await _keep_only_what_is_stored(db, still_working, query)


async def quiet_since_formation(db: Db, still_working: Any) -> None:
    """Recomputes each institution's last sign of life as the rule has it now: an institution entered long after
    its formation was counted alive from the day it was entered, and so never shown dormant."""
    after = ""
    changed = 0
    institutions = await view(db, INSTITUTIONS)
    while True:
        batch = (
            await institutions.find({"_id": {"$gt": after}}, dict.fromkeys(SIGNS_OF_LIFE, 1))
            .sort("_id", 1)
            .limit(BATCH)
            .to_list(None)
        )
        if not batch:
            break
        updates = [
            UpdateOne({"_id": d["_id"]}, {"$set": {"quiet_since": since}})
            for d in batch
            if (since := quiet_since(d)) != d.get("quiet_since")
        ]
        if updates:
            await institutions.bulk_write(updates, ordered=False)
            changed += len(updates)
        after = batch[-1]["_id"]
        await still_working()
    log.info("reporting.quiet_since_recomputed", institutions=changed)


async def report_files_in_gridfs(db: Db, still_working: Any) -> None:
    """Moves report files stored whole in one document each (at most 16 MB, which a province's export outgrows)
    into GridFS, named by their job, one at a time (each may be 16 MB); a file whose job is not done, or names that
    format already (a replica resuming this after a lost lease, or a newer build), is only dropped."""
    moved = 0
    for old_id in await db[WHOLE_REPORT_FILES].distinct("_id"):
        old = await db[WHOLE_REPORT_FILES].find_one({"_id": old_id})
        if old is None:  # moved meanwhile by a replica that resumed this
            continue
        fmt, report_id = str(old.get("format")), str(old.get("report_id"))
        unnamed = {"_id": report_id, "status": "done", f"files.{fmt}": {"$exists": False}}
        if await db[REPORTS].count_documents(unnamed, limit=1):
            stored = await store_report_files(db, report_id, {fmt: bytes(old["data"])})
            named = await db[REPORTS].update_one(unnamed, {"$set": {f"files.{fmt}": stored[fmt]}})
            if named.modified_count:
                moved += 1
            else:
                await drop_report_files(db, stored.values())
        await db[WHOLE_REPORT_FILES].delete_one({"_id": old_id})
        await still_working()
    log.info("reporting.report_files_moved", files=moved)


async def _keep_only_what_is_stored(db: Db, still_working: Any, query: dict[str, Any]) -> None:
    """Rewrites stored events' payloads to what `stored_payload` keeps today, in batches in arrival order."""
    after = 0
    scrubbed = 0
    while True:
        page = {**query, "_id": {"$gt": after}}
        batch = await db[EVENTS].find(page, {"event_type": 1, "payload": 1}).sort("_id", 1).limit(BATCH).to_list(None)
        if not batch:
            break
        updates = [
            UpdateOne({"_id": d["_id"]}, {"$set": {"payload": clean}})
            for d in batch
            if (clean := stored_payload(d["event_type"], d.get("payload"))) != d.get("payload")
        ]
        if updates:
            await db[EVENTS].bulk_write(updates, ordered=False)
            scrubbed += len(updates)
        after = batch[-1]["_id"]
        await still_working()
    log.info("reporting.events_scrubbed", events=scrubbed)
