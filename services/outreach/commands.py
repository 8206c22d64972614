"""What outreach does for each command: check the input, load, apply the domain rules, then persist and emit
through the outbox in one transaction. Shared by the HTTP routes and the timers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import structlog

from pilar_runtime.api import new_id
from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict, NotFound, Unprocessable
from pilar_runtime.localtime import at_local, end_of_day, local_date, local_today
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.regions import Level, RegionError, is_within, lookup, require
from pilar_runtime.timers import cancel_timer, schedule_timer
from services.outreach import events, store
from services.outreach.api.schemas import CampaignIn, CompleteFollowupIn, ReportIn, SessionIn, SessionPatch
from services.outreach.domain.completion import CANCELLED, HELD, SCHEDULED, all_sessions_done, campaign_totals
from services.outreach.domain.rules import people_region, serves, time_problem, violations
from services.outreach.domain.scheduler import ScheduleImpossible, ScheduleRequest, auto_schedule
from services.outreach.store import CAMPAIGNS, FOLLOWUPS, SESSIONS

log = structlog.get_logger("outreach")

SERVICE_ACTOR = "outreach"
FOLLOWUP_DUE = "followup_due"
CAMPAIGN_PERIOD_END = "campaign_period_end"
PLANNED, COMPLETED = "planned", "completed"
OPEN, DONE = "open", "done"


def _region(code: str, field: str, *levels: Level) -> str:
    try:
        return require(code, *levels)
    except RegionError as exc:
        raise Unprocessable(f"{field}: {exc}") from exc


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


async def _require_workers(uow: UnitOfWork, ids: list[str], field: str, area: tuple[str, str]) -> None:
    """422 unless every id is a known, active worker; 409 ``people_in_region`` unless each serves the ``area``
    (region, what it is the region of): another region's people are not this office's to book."""
    serving = await store.active_workers(uow, ids)
    missing = sorted(set(ids) - set(serving))
    if missing:
        raise Unprocessable(f"{field}: unknown or inactive worker(s): {', '.join(missing)}")
    region, where = area
    broken = people_region(serving, region, field, where)
    if broken:
        log.info("booking.people_outside_region", field=field, region_code=region)
        raise Conflict(broken.as_detail())


def _people_area(session: dict[str, Any], campaign: dict[str, Any] | None) -> tuple[str, str]:
    """Where a session's people must serve: its campaign's region (the pools the scheduler draws from), or the
    session's own region when it stands alone."""
    if campaign is not None:
        return campaign["region_code"], "campaign"
    return session["region_code"], "session"


def _state_conflict(rule: str, message: str) -> Conflict:
    return Conflict({"rule": rule, "message": message, "conflicting_session_id": None})


# Campaigns ---------------------------------------------------------------------------------------------------


async def plan_campaign(mongo: Mongo, body: CampaignIn, caller: Caller) -> dict[str, Any]:
    region = _region(body.region_code, "region_code", Level.KABUPATEN, Level.KECAMATAN)
    caller.require_region(region)
    desa_codes: list[str] = []
    for i, code in enumerate(body.desa_codes):
        desa = _region(code, f"desa_codes[{i}]", Level.DESA)
        if not is_within(desa, region):
            raise Unprocessable(f"desa_codes[{i}]: desa {desa} lies outside the campaign's region {region}")
        if desa in desa_codes:
            raise Unprocessable(f"desa_codes[{i}]: desa {desa} is listed twice")
        desa_codes.append(desa)
    campaign: dict[str, Any] = {
        "_id": new_id("cmp"),
        "name": body.name,
        "topic": body.topic,
        "region_code": region,
        "start_date": body.start_date.isoformat(),
        "end_date": body.end_date.isoformat(),
        "desa_codes": desa_codes,
        "targets": body.targets.model_dump(),
        "max_sessions_per_day": body.max_sessions_per_day,
        "officer_ids": _unique(body.officer_ids),
        "narasumber_ids": _unique(body.narasumber_ids),
        "officers_per_session": body.officers_per_session,
        "narasumber_per_session": body.narasumber_per_session,
        "status": PLANNED,
        "version": 1,
        "created_by": caller.sub,
        "created_at": datetime.now(UTC),
    }

    async def work(uow: UnitOfWork) -> None:
        area = (region, "campaign")
        await _require_workers(uow, campaign["officer_ids"], "officer_ids", area)
        await _require_workers(uow, campaign["narasumber_ids"], "narasumber_ids", area)
        await uow.db[CAMPAIGNS].insert_one(dict(campaign), session=uow.session)
        # When the period is over the campaign completes even if some sessions were never reported.
        await schedule_timer(
            uow, CAMPAIGN_PERIOD_END, campaign["_id"], end_of_day(body.end_date), {"campaign_id": campaign["_id"]}
        )
        uow.emit(events.campaign_planned(campaign, caller.sub))

    await mongo.transact(work)
    log.info("campaign.planned", campaign_id=campaign["_id"], region_code=region, desa=len(desa_codes))
    return campaign


async def visible(mongo: Mongo, collection: str, item_id: str, caller: Caller, what: str) -> dict[str, Any]:
    found = await mongo.db[collection].find_one({"_id": item_id})
    if found is None:
        raise NotFound(f"{what} {item_id} not found")
    caller.require_record(found["region_code"], what, item_id)
    return found


async def complete_campaign_if_done(uow: UnitOfWork, campaign_id: str, actor: str, *, period_ended: bool) -> None:
    """Emit ``campaign_completed`` once: when every session is held or cancelled, or when the period has ended."""
    campaign = await uow.db[CAMPAIGNS].find_one({"_id": campaign_id}, session=uow.session)
    if campaign is None or campaign["status"] == COMPLETED:
        return
    outcomes = [store.outcome(s) for s in await store.campaign_sessions(uow, campaign_id)]
    if period_ended:
        reason = "period_ended"
    elif all_sessions_done(outcomes):
        reason = "all_sessions_done"
    else:
        return
    totals = campaign_totals(outcomes)
    campaign.update(status=COMPLETED, completed_reason=reason, totals=totals, version=campaign["version"] + 1)
    await uow.db[CAMPAIGNS].update_one(
        {"_id": campaign_id},
        {"$set": {k: campaign[k] for k in ("status", "completed_reason", "totals", "version")}},
        session=uow.session,
    )
    if not period_ended:
        await cancel_timer(uow, CAMPAIGN_PERIOD_END, campaign_id)
    uow.emit(events.campaign_completed(campaign, reason, totals, actor))
    log.info("campaign.completed", campaign_id=campaign_id, reason=reason, sessions_held=totals["sessions_held"])


# Sessions ----------------------------------------------------------------------------------------------------


def _session_region(code: str, kind: str, field: str = "region_code") -> str:
    # A penyuluhan happens in a desa; an FGD may gather a whole kecamatan or kabupaten (seed 004: a hotel ballroom).
    levels = (Level.DESA,) if kind == "penyuluhan" else (Level.KABUPATEN, Level.KECAMATAN, Level.DESA)
    return _region(code, field, *levels)


def _expected(total: int | None, by_category: dict[str, int], campaign: dict[str, Any] | None) -> int:
    if by_category:
        counted = sum(by_category.values())
        if total is not None and total != counted:
            raise Unprocessable(f"expected_by_category adds up to {counted}, expected_participants says {total}")
        return counted
    if total is not None:
        return total
    return int(((campaign or {}).get("targets") or {}).get("participants_per_session") or 0)


async def _check_rules(
    uow: UnitOfWork, session: dict[str, Any], campaign: dict[str, Any] | None, caller: Caller
) -> None:
    """Lock the people and the campaign, then 409 on the first rule the session breaks (naming no session the
    caller may not see)."""
    candidate = store.booking(session)
    await store.lock(uow, [f"person:{p}" for p in candidate.people] + [f"campaign:{session.get('campaign_id')}"])
    first, last = candidate.day, local_date(candidate.ends_at)
    others = await store.bookings_around(
        uow,
        people=candidate.people,
        starts_at=candidate.starts_at,
        ends_at=candidate.ends_at,
        campaign_id=session.get("campaign_id"),
        days=(first, last),
    )
    terms = store.campaign_terms(campaign) if campaign else None
    broken = violations(candidate, terms, others, caller.can_see)
    if broken:
        log.info("session.rule_broken", rule=broken[0].rule, session_id=session["_id"])
        raise Conflict(broken[0].as_detail())


async def _open_campaign(mongo: Mongo, campaign_id: str | None, caller: Caller) -> dict[str, Any] | None:
    if campaign_id is None:
        return None
    campaign = await visible(mongo, CAMPAIGNS, campaign_id, caller, "campaign")
    if campaign["status"] == COMPLETED:
        raise _state_conflict("campaign_open", f"campaign {campaign_id} is completed; it takes no more sessions")
    return campaign


async def create_session(mongo: Mongo, body: SessionIn, caller: Caller) -> dict[str, Any]:
    campaign = await _open_campaign(mongo, body.campaign_id, caller)
    topic = body.topic or (campaign["topic"] if campaign else None)
    if not topic:
        raise Unprocessable("topic: required for a session without a campaign")
    region = _session_region(body.region_code, body.kind.value)
    caller.require_region(region)
    problem = time_problem(body.starts_at, body.ends_at)
    if problem:
        raise Unprocessable(problem)
    by_category = {k.value: v for k, v in body.expected_by_category.items()}
    session: dict[str, Any] = {
        "_id": new_id("ses"),
        "kind": body.kind.value,
        "campaign_id": body.campaign_id,
        "topic": topic,
        "region_code": region,
        "venue": body.venue,
        "starts_at": body.starts_at,
        "ends_at": body.ends_at,
        "officer_ids": _unique(body.officer_ids),
        "narasumber_ids": _unique(body.narasumber_ids),
        "expected_participants": _expected(body.expected_participants, by_category, campaign),
        "expected_by_category": by_category,
        "status": SCHEDULED,
        "version": 1,
        "created_by": caller.sub,
        "created_at": datetime.now(UTC),
    }

    async def work(uow: UnitOfWork) -> None:
        area = _people_area(session, campaign)
        await _require_workers(uow, session["officer_ids"], "officer_ids", area)
        await _require_workers(uow, session["narasumber_ids"], "narasumber_ids", area)
        await _check_rules(uow, session, campaign, caller)
        await uow.db[SESSIONS].insert_one(dict(session), session=uow.session)
        uow.emit(events.session_scheduled(session, caller.sub))

    await mongo.transact(work)
    log.info("session.scheduled", session_id=session["_id"], region_code=region, campaign_id=body.campaign_id)
    return session


async def _scheduled_session(mongo: Mongo, session_id: str, caller: Caller, doing: str) -> dict[str, Any]:
    session = await visible(mongo, SESSIONS, session_id, caller, "session")
    if session["status"] != SCHEDULED:
        raise _state_conflict(f"session_{session['status']}", f"session {session_id} is {session['status']}; {doing}")
    return session


async def _campaign_of(mongo: Mongo, session: dict[str, Any]) -> dict[str, Any] | None:
    campaign_id = session.get("campaign_id")
    return await mongo.db[CAMPAIGNS].find_one({"_id": campaign_id}) if campaign_id else None


async def _replace_if_unchanged(uow: UnitOfWork, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Write ``after`` only over the version read: a concurrent change makes this command a 409, not a lost update."""
    result = await uow.db[SESSIONS].replace_one(
        {"_id": before["_id"], "version": before["version"], "status": before["status"]}, after, session=uow.session
    )
    if result.matched_count == 0:
        raise _state_conflict("session_changed", f"session {before['_id']} changed meanwhile; reload and retry")


async def move_session(mongo: Mongo, session_id: str, body: SessionPatch, caller: Caller) -> dict[str, Any]:
    before = await _scheduled_session(mongo, session_id, caller, "it can no longer be changed")
    changes = body.model_dump(exclude_unset=True)
    if changes.get("expected_by_category") is not None:
        changes["expected_by_category"] = {k.value: v for k, v in body.expected_by_category.items()}  # type: ignore[union-attr]
    changes = {k: v for k, v in changes.items() if v is not None}
    after = {**before, **changes}
    if "region_code" in changes:
        after["region_code"] = _session_region(changes["region_code"], before["kind"])
        caller.require_region(after["region_code"])
    after["officer_ids"] = _unique(after["officer_ids"])
    after["narasumber_ids"] = _unique(after["narasumber_ids"])
    problem = time_problem(after["starts_at"], after["ends_at"])
    if problem:
        raise Unprocessable(problem)
    campaign = await _campaign_of(mongo, before)
    if "expected_by_category" in changes or "expected_participants" in changes:
        after["expected_participants"] = _expected(
            changes.get("expected_participants"), after.get("expected_by_category") or {}, campaign
        )
    if all(after[k] == before.get(k) for k in after):
        return before
    after["version"] = before["version"] + 1

    async def work(uow: UnitOfWork) -> None:
        area = _people_area(after, campaign)
        await _require_workers(uow, after["officer_ids"], "officer_ids", area)
        await _require_workers(uow, after["narasumber_ids"], "narasumber_ids", area)
        await _check_rules(uow, after, campaign, caller)
        await _replace_if_unchanged(uow, before, after)
        uow.emit(events.session_rescheduled(after, before, caller.sub))

    await mongo.transact(work)
    log.info("session.rescheduled", session_id=session_id, version=after["version"])
    return after


async def cancel_session(mongo: Mongo, session_id: str, reason: str | None, caller: Caller) -> dict[str, Any]:
    before = await _scheduled_session(mongo, session_id, caller, "it can no longer be cancelled")
    after = {**before, "status": CANCELLED, "cancel_reason": reason, "version": before["version"] + 1}

    async def work(uow: UnitOfWork) -> None:
        await _replace_if_unchanged(uow, before, after)
        uow.emit(events.session_cancelled(after, caller.sub))
        if after.get("campaign_id"):
            await complete_campaign_if_done(uow, after["campaign_id"], caller.sub, period_ended=False)

    await mongo.transact(work)
    log.info("session.cancelled", session_id=session_id)
    return after


async def report_session(mongo: Mongo, session_id: str, body: ReportIn, caller: Caller) -> dict[str, Any]:
    before = await visible(mongo, SESSIONS, session_id, caller, "session")
    if before["status"] == CANCELLED:
        raise _state_conflict("session_cancelled", f"session {session_id} was cancelled; it cannot be reported")
    if before["status"] == HELD:
        raise _state_conflict("session_already_reported", f"session {session_id} was already reported")
    if body.held_on > local_today():
        raise Unprocessable(f"held_on: {body.held_on} is in the future")
    strangers = [n for n in body.narasumber_present_ids if n not in before["narasumber_ids"]]
    if strangers:
        raise Unprocessable(f"narasumber_present_ids: {', '.join(strangers)} not assigned to session {session_id}")
    pilots = [
        _region(code, f"outcomes.pilot_desa_codes[{i}]", Level.DESA)
        for i, code in enumerate(body.outcomes.pilot_desa_codes)
    ]
    for i, followup in enumerate(body.outcomes.followups):
        if followup.due_on < body.held_on:
            raise Unprocessable(f"outcomes.followups[{i}].due_on: {followup.due_on} is before held_on {body.held_on}")
    report = {
        "held_on": body.held_on.isoformat(),
        "attendance": {
            "total": body.attendance.total,
            "by_category": {k.value: v for k, v in body.attendance.by_category.items()},
        },
        "narasumber_present_ids": _unique(body.narasumber_present_ids),
        "summary": body.summary,
        "pilot_desa_codes": _unique(pilots),
        "reported_by": caller.sub,
    }
    after = {**before, "status": HELD, "report": report, "version": before["version"] + 1}
    followups = [
        {
            "_id": new_id("fol"),
            "session_id": session_id,
            "campaign_id": before.get("campaign_id"),
            "region_code": before["region_code"],
            "action": f.action,
            "owner_id": f.owner_id,
            "due_on": f.due_on.isoformat(),
            "status": OPEN,
            "overdue": False,
            "version": 1,
            "created_at": datetime.now(UTC),
        }
        for f in body.outcomes.followups
    ]

    area = _people_area(before, await _campaign_of(mongo, before))

    async def work(uow: UnitOfWork) -> None:
        for i, followup in enumerate(followups):
            await _require_workers(uow, [followup["owner_id"]], f"outcomes.followups[{i}].owner_id", area)
        await _replace_if_unchanged(uow, before, after)
        uow.emit(events.session_held(after, followups, caller.sub))
        for followup in followups:
            await uow.db[FOLLOWUPS].insert_one(dict(followup), session=uow.session)
            due_at = end_of_day(date.fromisoformat(followup["due_on"]))
            await schedule_timer(uow, FOLLOWUP_DUE, followup["_id"], due_at, {"followup_id": followup["_id"]})
            uow.emit(events.followup_assigned(followup, caller.sub))
        if after.get("campaign_id"):
            await complete_campaign_if_done(uow, after["campaign_id"], caller.sub, period_ended=False)

    await mongo.transact(work)
    log.info("session.held", session_id=session_id, kind=before["kind"], followups=len(followups))
    return after


# Auto-scheduler ----------------------------------------------------------------------------------------------


async def schedule_campaign(mongo: Mongo, campaign_id: str, caller: Caller) -> list[dict[str, Any]]:
    campaign = await _open_campaign(mongo, campaign_id, caller)
    assert campaign is not None
    terms = store.campaign_terms(campaign)
    pools = set(campaign["officer_ids"]) | set(campaign["narasumber_ids"])
    created: list[dict[str, Any]] = []

    async def work(uow: UnitOfWork) -> None:
        created.clear()
        await store.lock(uow, [f"person:{p}" for p in pools] + [f"campaign:{campaign_id}"])
        serving = await store.active_workers(uow, pools)
        # A worker who left, or moved to another region since the campaign was planned, is left out.
        inactive = pools - set(serving)
        outside = {p for p, served in serving.items() if not serves(served, terms.region_code)}
        unavailable = inactive | outside
        own = await store.campaign_sessions(uow, campaign_id)
        covered = {s["region_code"] for s in own if s["status"] in store.ACTIVE}
        existing = await store.bookings_around(
            uow,
            people=pools,
            starts_at=at_local(terms.start_date, datetime.min.time()),
            ends_at=end_of_day(terms.end_date),
            campaign_id=campaign_id,
            days=(terms.start_date, terms.end_date),
        )
        request = ScheduleRequest(
            campaign=terms,
            desa_codes=tuple(d for d in campaign["desa_codes"] if d not in covered),
            officer_ids=tuple(p for p in campaign["officer_ids"] if p not in unavailable),
            narasumber_ids=tuple(p for p in campaign["narasumber_ids"] if p not in unavailable),
            officers_per_session=campaign["officers_per_session"],
            narasumber_per_session=campaign["narasumber_per_session"],
            existing=tuple(existing),
        )
        try:
            plan = auto_schedule(request) if request.desa_codes else []
        except ScheduleImpossible as exc:
            left_out = {"inactive_or_unknown_workers": len(inactive), "workers_outside_region": len(outside)}
            raise Unprocessable({**exc.as_detail(), **left_out}) from exc
        now = datetime.now(UTC)
        expected = int(campaign["targets"].get("participants_per_session") or 0)
        for planned in plan:
            region = lookup(planned.region_code)
            created.append(
                {
                    "_id": new_id("ses"),
                    "kind": "penyuluhan",
                    "campaign_id": campaign_id,
                    "topic": campaign["topic"],
                    "region_code": planned.region_code,
                    "venue": f"Balai Desa {region.name}" if region else "Balai Desa",
                    "starts_at": planned.starts_at,
                    "ends_at": planned.ends_at,
                    "officer_ids": list(planned.officer_ids),
                    "narasumber_ids": list(planned.narasumber_ids),
                    "expected_participants": expected,
                    "expected_by_category": {},
                    "status": SCHEDULED,
                    "version": 1,
                    "created_by": caller.sub,
                    "created_at": now,
                    "auto_scheduled": True,
                }
            )
        if created:
            await uow.db[SESSIONS].insert_many([dict(s) for s in created], session=uow.session)
        for session in created:
            uow.emit(events.session_scheduled(session, caller.sub))

    await mongo.transact(work)
    log.info("campaign.auto_scheduled", campaign_id=campaign_id, sessions=len(created))
    return created


# Follow-ups --------------------------------------------------------------------------------------------------


async def complete_followup(mongo: Mongo, followup_id: str, body: CompleteFollowupIn, caller: Caller) -> dict[str, Any]:
    before = await visible(mongo, FOLLOWUPS, followup_id, caller, "follow-up")
    if before["status"] == DONE:
        raise Conflict({"rule": "followup_open", "message": f"follow-up {followup_id} is already completed"})
    completed_on = body.completed_on or local_today()
    if completed_on > local_today():
        raise Unprocessable(f"completed_on: {completed_on} is in the future")
    after = {
        **before,
        "status": DONE,
        "completed_on": completed_on.isoformat(),
        "note": body.note,
        "completed_by": caller.sub,
        "version": before["version"] + 1,
    }

    async def work(uow: UnitOfWork) -> None:
        result = await uow.db[FOLLOWUPS].replace_one(
            {"_id": followup_id, "version": before["version"]}, after, session=uow.session
        )
        if result.matched_count == 0:
            raise Conflict({"rule": "followup_changed", "message": f"follow-up {followup_id} changed meanwhile"})
        await cancel_timer(uow, FOLLOWUP_DUE, followup_id)
        uow.emit(events.followup_completed(after, caller.sub))

    await mongo.transact(work)
    log.info("followup.completed", followup_id=followup_id)
    return after


async def mark_followup_overdue(uow: UnitOfWork, followup_id: str) -> None:
    """The due date passed: an open follow-up becomes overdue, once."""
    followup = await uow.db[FOLLOWUPS].find_one({"_id": followup_id}, session=uow.session)
    if followup is None or followup["status"] != OPEN or followup.get("overdue"):
        return
    followup.update(overdue=True, version=followup["version"] + 1)
    await uow.db[FOLLOWUPS].update_one(
        {"_id": followup_id}, {"$set": {"overdue": True, "version": followup["version"]}}, session=uow.session
    )
    uow.emit(events.followup_overdue(followup, SERVICE_ACTOR))
    log.info("followup.overdue", followup_id=followup_id)
