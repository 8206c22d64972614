"""Composition root of the console: staff accounts, sign-in, the pages, and the keys that sign access tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from pilar_runtime.errors import DomainError
from pilar_runtime.service import Runtime, create_app
from services.console import store
from services.console.api import (
    admin,
    home,
    kampanye,
    keys,
    laporan,
    lembaga,
    notifikasi,
    oidc,
    operasi,
    petugas,
    sesi,
    signin,
    tindak_lanjut,
)
from services.console.api.pages import (
    CHANGE_PASSWORD,
    SIGN_IN,
    FormRefused,
    PasswordChangeNeeded,
    SignInNeeded,
    TooManySignIns,
    page,
    redirect,
)
from services.console.commands.accounts import ensure_first_admin
from services.console.parts import ConsoleParts
from services.console.settings import ConsoleSettings

STATIC = Path(__file__).resolve().parent / "static"
# Nothing from elsewhere: the pages load their one stylesheet from the console itself, and no page may be framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
MESSAGES = {
    403: "Anda tidak berwenang membuka halaman ini.",
    404: "Halaman atau data tidak ditemukan.",
    409: "Permintaan bertentangan dengan data yang ada.",
    422: "Isian tidak valid.",
}


def build(settings: ConsoleSettings | None = None) -> FastAPI:
    config = settings or ConsoleSettings()

    async def start(runtime: Runtime) -> None:
        await store.ensure_indexes(runtime)
        await ensure_first_admin(runtime.mongo, config.first_admin_email, config.first_password_file)

    app = create_app(
        config,
        title="Pilar console",
        description="The staff's way into Pilar: accounts, sign-in, the pages, and the keys that sign access tokens.",
        routers=[
            keys.router,
            signin.router,
            home.router,
            admin.router,
            lembaga.router,
            petugas.router,
            laporan.router,
            notifikasi.router,
            operasi.router,
            oidc.router,
            kampanye.router,
            sesi.router,
            tindak_lanjut.router,
        ],
        on_startup=start,
        parts=ConsoleParts.of(config),
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _answer_pages(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith(("/static/", "/.well-known/")):
            response.headers["Cache-Control"] = "no-store"  # pages carry personal data and one-time passwords
        return response

    return app


def _answer_pages(app: FastAPI) -> None:
    """A missing session leads to the sign-in page, a one-time password to its change; refusals are pages in
    Indonesian, never JSON or a trace."""

    async def sign_in_needed(_request: Request, _exc: Exception) -> Response:
        return redirect(SIGN_IN)

    async def password_change_needed(_request: Request, _exc: Exception) -> Response:
        return redirect(CHANGE_PASSWORD)

    async def form_refused(request: Request, _exc: Exception) -> HTMLResponse:
        message = "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi."
        return page(request, "error.html", None, 403, message=message)

    async def too_many(request: Request, exc: Exception) -> HTMLResponse:
        assert isinstance(exc, TooManySignIns)
        message = f"Terlalu banyak percobaan masuk. Coba lagi dalam {exc.retry_after} detik."
        response = page(request, "error.html", None, 429, message=message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    async def refused(request: Request, exc: Exception) -> HTMLResponse:
        assert isinstance(exc, DomainError)
        return page(request, "error.html", None, exc.status, message=MESSAGES.get(exc.status, MESSAGES[422]))

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(PasswordChangeNeeded, password_change_needed)
    app.add_exception_handler(FormRefused, form_refused)
    app.add_exception_handler(TooManySignIns, too_many)
    app.add_exception_handler(DomainError, refused)
