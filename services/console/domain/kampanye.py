"""Kampanye, sesi and tindak lanjut as the pages show and post them: the desa picker from the Kemendagri tree, the
week and month calendar on the region's clock, and the forms turned into the outreach API's bodies (a report's
attendance is checked to add up before it is sent)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contracts.events.common import PARTICIPANT_CATEGORY_LABELS, WorkerRole
from pilar_runtime.localtime import BULAN, HARI
from pilar_runtime.regions import Region, children, lookup

STATUS_LABELS = {
    "scheduled": "Terjadwal",
    "held": "Terlaksana",
    "cancelled": "Dibatalkan",
    "planned": "Direncanakan",
    "completed": "Selesai",
}
CATEGORIES = list(PARTICIPANT_CATEGORY_LABELS.items())
FOLLOWUP_ROWS = 3  # empty follow-up lines a report form offers
# The follow-up list's tabs: (query of outreach's /followups, heading).
FOLLOWUP_STATES = {
    "berjalan": ({"status": "open", "overdue": "false"}, "Berjalan"),
    "terlambat": ({"status": "open", "overdue": "true"}, "Terlambat"),
    "selesai": ({"status": "done"}, "Selesai"),
}


class FormInvalid(Exception):
    """A form the console can already tell is wrong: field → Indonesian message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def region_name(code: str) -> str:
    found = lookup(code)
    return found.name if found else code


def kecamatan_of(region: str) -> list[tuple[str, list[Region]]]:
    """The kecamatan a user may plan in, by kabupaten: (kabupaten name, its kecamatan)."""
    level = region.count(".") + 1 if region else 0
    if level >= 3:
        found = lookup(region)
        return [(region_name(region.rsplit(".", 1)[0]), [found] if found else [])]
    if level == 0:
        return []  # the picker starts from the account's region, and a national account has none
    kabupaten = [lookup(region)] if level == 2 else children(region)
    return [(k.name, children(k.code)) for k in kabupaten if k is not None]


def desa_of(kecamatan: Iterable[str], region: str) -> list[tuple[Region, list[Region]]]:
    """The chosen kecamatan inside the user's region, each with its desa."""
    shown = []
    for code in dict.fromkeys(kecamatan):
        found = lookup(code)
        if found and found.level == 3 and (not region or code == region or code.startswith(region + ".")):
            shown.append((found, children(code)))
    return shown


def split_workers(workers: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Officers (every role but narasumber) and narasumber, by name."""
    ordered = sorted(workers, key=lambda w: w["name"])
    return [w for w in ordered if w["role"] != WorkerRole.NARASUMBER], [
        w for w in ordered if w["role"] == WorkerRole.NARASUMBER
    ]


def _number(form: Mapping[str, str], name: str, errors: dict[str, str], *, required: bool = True) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        if required:
            errors[name] = "Wajib diisi."
        return None
    if not text.isdigit():
        errors[name] = "Harus berupa bilangan bulat tidak negatif."
        return None
    return int(text)


def campaign_body(form: Mapping[str, str], lists: Mapping[str, list[str]]) -> dict[str, Any]:
    """The campaign the plan form describes; its region is the kabupaten of the chosen desa."""
    errors: dict[str, str] = {}
    desa = lists.get("desa_codes", [])
    if not desa:
        errors["desa_codes"] = "Pilih sedikitnya satu desa."
    targets = {
        key: value
        for key in ("participants_per_session", "new_wksbm")
        if (value := _number(form, key, errors, required=False)) is not None
    }
    body: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "topic": form.get("topic", "").strip(),
        "region_code": ".".join(desa[0].split(".")[:2]) if desa else "",
        "start_date": form.get("start_date", ""),
        "end_date": form.get("end_date", ""),
        "desa_codes": desa,
        "targets": targets,
        "max_sessions_per_day": _number(form, "max_sessions_per_day", errors),
        "officer_ids": lists.get("officer_ids", []),
        "narasumber_ids": lists.get("narasumber_ids", []),
        "officers_per_session": _number(form, "officers_per_session", errors),
        "narasumber_per_session": _number(form, "narasumber_per_session", errors),
    }
    if errors:
        raise FormInvalid(errors)
    return body


def move_body(form: Mapping[str, str]) -> dict[str, str]:
    """Date and clock times on the session region's wall clock (the service reads a time without offset so)."""
    errors = {name: "Wajib diisi." for name in ("tanggal", "mulai", "selesai") if not form.get(name, "").strip()}
    if errors:
        raise FormInvalid(errors)
    day = form["tanggal"].strip()
    return {"starts_at": f"{day}T{form['mulai'].strip()}", "ends_at": f"{day}T{form['selesai'].strip()}"}


MOVE_FIELDS = {"": "tanggal", "starts_at": "tanggal", "ends_at": "selesai"}
CANCEL_FIELDS = {"": "alasan", "reason": "alasan"}
PLAN_FIELDS = {
    "targets.participants_per_session": "participants_per_session",
    "targets.new_wksbm": "new_wksbm",
    "region_code": "desa_codes",
}
PLAN_FIELDS |= {name: name for name in ("name", "topic", "start_date", "end_date", "max_sessions_per_day")}
PLAN_FIELDS |= {name: name for name in ("officers_per_session", "narasumber_per_session")}
PLAN_FIELDS |= {name: name for name in ("desa_codes", "officer_ids", "narasumber_ids")}


def on_fields(errors: dict[str, str], names: Mapping[str, str]) -> dict[str, str]:
    """A service's field names as the form's: its refusal stands next to the field the person changes, and what
    concerns no field of the form stands above it (never dropped)."""
    found: dict[str, str] = {}
    for key, message in errors.items():
        name = names.get(key) or names.get(key.split(".")[0], "")
        found.setdefault(name, message)
    return found


def report_body(form: Mapping[str, str], lists: Mapping[str, list[str]], *, amending: bool = False) -> dict[str, Any]:
    """The held-session report the form describes; the attendance by category must add up to the total. A
    correction of a held report carries its reason."""
    errors: dict[str, str] = {}
    by_category = {
        key: count
        for key, _ in CATEGORIES
        if (count := _number(form, f"jumlah_{key}", errors, required=False)) is not None and count > 0
    }
    total = _number(form, "total", errors)
    if total is not None and "total" not in errors and sum(by_category.values()) != total:
        errors["total"] = (
            f"Jumlah menurut kategori ({sum(by_category.values())}) tidak sama dengan jumlah peserta ({total})."
        )
    followups = []
    numbered = {key.rpartition("_")[2] for key in form if key.startswith(("tindakan_", "pemilik_", "tenggat_"))}
    for row in sorted(int(n) for n in numbered if n.isdigit()):
        action, owner, due = (form.get(f"{name}_{row}", "").strip() for name in ("tindakan", "pemilik", "tenggat"))
        if not (action or owner or due):
            continue
        for name, value in (("tindakan", action), ("pemilik", owner), ("tenggat", due)):
            if not value:
                errors[f"{name}_{row}"] = "Wajib diisi untuk tindak lanjut ini."
        followups.append({"action": action, "owner_id": owner, "due_on": due})
    if not form.get("summary", "").strip():
        errors["summary"] = "Wajib diisi."
    if amending and not form.get("alasan_perbaikan", "").strip():
        errors["alasan_perbaikan"] = "Wajib diisi: sebutkan mengapa laporan diperbaiki."
    if errors:
        raise FormInvalid(errors)
    reason = {"reason": form["alasan_perbaikan"].strip()} if amending else {}
    return reason | {
        "held_on": form.get("held_on", ""),
        "attendance": {"total": total, "by_category": by_category},
        "narasumber_present_ids": lists.get("narasumber_present_ids", []),
        "summary": form["summary"].strip(),
        "outcomes": {"pilot_desa_codes": lists.get("pilot_desa_codes", []), "followups": followups},
    }


REPORT_FIELDS = {
    "attendance": "total",
    "held_on": "held_on",
    "summary": "summary",
    "narasumber_present_ids": "narasumber_present_ids",
    "outcomes.pilot_desa_codes": "pilot_desa_codes",
    "outcomes.followups": "tindakan_1",
    "reason": "alasan_perbaikan",
}


def report_values(session: dict[str, Any], followups: list[dict[str, Any]]) -> tuple[dict[str, str], set[str]]:
    """A held session's report as the form's values and checked boxes, to be corrected; its follow-ups (open or
    done) are listed so that the correction keeps them."""
    report = session["report"]
    values = {"held_on": str(report["held_on"]), "total": str(report["attendance"]["total"])}
    values |= {f"jumlah_{k}": str(n) for k, n in report["attendance"]["by_category"].items()}
    values["summary"] = report["summary"]
    for row, f in enumerate((f for f in followups if f["status"] != "cancelled"), start=1):
        values |= {f"tindakan_{row}": f["action"], f"pemilik_{row}": f["owner_id"], f"tenggat_{row}": f["due_on"]}
    return values, set(report["narasumber_present_ids"]) | set(report.get("pilot_desa_codes", []))


def followup_rows(values: Mapping[str, str]) -> range:
    """The form's follow-up lines: those filled in, and at least one empty line more (never fewer than three)."""
    filled = [int(k.rpartition("_")[2]) for k in values if k.startswith("tindakan_") and k[9:].isdigit()]
    return range(1, max([FOLLOWUP_ROWS, *(n + 1 for n in filled)]) + 1)


def report_fields(errors: dict[str, str]) -> dict[str, str]:
    """Outreach's names of a report's fields (``outcomes.followups.0.due_on``) as the form's (``tenggat_1``); the
    rest (a state conflict) stands above the form."""
    found: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if key.startswith("outcomes.followups.") and len(parts) > 3 and parts[2].isdigit():
            name = {"action": "tindakan", "owner_id": "pemilik", "due_on": "tenggat"}.get(parts[3], "tindakan")
            found.setdefault(f"{name}_{int(parts[2]) + 1}", message)
            continue
        for prefix, name in REPORT_FIELDS.items():
            if key.startswith(prefix):
                found.setdefault(name, message)
                break
        else:
            found.setdefault("", message)
    return found


@dataclass(frozen=True)
class SessionRow:
    id: str
    topic: str
    venue: str
    desa: str
    day: date
    hours: str  # "09.00–12.00 WIB"
    status: str
    officers: list[str]
    narasumber: list[str]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def session_rows(
    sessions: list[dict[str, Any]], zone: ZoneInfo, zone_name: str, names: Mapping[str, str]
) -> list[SessionRow]:
    rows = []
    for s in sessions:
        start = datetime.fromisoformat(s["starts_at"]).astimezone(zone)
        end = datetime.fromisoformat(s["ends_at"]).astimezone(zone)
        rows.append(
            SessionRow(
                id=s.get("id", ""),
                topic=s["topic"],
                venue=s["venue"],
                desa=region_name(s["region_code"]),
                day=start.date(),
                hours=f"{start:%H.%M}–{end:%H.%M} {zone_name}",
                status=s.get("status", "scheduled"),
                officers=[names.get(p, p) for p in s["officer_ids"]],
                narasumber=[names.get(p, p) for p in s["narasumber_ids"]],
            )
        )
    return sorted(rows, key=lambda r: (r.day, r.hours, r.desa))


@dataclass
class CalendarDay:
    day: date
    inside: bool  # in the month shown (a month view's first and last weeks reach into the next ones)
    sessions: list[SessionRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{HARI[self.day.weekday()]}, {self.day.day} {BULAN[self.day.month - 1]}"


@dataclass
class Calendar:
    view: str  # "minggu" | "bulan"
    title: str
    weeks: list[list[CalendarDay]]
    previous: date
    next: date
    first: date
    last: date


def calendar(view: str, anchor: date) -> Calendar:
    """The empty grid of a week (Monday to Sunday) or of a month (its weeks, Monday first)."""
    if view == "bulan":
        start = anchor.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        first = start - timedelta(days=start.weekday())
        last = end + timedelta(days=6 - end.weekday())
        previous, following = (start - timedelta(days=1)).replace(day=1), end + timedelta(days=1)
        title = f"{BULAN[start.month - 1]} {start.year}"
    else:
        view = "minggu"
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        start, end = first, last
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
        title = f"{first.day} {BULAN[first.month - 1]} – {last.day} {BULAN[last.month - 1]} {last.year}"
    days = [
        CalendarDay(first + timedelta(days=n), start <= first + timedelta(days=n) <= end)
        for n in range((last - first).days + 1)
    ]
    return Calendar(view, title, [days[i : i + 7] for i in range(0, len(days), 7)], previous, following, first, last)


def fill(grid: Calendar, rows: list[SessionRow]) -> Calendar:
    by_day = {d.day: d for week in grid.weeks for d in week}
    for row in rows:
        if row.day in by_day:
            by_day[row.day].sessions.append(row)
    return grid
