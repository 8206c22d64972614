"""Sign-in through the configured OpenID Connect provider: ``/masuk/oidc`` sends the person there, the provider
sends them back to ``/masuk/oidc/callback``. Without a provider configured both answer 404."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.api.pages import (
    keep_cookie,
    page,
    parts,
    redirect,
    runtime,
    settings,
    visit_of,
    within_sign_in_limit,
)
from services.console.commands import oidc, signin
from services.console.domain.oidc import OidcRefused

router = APIRouter(prefix="/masuk/oidc", tags=["pages"])
CALLBACK = "/masuk/oidc/callback"
REFUSED = "Masuk melalui penyedia identitas tidak berhasil. Coba lagi, atau hubungi admin."
NOT_CONFIGURED = "Masuk melalui penyedia identitas tidak diaktifkan."


def _configured(request: Request) -> bool:
    config = settings(request)
    return bool(config.oidc_signin_issuer and config.oidc_client_id)


def _redirect_uri(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}{CALLBACK}"


@router.get("", summary="Go to the OpenID Connect provider to sign in", response_class=HTMLResponse)
async def start(request: Request) -> Response:
    if not _configured(request):
        return page(request, "error.html", None, 404, message=NOT_CONFIGURED)
    mongo = runtime(request).mongo
    visit = await visit_of(request) or await signin.open_session(mongo, parts(request).timeouts)
    try:
        target = await oidc.start(mongo, settings(request), visit, _redirect_uri(request))
    except OidcRefused:
        return page(request, "error.html", visit, 503, message=REFUSED)
    response = redirect(target)
    keep_cookie(request, response, visit)
    return response


@router.get(
    "/callback", summary="The provider's answer: a session for the person it vouches for", response_class=HTMLResponse
)
async def callback(request: Request, code: str = "", state: str = "") -> Response:
    if not _configured(request):
        return page(request, "error.html", None, 404, message=NOT_CONFIGURED)
    within_sign_in_limit(request)
    visit = await visit_of(request)
    if visit is None or not code:  # no session that started a sign-in, or the provider said no
        return page(request, "error.html", visit, 403, message=REFUSED)
    try:
        signed = await oidc.finish(
            runtime(request).mongo, settings(request), parts(request).timeouts, visit, code, state,
            _redirect_uri(request),
        )  # fmt: skip
    except OidcRefused as exc:
        oidc.log.info("signin.oidc_refused", reason=str(exc))
        return page(request, "error.html", visit, 403, message=REFUSED)
    response = redirect("/")
    keep_cookie(request, response, signed)
    return response
