"""The four services run as separate processes and one correlation id follows a flow through all of them."""

from __future__ import annotations

import asyncio

import httpx

from pilar_dev.scrape import exposed
from tests.deploy.observability import SCRAPE_SERIES, alert_rules, dashboard_expressions, selectors
from tests.e2e.stack import SERVICES, Stack

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


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


async def test_alerts_and_dashboard_query_only_what_the_services_expose(stack: Stack) -> None:
    names: dict[str, set[str]] = {}
    async with httpx.AsyncClient() as client:
        for service in SERVICES:
            for name, labels in exposed((await client.get(f"{stack.url(service)}/metrics")).text).items():
                names.setdefault(name, set()).update(labels)
    queries = [(rule["alert"], rule["expr"]) for rule in alert_rules()]
    queries += [("dashboard", expr) for expr in dashboard_expressions()]
    for where, expr in queries:
        for name, labels in selectors(expr):
            if name in SCRAPE_SERIES:
                continue
            assert name in names, f"{where}: {name} is not exposed"
            if names[name]:  # a family with samples shows its labels
                assert labels <= names[name], f"{where}: {name} has no label {labels - names[name]}"


async def test_a_callers_trace_id_is_in_every_consumers_log_lines(
    stack: Stack, admin: dict[str, httpx.AsyncClient]
) -> None:
    worker = {"role": "PSM", "name": "Dwi Astuti", "region_code": "34.03.13", "phone": "081298765432"}
    traceparent = f"00-{TRACE_ID}-b7ad6b7169203331-01"
    created = await admin["registry"].post("/workers", json=worker, headers={"traceparent": traceparent})
    assert created.status_code == 201, created.text

    def services_seen() -> set[str]:
        return {r.get("service", "") for r in stack.records() if r.get("trace_id") == TRACE_ID}

    for _ in range(100):
        if services_seen() >= set(SERVICES):
            break
        await asyncio.sleep(0.2)
    assert services_seen() == set(SERVICES)
