"""Operator commands talk to the running services over HTTP, as an admin with a short-lived token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx

from pilar import state
from pilar_runtime.auth import issue_token
from pilar_runtime.keys import SigningKey
from pilar_runtime.settings import ServiceSettings


class ServiceAway(RuntimeError):
    """A service did not answer, or answered with an error; the message names the URL tried and never the token."""


def signed_token(
    sub: str,
    *,
    role: str = "admin",
    region: str = "",
    ttl: timedelta = timedelta(minutes=30),
    key: SigningKey | None = None,
) -> str:
    """A token signed with the console's key (the state folder's unless given), for the issuer and audience the
    services expect (PILAR_JWT_ISSUER, PILAR_JWT_AUDIENCE)."""
    settings = ServiceSettings()
    return issue_token(
        key or state.signing_key(),
        sub=sub,
        role=role,
        region=region,
        ttl=ttl,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


def operator_token(sub: str) -> str:
    return signed_token(sub)


@asynccontextmanager
async def admin_client(service: str, sub: str, timeout: float = 10) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {operator_token(sub)}"}
    async with httpx.AsyncClient(base_url=state.service_url(service), headers=headers, timeout=timeout) as client:
        yield client


async def call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    """The service's answer; ServiceAway when it does not answer or refuses (with the problem's detail)."""
    url = str(client.base_url.join(path))
    try:
        answer = await client.request(method, path)
    except httpx.HTTPError as exc:
        raise ServiceAway(
            f"{method} {url}: no answer ({type(exc).__name__}); is the stack running (`pilar up`)?"
        ) from exc
    if answer.is_error:
        detail = answer.json().get("detail") if "json" in answer.headers.get("content-type", "") else None
        raise ServiceAway(f"{method} {url}: {answer.status_code} {detail or answer.reason_phrase}")
    return answer
