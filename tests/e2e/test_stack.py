"""The four services run as separate processes and one correlation id follows a flow through all of them."""

from __future__ import annotations

import asyncio

import httpx

from tests.e2e.stack import SERVICES, Stack


async def test_every_service_is_ready_with_docs_and_metrics(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        for service in SERVICES:
            ready = await client.get(f"{stack.url(service)}/readyz")
            assert ready.json() == {"status": "ready", "broker": True, "mongo": True}, service
            assert (await client.get(f"{stack.url(service)}/openapi.json")).status_code == 200
            assert "pilar_outbox_backlog" in (await client.get(f"{stack.url(service)}/metrics")).text


async def test_one_correlation_id_is_followed_through_every_consumer(
    stack: Stack, admin: dict[str, httpx.AsyncClient]
) -> None:
    worker = {"role": "PSM", "name": "Sri Lestari", "region_code": "34.03.13", "phone": "081234567890"}
    created = await admin["registry"].post("/workers", json=worker, headers={"X-Correlation-ID": "flow-e2e-1"})
    assert created.status_code == 201, created.text

    def services_seen() -> set[str]:
        return {r.get("service", "") for r in stack.records() if r.get("correlation_id") == "flow-e2e-1"}

    for _ in range(100):
        if services_seen() >= set(SERVICES):
            break
        await asyncio.sleep(0.2)
    assert services_seen() == set(SERVICES)
    lines = "\n".join(stack.log_file(s).read_text() for s in SERVICES)
    assert "081234567890" not in lines  # the phone number never reaches a log
