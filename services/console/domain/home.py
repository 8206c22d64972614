"""What Beranda shows of the services' answers: the region's figures, this week's sessions on the region's clock,
the follow-ups overdue and due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.console.domain.formats import in_week, waktu


def figures(summary: dict[str, Any]) -> list[tuple[str, int]]:
    """(label, number) pairs from reporting's summary of a region."""
    institutions = sum(sum(by_status.values()) for by_status in summary.get("institutions", {}).values())
    sessions = summary.get("sessions", {})
    followups = summary.get("followups", {})
    return [
        ("Lembaga", institutions),
        ("Petugas aktif", sum(summary.get("workers", {}).values())),
        ("Sesi terjadwal", int(sessions.get("scheduled", 0))),
        ("Sesi terlaksana", int(sessions.get("held", 0))),
        ("Peserta", int(summary.get("participants", {}).get("total", 0))),
        ("Tindak lanjut terbuka", int(followups.get("open", 0))),
        ("Tindak lanjut terlambat", int(followups.get("overdue", 0))),
    ]


@dataclass(frozen=True)
class SessionLine:
    topic: str
    venue: str
    when: str
    starts_at: datetime


def this_week(sessions: list[dict[str, Any]], zone: ZoneInfo, zone_name: str, today: date) -> list[SessionLine]:
    lines = [
        SessionLine(s["topic"], s["venue"], waktu(start, zone, zone_name), start)
        for s in sessions
        if in_week(start := datetime.fromisoformat(s["starts_at"]), zone, today)
    ]
    return sorted(lines, key=lambda line: line.starts_at)


@dataclass(frozen=True)
class FollowupLine:
    action: str
    due_on: date
    overdue: bool


def open_followups(followups: list[dict[str, Any]]) -> list[FollowupLine]:
    lines = [FollowupLine(f["action"], date.fromisoformat(f["due_on"]), bool(f.get("overdue"))) for f in followups]
    return sorted(lines, key=lambda line: line.due_on)
