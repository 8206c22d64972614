"""Laporan: the reports of the user's region from reporting — list, request, one report, its file; and the
campaigns a campaign report may be asked for (outreach)."""

from __future__ import annotations

from typing import Any

import httpx

from services.console.domain.laporan import FORMATS, ReportLine, report_line, report_request
from services.console.gateway import Gateway, ServiceRefused

PAGE_SIZE = 50


async def list_reports(gateway: Gateway, user: dict[str, Any], offset: int = 0) -> tuple[list[ReportLine], int]:
    found = await gateway.get(user, "reporting", "/reports", limit=PAGE_SIZE, offset=offset)
    return [report_line(item) for item in found["items"]], int(found["total"])


async def campaigns(gateway: Gateway, user: dict[str, Any]) -> list[tuple[str, str]]:
    """Id and name of the campaigns the user's region plans; none when outreach does not answer (the form then
    says so, and the other kinds can still be asked for)."""
    try:
        found = await gateway.get(user, "outreach", "/campaigns", limit=200)
    except ServiceRefused:
        return []
    return [(str(c["id"]), str(c.get("name") or c["id"])) for c in found["items"]]


async def request_report(gateway: Gateway, user: dict[str, Any], form: dict[str, str]) -> str:
    """Ask reporting for a report; its id (it is built in the background)."""
    created = await gateway.send(user, "POST", "reporting", "/reports", report_request(form))
    return str(created["id"])


async def read_report(gateway: Gateway, user: dict[str, Any], report_id: str) -> ReportLine:
    return report_line(await gateway.get(user, "reporting", f"/reports/{report_id}"))


async def report_file(gateway: Gateway, user: dict[str, Any], report_id: str, file_format: str) -> httpx.Response:
    if file_format not in FORMATS:
        raise ServiceRefused(404, {"": "Format berkas tidak dikenal."})
    return await gateway.download(user, "reporting", f"/reports/{report_id}/download", format=file_format)
