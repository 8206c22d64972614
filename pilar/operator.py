"""Operator commands talk to the running services over HTTP, as an admin with a short-lived token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx

from pilar import state
from pilar_runtime.auth import issue_token


class ServiceAway(RuntimeError):
    """A service did not answer, or answered with an error; the message names the URL tried and never the token."""


def operator_token(sub: str) -> str:
    return issue_token(state.jwt_secret(), sub=sub, role="admin", ttl=timedelta(minutes=30))


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
