"""The scheduling rules, checked whenever a session is placed or moved (DESIGN §5).

Each rule is a function returning a ``Violation`` that names the rule and, where there is one, the session it
conflicts with. ``others`` are the sessions that still occupy people and days: scheduled or held, never cancelled.
``can_see`` tells whether the caller may know a region's sessions: a conflict outside it is reported without the
other session (DESIGN §7: answers name no records outside the caller's scope).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from pilar_runtime.localtime import hari_tanggal, local_date, zone_of
from pilar_runtime.regions import in_region
from services.outreach.domain.calendar import cuti_bersama_name, days_between, holiday_name

NO_DOUBLE_BOOKING = "no_double_booking"
MAX_SESSIONS_PER_DAY = "max_sessions_per_day"
NO_PUBLIC_HOLIDAY = "no_public_holiday"
CUTI_BERSAMA = "cuti_bersama"
INSIDE_CAMPAIGN_PERIOD = "inside_campaign_period"
DESA_IN_CAMPAIGN_REGION = "desa_in_campaign_region"
PEOPLE_IN_REGION = "people_in_region"
CAMPAIGN_DESA_HAS_SESSION = "campaign_desa_has_session"

RegionSight = Callable[[str], bool]


def _everywhere(_region_code: str) -> bool:
    return True


@dataclass(frozen=True)
class Booking:
    """A session as the rules see it: when, where, who. Times are UTC."""

    session_id: str
    region_code: str
    starts_at: datetime
    ends_at: datetime
    officer_ids: tuple[str, ...] = ()
    narasumber_ids: tuple[str, ...] = ()
    campaign_id: str | None = None

    @property
    def people(self) -> frozenset[str]:
        return frozenset(self.officer_ids) | frozenset(self.narasumber_ids)

    @property
    def zone(self) -> tzinfo:
        """The session's local time: its region's zone (WIB, WITA or WIT)."""
        return zone_of(self.region_code)

    @property
    def day(self) -> date:
        return local_date(self.starts_at, self.zone)

    @property
    def last_day(self) -> date:
        return local_date(self.ends_at - timedelta(microseconds=1), self.zone)


@dataclass(frozen=True)
class CampaignTerms:
    """What a campaign imposes on its sessions."""

    campaign_id: str
    region_code: str
    start_date: date
    end_date: date
    max_sessions_per_day: int
    # Collective leave days refuse a session (409) instead of warning about it.
    cuti_bersama_blocks: bool = False


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    conflicting_session_id: str | None = None

    def as_detail(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "conflicting_session_id": self.conflicting_session_id}


def time_problem(starts_at: datetime, ends_at: datetime) -> str | None:
    """Invalid input rather than a broken rule (→ 422)."""
    if ends_at <= starts_at:
        return f"ends_at ({ends_at.isoformat()}) must be after starts_at ({starts_at.isoformat()})"
    if ends_at - starts_at > timedelta(days=3):
        return "a session lasts at most 3 days"
    return None


def overlaps(a: Booking, b: Booking) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def _in_order(others: Iterable[Booking]) -> list[Booking]:
    return sorted(others, key=lambda b: (b.starts_at, b.session_id))


def double_booking(
    candidate: Booking, others: Iterable[Booking], can_see: RegionSight = _everywhere
) -> Violation | None:
    """No officer or narasumber in two overlapping sessions (whatever role they have in each)."""
    for other in _in_order(others):
        if other.session_id == candidate.session_id or not overlaps(candidate, other):
            continue
        shared = candidate.people & other.people
        if shared:
            who = ", ".join(sorted(shared))
            if not can_see(other.region_code):
                return Violation(NO_DOUBLE_BOOKING, f"{who} already booked elsewhere at that time")
            return Violation(
                NO_DOUBLE_BOOKING,
                f"{who} already assigned to session {other.session_id} "
                f"({other.starts_at.isoformat()} – {other.ends_at.isoformat()})",
                other.session_id,
            )
    return None


def daily_cap(
    candidate: Booking, campaign: CampaignTerms, others: Iterable[Booking], can_see: RegionSight = _everywhere
) -> Violation | None:
    """No more sessions on one local calendar day than the campaign allows."""
    same_day = [
        o
        for o in _in_order(others)
        if o.campaign_id == campaign.campaign_id and o.session_id != candidate.session_id and o.day == candidate.day
    ]
    if len(same_day) >= campaign.max_sessions_per_day:
        return Violation(
            MAX_SESSIONS_PER_DAY,
            f"campaign {campaign.campaign_id} allows {campaign.max_sessions_per_day} session(s) a day and "
            f"{candidate.day.isoformat()} already has {len(same_day)}",
            same_day[-1].session_id if can_see(same_day[-1].region_code) else None,
        )
    return None


def public_holiday(candidate: Booking) -> Violation | None:
    """No session on an Indonesian public holiday (any day it touches, in the session's local time)."""
    for day in days_between(candidate.day, candidate.last_day):
        name = holiday_name(day)
        if name:
            return Violation(NO_PUBLIC_HOLIDAY, f"{day.isoformat()} is a public holiday in Indonesia: {name}")
    return None


def cuti_bersama(candidate: Booking) -> Violation | None:
    """A session on a collective leave day (cuti bersama), any local day it touches: offices are closed and
    people away, so the day is avoided — a warning, or a refusal where the campaign says so."""
    for day in days_between(candidate.day, candidate.last_day):
        name = cuti_bersama_name(day)
        if name:
            return Violation(CUTI_BERSAMA, f"{hari_tanggal(day)} adalah hari cuti bersama ({name})")
    return None


def warnings(candidate: Booking, campaign: CampaignTerms | None) -> list[Violation]:
    """What the placement may do but should not: a cuti bersama, unless its campaign makes that a refusal."""
    if campaign is not None and campaign.cuti_bersama_blocks:
        return []
    found = cuti_bersama(candidate)
    return [found] if found is not None else []


def campaign_period(candidate: Booking, campaign: CampaignTerms) -> Violation | None:
    first, last = candidate.day, candidate.last_day
    if first < campaign.start_date or last > campaign.end_date:
        return Violation(
            INSIDE_CAMPAIGN_PERIOD,
            f"session on {first.isoformat()} lies outside the campaign period "
            f"{campaign.start_date.isoformat()} – {campaign.end_date.isoformat()}",
        )
    return None


def campaign_region(candidate: Booking, campaign: CampaignTerms) -> Violation | None:
    if not in_region(candidate.region_code, campaign.region_code):
        return Violation(
            DESA_IN_CAMPAIGN_REGION,
            f"desa {candidate.region_code} lies outside the campaign's region {campaign.region_code}",
        )
    return None


def serves(worker_region: str, region: str) -> bool:
    """May a worker of ``worker_region`` be booked for work in ``region``? Where they work, above it on the same
    branch (a province narasumber in a desa) or inside it (a desa PSM at a kecamatan FGD) — never on a sibling
    branch, which belongs to another region's office."""
    return in_region(region, worker_region) or in_region(worker_region, region)


def people_region(people: Mapping[str, str], region: str, field: str, where: str) -> Violation | None:
    """``people`` (worker id → the region the worker serves) must all serve ``region``, the ``where``'s region.
    The answer names the ids the caller gave, never the workers' own regions."""
    outside = sorted(worker for worker, served in people.items() if not serves(served, region))
    if outside:
        return Violation(PEOPLE_IN_REGION, f"{field}: {', '.join(outside)} work(s) outside the {where}'s region")
    return None


def violations(
    candidate: Booking, campaign: CampaignTerms | None, others: Iterable[Booking], can_see: RegionSight = _everywhere
) -> list[Violation]:
    """Every rule the candidate breaks; a stand-alone session (no campaign) has only the calendar and people."""
    others = list(others)
    found: list[Violation | None] = []
    if campaign is not None:
        found += [
            campaign_region(candidate, campaign),
            campaign_period(candidate, campaign),
        ]
    found.append(public_holiday(candidate))
    if campaign is not None:
        if campaign.cuti_bersama_blocks:
            found.append(cuti_bersama(candidate))
        found.append(daily_cap(candidate, campaign, others, can_see))
    found.append(double_booking(candidate, others, can_see))
    return [v for v in found if v is not None]


def campaign_change_violations(
    campaign: CampaignTerms,
    desa_codes: Iterable[str],
    removed_desa: Iterable[str],
    sessions: Iterable[Booking],
    can_see: RegionSight = _everywhere,
) -> list[Violation]:
    """The rules a changed campaign (its new ``campaign`` terms and desa) would break for the sessions it already
    has (scheduled or held): each must stay inside the period, no day may hold more than the new cap, and a desa
    dropped from the campaign must have no session of it. Each violation names the session it concerns."""
    sessions = _in_order(sessions)
    kept, removed = set(desa_codes), set(removed_desa)
    found: list[Violation] = []
    for session in sessions:
        outside = campaign_period(session, campaign)
        if outside is not None:
            found.append(Violation(outside.rule, outside.message, session.session_id))
        if session.region_code in removed and session.region_code not in kept:
            found.append(
                Violation(
                    CAMPAIGN_DESA_HAS_SESSION,
                    f"desa {session.region_code} has session {session.session_id} of the campaign; cancel it before "
                    "removing the desa",
                    session.session_id,
                )
            )
    for i, session in enumerate(sessions):
        capped = daily_cap(session, campaign, sessions[:i], can_see)
        if capped is not None:
            found.append(capped)
            break
    return found
