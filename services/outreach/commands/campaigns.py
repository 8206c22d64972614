"""Campaigns: plan one, read one, change or cancel it while planned, auto-schedule its desa, complete it when its
sessions are done or its period has ended."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.localtime import at_local, end_of_day, zone_of
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.regions import Level, checked_region
from pilar_runtime.timers import cancel_timer, schedule_timer
from services.outreach import events, store
from services.outreach.commands.shared import log, require_workers, visible
from services.outreach.domain.campaigns import (
    PLANNED,
    cancelled_campaign,
    changed_campaign,
    completed_campaign,
    new_campaign,
    require_planned,
)
from services.outreach.domain.completion import SCHEDULED, campaign_totals, completion_reason
from services.outreach.domain.models import CampaignIn, CampaignPatch
from services.outreach.domain.rules import campaign_change_violations, serves
from services.outreach.domain.scheduler import ScheduleImpossible, ScheduleRequest, auto_schedule
from services.outreach.domain.sessions import auto_session, cancelled_session, state_conflict
from services.outreach.store import CAMPAIGNS, SESSIONS

CAMPAIGN_PERIOD_END = "campaign_period_end"  # the timer at the end of a campaign's last day


async def plan_campaign(mongo: Mongo, body: CampaignIn, caller: Caller) -> dict[str, Any]:
    region = checked_region(body.region_code, "region_code", Level.KABUPATEN, Level.KECAMATAN)
    caller.require_region(region)
    campaign = new_campaign(body, region, campaign_id=new_id("cmp"), created_by=caller.sub, now=datetime.now(UTC))

    async def work(uow: UnitOfWork) -> None:
        area = (region, "campaign")
        await require_workers(uow, campaign["officer_ids"], "officer_ids", area)
        await require_workers(uow, campaign["narasumber_ids"], "narasumber_ids", area)
        await store.add(uow, CAMPAIGNS, [campaign])
        # When the period is over the campaign completes even if some sessions were never reported.
        await schedule_timer(
            uow,
            CAMPAIGN_PERIOD_END,
            campaign["_id"],
            end_of_day(body.end_date, zone_of(region)),
            {"campaign_id": campaign["_id"]},
        )
        uow.emit(events.campaign_planned(campaign, caller.sub))

    await mongo.transact(work)
    log.info("campaign.planned", campaign_id=campaign["_id"], region_code=region, desa=len(campaign["desa_codes"]))
    return campaign


async def read_campaign(mongo: Mongo, campaign_id: str, caller: Caller) -> dict[str, Any]:
    return await visible(mongo, CAMPAIGNS, campaign_id, caller, "campaign")


async def open_campaign(mongo: Mongo, campaign_id: str, caller: Caller) -> dict[str, Any]:
    """A campaign the caller may see that still takes sessions."""
    campaign = await read_campaign(mongo, campaign_id, caller)
    require_planned(campaign, "it takes no more sessions")
    return campaign


async def require_unchanged_campaign(uow: UnitOfWork, campaign: dict[str, Any] | None) -> None:
    """Inside a placement's transaction (after its campaign lock): the campaign is still the one the placement was
    checked against, so a change or cancellation made meanwhile is never overtaken by a session under old terms."""
    if campaign is None:
        return
    current = await store.get(uow, CAMPAIGNS, campaign["_id"])
    if current is None or current["version"] != campaign["version"]:
        raise state_conflict("campaign_changed", f"campaign {campaign['_id']} changed meanwhile; reload and retry")


async def update_campaign(mongo: Mongo, campaign_id: str, body: CampaignPatch, caller: Caller) -> dict[str, Any]:
    """A planned campaign's new period, desa, people or targets (→ ``campaign_updated``). Its sessions (scheduled or
    held) must keep every rule under the new terms, or the change is refused with the rule's 409 naming the
    session; new people must be known, active and serve the campaign's region."""
    before = await read_campaign(mongo, campaign_id, caller)
    require_planned(before, "it can no longer be changed")
    change = changed_campaign(before, body, by=caller.sub, now=datetime.now(UTC))
    if change is None:
        return before
    after, changed = change

    async def work(uow: UnitOfWork) -> None:
        area = (after["region_code"], "campaign")
        for field in ("officer_ids", "narasumber_ids"):
            if field in changed:
                await require_workers(uow, [p for p in after[field] if p not in before[field]], field, area)
        await store.lock(uow, [f"campaign:{campaign_id}"])
        own = await store.campaign_sessions(uow, campaign_id)
        active = [store.booking(s) for s in own if s["status"] in store.ACTIVE]
        removed = set(before["desa_codes"]) - set(after["desa_codes"])
        broken = campaign_change_violations(
            store.campaign_terms(after), after["desa_codes"], removed, active, caller.can_see
        )
        if broken:
            log.info("campaign.change_refused", rule=broken[0].rule, campaign_id=campaign_id)
            raise Conflict(broken[0].as_detail())
        if not await store.replace_unchanged(uow, CAMPAIGNS, before, after, "status"):
            raise state_conflict("campaign_changed", f"campaign {campaign_id} changed meanwhile; reload and retry")
        if "end_date" in changed:
            period_end = end_of_day(date.fromisoformat(after["end_date"]), zone_of(after["region_code"]))
            await schedule_timer(uow, CAMPAIGN_PERIOD_END, campaign_id, period_end, {"campaign_id": campaign_id})
        uow.emit(events.campaign_updated(after, changed, caller.sub))

    await mongo.transact(work)
    log.info("campaign.updated", campaign_id=campaign_id, changed=changed, version=after["version"])
    return after


async def cancel_campaign(mongo: Mongo, campaign_id: str, reason: str, caller: Caller) -> dict[str, Any]:
    """A planned campaign cancelled (→ ``campaign_cancelled``), its scheduled sessions with it (→
    ``session_cancelled`` each, so their people get the cancellation notice); held sessions stay held. A cancelled
    campaign never completes: its period-end timer is cancelled."""
    before = await read_campaign(mongo, campaign_id, caller)
    require_planned(before, "it can no longer be cancelled")
    now = datetime.now(UTC)
    after = cancelled_campaign(before, reason, by=caller.sub, now=now)
    dropped: list[str] = []

    async def work(uow: UnitOfWork) -> None:
        dropped.clear()
        await store.lock(uow, [f"campaign:{campaign_id}"])
        if not await store.replace_unchanged(uow, CAMPAIGNS, before, after, "status"):
            raise state_conflict("campaign_changed", f"campaign {campaign_id} changed meanwhile; reload and retry")
        await cancel_timer(uow, CAMPAIGN_PERIOD_END, campaign_id)
        open_sessions = [s for s in await store.campaign_sessions(uow, campaign_id) if s["status"] == SCHEDULED]
        for session in open_sessions:
            cancelled = cancelled_session(session, f"kampanye dibatalkan: {reason}", by=caller.sub, now=now)
            if not await store.replace_unchanged(uow, SESSIONS, session, cancelled, "status"):
                raise state_conflict("session_changed", f"session {session['_id']} changed meanwhile; retry")
            uow.emit(events.session_cancelled(cancelled, caller.sub))
            dropped.append(session["_id"])
        uow.emit(events.campaign_cancelled(after, list(dropped), caller.sub))

    await mongo.transact(work)
    log.info("campaign.cancelled", campaign_id=campaign_id, sessions_cancelled=len(dropped))
    return after


async def complete_campaign_if_done(uow: UnitOfWork, campaign_id: str, actor: str, *, period_ended: bool) -> None:
    """Emit ``campaign_completed`` once: when every session is held or cancelled, or when the period has ended."""
    campaign = await store.get(uow, CAMPAIGNS, campaign_id)
    if campaign is None or campaign["status"] != PLANNED:
        return
    outcomes = [store.outcome(s) for s in await store.campaign_sessions(uow, campaign_id)]
    reason = completion_reason(outcomes, period_ended=period_ended)
    if reason is None:
        return
    totals = campaign_totals(outcomes)
    campaign = completed_campaign(campaign, reason, totals)
    changed = ("status", "completed_reason", "totals", "version")
    await store.set_fields(uow, CAMPAIGNS, campaign_id, {k: campaign[k] for k in changed})
    if not period_ended:
        await cancel_timer(uow, CAMPAIGN_PERIOD_END, campaign_id)
    uow.emit(events.campaign_completed(campaign, reason, totals, actor))
    log.info("campaign.completed", campaign_id=campaign_id, reason=reason, sessions_held=totals["sessions_held"])


async def schedule_campaign(
    mongo: Mongo, campaign_id: str, caller: Caller, *, preview: bool = False
) -> list[dict[str, Any]]:
    """One session per desa of the campaign that has none yet, or 422 with why not (creating nothing). A preview
    plans the same sessions by the same rules but stores, locks and emits nothing: no invitation goes out before
    the schedule is confirmed."""
    campaign = await open_campaign(mongo, campaign_id, caller)
    terms = store.campaign_terms(campaign)
    zone = zone_of(terms.region_code)
    pools = set(campaign["officer_ids"]) | set(campaign["narasumber_ids"])
    created: list[dict[str, Any]] = []

    async def work(uow: UnitOfWork) -> None:
        created.clear()
        if not preview:
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
            starts_at=at_local(terms.start_date, datetime.min.time(), zone),
            ends_at=end_of_day(terms.end_date, zone),
            campaign_id=campaign_id,
            days=(terms.start_date, terms.end_date),
            zone=zone,
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
        created.extend(
            auto_session(planned, campaign, session_id=new_id("ses"), created_by=caller.sub, now=now)
            for planned in plan
        )
        if preview:
            return
        await store.add(uow, SESSIONS, created)
        for session in created:
            uow.emit(events.session_scheduled(session, caller.sub))

    await mongo.transact(work)
    log.info("campaign.auto_scheduled", campaign_id=campaign_id, sessions=len(created), preview=preview)
    return created
