"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.api.pages import (
    CHANGE_PASSWORD,
    SIGN_IN,
    SignedIn,
    checked_form,
    keep_cookie,
    page,
    parts,
    redirect,
    runtime,
    settings,
    visit_of,
    within_sign_in_limit,
)
from services.console.commands import signin
from services.console.domain.accounts import AccountError
from services.console.domain.sessions import COOKIE

router = APIRouter(tags=["pages"], default_response_class=HTMLResponse)
REFUSED = "E-mail atau kata sandi salah, atau akun sedang dikunci sementara. Coba lagi, atau hubungi admin."


@router.get(SIGN_IN, summary="The sign-in page", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> Response:
    visit = await visit_of(request)
    if visit is not None and visit.user is not None:
        return redirect("/")
    if visit is None:
        visit = await signin.open_session(runtime(request).mongo, parts(request).timeouts)
    return page(request, "signin.html", visit, oidc=bool(settings(request).oidc_signin_issuer))


@router.post(SIGN_IN, summary="Sign in with e-mail and password", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    visit = await visit_of(request)
    form = await checked_form(request, visit)
    within_sign_in_limit(request)
    email = form.get("email", "")[:254]
    try:
        signed = await signin.sign_in(
            runtime(request).mongo, email, form.get("password", ""), visit, parts(request).timeouts
        )
    except signin.SignInRefused:
        oidc = bool(settings(request).oidc_signin_issuer)
        return page(request, "signin.html", visit, 401, errors={"": REFUSED}, values={"email": email}, oidc=oidc)
    response = redirect(CHANGE_PASSWORD if signed.user and signed.user["must_change_password"] else "/")
    keep_cookie(request, response, signed)
    return response


@router.post("/keluar", summary="Sign out", response_class=HTMLResponse)
async def sign_out(request: Request, visit: SignedIn) -> Response:
    await checked_form(request, visit)
    await signin.sign_out(runtime(request).mongo, visit)
    response = redirect(SIGN_IN)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get(CHANGE_PASSWORD, summary="The change-password page", response_class=HTMLResponse)
async def change_password_page(request: Request, visit: SignedIn) -> Response:
    return page(request, "password.html", visit)


@router.post(CHANGE_PASSWORD, summary="Change one's own password (the current one is asked for)")
async def change_password(request: Request, visit: SignedIn) -> Response:
    form = await checked_form(request, visit)
    try:
        await signin.change_password(
            runtime(request).mongo,
            visit,
            old=form.get("current_password", ""),
            new=form.get("new_password", ""),
            repeated=form.get("repeated_password", ""),
        )
    except AccountError as exc:
        return page(request, "password.html", visit, 422, errors={exc.field: exc.message})
    return redirect("/?kata_sandi=diubah")
