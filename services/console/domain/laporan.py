"""Laporan: how the pages name reports, their kinds and states, and the request a form makes of reporting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pilar_runtime.localtime import abbreviation, zone_of
from pilar_runtime.regions import RegionError, lookup
from services.console.domain.formats import hari, waktu

KIND_NAMES = {
    "campaign": "Laporan kampanye",
    "monthly_district": "Laporan bulanan kabupaten",
    "psks_handover": "Serah terima PSKS",
    "fgd_minutes": "Notulen FGD",
    "registry_export": "Ekspor data lembaga",
}
# What a person may ask for from this page; FGD minutes and the export come from their own pages and events.
REQUESTABLE = ("campaign", "monthly_district", "psks_handover")
STATUS_NAMES = {"pending": "Sedang dibuat", "done": "Selesai", "failed": "Gagal"}
FORMAT_NAMES = {"xlsx": "Excel (XLSX)", "pdf": "PDF", "csv": "CSV"}
FORMATS = tuple(FORMAT_NAMES)


def region_label(code: str) -> str:
    """``Gunungkidul (34.03)``; the code alone when the reference does not hold it; "Nasional" for none."""
    if not code:
        return "Nasional"
    try:
        found = lookup(code)
    except RegionError:
        found = None
    return f"{found.name} ({code})" if found else code


@dataclass(frozen=True)
class ReportLine:
    id: str
    title: str
    kind: str
    status: str
    done: bool
    region: str
    period: str
    requested: str
    formats: tuple[str, ...]
    error: str
    revision_note: str


def report_line(report: dict[str, Any]) -> ReportLine:
    """A report as the pages show it: Indonesian names, dates on the region's clock."""
    region = str(report.get("region_code") or "")
    start, end = report.get("period_start"), report.get("period_end")
    period = f"{hari(date.fromisoformat(start))} – {hari(date.fromisoformat(end))}" if start and end else ""
    created = report.get("created_at")
    zone = zone_of(region)
    requested = waktu(datetime.fromisoformat(created), zone, abbreviation(zone)) if created else ""
    kind = str(report.get("kind", ""))
    return ReportLine(
        id=str(report["id"]),
        title=str(report.get("title") or KIND_NAMES.get(kind, kind)),
        kind=KIND_NAMES.get(kind, kind),
        status=STATUS_NAMES.get(str(report.get("status")), str(report.get("status"))),
        done=report.get("status") == "done",
        region=region_label(region),
        period=period,
        requested=requested,
        formats=tuple(f for f in FORMATS if f in (report.get("formats") or [])),
        error=str(report.get("error") or ""),
        revision_note=str(report.get("revision_note") or ""),
    )


def report_request(form: dict[str, str]) -> dict[str, Any]:
    """The body of ``POST /reports`` from the request form: a campaign report names its campaign only (it covers
    the campaign's region); the others a region and a period. Blank fields are left out, so reporting says what
    is missing."""
    kind = form.get("kind", "").strip()
    fields = ("campaign_id",) if kind == "campaign" else ("region_code", "period_start", "period_end")
    body: dict[str, Any] = {"kind": kind}
    body.update({name: form[name].strip() for name in fields if form.get(name, "").strip()})
    return body
