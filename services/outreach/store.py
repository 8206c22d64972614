"""The outreach collections and the queries the commands need. Every write takes the unit of work's session."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from pymongo import UpdateOne

from pilar_runtime.localtime import at_local
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
) -> list[Booking]:
    """Active sessions that the rules must see: those of the same people overlapping [starts_at, ends_at), and the
    campaign's sessions on the Jakarta days ``days`` (first, last)."""
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
        window = {"$gte": at_local(first, time(0)), "$lt": at_local(last + timedelta(days=1), time(0))}
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
