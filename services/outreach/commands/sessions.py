"""Sessions: place one under the scheduling rules, read, move or change it, cancel it, report it as held (which
assigns its follow-ups)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict
from pilar_runtime.localtime import end_of_day, local_today, zone_of
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.timers import schedule_timer
from services.outreach import events, store
from services.outreach.commands.campaigns import complete_campaign_if_done, open_campaign
from services.outreach.commands.followups import FOLLOWUP_DUE
from services.outreach.commands.shared import log, people_area, require_workers, visible
from services.outreach.domain.models import ReportIn, SessionIn, SessionPatch
from services.outreach.domain.places import session_region
from services.outreach.domain.report import assigned_followups, held_report, held_session, require_reportable
from services.outreach.domain.rules import violations
from services.outreach.domain.sessions import (
    cancelled_session,
    changed_session,
    new_session,
    require_scheduled,
    session_changes,
    session_topic,
    state_conflict,
)
from services.outreach.store import CAMPAIGNS, FOLLOWUPS, SESSIONS


async def read_session(mongo: Mongo, session_id: str, caller: Caller) -> dict[str, Any]:
    return await visible(mongo, SESSIONS, session_id, caller, "session")


async def create_session(mongo: Mongo, body: SessionIn, caller: Caller) -> dict[str, Any]:
    campaign = await open_campaign(mongo, body.campaign_id, caller) if body.campaign_id is not None else None
    topic = session_topic(body.topic, campaign)
    region = session_region(body.region_code, body.kind.value)
    caller.require_region(region)
    session = new_session(
        body, campaign, topic=topic, region=region, session_id=new_id("ses"), created_by=caller.sub, now=_now()
    )

    async def work(uow: UnitOfWork) -> None:
        await _require_people(uow, session, campaign)
        await _check_rules(uow, session, campaign, caller)
        await store.add(uow, SESSIONS, [session])
        uow.emit(events.session_scheduled(session, caller.sub))

    await mongo.transact(work)
    log.info("session.scheduled", session_id=session["_id"], region_code=region, campaign_id=body.campaign_id)
    return session


async def move_session(mongo: Mongo, session_id: str, body: SessionPatch, caller: Caller) -> dict[str, Any]:
    before = await read_session(mongo, session_id, caller)
    require_scheduled(before, "it can no longer be changed")
    changes = session_changes(body)
    if "region_code" in changes:
        changes["region_code"] = session_region(changes["region_code"], before["kind"])
        caller.require_region(changes["region_code"])
    campaign = await _campaign_of(mongo, before)
    after = changed_session(before, changes, campaign)
    if after is None:
        return before

    async def work(uow: UnitOfWork) -> None:
        await _require_people(uow, after, campaign)
        await _check_rules(uow, after, campaign, caller)
        await _replace_if_unchanged(uow, before, after)
        uow.emit(events.session_rescheduled(after, before, caller.sub))

    await mongo.transact(work)
    log.info("session.rescheduled", session_id=session_id, version=after["version"])
    return after


async def cancel_session(mongo: Mongo, session_id: str, reason: str | None, caller: Caller) -> dict[str, Any]:
    before = await read_session(mongo, session_id, caller)
    require_scheduled(before, "it can no longer be cancelled")
    after = cancelled_session(before, reason)

    async def work(uow: UnitOfWork) -> None:
        await _replace_if_unchanged(uow, before, after)
        uow.emit(events.session_cancelled(after, caller.sub))
        if after.get("campaign_id"):
            await complete_campaign_if_done(uow, after["campaign_id"], caller.sub, period_ended=False)

    await mongo.transact(work)
    log.info("session.cancelled", session_id=session_id)
    return after


async def report_session(mongo: Mongo, session_id: str, body: ReportIn, caller: Caller) -> dict[str, Any]:
    before = await read_session(mongo, session_id, caller)
    require_reportable(before)
    after = held_session(
        before, held_report(body, before, today=local_today(zone_of(before["region_code"])), reported_by=caller.sub)
    )
    followups = assigned_followups(body, before, new_id=lambda: new_id("fol"), now=_now())
    area = people_area(before, await _campaign_of(mongo, before))

    async def work(uow: UnitOfWork) -> None:
        for i, followup in enumerate(followups):
            await require_workers(uow, [followup["owner_id"]], f"outcomes.followups[{i}].owner_id", area)
        await _replace_if_unchanged(uow, before, after)
        uow.emit(events.session_held(after, followups, caller.sub))
        for followup in followups:
            await store.add(uow, FOLLOWUPS, [followup])
            due_at = end_of_day(date.fromisoformat(followup["due_on"]), zone_of(before["region_code"]))
            await schedule_timer(uow, FOLLOWUP_DUE, followup["_id"], due_at, {"followup_id": followup["_id"]})
            uow.emit(events.followup_assigned(followup, caller.sub))
        if after.get("campaign_id"):
            await complete_campaign_if_done(uow, after["campaign_id"], caller.sub, period_ended=False)

    await mongo.transact(work)
    log.info("session.held", session_id=session_id, kind=before["kind"], followups=len(followups))
    return after


def _now() -> datetime:
    return datetime.now(UTC)


async def _campaign_of(mongo: Mongo, session: dict[str, Any]) -> dict[str, Any] | None:
    campaign_id = session.get("campaign_id")
    return await store.read(mongo, CAMPAIGNS, campaign_id) if campaign_id else None


async def _require_people(uow: UnitOfWork, session: dict[str, Any], campaign: dict[str, Any] | None) -> None:
    area = people_area(session, campaign)
    await require_workers(uow, session["officer_ids"], "officer_ids", area)
    await require_workers(uow, session["narasumber_ids"], "narasumber_ids", area)


async def _check_rules(
    uow: UnitOfWork, session: dict[str, Any], campaign: dict[str, Any] | None, caller: Caller
) -> None:
    """Lock the people and the campaign, then 409 on the first rule the session breaks (naming no session the
    caller may not see)."""
    candidate = store.booking(session)
    await store.lock(uow, [f"person:{p}" for p in candidate.people] + [f"campaign:{session.get('campaign_id')}"])
    others = await store.bookings_around(
        uow,
        people=candidate.people,
        starts_at=candidate.starts_at,
        ends_at=candidate.ends_at,
        campaign_id=session.get("campaign_id"),
        days=(candidate.day, candidate.last_day),
        zone=candidate.zone,
    )
    terms = store.campaign_terms(campaign) if campaign else None
    broken = violations(candidate, terms, others, caller.can_see)
    if broken:
        log.info("session.rule_broken", rule=broken[0].rule, session_id=session["_id"])
        raise Conflict(broken[0].as_detail())


async def _replace_if_unchanged(uow: UnitOfWork, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Write ``after`` only over the version read: a concurrent change makes this command a 409, not a lost update."""
    if not await store.replace_unchanged(uow, SESSIONS, before, after, "status"):
        raise state_conflict("session_changed", f"session {before['_id']} changed meanwhile; reload and retry")
