"""GET /dashboard: a server-rendered page for operators, region-scoped, counts as bars (inline SVG; no scripts, no CDN).

A browser can't easily send a bearer header, so the page also takes the token as ``?token=<JWT>`` (the same
token the API takes; it is never written into the page). On that first load the token moves into an HttpOnly,
SameSite=Strict cookie scoped to /dashboard and the browser is sent to the URL without it, so the token stays out
of history, proxy logs and Referer headers. Only the dashboard reads the cookie: the JSON API wants a bearer
header, so a cross-site request can never act with it. ``?region=`` narrows the view inside the token's scope.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pilar_runtime.auth import Caller, caller_from_token
from pilar_runtime.service import RuntimeDep
from services.reporting import store
from services.reporting.api.scope import region_of
from services.reporting.commands.summary import region_summary
from services.reporting.dashboard.view import angka, by_kind, children_table, hari, monthly_table, share, waktu
from services.reporting.domain.activities import label as activity_label
from services.reporting.domain.breakdown import held_above, summary_figures, trail
from services.reporting.domain.history import label as event_label
from services.reporting.domain.projection import level
from services.reporting.domain.regions import region_name
from services.reporting.reports.attendance import attendance_rows
from services.reporting.reports.labels import jenis

HERE = Path(__file__).parent
STATIC = {"dashboard.css": "text/css; charset=utf-8"}
RECENT_SHOWN = 20
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
templates.globals.update(
    angka=angka,
    hari=hari,
    waktu=waktu,
    share=share,
    by_kind=by_kind,
    activity_label=activity_label,
    event_label=event_label,
    kind_label=jenis,
    region_name=region_name,
)
router = APIRouter(tags=["dashboard"])
COOKIE = "pilar_dashboard"
# The page shows one region's figures: never cached on the way, never named in a Referer.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def _caller(request: Request, token: str | None) -> Caller:
    header = request.headers.get("authorization", "")
    raw = token or (header[7:] if header.lower().startswith("bearer ") else "") or request.cookies.get(COOKIE, "")
    if not raw:
        raise HTTPException(401, "missing token: open /dashboard?token=<JWT>", headers={"WWW-Authenticate": "Bearer"})
    return await caller_from_token(request, raw)


def totals(s: dict[str, Any]) -> list[tuple[str, str, int]]:
    formed, own = s["formations"], summary_figures(s)
    return [
        ("institutions", "Lembaga terdaftar", own["institutions"]),
        ("wksbm-formed", "WKSBM terbentuk", sum(formed.get("WKSBM", {}).values())),
        ("pokja-formed", "Pokja terbentuk", sum(formed.get("POKJA", {}).values())),
        ("regulations", "Peraturan masyarakat", s["community_regulations"]["total"]),
        ("workers", "Pekerja sosial aktif", sum(s["workers"].values())),
        ("sessions-held", "Sesi dilaksanakan", own["sessions_held"]),
        ("sessions-scheduled", "Sesi terjadwal", s["sessions"]["scheduled"]),
        ("participants", "Peserta terjangkau", own["participants"]),
        ("followups-open", "Tindak lanjut berjalan", own["followups_open"]),
        ("followups-overdue", "Tindak lanjut terlambat", own["followups_overdue"]),
        ("dormant", "Lembaga tidur", own["dormant"]),
        ("notifications-sent", "Notifikasi terkirim", s["notifications"]["sent"]),
        ("notifications-failed", "Notifikasi gagal", s["notifications"]["failed"]),
        ("events", "Event tersimpan", s["events"]["total"]),
    ]


@router.get("/dashboard", response_class=HTMLResponse, summary="Operators' dashboard (token as ?token=)")
async def dashboard(
    request: Request,
    runtime: RuntimeDep,
    token: Annotated[str | None, Query(description="JWT; moved into a cookie on first load")] = None,
    region: Annotated[str | None, Query(description="Kemendagri code inside your scope")] = None,
) -> Response:
    caller = await _caller(request, token)
    code = region_of(caller, region)
    if token:
        return _token_to_cookie(request, token)
    s = await region_summary(runtime.mongo.db, code)
    recent = await store.recent_events(runtime.mongo.db, code, RECENT_SHOWN)
    categories = attendance_rows(s["participants"]["by_category"])
    html = templates.get_template("dashboard.html").render(
        region_code=code,
        region_label=s["name"] or code,
        trail=trail(code, caller.region, region_name),
        last_seq=recent[0]["_id"] if recent else 0,
        totals=totals(s),
        children=children_table(level(code), s["children"], held_above(summary_figures(s), s["children"])),
        monthly=monthly_table(s["formations"], s["sessions_held_by_month"]),
        recent=recent,
        categories=categories,
        categories_top=max((int(n) for _, n in categories), default=0),
        pilots=s["pilot_desa"],
        liveliness=s["activities"],
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
