"""Sessions: place one under the scheduling rules (answering with the warnings it draws), read, move or change it,
cancel it, report it as held (which assigns its follow-ups), and correct a held session's report."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict
from pilar_runtime.localtime import end_of_day, local_today, zone_of
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.timers import cancel_timer, schedule_timer
from services.outreach import events, store
from services.outreach.commands.campaigns import (
    complete_campaign_if_done,
    open_campaign,
    require_unchanged_campaign,
)
from services.outreach.commands.followups import FOLLOWUP_DUE
from services.outreach.commands.shared import log, people_area, require_workers, visible
from services.outreach.domain.models import ReportAmendmentIn, ReportIn, SessionIn, SessionPatch
from services.outreach.domain.places import session_region
from services.outreach.domain.report import (
    FollowupChanges,
    amended_followups,
    amended_session,
    assigned_followups,
    held_report,
    held_session,
    require_amendable,
    require_reportable,
)
from services.outreach.domain.rules import violations, warnings
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
    session = _warned(
        new_session(
            body, campaign, topic=topic, region=region, session_id=new_id("ses"), created_by=caller.sub, now=_now()
        ),
        campaign,
    )

    async def work(uow: UnitOfWork) -> None:
        await _require_people(uow, session, campaign)
        await _check_rules(uow, session, campaign, caller)
        await require_unchanged_campaign(uow, campaign)
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
    after = _warned(after, campaign)

    async def work(uow: UnitOfWork) -> None:
        await _require_people(uow, after, campaign)
        await _check_rules(uow, after, campaign, caller)
        await require_unchanged_campaign(uow, campaign)
        await _replace_if_unchanged(uow, before, after)
        uow.emit(events.session_rescheduled(after, before, caller.sub))

    await mongo.transact(work)
    log.info("session.rescheduled", session_id=session_id, version=after["version"])
    return after


async def cancel_session(mongo: Mongo, session_id: str, reason: str | None, caller: Caller) -> dict[str, Any]:
    before = await read_session(mongo, session_id, caller)
    require_scheduled(before, "it can no longer be cancelled")
    after = cancelled_session(before, reason, by=caller.sub, now=_now())

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
        await _assign(uow, followups, caller.sub, zone_of(before["region_code"]))
        if after.get("campaign_id"):
            await complete_campaign_if_done(uow, after["campaign_id"], caller.sub, period_ended=False)

    await mongo.transact(work)
    log.info("session.held", session_id=session_id, kind=before["kind"], followups=len(followups))
    return after


async def amend_report(mongo: Mongo, session_id: str, body: ReportAmendmentIn, caller: Caller) -> dict[str, Any]:
    """Correct a held session's report with the whole report and a reason (→ ``session_report_amended``), checked
    as the first report was. Its follow-ups follow the corrected list (``domain.report.amended_followups``): new
    actions are assigned (→ ``followup_assigned``, with their due timers), open ones no longer listed are cancelled
    (→ ``followup_cancelled``, timers cancelled), the rest are kept as they are."""
    before = await read_session(mongo, session_id, caller)
    require_amendable(before)
    now = _now()
    report = held_report(body, before, today=local_today(zone_of(before["region_code"])), reported_by=caller.sub)
    after = amended_session(before, report, reason=body.reason, by=caller.sub, now=now)
    area = people_area(before, await _campaign_of(mongo, before))
    changes: list[FollowupChanges] = []

    async def work(uow: UnitOfWork) -> None:
        changes.clear()
        existing = await store.session_followups(uow, session_id)
        change = amended_followups(body, before, existing, new_id=lambda: new_id("fol"), now=now)
        # Owners of new actions must serve the session's area; those of kept ones were checked when assigned.
        for i in change.assigned_from:
            owner = body.outcomes.followups[i].owner_id
            await require_workers(uow, [owner], f"outcomes.followups[{i}].owner_id", area)
        await _replace_if_unchanged(uow, before, after)
        uow.emit(events.session_report_amended(after, change.listed, caller.sub))
        for followup in change.cancelled:
            # Read in this transaction: a completion made meanwhile conflicts with this write and retries.
            await store.replace(uow, FOLLOWUPS, followup)
            await cancel_timer(uow, FOLLOWUP_DUE, followup["_id"])
            uow.emit(events.followup_cancelled(followup, caller.sub))
        await _assign(uow, change.assigned, caller.sub, zone_of(before["region_code"]))
        changes.append(change)

    await mongo.transact(work)
    change = changes[0]
    log.info(
        "session.report_amended", session_id=session_id, version=after["version"],
        followups_assigned=len(change.assigned), followups_cancelled=len(change.cancelled),
    )  # fmt: skip
    return after


async def _assign(uow: UnitOfWork, followups: list[dict[str, Any]], actor: str, zone: tzinfo) -> None:
    """Store new follow-ups, each with the timer at the end of its due day in the session's zone
    (→ ``followup_assigned``)."""
    for followup in followups:
        await store.add(uow, FOLLOWUPS, [followup])
        due_at = end_of_day(date.fromisoformat(followup["due_on"]), zone)
        await schedule_timer(uow, FOLLOWUP_DUE, followup["_id"], due_at, {"followup_id": followup["_id"]})
        uow.emit(events.followup_assigned(followup, actor))


def _now() -> datetime:
    return datetime.now(UTC)


async def _campaign_of(mongo: Mongo, session: dict[str, Any]) -> dict[str, Any] | None:
    campaign_id = session.get("campaign_id")
    return await store.read(mongo, CAMPAIGNS, campaign_id) if campaign_id else None


async def _require_people(uow: UnitOfWork, session: dict[str, Any], campaign: dict[str, Any] | None) -> None:
    area = people_area(session, campaign)
    await require_workers(uow, session["officer_ids"], "officer_ids", area)
    await require_workers(uow, session["narasumber_ids"], "narasumber_ids", area)


def _warned(session: dict[str, Any], campaign: dict[str, Any] | None) -> dict[str, Any]:
    """The session with the warnings its placement draws (a cuti bersama its campaign does not refuse): kept with
    it, so every answer about it shows them until it is moved off the day."""
    found = warnings(store.booking(session), store.campaign_terms(campaign) if campaign else None)
    return {**session, "warnings": [{"rule": w.rule, "message": w.message} for w in found]}


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
