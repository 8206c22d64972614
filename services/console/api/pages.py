"""What every page shares: the templates and their Indonesian formats, the session a request carries (cookie),
the CSRF check of every form, the sign-in rate limit, and the answers for a missing session or a refused form."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from pilar_runtime.auth import Role
from pilar_runtime.service import Runtime, running_parts
from services.console.commands import signin
from services.console.commands.signin import Visit
from services.console.domain.accounts import ROLE_NAMES
from services.console.domain.formats import angka, hari
from services.console.domain.sessions import COOKIE, csrf_matches
from services.console.parts import ConsoleParts
from services.console.settings import ConsoleSettings

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
TEMPLATES.env.filters.update(angka=angka, hari=hari)
TEMPLATES.env.globals.update(role_names={r.value: name for r, name in ROLE_NAMES.items()})
CHANGE_PASSWORD = "/kata-sandi"
SIGN_IN = "/masuk"


class SignInNeeded(Exception):
    """No signed-in session: the page answers with the sign-in page."""


class PasswordChangeNeeded(Exception):
    """A one-time password is still in use: every page leads to the change-password page first."""


class FormRefused(Exception):
    """A form posted without this session's CSRF token (or with no session at all)."""


class TooManySignIns(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def parts(request: Request) -> ConsoleParts:
    return running_parts(request, ConsoleParts)


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def settings(request: Request) -> ConsoleSettings:
    found = runtime(request).settings
    assert isinstance(found, ConsoleSettings)
    return found


async def visit_of(request: Request) -> Visit | None:
    """The request's live session, signed in or not."""
    return await signin.visit(runtime(request).mongo, request.cookies.get(COOKIE), parts(request).timeouts)


async def signed_in(request: Request) -> Visit:
    found = await visit_of(request)
    if found is None or found.user is None:
        raise SignInNeeded
    if found.user["must_change_password"] and request.url.path != CHANGE_PASSWORD:
        raise PasswordChangeNeeded
    return found


SignedIn = Annotated[Visit, Depends(signed_in)]


async def checked_form(request: Request, visit: Visit | None) -> dict[str, str]:
    """The posted form, once its CSRF token is this session's (synchronizer token)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if visit is None or not csrf_matches(visit.csrf, fields.pop("csrf", None)):
        raise FormRefused
    return fields


def within_sign_in_limit(request: Request) -> None:
    """At most ``login_per_minute`` sign-in attempts a minute per client address."""
    per_minute = settings(request).login_per_minute
    client = request.client.host if request.client else "unknown"
    wait = runtime(request).rate_limits.window("login_per_minute", per_minute).hit(client)
    if wait:
        raise TooManySignIns(max(1, math.ceil(wait)))


def page(request: Request, template: str, visit: Visit | None, status: int = 200, **context: Any) -> HTMLResponse:
    user = visit.user if visit else None
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf": visit.csrf if visit else "",
            "is_admin": bool(user and user["role"] == Role.ADMIN and not user["must_change_password"]),
            "errors": {},
            "values": {},
            **context,
        },
        status_code=status,
    )
    if visit is not None:
        keep_cookie(request, response, visit)
    return response


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def keep_cookie(request: Request, response: Response, visit: Visit) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (sent when a link from an e-mail opens a page, never with a
    cross-site POST; every form carries the CSRF token besides), Secure over https (or as configured)."""
    secure = settings(request).cookie_secure
    response.set_cookie(
        COOKIE,
        visit.session_id,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" if secure is None else secure,
        path="/",
    )
