"""Shaping the flat counters of a region into the summary district systems read, and a campaign's progress."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pilar_runtime.regions import in_region

SESSION_STATUSES = ("scheduled", "held", "cancelled")
FOLLOWUP_STATUSES = ("open", "overdue", "completed", "cancelled")


def _by_head(counts: Mapping[str, int]) -> dict[str, list[tuple[str, int]]]:
    """The non-zero counters by their first part: ``{"a|b|c": 2}`` → ``{"a": [("b|c", 2)]}``. Grouped once, so
    each section sorts only its own (a province's roll-up holds thousands, most of them day counters)."""
    grouped: dict[str, list[tuple[str, int]]] = {}
    for name, n in counts.items():
        if n:
            head, _, rest = name.partition("|")
            grouped.setdefault(head, []).append((rest, n))
    return grouped


def _nested(counters: list[tuple[str, int]]) -> dict[str, Any]:
    """``[("b|c", 2)]`` → ``{"b": {"c": 2}}``, keys sorted."""
    out: dict[str, Any] = {}
    for rest, n in sorted(counters):
        parts = rest.split("|")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = n
    return out


def summary(region_code: str, counts: Mapping[str, int]) -> dict[str, Any]:
    grouped = _by_head(counts)

    def section(head: str) -> dict[str, Any]:
        return _nested(grouped.get(head, []))

    sessions = section("sessions")
    followups = section("followups")
    notifications = section("notifications")
    participants = section("participants")
    regulations = section("regulations")
    events = section("events")
    activities = section("activities")
    return {
        "region_code": region_code,
        "institutions": section("institutions"),
        "formations": section("formations"),
        "community_regulations": {
            "total": regulations.get("total", 0),
            "by_topic": regulations.get("topic", {}),
            "by_month": regulations.get("month", {}),
            "revoked": regulations.get("revoked", 0),
        },
        "workers": section("workers"),
        "activities": {"by_month": activities.get("month", {}), "by_kind": activities.get("kind", {})},
        "sessions": {s: sessions.get(s, 0) for s in SESSION_STATUSES},
        "sessions_held_by_month": section("sessions_held"),
        "participants": {"total": participants.get("total", 0), "by_category": participants.get("category", {})},
        "campaigns": section("campaigns"),
        "followups": {s: followups.get(s, 0) for s in FOLLOWUP_STATUSES},
        "notifications": {
            "sent": notifications.get("sent", 0),
            "failed": notifications.get("failed", 0),
            "by_channel": notifications.get("channel", {}),
        },
        "events": {
            "total": events.get("total", 0),
            "by_type": events.get("type", {}),
            "by_month": events.get("month", {}),
            "unknown": events.get("unknown", {}),
        },
    }


def institutions_total(counts: Mapping[str, int]) -> int:
    return sum(n for name, n in counts.items() if name.startswith("institutions|"))


def in_campaign_region(campaign: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Does a session or institution lie in the campaign's region subtree? Nothing outside it ever counts for
    (or shows in) a campaign, whatever it cites: the region is the campaign's scope."""
    return in_region(str(record.get("region_code")), str(campaign.get("region_code")))


def formed_in_campaign(campaign: Mapping[str, Any], institution: Mapping[str, Any], kind: str) -> bool:
    """A WKSBM (or Pokja) counts for a campaign when it was formed in one of its desa during its period, or
    when its formation cites the campaign — and in either case lies in the campaign's region."""
    if institution.get("kind") != kind or not institution.get("formed_on"):
        return False
    if not in_campaign_region(campaign, institution):
        return False
    if institution.get("campaign_id") == campaign["_id"]:
        return True
    in_desa = institution.get("region_code") in set(campaign.get("desa_codes", []))
    return in_desa and campaign["start_date"] <= institution["formed_on"] <= campaign["end_date"]


def campaign_progress(
    campaign: Mapping[str, Any], sessions: Iterable[Mapping[str, Any]], institutions: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    targets = campaign.get("targets", {})
    by_status = dict.fromkeys(SESSION_STATUSES, 0)
    participants = 0
    by_category: dict[str, int] = {}
    for s in (s for s in sessions if in_campaign_region(campaign, s)):
        by_status[s.get("status", "scheduled")] = by_status.get(s.get("status", "scheduled"), 0) + 1
        if s.get("status") == "held":
            participants += s.get("participants", 0)
            for category, n in s.get("by_category", {}).items():
                by_category[category] = by_category.get(category, 0) + n
    institutions = list(institutions)
    achieved: dict[str, dict[str, Any]] = {}
    for kind, target_name in (("WKSBM", "new_wksbm"), ("POKJA", "new_pokja")):
        formed = sorted(i["_id"] for i in institutions if formed_in_campaign(campaign, i, kind))
        target = targets.get(target_name)
        achieved[target_name] = {
            "target": target,
            "achieved": len(formed),
            "met": None if target is None else len(formed) >= target,
            "institution_ids": formed,
        }
    per_session_target = targets.get("participants_per_session")
    return {
        "campaign_id": campaign["_id"],
        "name": campaign.get("name"),
        "region_code": campaign.get("region_code"),
        "status": campaign.get("status"),
        "start_date": campaign.get("start_date"),
        "end_date": campaign.get("end_date"),
        "desa_codes": campaign.get("desa_codes", []),
        "sessions": by_status,
        "participants": {"total": participants, "by_category": dict(sorted(by_category.items()))},
        "targets": {
            **achieved,
            "participants_per_session": {
                "target": per_session_target,
                "achieved": round(participants / by_status["held"], 1) if by_status["held"] else 0,
            },
        },
    }


# --- Pilot desa (desa percontohan) chosen by FGDs, for the summary and the dashboard ---


def pilot_desa(fgds: Iterable[Mapping[str, Any]], region: str, name_of: Callable[[str], str]) -> list[dict[str, Any]]:
    """The pilot desa inside ``region`` chosen by held FGDs, by desa code then date: one entry per desa and FGD.
    An FGD counts when it lies in the region or above it (a district FGD names a kecamatan's desa), never when it
    lies in another branch."""
    found = []
    for fgd in fgds:
        where = str(fgd.get("region_code"))
        if not (in_region(where, region) or in_region(region, where)):
            continue
        for code in fgd.get("pilot_desa_codes", []):
            if in_region(str(code), region):
                kecamatan = ".".join(str(code).split(".")[:3])
                found.append(
                    {
                        "code": str(code),
                        "name": name_of(str(code)),
                        "kecamatan": name_of(kecamatan),
                        "session_id": str(fgd["_id"]),
                        "topic": fgd.get("topic"),
                        "held_on": fgd.get("held_on"),
                    }
                )
    return sorted(found, key=lambda d: (d["code"], str(d["held_on"]), d["session_id"]))


# --- end pilot desa ---
