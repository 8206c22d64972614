"""Finding 10: the dashboard's ``?token=`` leaves the URL at once, for a cookie only the dashboard reads.

A token in a URL lands in browser history, proxy and server logs, and in the Referer of any link followed. The first
load answers no-store / no-referrer and swaps the token for an HttpOnly, SameSite=Strict cookie scoped to
/dashboard (Secure over https); the JSON API never accepts that cookie (no cross-site request can act with it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pilar_dev.testing import TEST_SIGNING_KEY, RunningApp
from pilar_runtime.auth import issue_token
from services.reporting.app import build
from services.reporting.dashboard.routes import COOKIE
from services.reporting.settings import ReportingSettings

TOKEN = issue_token(TEST_SIGNING_KEY, sub="op-gk", role="district_operator", region="34.03")
WITH_COOKIE = {"Cookie": f"{COOKIE}={TOKEN}"}


@pytest.fixture
async def reporting(stack_settings: dict[str, str]) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = build(ReportingSettings.model_validate(stack_settings))
    async with RunningApp(app) as running, httpx.AsyncClient(base_url=running.url) as client:
        yield app, client


def assert_private(response: httpx.Response) -> None:
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


async def test_the_query_token_becomes_an_http_only_cookie_and_leaves_the_url(
    reporting: tuple[Any, httpx.AsyncClient],
) -> None:
    _, client = reporting
    first = await client.get("/dashboard", params={"token": TOKEN, "region": "34.03.13"})
    assert first.status_code == 303
    assert first.headers["Location"] == "/dashboard?region=34.03.13"
    assert_private(first)
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN};")
    flags = {flag.strip().lower() for flag in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/dashboard"} <= flags
    assert "secure" not in flags  # plain http here: a Secure cookie would never come back

    page = await client.get("/dashboard", params={"region": "34.03.13"}, headers=WITH_COOKIE)
    assert page.status_code == 200 and "Dasbor Ngawen" in page.text
    assert TOKEN not in page.text
    assert_private(page)


async def test_the_cookie_is_secure_over_https(reporting: tuple[Any, httpx.AsyncClient]) -> None:
    app, _ = reporting
    transport = httpx.ASGITransport(app)  # in process: the request's scheme is https, nothing goes on the wire
    async with httpx.AsyncClient(transport=transport, base_url="https://pilar.example") as client:
        first = await client.get("/dashboard", params={"token": TOKEN})
    assert first.status_code == 303 and first.headers["Location"] == "/dashboard"
    assert "secure" in {flag.strip().lower() for flag in first.headers["Set-Cookie"].split(";")}


async def test_the_cookie_does_not_open_the_json_api(reporting: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = reporting
    for path in ("/summary", "/events", "/reports"):
        assert (await client.get(path, headers=WITH_COOKIE)).status_code == 401, path
    refused = await client.post(
        "/reports",
        json={
            "kind": "psks_handover",
            "region_code": "34.03",
            "period_start": "2019-08-01",
            "period_end": "2019-08-31",
        },
        headers=WITH_COOKIE,
    )
    assert refused.status_code == 401


async def test_a_bad_query_token_sets_no_cookie(reporting: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = reporting
    forged = TOKEN[:-4] + ("AAAA" if not TOKEN.endswith("AAAA") else "BBBB")
    answer = await client.get("/dashboard", params={"token": forged})
    assert answer.status_code == 401 and "set-cookie" not in answer.headers
    outside = await client.get("/dashboard", params={"token": TOKEN, "region": "35.11"})
    assert outside.status_code == 403 and "set-cookie" not in outside.headers
