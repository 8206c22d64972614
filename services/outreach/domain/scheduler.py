"""The auto-scheduler: one session per desa of a campaign over its period, under every scheduling rule.

Choices (documented in the README):
- usable days are the campaign's days minus Indonesian public holidays, collective leave days (cuti bersama,
  whether the campaign makes them a refusal or only a warning) and, by default, Sundays (Saturdays are
  working days for village outreach: seed 001 ran Thursday to Thursday, including the Saturday);
- a day has two slots, 09:00–12:00 and 13:00–16:00 in the campaign's local time (WIB, WITA or WIT); a day's
  sessions alternate between them, and sessions in the same slot run in parallel in different desa with different
  people; at most ``max_sessions_per_day``;
- desa are taken in code order (neighbouring desa of one kecamatan land on the same or next days) and days are
  filled from the first, which leaves the last days free for moved sessions;
- people are chosen least-loaded first (sessions already held or scheduled count), ties broken by id, and never
  while they are busy in an overlapping session.
The same input always gives the same plan. When no plan exists nothing is planned: ``ScheduleImpossible`` says why,
with the numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from pilar_runtime.localtime import at_local, local_date, zone_of
from pilar_runtime.regions import in_region
from services.outreach.domain.calendar import cuti_bersama_name, days_between, holiday_name
from services.outreach.domain.rules import Booking, CampaignTerms

SLOTS: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 0), time(16, 0)))
SUNDAY = 6


@dataclass(frozen=True)
class ScheduleRequest:
    campaign: CampaignTerms
    desa_codes: tuple[str, ...]
    officer_ids: tuple[str, ...]
    narasumber_ids: tuple[str, ...]
    officers_per_session: int = 1
    narasumber_per_session: int = 1
    # Sessions that already occupy the pools' people or the campaign's days (scheduled or held).
    existing: tuple[Booking, ...] = ()
    skip_sundays: bool = True


@dataclass(frozen=True)
class PlannedSession:
    region_code: str
    starts_at: datetime
    ends_at: datetime
    officer_ids: tuple[str, ...]
    narasumber_ids: tuple[str, ...]

    def booking(self, session_id: str, campaign_id: str | None) -> Booking:
        return Booking(
            session_id,
            self.region_code,
            self.starts_at,
            self.ends_at,
            self.officer_ids,
            self.narasumber_ids,
            campaign_id,
        )


@dataclass
class ScheduleImpossible(Exception):
    reason: str
    numbers: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.reason

    def as_detail(self) -> dict[str, Any]:
        return {"rule": "auto_schedule", "message": self.reason, **self.numbers}


def usable_days(campaign: CampaignTerms, skip_sundays: bool = True) -> list[date]:
    return [
        day
        for day in days_between(campaign.start_date, campaign.end_date)
        if holiday_name(day) is None
        and cuti_bersama_name(day) is None
        and not (skip_sundays and day.weekday() == SUNDAY)
    ]


class _Diary:
    """Who is busy when, and how many sessions each person has: the state the greedy placement keeps."""

    def __init__(self, existing: Iterable[Booking], zone: tzinfo) -> None:
        # Busy intervals filed under each local day they touch: a check looks at one day of one person.
        self.zone = zone
        self.busy: dict[tuple[str, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        self.load: Counter[str] = Counter()
        for booking in existing:
            self.book(booking.people, booking.starts_at, booking.ends_at)

    def book(self, people: Iterable[str], starts_at: datetime, ends_at: datetime) -> None:
        days = days_between(local_date(starts_at, self.zone), local_date(ends_at, self.zone))
        for person in people:
            for day in days:
                self.busy[person, day].append((starts_at, ends_at))
            self.load[person] += 1

    def free(self, person: str, starts_at: datetime, ends_at: datetime) -> bool:
        day = local_date(starts_at, self.zone)  # slots never cross midnight
        return all(not (s < ends_at and starts_at < e) for s, e in self.busy.get((person, day), ()))

    def pick(
        self, pool: Iterable[str], count: int, starts_at: datetime, ends_at: datetime, taken: Iterable[str] = ()
    ) -> tuple[str, ...] | None:
        """The ``count`` least-loaded free people of the pool (ties by id), or None when there are too few."""
        skip = set(taken)
        free = [p for p in pool if p not in skip and self.free(p, starts_at, ends_at)]
        if len(free) < count:
            return None
        return tuple(sorted(sorted(free, key=lambda p: (self.load[p], p))[:count]))


def auto_schedule(request: ScheduleRequest) -> list[PlannedSession]:
    campaign = request.campaign
    desa = sorted(set(request.desa_codes))
    officers = tuple(sorted(set(request.officer_ids)))
    narasumber = tuple(sorted(set(request.narasumber_ids)))
    per_officer, per_narasumber = request.officers_per_session, request.narasumber_per_session
    days = usable_days(campaign, request.skip_sundays)
    own = Counter(b.day for b in request.existing if b.campaign_id == campaign.campaign_id)
    room = {day: max(0, campaign.max_sessions_per_day - own[day]) for day in days}
    numbers = {
        "desa": len(desa),
        "usable_days": len(days),
        "max_sessions_per_day": campaign.max_sessions_per_day,
        "capacity": sum(room.values()),
        "officers": len(officers),
        "officers_per_session": per_officer,
        "narasumber": len(narasumber),
        "narasumber_per_session": per_narasumber,
    }
    outside = [code for code in desa if not in_region(code, campaign.region_code)]
    if outside:
        raise ScheduleImpossible(f"desa {', '.join(outside)} lie outside the campaign's region", numbers)
    if len(officers) < per_officer or len(narasumber) < per_narasumber:
        raise ScheduleImpossible(
            f"too few people: each session needs {per_officer} officer(s) and {per_narasumber} narasumber, "
            f"the pools hold {len(officers)} and {len(narasumber)}",
            numbers,
        )
    if numbers["capacity"] < len(desa):
        raise ScheduleImpossible(
            f"too few days: {len(desa)} desa need {len(desa)} sessions, {len(days)} usable day(s) at "
            f"{campaign.max_sessions_per_day} a day hold {numbers['capacity']}",
            numbers,
        )
    # Sessions of one slot run in parallel, each with its own people: the pools bound a day's sessions too.
    parallel = min(len(officers) // max(per_officer, 1), len(narasumber) // per_narasumber if per_narasumber else 10**9)
    numbers["sessions_per_slot_by_people"] = parallel
    numbers["capacity_by_people"] = sum(min(room[d], len(SLOTS) * parallel) for d in days)
    if numbers["capacity_by_people"] < len(desa):
        raise ScheduleImpossible(
            f"too few people: {len(desa)} sessions needed, the pools can staff {numbers['capacity_by_people']} "
            f"({parallel} at a time, {len(SLOTS)} slots a day, {len(days)} usable day(s))",
            numbers,
        )
    return _place(desa, days, room, officers, narasumber, request, numbers)


def _place(
    desa: list[str],
    days: list[date],
    room: dict[date, int],
    officers: tuple[str, ...],
    narasumber: tuple[str, ...],
    request: ScheduleRequest,
    numbers: dict[str, int],
) -> list[PlannedSession]:
    zone = zone_of(request.campaign.region_code)
    diary = _Diary(request.existing, zone)
    waiting = list(reversed(desa))
    planned: list[PlannedSession] = []
    for day in days:
        per_slot = [0] * len(SLOTS)
        placed_today = 0
        while waiting and placed_today < room[day]:
            session = None
            for slot in sorted(range(len(SLOTS)), key=lambda i: (per_slot[i], i)):
                starts_at, ends_at = at_local(day, SLOTS[slot][0], zone), at_local(day, SLOTS[slot][1], zone)
                chosen_officers = diary.pick(officers, request.officers_per_session, starts_at, ends_at)
                if chosen_officers is None:
                    continue
                chosen_narasumber = diary.pick(
                    narasumber, request.narasumber_per_session, starts_at, ends_at, taken=chosen_officers
                )
                if chosen_narasumber is None:
                    continue
                session = PlannedSession(waiting.pop(), starts_at, ends_at, chosen_officers, chosen_narasumber)
                per_slot[slot] += 1
                break
            if session is None:
                break  # everybody is busy for the rest of the day
            diary.book((*session.officer_ids, *session.narasumber_ids), session.starts_at, session.ends_at)
            planned.append(session)
            placed_today += 1
        if not waiting:
            return planned
    raise ScheduleImpossible(
        f"too few free people: {len(waiting)} of {len(desa)} desa could not be staffed around the sessions "
        "the pools' people already have",
        {**numbers, "unplaced": len(waiting)},
    )
