"""Beranda: the signed-in user's region at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.api.pages import SignedIn, page, parts
from services.console.commands.home import home

router = APIRouter(tags=["pages"])


@router.get(
    "/", summary="Beranda: figures, this week's sessions, follow-ups due and overdue", response_class=HTMLResponse
)
async def beranda(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    found = await home(parts(request).gateway, visit.user)
    changed = request.query_params.get("kata_sandi") == "diubah"
    return page(request, "home.html", visit, home=found, password_changed=changed)
