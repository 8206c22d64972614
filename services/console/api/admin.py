"""Admin: the accounts of the admin's scope — list, create, change role and region, deactivate, reset password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pilar_runtime.auth import Role
from services.console.api.pages import SignedIn, checked_form, page, redirect, runtime
from services.console.commands import accounts
from services.console.domain.accounts import AccountError

router = APIRouter(prefix="/admin/pengguna", tags=["admin"])
ROLES = [role.value for role in Role]


@router.get("", summary="The accounts of the admin's scope", response_class=HTMLResponse)
async def list_users(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    found = await accounts.list_users(runtime(request).mongo, visit.user)
    return page(request, "admin/users.html", visit, users=found)


@router.get("/baru", summary="The new-account form", response_class=HTMLResponse)
async def new_user_page(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    await accounts.list_users(runtime(request).mongo, visit.user)  # admins only, like the list
    return page(request, "admin/new.html", visit, roles=ROLES)


@router.post("/baru", summary="Create an account (its one-time password is shown once)", response_class=HTMLResponse)
async def create_user(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    try:
        user, password = await accounts.create_user(
            runtime(request).mongo,
            visit.user,
            name=form.get("name", ""),
            email=form.get("email", ""),
            role=form.get("role", ""),
            region=form.get("region", ""),
        )
    except AccountError as exc:
        return page(request, "admin/new.html", visit, 422, roles=ROLES, errors={exc.field: exc.message}, values=form)
    return page(request, "admin/password.html", visit, 201, account=user, password=password, created=True)


@router.get("/{user_id}", summary="One account", response_class=HTMLResponse)
async def user_page(request: Request, visit: SignedIn, user_id: str) -> Response:
    assert visit.user is not None
    found = await accounts.read_user(runtime(request).mongo, visit.user, user_id)
    return page(request, "admin/user.html", visit, account=found, roles=ROLES)


@router.post("/{user_id}/peran", summary="Change an account's role and region", response_class=HTMLResponse)
async def change_assignment(request: Request, visit: SignedIn, user_id: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    mongo = runtime(request).mongo
    try:
        await accounts.change_assignment(
            mongo, visit.user, user_id, role=form.get("role", ""), region=form.get("region", "")
        )
    except AccountError as exc:
        found = await accounts.read_user(mongo, visit.user, user_id)
        return page(request, "admin/user.html", visit, 422, account=found, roles=ROLES, errors={exc.field: exc.message})
    return redirect(f"/admin/pengguna/{user_id}")


@router.post("/{user_id}/nonaktifkan", summary="Deactivate an account (its sessions end)", response_class=HTMLResponse)
async def deactivate(request: Request, visit: SignedIn, user_id: str) -> Response:
    assert visit.user is not None
    await checked_form(request, visit)
    mongo = runtime(request).mongo
    try:
        await accounts.deactivate(mongo, visit.user, user_id)
    except AccountError as exc:
        found = await accounts.read_user(mongo, visit.user, user_id)
        return page(request, "admin/user.html", visit, 422, account=found, roles=ROLES, errors={exc.field: exc.message})
    return redirect(f"/admin/pengguna/{user_id}")


@router.post("/{user_id}/atur-ulang", summary="Reset an account's password", response_class=HTMLResponse)
async def reset_password(request: Request, visit: SignedIn, user_id: str) -> Response:
    assert visit.user is not None
    await checked_form(request, visit)
    mongo = runtime(request).mongo
    try:
        password = await accounts.reset_password(mongo, visit.user, user_id)
    except AccountError as exc:
        found = await accounts.read_user(mongo, visit.user, user_id)
        return page(request, "admin/user.html", visit, 422, account=found, roles=ROLES, errors={exc.field: exc.message})
    found = await accounts.read_user(mongo, visit.user, user_id)
    return page(request, "admin/password.html", visit, account=found, password=password, created=False)
