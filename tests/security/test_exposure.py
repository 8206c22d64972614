"""Finding 10: the API map (/docs, /redoc, /openapi.json) and /metrics are not served to anyone who asks.

Docs are off unless PILAR_PUBLIC_DOCS; /metrics answers loopback clients, or only the bearer of PILAR_METRICS_TOKEN
when one is set. A remote client is simulated in-process (ASGI with a client address), so nothing leaves loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pilar_dev.testing import RunningApp
from services.registry.app import build
from services.registry.settings import RegistrySettings

REMOTE = ("203.0.113.7", 40000)
METRICS_TOKEN = "metrics-token-0123456789-abcdefghij"


async def running(stack_settings: dict[str, str], **extra: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = build(RegistrySettings.model_validate({**stack_settings, **extra}))
    async with RunningApp(app) as server, httpx.AsyncClient(base_url=server.url) as local:
        remote = httpx.AsyncClient(transport=httpx.ASGITransport(app, client=REMOTE), base_url="http://registry")
        async with remote:
            yield local, remote


@pytest.fixture
async def default(stack_settings: dict[str, str]) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    async for clients in running(stack_settings):
        yield clients


@pytest.fixture
async def with_token(stack_settings: dict[str, str]) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    async for clients in running(stack_settings, metrics_token=METRICS_TOKEN, public_docs=True):
        yield clients


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
async def test_the_api_map_is_not_served_by_default(default: tuple[httpx.AsyncClient, Any], path: str) -> None:
    local, remote = default
    assert (await local.get(path)).status_code == 404
    assert (await remote.get(path)).status_code == 404


async def test_metrics_answer_loopback_but_not_a_remote_client(default: tuple[httpx.AsyncClient, Any]) -> None:
    local, remote = default
    assert "pilar_outbox_backlog" in (await local.get("/metrics")).text
    refused = await remote.get("/metrics")
    assert refused.status_code == 403 and "pilar_" not in refused.text
    assert "PILAR_METRICS_TOKEN" in refused.json()["detail"]
    assert (await remote.get("/healthz")).status_code == 200  # liveness stays open for orchestrators


async def test_with_a_metrics_token_only_its_bearer_reads_metrics(with_token: tuple[httpx.AsyncClient, Any]) -> None:
    local, remote = with_token
    for client in (local, remote):
        assert (await client.get("/metrics")).status_code == 403
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer metrics-token-guess"})
        assert wrong.status_code == 403
        allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert allowed.status_code == 200 and "pilar_outbox_backlog" in allowed.text
    assert (await local.get("/openapi.json")).status_code == 200  # PILAR_PUBLIC_DOCS turns the map on
