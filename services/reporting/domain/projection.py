"""The projections as pure functions: which aggregates a fact touches, the state it leaves, and what each state
contributes to the region roll-ups.

Out-of-order arrival: every piece of an aggregate's state (its profile, status, board, …) remembers the event
that set it as a sort key ``[aggregate_version, rank, event_id]``; a fact only overwrites a piece whose key is
lower. The result is the same whatever order the facts arrive in, and applying a fact twice changes nothing.
Counters are never incremented directly: they are the sum of ``contributions(state)`` over the aggregates, so
a change of state moves the counters by ``contributions(new) - contributions(old)`` (see ``rollup_delta``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from contracts.envelope import REGION_CODE
from pilar_runtime.localtime import local_date, zone_of
from pilar_runtime.regions import ancestors
from services.reporting.domain.activities import quiet_since, signs_of_life
from services.reporting.domain.facts import Fact

INSTITUTIONS = "institutions"
SESSIONS = "sessions"
CAMPAIGNS = "campaigns"
FOLLOWUPS = "followups"
NOTIFICATIONS = "notifications"
REGULATIONS = "regulations"
WORKERS = "workers"
AGGREGATES = (INSTITUTIONS, SESSIONS, CAMPAIGNS, FOLLOWUPS, NOTIFICATIONS, REGULATIONS, WORKERS)
NATIONAL = ""  # the roll-up of every region (callers without a region scope)

FORMED_EVENTS = {"WKSBM_formed", "Pokja_formed", "KarangTaruna_formed"}
SESSION_HELD = {"penyuluhan_held", "FGD_held"}
# At the same aggregate_version a later stage of a lifecycle wins, whatever the arrival order.
SESSION_RANK = {"scheduled": 0, "cancelled": 1, "held": 2}
FOLLOWUP_RANK = {"open": 0, "overdue": 1, "completed": 2, "cancelled": 3}

State = dict[str, Any]
Key = list[Any]  # [aggregate_version, rank, event_id]
_UNSAFE = re.compile(r"[.$]")


def safe(text: object) -> str:
    """A value usable inside a counter name (a Mongo field path): no dots, no "$"."""
    return _UNSAFE.sub("_", str(text)) or "_"


def month(value: object) -> str:
    """``2019-08`` of a date, datetime or ISO string."""
    return str(value)[:7]


INSTITUTION_EVENTS = {
    "institution_registered",
    "institution_updated",
    "board_changed",
    "institution_status_changed",
} | FORMED_EVENTS
SESSION_EVENTS = {"session_scheduled", "session_rescheduled", "session_cancelled"} | SESSION_HELD
CAMPAIGN_EVENTS = {"campaign_planned", "campaign_completed"}
FOLLOWUP_EVENTS = {"followup_assigned", "followup_completed", "followup_overdue"}
NOTIFICATION_EVENTS = {"notification_sent", "notification_failed"}
REGULATION_EVENTS = {"community_regulation_adopted"}
# --- corrections of community regulations: amended (the state moves), revoked (no longer in force) -------------
REGULATION_CORRECTIONS = {"community_regulation_amended", "community_regulation_revoked"}
REGULATION_EVENTS |= REGULATION_CORRECTIONS
# --- end of corrections of community regulations ---------------------------------------------------------------
WORKER_EVENTS = {"worker_registered", "worker_updated"}
ACTIVITY_RECORDED = "institution_activity_recorded"
INSTITUTION_EVENTS |= {ACTIVITY_RECORDED}

# Corrections (outreach): amended reports, changed and cancelled campaigns, dropped follow-ups ------------------
SESSION_AMENDED = "session_report_amended"
CAMPAIGN_UPDATED, CAMPAIGN_CANCELLED = "campaign_updated", "campaign_cancelled"
FOLLOWUP_CANCELLED = "followup_cancelled"
SESSION_EVENTS |= {SESSION_AMENDED}
CAMPAIGN_EVENTS |= {CAMPAIGN_UPDATED, CAMPAIGN_CANCELLED}
FOLLOWUP_EVENTS |= {FOLLOWUP_CANCELLED}
# End of corrections (outreach) -------------------------------------------------------------------------------

# Every event type of the catalogue is projected (here) or deliberately not (below); a test holds the two to it.
PROJECTED: dict[str, set[str]] = {
    INSTITUTIONS: INSTITUTION_EVENTS,
    SESSIONS: SESSION_EVENTS,
    CAMPAIGNS: CAMPAIGN_EVENTS,
    FOLLOWUPS: FOLLOWUP_EVENTS | {"FGD_held"},  # an FGD opens the follow-ups it agreed on
    NOTIFICATIONS: NOTIFICATION_EVENTS,
    REGULATIONS: REGULATION_EVENTS,
    WORKERS: WORKER_EVENTS,
}
NOT_PROJECTED: dict[str, str] = {
    "report_generated": "reporting's own report: its job and files are the record; it is stored and counted as an "
    "event only",
    **dict.fromkeys(
        ("user_created", "user_role_changed", "user_deactivated"),
        "a staff account changed in the console: kept in the event store as the audit of who may do what",
    ),
}


def touches(fact: Fact) -> list[tuple[str, str]]:
    """The (projection, aggregate key) pairs the fact changes; [] for facts that only go into the store."""
    p, t = fact.payload, fact.event_type
    if t in INSTITUTION_EVENTS:
        return [(INSTITUTIONS, str(p["institution_id"]))]
    if t in SESSION_EVENTS:
        found = [(SESSIONS, str(p["session_id"]))]
        if t == "FGD_held":
            found += [(FOLLOWUPS, str(f["followup_id"])) for f in p.get("followups", [])]
        return found
    if t in CAMPAIGN_EVENTS:
        return [(CAMPAIGNS, str(p["campaign_id"]))]
    if t in FOLLOWUP_EVENTS:
        return [(FOLLOWUPS, str(p["followup_id"]))]
    if t in NOTIFICATION_EVENTS:
        return [(NOTIFICATIONS, str(p["delivery_id"]))]
    if t in REGULATION_EVENTS:
        return [(REGULATIONS, str(p["regulation_id"]))]
    if t in WORKER_EVENTS:
        return [(WORKERS, str(p["worker_id"]))]
    return []


def apply(projection: str, key: str, state: State | None, fact: Fact) -> State | None:
    """The aggregate's state after ``fact``; None when the fact changes nothing (older, or seen before)."""
    new: State = _copy(state) if state else {"_id": key, "version": 0, "keys": {}}
    _APPLY[projection](new, fact)
    new["version"] = max(int(new["version"]), fact.aggregate_version)
    _place(new, fact)
    return None if new == state else new


def _copy(state: State) -> State:
    out = dict(state)
    out["keys"] = dict(state.get("keys", {}))
    return out


def _set(state: State, piece: str, fact: Fact, values: Mapping[str, Any], rank: int = 0) -> bool:
    """Overwrite ``piece`` with ``values`` when the fact is newer than what set it; True when it did."""
    key: Key = [fact.aggregate_version, rank, fact.event_id]
    current = state["keys"].get(piece)
    if current is not None and list(current) >= key:
        return False
    state["keys"][piece] = key
    state.update(values)
    return True


def _fallback(state: State, fact: Fact, values: Mapping[str, Any]) -> None:
    """Fill fields still unknown (a later-stage event arrived first); a real setter overrides them later."""
    for field, value in values.items():
        if state.get(field) is None:
            state[field] = value


@lru_cache(maxsize=100_000)
def _chain(code: str) -> tuple[str, ...]:
    return tuple(ancestors(code)) if REGION_CODE.match(code) else ()


def _place(state: State, fact: Fact) -> None:
    """Every aggregate lives in a region: its own (from the payload) or, failing that, the envelope's."""
    code = state.get("region_code")
    chain = _chain(code) if isinstance(code, str) else ()
    if not chain:
        state["region_code"] = fact.region_code
        chain = _chain(fact.region_code)
    state["regions"] = list(chain)


def _board(members: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    # Roles and names only: NIK and phone numbers stay in the registry.
    return [{"role": str(m.get("role", "")), "name": str(m.get("name", ""))} for m in members]


def _legal(payload: Mapping[str, Any]) -> dict[str, str] | None:
    """The SK that gives an institution its standing (registry_export lists it), as text."""
    basis = payload.get("legal_basis")
    if not basis:
        return None
    return {"sk_number": str(basis.get("sk_number", "")), "sk_date": str(basis.get("sk_date", ""))}


def _institution(state: State, fact: Fact) -> None:
    p, t = fact.payload, fact.event_type
    profile = {"kind": p.get("kind"), "name": p.get("name"), "region_code": p.get("region_code")}
    members = {
        "member_count": len(p.get("member_ids", [])),
        "member_ids": sorted(str(m) for m in p.get("member_ids", [])),
    }
    if t == "institution_registered":
        _fallback(state, fact, {"registered_on": local_date(fact.occurred_at, zone_of(fact.region_code)).isoformat()})
    if t in {"institution_registered", "institution_updated"}:
        # Both carry the institution's whole current state: a rename, a move of its board or status shows.
        _set(state, "profile", fact, profile)
        details = {"address": p.get("address"), "issues": sorted(p.get("issues", [])), "legal_basis": _legal(p)}
        _set(state, "details", fact, details)
        _set(state, "members", fact, members)
        _set(state, "status", fact, {"status": p.get("status")})
        _set(state, "board", fact, {"board": _board(p.get("board", []))})
    elif t in FORMED_EVENTS:
        _set(state, "profile", fact, profile)
        formation = {
            "formed_on": str(p["formed_on"]),
            "session_id": p.get("session_id"),
            "campaign_id": p.get("campaign_id"),
        }
        _set(state, "formation", fact, formation)
        _set(state, "members", fact, members)
        _set(state, "board", fact, {"board": _board(p.get("board", []))})
        _set(state, "status", fact, {"status": "active"})
    elif t == "board_changed":
        _fallback(state, fact, {"kind": p.get("kind")})
        _set(state, "board", fact, {"board": _board(p.get("board", []))})
    elif t == "institution_status_changed":
        _fallback(state, fact, {"kind": p.get("kind")})
        _set(state, "status", fact, {"status": p.get("status")})
    elif t == ACTIVITY_RECORDED:
        _activity(state, fact)
    state["quiet_since"] = quiet_since(state)


def _activity(state: State, fact: Fact) -> None:
    """Every activity is kept by its id (a fact seen twice changes nothing, arrival order does not matter); the
    last one is the latest by the day it took place, not by when it was recorded."""
    p = fact.payload
    _fallback(state, fact, {"kind": p.get("kind"), "name": p.get("name"), "region_code": p.get("region_code")})
    activity = {"kind": str(p["activity_kind"]), "on": str(p["held_on"]), "participants": int(p["participants"])}
    activities = {**state.get("activities", {}), str(p["activity_id"]): activity}
    last_id = max(activities, key=lambda k: (activities[k]["on"], k))
    state["activities"] = activities
    state["last_activity_on"] = activities[last_id]["on"]
    state["last_activity_kind"] = activities[last_id]["kind"]


def _session(state: State, fact: Fact) -> None:
    p, t = fact.payload, fact.event_type
    basics = {
        "kind": p.get("kind"),
        "topic": p.get("topic"),
        "campaign_id": p.get("campaign_id"),
        "region_code": p.get("region_code"),
    }
    if t in {"session_scheduled", "session_rescheduled"}:
        plan = {
            **basics,
            "venue": p.get("venue"),
            "starts_at": str(p.get("starts_at")),
            "ends_at": str(p.get("ends_at")),
            "officer_ids": sorted(p.get("officer_ids", [])),
            "narasumber_ids": sorted(p.get("narasumber_ids", [])),
            "expected_participants": p.get("expected_participants", 0),
        }
        _set(state, "plan", fact, plan)
        _set(state, "status", fact, {"status": "scheduled"}, SESSION_RANK["scheduled"])
    elif t == "session_cancelled":
        _fallback(state, fact, {**basics, "venue": p.get("venue"), "starts_at": str(p.get("starts_at"))})
        _set(
            state, "status", fact, {"status": "cancelled", "cancel_reason": p.get("reason")}, SESSION_RANK["cancelled"]
        )
    elif t in SESSION_HELD:
        _fallback(state, fact, basics)
        _set(state, "held", fact, _held(p))
        _set(state, "status", fact, {"status": "held"}, SESSION_RANK["held"])
    elif t == SESSION_AMENDED:
        _fallback(state, fact, basics)
        _amended(state, fact)


def _held(p: Mapping[str, Any]) -> State:
    """A held session's report as the projection keeps it (``penyuluhan_held``, ``FGD_held`` and an amendment)."""
    attendance = p.get("attendance", {})
    return {
        "held_on": str(p["held_on"]),
        "participants": int(attendance.get("total", 0)),
        "by_category": {str(k): int(v) for k, v in sorted(attendance.get("by_category", {}).items())},
        "narasumber_present_ids": sorted(p.get("narasumber_present_ids", [])),
        "pilot_desa_codes": sorted(p.get("pilot_desa_codes", [])),
        # Every region holding a pilot desa: the summary of any of them finds the FGD that chose it.
        "pilot_regions": sorted({r for code in p.get("pilot_desa_codes", []) for r in _chain(str(code))}),
        "summary": str(p.get("summary") or ""),
        "attendees": [_attendee(a) for a in p.get("attendees", [])],
    }


def _attendee(line: Mapping[str, Any]) -> dict[str, Any]:
    # The daftar hadir as the minutes list it: name, category, institution, desa — whatever else a line carried.
    return {k: line.get(k) for k in ("name", "category", "institution", "desa_code")}


def _campaign(state: State, fact: Fact) -> None:
    p = fact.payload
    if fact.event_type == "campaign_planned":
        _set(state, "plan", fact, _campaign_plan(p))
        _set(state, "status", fact, {"status": "planned"})
    elif fact.event_type in (CAMPAIGN_UPDATED, CAMPAIGN_CANCELLED):
        _campaign_corrected(state, fact)
    else:  # campaign_completed
        _fallback(state, fact, {"name": p.get("name"), "region_code": p.get("region_code")})
        completion = {
            "completed_at": fact.occurred_at.isoformat(),
            "completion_reason": p.get("reason"),
            "completion_event_id": fact.event_id,
            # What outreach counted at completion: the report waits until reporting has seen as many sessions.
            "reported_sessions": {k: int(p.get(f"sessions_{k}", 0)) for k in ("planned", "held", "cancelled")},
        }
        _set(state, "status", fact, {"status": "completed", **completion}, 1)


def _campaign_plan(p: Mapping[str, Any]) -> State:
    """A campaign as planned (``campaign_planned``, and ``campaign_updated`` with its new state)."""
    return {
        "name": p.get("name"),
        "topic": p.get("topic"),
        "region_code": p.get("region_code"),
        "start_date": str(p["start_date"]),
        "end_date": str(p["end_date"]),
        "desa_codes": sorted(p.get("desa_codes", [])),
        "targets": {k: v for k, v in dict(p.get("targets") or {}).items() if v is not None},
        "narasumber_ids": sorted(p.get("narasumber_ids", [])),
        "officer_ids": sorted(p.get("officer_ids", [])),
    }


def _followup(state: State, fact: Fact) -> None:
    p, t = fact.payload, fact.event_type
    if t == "FGD_held":
        for item in p.get("followups", []):
            if str(item["followup_id"]) == state["_id"]:
                detail = {k: item.get(k) for k in ("action", "owner_id")}
                _fallback(state, fact, {**detail, "due_on": str(item.get("due_on")), "session_id": p["session_id"]})
                _set(state, "status", fact, {"status": "open"}, FOLLOWUP_RANK["open"])
        return
    detail = {
        "action": p.get("action"),
        "owner_id": p.get("owner_id"),
        "due_on": str(p["due_on"]) if p.get("due_on") else None,
        "session_id": p.get("session_id"),
    }
    if t == "followup_assigned":
        _set(state, "detail", fact, {**detail, "campaign_id": p.get("campaign_id")})
        _set(state, "status", fact, {"status": "open"}, FOLLOWUP_RANK["open"])
    elif t == "followup_overdue":
        _fallback(state, fact, detail)
        _set(state, "status", fact, {"status": "overdue"}, FOLLOWUP_RANK["overdue"])
    elif t == FOLLOWUP_CANCELLED:
        _fallback(state, fact, {**detail, "campaign_id": p.get("campaign_id")})
        cancelled = {"status": "cancelled", "cancel_reason": p.get("reason")}
        _set(state, "status", fact, cancelled, FOLLOWUP_RANK["cancelled"])
    else:  # followup_completed
        _fallback(state, fact, {"session_id": p.get("session_id")})
        _set(state, "status", fact, {"status": "completed", "completed_on": str(p["completed_on"])}, 2)


def _notification(state: State, fact: Fact) -> None:
    p = fact.payload
    status = "sent" if fact.event_type == "notification_sent" else "failed"
    values = {
        "status": status,
        "channel": p.get("channel"),
        "template": p.get("template"),
        "source_event_type": p.get("source_event_type"),
    }
    _set(state, "status", fact, values, 1 if status == "failed" else 0)


def _regulation(state: State, fact: Fact) -> None:
    p = fact.payload
    values = {
        "title": p.get("title"),
        "region_code": p.get("region_code"),
        "topics": sorted(str(t) for t in p.get("topics", [])),
        "adopted_on": str(p["adopted_on"]),
        "pokja_id": p.get("pokja_id"),
    }
    if fact.event_type in REGULATION_CORRECTIONS:
        _regulation_correction(state, fact, values)
        return
    _set(state, "profile", fact, values)
    _set(state, "status", fact, {"status": REGULATION_IN_FORCE})


# --- corrections of community regulations ----------------------------------------------------------------------
REGULATION_IN_FORCE, REGULATION_REVOKED = "in_force", "revoked"


def _regulation_correction(state: State, fact: Fact, values: dict[str, Any]) -> None:
    """An amendment carries the whole corrected state; a revocation ends it being in force (a later stage: it wins
    at the same version) and fills the profile only where nothing newer set it."""
    p = fact.payload
    if fact.event_type == "community_regulation_amended":
        _set(state, "profile", fact, values)
        _set(state, "status", fact, {"status": REGULATION_IN_FORCE})
        return
    _fallback(state, fact, {k: v for k, v in values.items() if k != "pokja_id"})
    revocation = {"status": REGULATION_REVOKED, "revoked_on": str(p["revoked_on"]), "revoke_reason": p.get("reason")}
    _set(state, "status", fact, revocation, 1)


def _regulation_counts(state: State) -> Counter[str]:
    """In force: `regulations|total`, by topic and by month of adoption; revoked ones only as `regulations|revoked`
    (a regulation projected before revocations existed has no status: it is in force)."""
    out: Counter[str] = Counter()
    if state.get("status") == REGULATION_REVOKED:
        out["regulations|revoked"] += 1
        return out
    out["regulations|total"] += 1
    out[f"regulations|month|{month(state['adopted_on'])}"] += 1
    for topic in state.get("topics", []):
        out[f"regulations|topic|{safe(topic)}"] += 1
    return out


# --- end of corrections of community regulations ---------------------------------------------------------------


def _worker(state: State, fact: Fact) -> None:
    p = fact.payload
    values = {"role": p.get("role"), "name": p.get("name"), "region_code": p.get("region_code")}
    _set(state, "profile", fact, {**values, "active": bool(p.get("active", True))})


# Corrections (outreach): an amended report, a changed or cancelled campaign ---------------------------------


def _amended(state: State, fact: Fact) -> None:
    """A corrected report replaces the held one whole — attendance, participants by category, pilot desa, the day
    — so every roll-up derived from the session moves by the difference (``rollup_delta``). An older report
    arriving late never overwrites it: the amendment carries a later ``aggregate_version``."""
    p = fact.payload
    amendment = {
        "reason": p.get("reason"),
        "amended_by": p.get("amended_by"),
        "amended_at": fact.occurred_at.isoformat(),
    }
    _set(state, "held", fact, {**_held(p), "amendment": amendment})
    _set(state, "status", fact, {"status": "held"}, SESSION_RANK["held"])


def _campaign_corrected(state: State, fact: Fact) -> None:
    """``campaign_updated`` carries the campaign's whole new plan (its progress and report follow the new period,
    desa and targets); ``campaign_cancelled`` ends it without completion."""
    p = fact.payload
    if fact.event_type == CAMPAIGN_UPDATED:
        changed = {"updated_by": p.get("updated_by"), "updated_at": fact.occurred_at.isoformat()}
        _set(state, "plan", fact, {**_campaign_plan(p), **changed})
        _set(state, "status", fact, {"status": "planned"})
    else:
        _fallback(state, fact, {"name": p.get("name"), "region_code": p.get("region_code")})
        cancelled = {
            "status": "cancelled",
            "cancel_reason": p.get("reason"),
            "cancelled_by": p.get("cancelled_by"),
            "cancelled_at": fact.occurred_at.isoformat(),
        }
        _set(state, "status", fact, cancelled, 1)


# End of corrections (outreach) -------------------------------------------------------------------------------


_APPLY = {
    INSTITUTIONS: _institution,
    SESSIONS: _session,
    CAMPAIGNS: _campaign,
    FOLLOWUPS: _followup,
    NOTIFICATIONS: _notification,
    REGULATIONS: _regulation,
    WORKERS: _worker,
}


def contributions(projection: str, state: State | None) -> Counter[str]:
    """What one aggregate adds to the counters of every region above it."""
    out: Counter[str] = Counter()
    if not state:
        return out
    status = state.get("status")
    if projection == INSTITUTIONS:
        if state.get("kind") and status:
            out[f"institutions|{safe(state['kind'])}|{safe(status)}"] += 1
        if state.get("kind") and state.get("formed_on"):
            out[f"formations|{safe(state['kind'])}|{month(state['formed_on'])}"] += 1
        for activity in state.get("activities", {}).values():
            out[f"activities|month|{month(activity['on'])}"] += 1
            out[f"activities|kind|{safe(activity['kind'])}"] += 1
        out += signs_of_life(state)
    elif projection == SESSIONS and status:
        out[f"sessions|{status}"] += 1
        if status == "held":
            out[f"sessions_held|{month(state['held_on'])}"] += 1
            out["participants|total"] += state.get("participants", 0)
            for category, n in state.get("by_category", {}).items():
                out[f"participants|category|{safe(category)}"] += n
    elif projection in (CAMPAIGNS, FOLLOWUPS) and status:
        out[f"{projection}|{status}"] += 1
    elif projection == NOTIFICATIONS and status:
        out[f"notifications|{status}"] += 1
        out[f"notifications|channel|{safe(state.get('channel'))}|{status}"] += 1
    elif projection == REGULATIONS:
        out += _regulation_counts(state)
    elif projection == WORKERS and state.get("active") and state.get("role"):
        out[f"workers|{safe(state['role'])}"] += 1
    return out


def event_contributions(fact: Fact) -> Counter[str]:
    """Every stored event counts, by type and by the month of its region's local time; types reporting does not know
    are counted apart."""
    out = Counter({"events|total": 1, f"events|type|{safe(fact.event_type)}": 1})
    out[f"events|month|{event_month(fact)}"] += 1
    if not fact.known:
        out[f"events|unknown|{safe(fact.event_type)}"] += 1
    return out


def event_month(fact: Fact) -> str:
    """The month an event counts in: its region's local month (an evening in UTC is already the next day there)."""
    return month(local_date(fact.occurred_at, zone_of(fact.region_code)))


def level(region: str) -> int:
    """0 national, 1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa."""
    return region.count(".") + 1 if region else 0


def scopes(region_code: str) -> tuple[str, ...]:
    """The roll-up documents one region feeds: the national one and every level from provinsi down."""
    return (NATIONAL, *_chain(region_code))


def rollup_delta(projection: str, old: State | None, new: State | None) -> dict[str, Counter[str]]:
    """How the counters of each region move when an aggregate goes from ``old`` to ``new``."""
    moves: dict[str, Counter[str]] = {}
    for state, sign in ((old, -1), (new, 1)):
        if not state:
            continue
        for region in scopes(state["region_code"]):
            bucket = moves.setdefault(region, Counter())
            for name, n in contributions(projection, state).items():
                bucket[name] += sign * n
    return {region: Counter({k: v for k, v in c.items() if v}) for region, c in moves.items() if any(c.values())}
