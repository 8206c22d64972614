"""What the Lembaga and Petugas pages make of forms and answers: the board's rows, the campaigns of a desa, the
import's progress, the labels of kinds, statuses and roles."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from contracts.events.common import INSTITUTION_KIND_LABELS, INSTITUTION_STATUS_LABELS, WORKER_ROLE_LABELS
from pilar_runtime.localtime import abbreviation, hari_tanggal, zone_of
from services.console.domain.formats import waktu
from services.console.domain.messages import GENERAL, in_words

KINDS = {str(k): label for k, label in INSTITUTION_KIND_LABELS.items()}
STATUSES = {str(s): label for s, label in INSTITUTION_STATUS_LABELS.items()}
ROLES = {str(r): label for r, label in WORKER_ROLE_LABELS.items()}
# The status changes a person may ask for; initiated → active happens only by the penumbuhan.
NEXT_STATUSES = {"initiated": ["dissolved"], "active": ["inactive", "dissolved"], "inactive": ["active", "dissolved"]}
BOARD_ROLES = ["ketua", "wakil ketua", "sekretaris", "bendahara", "anggota"]
EMPTY_ROWS = 4  # a new board starts with ketua, sekretaris, bendahara and one more
SEAT_FIELDS = ("role", "name", "nik", "phone")


def board_rows(form: dict[str, str]) -> list[dict[str, str]]:
    """The board's rows as posted (``board.0.role``, ``board.0.name``, …), blank rows included, in order."""
    count = int(form.get("rows", "0") or 0) if str(form.get("rows", "")).isdigit() else 0
    return [{f: form.get(f"board.{i}.{f}", "").strip() for f in SEAT_FIELDS} for i in range(min(count, 100))]


def with_blank_row(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [*rows, dict.fromkeys(SEAT_FIELDS, "")][:100]


def starting_rows() -> list[dict[str, str]]:
    return [{"role": role, "name": "", "nik": "", "phone": ""} for role in ("ketua", "sekretaris", "bendahara", "")]


def board_of(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The seats the API takes: rows without a name are left out; empty NIK and phone are not sent. The indexes of
    the kept rows stay those of the form, so a refusal of ``board.2.nik`` still lands next to its field."""
    return [{k: v for k, v in row.items() if v} for row in rows if row["name"] or row["nik"] or row["phone"]]


def kept_indexes(rows: list[dict[str, str]]) -> list[int]:
    return [i for i, row in enumerate(rows) if row["name"] or row["nik"] or row["phone"]]


def form_errors(errors: dict[str, str], indexes: list[int]) -> dict[str, str]:
    """``board.1.nik`` of the seats sent → the form's row that seat came from."""
    found: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if len(parts) >= 2 and parts[0] == "board" and parts[1].isdigit() and int(parts[1]) < len(indexes):
            key = ".".join(["board", str(indexes[int(parts[1])]), *parts[2:]])
        found[key] = message
    return found


def rows_of(board: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A stored board as the editor's rows, plus one blank row to add a seat."""
    return with_blank_row([{f: str(seat.get(f) or "") for f in SEAT_FIELDS} for seat in board])


def campaigns_of_desa(campaigns: list[dict[str, Any]], desa: str) -> list[dict[str, Any]]:
    """The campaigns a penumbuhan in ``desa`` may cite: those that visit it."""
    return [c for c in campaigns if desa in c.get("desa_codes", [])]


def progress(job: dict[str, Any]) -> int:
    """How far an import is, in percent of its rows."""
    total = int(job.get("total") or 0)
    return 100 if not total else min(100, int(job.get("processed", 0)) * 100 // total)


def optional(form: dict[str, str], *names: str) -> dict[str, str]:
    """The fields filled in, trimmed (an empty field is not sent)."""
    return {n: form[n].strip() for n in names if form.get(n, "").strip()}


def registration(form: dict[str, str], board: list[dict[str, str]]) -> dict[str, Any]:
    """The registry's registration body from the form."""
    body: dict[str, Any] = {
        "kind": form.get("kind", ""),
        "name": form.get("name", "").strip(),
        "region_code": form.get("region_code", "").strip(),
        "status": form.get("status") or "initiated",
        "board": board,
        **optional(form, "address"),
    }
    if form.get("allow_duplicate") == "ya":
        body["allow_duplicate"] = True
    return body


def worker_body(form: dict[str, str], *, editing: bool) -> dict[str, Any]:
    """The worker's fields from the form; when editing, an emptied NIK, phone or e-mail is cleared (``None``)."""
    body: dict[str, Any] = {
        "role": form.get("role", ""),
        "name": form.get("name", "").strip(),
        "region_code": form.get("region_code", "").strip(),
        "active": form.get("active", "ya") == "ya",
    }
    for name in ("nik", "phone", "email"):
        value = form.get(name, "").strip()
        if value:
            body[name] = value
        elif editing:
            body[name] = None
    return body


def list_filters(query: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {n: query[n].strip() for n in names if query.get(n, "").strip()}


def when(moment: str, region: str) -> str:
    """An API timestamp on the region's clock: ``Kamis, 8 Agustus 2019 pukul 09.00 WIB``."""
    zone = zone_of(region)
    return waktu(datetime.fromisoformat(moment), zone, abbreviation(zone))


def day(value: str) -> str:
    return hari_tanggal(date.fromisoformat(value))


def history_lines(entries: list[dict[str, Any]], region: str) -> list[dict[str, str]]:
    return [{"label": e["label"], "when": when(e["occurred_at"], region)} for e in entries]


ACTIVITY_KINDS = {
    "pelatihan": "Pelatihan",
    "pendampingan": "Pendampingan",
    "monev": "Monev",
    "revitalisasi": "Revitalisasi",
}


def activity_lines(activities: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "kind": ACTIVITY_KINDS.get(a["kind"], a["kind"]),
            "day": day(a["date"]),
            "participants": str(a["participants"]),
            "notes": a.get("notes") or "",
        }
        for a in activities
    ]


def campaign_choices(campaigns: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"id": c["id"], "label": f"{c['name']} ({day(c['start_date'])} s.d. {day(c['end_date'])})"} for c in campaigns
    ]


def session_choices(sessions: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"id": s["id"], "label": f"{s['topic']} — {s['venue']}, {when(s['starts_at'], s['region_code'])}"}
        for s in sorted(sessions, key=lambda s: s["starts_at"], reverse=True)
        if s["status"] != "cancelled"
    ]


def row_errors(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The import's per-row errors, their messages in the pages' words where the table knows them."""
    return [{**e, "message": in_words(str(e.get("message", "")))} for e in job.get("errors") or []]


def on_form(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """A refusal naming no field of the form (``formation``, ``status``…) is shown at the top of the form."""
    found: dict[str, str] = {}
    for key, message in errors.items():
        shown = key if key in fields or key.split(".")[0] == "board" else GENERAL
        found.setdefault(shown, message)
    return found
