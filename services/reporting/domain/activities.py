"""After formation: an institution's activities (pelatihan, pendampingan, monev, revitalisasi) and the "dormant"
flag of institutions with none for six months.

The rule (computed at read time from dates, so it needs no timer): an institution is *dormant* on a day when it is
active and its last sign of life — its last activity, or failing one its formation, or failing that its
registration — lies more than six calendar months before that day. Initiated institutions are not formed yet,
inactive and dissolved ones are not expected to meet: none of them is dormant. An institution is *active in the last
six months* when it recorded an activity on or after the same cut-off day.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

DORMANT_AFTER_MONTHS = 6

LABELS = {
    "pelatihan": "Pelatihan",
    "pendampingan": "Pendampingan",
    "monev": "Monitoring dan evaluasi",
    "revitalisasi": "Revitalisasi",
}


def label(kind: object) -> str:
    return LABELS.get(str(kind), str(kind))


def months_before(day: date, months: int = DORMANT_AFTER_MONTHS) -> date:
    """The same day ``months`` calendar months earlier (31 August → 28/29 February)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def quiet_since(state: Mapping[str, Any]) -> str | None:
    """The institution's last sign of life (ISO date): the later of its last activity and its formation; only
    when it has neither, its registration. Registration is when the office entered it, often years after the
    fact (a late or bulk entry), so it must not hide an institution that has not met since its formation."""
    lived = [str(state[k]) for k in ("last_activity_on", "formed_on") if state.get(k)]
    if lived:
        return max(lived)
    return str(state["registered_on"]) if state.get("registered_on") else None


def is_dormant(state: Mapping[str, Any], today: date) -> bool:
    since = quiet_since(state)
    return state.get("status") == "active" and since is not None and since < months_before(today).isoformat()


def is_recently_active(state: Mapping[str, Any], today: date) -> bool:
    last = state.get("last_activity_on")
    return last is not None and str(last) >= months_before(today).isoformat()


# Roll-up counters by day, so that a region's summary counts its dormant and recently active institutions as of
# any cut-off from its own roll-up, without reading its institutions.
QUIET_SINCE = "quiet_since"  # active institutions by the day of their last sign of life
LAST_ACTIVITY = "last_activity"  # institutions by the day of their last activity


def signs_of_life(state: Mapping[str, Any]) -> Counter[str]:
    """What an institution adds to the day counters of every region above it."""
    out: Counter[str] = Counter()
    since = state.get("quiet_since")
    if state.get("status") == "active" and since:
        out[f"{QUIET_SINCE}|{since}"] += 1
    if state.get("last_activity_on"):
        out[f"{LAST_ACTIVITY}|{state['last_activity_on']}"] += 1
    return out


def _by_day(counts: Mapping[str, int], counter: str) -> dict[str, int]:
    prefix = counter + "|"
    return {name[len(prefix) :]: n for name, n in counts.items() if name.startswith(prefix) and n}


def dormant_count(counts: Mapping[str, int], cutoff: date) -> int:
    """Active institutions quiet since before ``cutoff``, from a region's roll-up counters. The keys are compared
    whole ("quiet_since|" ≤ key < "quiet_since|<cutoff>" holds exactly for its days before the cutoff): the nation's
    summary does this over thousands of counters for each of its children."""
    first, below = f"{QUIET_SINCE}|", f"{QUIET_SINCE}|{cutoff.isoformat()}"
    return sum(n for name, n in counts.items() if first <= name < below)


def recently_active_count(counts: Mapping[str, int], cutoff: date) -> int:
    """Institutions with an activity on or after ``cutoff``, from a region's roll-up counters ("}" follows "|")."""
    since, beyond = f"{LAST_ACTIVITY}|{cutoff.isoformat()}", f"{LAST_ACTIVITY}}}"
    return sum(n for name, n in counts.items() if since <= name < beyond)


def quietest_days_end(counts: Mapping[str, int], cutoff: date, shown: int) -> str | None:
    """The day up to which the ``shown`` quietest dormant institutions of a region were last alive (ties included):
    reading only the institutions quiet since then or before finds them. None when the region has none dormant."""
    found = 0
    last = None
    for day, n in sorted(_by_day(counts, QUIET_SINCE).items()):
        if day >= cutoff.isoformat() or found >= shown:
            break
        found += n
        last = day
    return last


def activities_between(institutions: Iterable[Mapping[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    """Every activity of the institutions held in the period, by date, institution and id."""
    found = [
        {**activity, "activity_id": activity_id, "institution": institution}
        for institution in institutions
        for activity_id, activity in dict(institution.get("activities") or {}).items()
        if start.isoformat() <= str(activity["on"]) <= end.isoformat()
    ]
    return sorted(found, key=lambda a: (str(a["on"]), str(a["institution"]["_id"]), a["activity_id"]))


def liveliness_view(found: Mapping[str, Any], cutoff: date, name_of: Callable[[str], str]) -> dict[str, Any]:
    """The read-time part of the summary's activities: counts as of ``cutoff`` and the dormant institutions."""
    return {
        "cutoff": cutoff.isoformat(),
        "active_last_6_months": int(found["recent"]),
        "dormant": int(found["dormant"]),
        "dormant_institutions": [
            {
                "institution_id": str(i["_id"]),
                "kind": i.get("kind"),
                "name": i.get("name"),
                "region_code": i.get("region_code"),
                "region_name": name_of(str(i.get("region_code"))),
                "last_activity_on": i.get("last_activity_on"),
                "last_activity_kind": i.get("last_activity_kind"),
                "quiet_since": i.get("quiet_since"),
            }
            for i in found["dormant_institutions"]
        ],
    }
