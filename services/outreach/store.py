"""The outreach collections, the queries the commands and the lists need, and the writes. Every read inside a
command and every write takes the unit of work's session."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from pymongo import UpdateOne

from pilar_runtime.api import page_of
from pilar_runtime.localtime import WIB, at_local
from pilar_runtime.models import PageParams
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.outreach.domain.completion import HELD, SCHEDULED, SessionOutcome
from services.outreach.domain.rules import Booking, CampaignTerms

CAMPAIGNS, SESSIONS, FOLLOWUPS, WORKERS, LOCKS = "campaigns", "sessions", "followups", "workers", "locks"
ACTIVE = [SCHEDULED, HELD]  # sessions that occupy people and days


async def ensure_indexes(mongo: Mongo) -> None:
    db = mongo.db
    await db[CAMPAIGNS].create_index([("region_code", 1), ("start_date", 1)])
    await db[SESSIONS].create_index([("campaign_id", 1), ("status", 1)])
    await db[SESSIONS].create_index([("officer_ids", 1), ("starts_at", 1)])
    await db[SESSIONS].create_index([("narasumber_ids", 1), ("starts_at", 1)])
    await db[SESSIONS].create_index([("region_code", 1), ("starts_at", 1)])
    await db[FOLLOWUPS].create_index([("session_id", 1)])
    await db[FOLLOWUPS].create_index([("region_code", 1), ("status", 1), ("due_on", 1)])


def campaign_terms(campaign: dict[str, Any]) -> CampaignTerms:
    return CampaignTerms(
        campaign_id=campaign["_id"],
        region_code=campaign["region_code"],
        start_date=date.fromisoformat(campaign["start_date"]),
        end_date=date.fromisoformat(campaign["end_date"]),
        max_sessions_per_day=campaign["max_sessions_per_day"],
        cuti_bersama_blocks=campaign.get("cuti_bersama_blocks", False),
    )


def booking(session: dict[str, Any]) -> Booking:
    return Booking(
        session_id=session["_id"],
        region_code=session["region_code"],
        starts_at=session["starts_at"],
        ends_at=session["ends_at"],
        officer_ids=tuple(session.get("officer_ids", ())),
        narasumber_ids=tuple(session.get("narasumber_ids", ())),
        campaign_id=session.get("campaign_id"),
    )


def outcome(session: dict[str, Any]) -> SessionOutcome:
    attendance = (session.get("report") or {}).get("attendance") or {}
    return SessionOutcome(
        region_code=session["region_code"],
        status=session["status"],
        participants=int(attendance.get("total", 0)),
        by_category=dict(attendance.get("by_category") or {}),
    )


async def lock(uow: UnitOfWork, keys: Iterable[str]) -> None:
    """Touch one document per person/campaign so that two transactions placing sessions for the same people or
    campaign conflict (and one retries on fresh data) instead of both passing the rules."""
    ops = [UpdateOne({"_id": key}, {"$inc": {"n": 1}}, upsert=True) for key in sorted(set(keys))]
    if ops:
        await uow.db[LOCKS].bulk_write(ops, ordered=True, session=uow.session)


async def bookings_around(
    uow: UnitOfWork,
    *,
    people: Iterable[str],
    starts_at: datetime,
    ends_at: datetime,
    campaign_id: str | None,
    days: tuple[date, date] | None = None,
    zone: tzinfo = WIB,
) -> list[Booking]:
    """Active sessions that the rules must see: those of the same people overlapping [starts_at, ends_at), and the
    campaign's sessions on the local days ``days`` (first, last) of ``zone``."""
    people = sorted(set(people))
    clauses: list[dict[str, Any]] = []
    if people:
        clauses.append(
            {
                "starts_at": {"$lt": ends_at},
                "ends_at": {"$gt": starts_at},
                "$or": [{"officer_ids": {"$in": people}}, {"narasumber_ids": {"$in": people}}],
            }
        )
    if campaign_id is not None and days is not None:
        first, last = days
        window = {"$gte": at_local(first, time(0), zone), "$lt": at_local(last + timedelta(days=1), time(0), zone)}
        clauses.append({"campaign_id": campaign_id, "starts_at": window})
    if not clauses:
        return []
    query = {"status": {"$in": ACTIVE}, "$or": clauses}
    return [booking(s) async for s in uow.db[SESSIONS].find(query, session=uow.session)]


async def active_workers(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    """The known, active workers among ``ids`` in the local copy: worker id → the region the worker serves."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = uow.db[WORKERS].find(
        {"_id": {"$in": wanted}, "active": True}, {"_id": 1, "region_code": 1}, session=uow.session
    )
    return {w["_id"]: w["region_code"] async for w in found}


async def campaign_sessions(uow: UnitOfWork, campaign_id: str) -> list[dict[str, Any]]:
    return [s async for s in uow.db[SESSIONS].find({"campaign_id": campaign_id}, session=uow.session).sort("_id", 1)]


async def session_followups(uow: UnitOfWork, session_id: str) -> list[dict[str, Any]]:
    """A session's follow-ups in the order they were assigned."""
    found = (
        uow.db[FOLLOWUPS].find({"session_id": session_id}, session=uow.session).sort([("created_at", 1), ("_id", 1)])
    )
    return [f async for f in found]


# Reads by id and writes ---------------------------------------------------------------------------------------


async def read(mongo: Mongo, collection: str, item_id: str) -> dict[str, Any] | None:
    """A document by id, outside any unit of work (what a command loads before it decides)."""
    return await mongo.db[collection].find_one({"_id": item_id})


async def get(uow: UnitOfWork, collection: str, item_id: str) -> dict[str, Any] | None:
    return await uow.db[collection].find_one({"_id": item_id}, session=uow.session)


async def add(uow: UnitOfWork, collection: str, documents: Iterable[dict[str, Any]]) -> None:
    # Copies: the driver writes an ``_id`` into what it inserts, the callers keep their documents as they were.
    copies = [dict(d) for d in documents]
    if copies:
        await uow.db[collection].insert_many(copies, session=uow.session)


async def replace_unchanged(
    uow: UnitOfWork, collection: str, before: dict[str, Any], after: dict[str, Any], *same: str
) -> bool:
    """Write ``after`` only over the version read (and the ``same`` fields as read); False when it changed."""
    expected = {"_id": before["_id"], "version": before["version"], **{f: before[f] for f in same}}
    result = await uow.db[collection].replace_one(expected, after, session=uow.session)
    return result.matched_count > 0


async def replace(uow: UnitOfWork, collection: str, document: dict[str, Any]) -> None:
    """Write a document read in the same unit of work (the transaction guards it against concurrent writes)."""
    await uow.db[collection].replace_one({"_id": document["_id"]}, document, session=uow.session)


async def set_fields(uow: UnitOfWork, collection: str, item_id: str, fields: dict[str, Any]) -> None:
    await uow.db[collection].update_one({"_id": item_id}, {"$set": fields}, session=uow.session)


# Lists (pages of ``{items, total}``) ----------------------------------------------------------------------------


def _narrowed(scope: dict[str, Any], filters: dict[str, Any]) -> dict[str, Any]:
    """The caller's list scope and the filters given (a None filter is not given)."""
    return {**scope, **{k: v for k, v in filters.items() if v is not None}}


async def campaigns_page(
    mongo: Mongo, scope: dict[str, Any], page: PageParams, *, status: str | None
) -> dict[str, Any]:
    query = _narrowed(scope, {"status": status})
    return await page_of(mongo.db[CAMPAIGNS], query, page, sort=[("start_date", -1), ("_id", 1)])


async def sessions_page(
    mongo: Mongo,
    scope: dict[str, Any],
    page: PageParams,
    *,
    campaign_id: str | None,
    status: str | None,
    kind: str | None,
) -> dict[str, Any]:
    query = _narrowed(scope, {"campaign_id": campaign_id, "status": status, "kind": kind})
    return await page_of(mongo.db[SESSIONS], query, page, sort=[("starts_at", 1), ("_id", 1)])


async def followups_page(
    mongo: Mongo,
    scope: dict[str, Any],
    page: PageParams,
    *,
    session_id: str | None,
    campaign_id: str | None,
    owner_id: str | None,
    status: str | None,
    overdue: bool | None,
) -> dict[str, Any]:
    filters = {
        "session_id": session_id,
        "campaign_id": campaign_id,
        "owner_id": owner_id,
        "status": status,
        "overdue": overdue,
    }
    return await page_of(mongo.db[FOLLOWUPS], _narrowed(scope, filters), page, sort=[("due_on", 1), ("_id", 1)])
