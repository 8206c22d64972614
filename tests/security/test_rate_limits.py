"""Finding 10: report generation and imports are rate-limited per caller (token ``sub``), against the real apps.

Without a limit one operator's script can queue unbounded report builds or 20 MB imports and starve every other
district. Over the limit a caller gets 429 with Retry-After and a clear message; other callers are unaffected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from pilar_dev.testing import RunningApp, bearer
from pilar_runtime.ratelimit import SlidingWindow
from services.registry.app import build as build_registry
from services.registry.settings import RegistrySettings
from services.reporting.app import build as build_reporting
from services.reporting.settings import ReportingSettings

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
COLLEAGUE = bearer("district_operator", "34.03", sub="op-gk-2")
REPORT = {"kind": "psks_handover", "region_code": "34.03", "period_start": "2019-08-01", "period_end": "2019-08-31"}
WORKERS_CSV = b"role,name,region_code\nPSM,Budi Santoso,34.03.13.2004\n"


@pytest.fixture
async def reporting(stack_settings: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = ReportingSettings.model_validate({**stack_settings, "reports_per_minute": 3})
    async with RunningApp(build_reporting(settings)) as running, httpx.AsyncClient(base_url=running.url) as client:
        yield client


@pytest.fixture
async def registry(stack_settings: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = RegistrySettings.model_validate({**stack_settings, "imports_per_minute": 2})
    async with RunningApp(build_registry(settings)) as running, httpx.AsyncClient(base_url=running.url) as client:
        yield client


def assert_limited(response: httpx.Response, per_minute: int) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["detail"].startswith(f"too many requests: at most {per_minute} a minute per caller")


async def test_report_requests_are_limited_per_caller(reporting: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await reporting.post("/reports", json=REPORT, headers=GUNUNGKIDUL)).status_code == 202
    assert_limited(await reporting.post("/reports", json=REPORT, headers=GUNUNGKIDUL), 3)
    # A malformed request counts too: the limit holds whatever the body.
    assert_limited(await reporting.post("/reports", json={"kind": "nope"}, headers=GUNUNGKIDUL), 3)
    assert (await reporting.post("/reports", json=REPORT, headers=COLLEAGUE)).status_code == 202
    assert (await reporting.get("/reports", headers=GUNUNGKIDUL)).status_code == 200  # reads are not limited


async def test_imports_are_limited_per_caller(registry: httpx.AsyncClient) -> None:
    async def upload(headers: dict[str, str]) -> httpx.Response:
        files = {"file": ("workers.csv", WORKERS_CSV)}
        return await registry.post("/imports", files=files, data={"kind": "workers"}, headers=headers)

    for _ in range(2):
        assert (await upload(GUNUNGKIDUL)).status_code == 202
    assert_limited(await upload(GUNUNGKIDUL), 2)
    assert (await upload(COLLEAGUE)).status_code == 202


def test_the_window_slides() -> None:
    now = [0.0]
    window = SlidingWindow(2, 60, clock=lambda: now[0])
    assert window.hit("a") == 0.0
    now[0] = 30.0
    assert window.hit("a") == 0.0
    now[0] = 45.0
    assert window.hit("a") == pytest.approx(15.0)  # refused: the hit at 0 leaves the window at 60
    assert window.hit("b") == 0.0  # another caller has a window of its own
    now[0] = 60.0
    assert window.hit("a") == 0.0  # the refused request took no slot
    assert window.hit("a") == pytest.approx(30.0)  # the hit at 30 leaves at 90
