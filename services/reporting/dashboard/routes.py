"""GET /dashboard: a server-rendered page for operators, region-scoped, charts as inline SVG (no scripts, no CDN).

A browser can't easily send a bearer header, so the page also takes the token as ``?token=<JWT>`` (the same
token the API takes; it is never written into the page). On that first load the token moves into an HttpOnly,
SameSite=Strict cookie scoped to /dashboard and the browser is sent to the URL without it, so the token stays out
of history, proxy logs and Referer headers. Only the dashboard reads the cookie: the JSON API wants a bearer
header, so a cross-site request can never act with it. ``?region=`` narrows the view inside the token's scope.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pilar_runtime.auth import Caller, caller_from_token
from pilar_runtime.localtime import local_today, zone_of
from pilar_runtime.service import RuntimeDep
from services.reporting import store
from services.reporting.api.scope import region_of
from services.reporting.domain.activities import label as activity_label
from services.reporting.domain.activities import liveliness_view, months_before
from services.reporting.domain.regions import region_name
from services.reporting.domain.summary import institutions_total, pilot_desa, summary
from services.reporting.reports.attendance import attendance_rows
from services.reporting.reports.charts import line_chart
from services.reporting.reports.registry_export import jenis

HERE = Path(__file__).parent
STATIC = {"dashboard.css": "text/css; charset=utf-8"}
MONTHS_SHOWN = 24
KECAMATAN_LEVEL, KECAMATAN_SHOWN = 3, 300
RECENT_SHOWN = 20
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
router = APIRouter(tags=["dashboard"])
COOKIE = "pilar_dashboard"
# The page shows one region's figures: never cached on the way, never named in a Referer.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _caller(request: Request, token: str | None) -> Caller:
    header = request.headers.get("authorization", "")
    raw = token or (header[7:] if header.lower().startswith("bearer ") else "") or request.cookies.get(COOKIE, "")
    if not raw:
        raise HTTPException(401, "missing token: open /dashboard?token=<JWT>", headers={"WWW-Authenticate": "Bearer"})
    return caller_from_token(request, raw)


def totals(s: dict[str, Any], counts: dict[str, int]) -> list[tuple[str, str, int]]:
    formed = s["formations"]
    return [
        ("institutions", "Lembaga terdaftar", institutions_total(counts)),
        ("wksbm-formed", "WKSBM terbentuk", sum(formed.get("WKSBM", {}).values())),
        ("pokja-formed", "Pokja terbentuk", sum(formed.get("POKJA", {}).values())),
        ("regulations", "Peraturan masyarakat", s["community_regulations"]["total"]),
        ("workers", "Pekerja sosial aktif", sum(s["workers"].values())),
        ("sessions-held", "Sesi dilaksanakan", s["sessions"]["held"]),
        ("sessions-scheduled", "Sesi terjadwal", s["sessions"]["scheduled"]),
        ("participants", "Peserta terjangkau", s["participants"]["total"]),
        ("followups-open", "Tindak lanjut terbuka", s["followups"]["open"]),
        ("followups-overdue", "Tindak lanjut terlambat", s["followups"]["overdue"]),
        ("notifications-sent", "Notifikasi terkirim", s["notifications"]["sent"]),
        ("notifications-failed", "Notifikasi gagal", s["notifications"]["failed"]),
        ("events", "Event tersimpan", s["events"]["total"]),
    ]


def monthly_series(s: dict[str, Any]) -> tuple[list[str], dict[str, list[int]], dict[str, list[int]]]:
    """Months with any activity (the last MONTHS_SHOWN), formations per kind and sessions held per month."""
    formed: dict[str, dict[str, int]] = s["formations"]
    held: dict[str, int] = s["sessions_held_by_month"]
    months = sorted({m for by_month in formed.values() for m in by_month} | set(held))[-MONTHS_SHOWN:]
    formations = {kind: [by_month.get(m, 0) for m in months] for kind, by_month in sorted(formed.items())}
    return months, formations, {"Sesi dilaksanakan": [held.get(m, 0) for m in months]}


def kecamatan_row(doc: dict[str, Any]) -> dict[str, Any]:
    s = summary(doc["_id"], doc.get("counts", {}))
    return {
        "code": doc["_id"],
        "name": region_name(doc["_id"]),
        "institutions": institutions_total(doc.get("counts", {})),
        "wksbm_formed": sum(s["formations"].get("WKSBM", {}).values()),
        "sessions_held": s["sessions"]["held"],
        "participants": s["participants"]["total"],
        "followups_overdue": s["followups"]["overdue"],
    }


@router.get("/dashboard", response_class=HTMLResponse, summary="Operators' dashboard (token as ?token=)")
async def dashboard(
    request: Request,
    runtime: RuntimeDep,
    token: Annotated[str | None, Query(description="JWT; moved into a cookie on first load")] = None,
    region: Annotated[str | None, Query(description="Kemendagri code inside your scope")] = None,
) -> Response:
    caller = _caller(request, token)
    code = region_of(caller, region)
    if token:
        return _token_to_cookie(request, token)
    db = runtime.mongo.db
    cutoff = months_before(local_today(zone_of(code)))
    counts = await store.counts_of(db, code)
    s = summary(code, counts)
    kecamatan = await store.rollups_below(db, code, KECAMATAN_LEVEL, KECAMATAN_SHOWN)
    recent = await store.recent_events(db, code, RECENT_SHOWN)
    months, formations, held = monthly_series(s)
    svgs = await asyncio.gather(
        asyncio.to_thread(line_chart, "Lembaga terbentuk per bulan", months, formations),
        asyncio.to_thread(line_chart, "Sesi dilaksanakan per bulan", months, held),
    )
    html = templates.get_template("dashboard.html").render(
        region_code=code,
        region_label=(region_name(code) or code) if code else "Semua wilayah",
        last_seq=recent[0]["_id"] if recent else 0,
        totals=totals(s, counts),
        charts=[{"key": "formations", "svg": svgs[0]}, {"key": "sessions", "svg": svgs[1]}],
        kecamatan=[kecamatan_row(doc) for doc in kecamatan],
        recent=recent,
        categories=attendance_rows(s["participants"]["by_category"]),
        pilots=pilot_desa(await store.fgds_with_pilots(db, code), code, region_name),
        liveliness=liveliness_view(await store.liveliness(db, code, cutoff), cutoff, region_name),
        activity_label=activity_label,
        kind_label=jenis,
    )
    return HTMLResponse(html, headers=PRIVATE)


def _token_to_cookie(request: Request, token: str) -> Response:
    """Keep the (checked) token in a cookie only /dashboard gets, and reload the page without it in the URL."""
    query = request.url.remove_query_params("token").query
    response = RedirectResponse(request.url.path + (f"?{query}" if query else ""), status_code=303, headers=PRIVATE)
    response.set_cookie(
        COOKIE,
        token,
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/dashboard/static/{name}", response_class=Response, include_in_schema=False)
async def static(name: str) -> Response:
    if name not in STATIC:
        raise HTTPException(404, f"no static file {name}")
    return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name])
