"""A service assembled by the runtime, served by uvicorn: health, readiness, metrics, auth, limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter

from pilar_dev.testing import TEST_JWKS, TEST_SIGNING_KEY, RunningApp
from pilar_runtime.auth import CallerDep, WriterDep, issue_token
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.keys import SigningKey
from pilar_runtime.service import create_app
from pilar_runtime.settings import ServiceSettings

ANOTHER_KEY = SigningKey.generate()


def _router() -> APIRouter:
    router = APIRouter()
    records = [{"id": "a", "region_code": "34.03.13.2004"}, {"id": "b", "region_code": "35.11.01.2001"}]

    @router.get("/records")
    async def list_records(caller: CallerDep) -> dict[str, object]:
        items = [r for r in records if caller.can_see(r["region_code"])]
        return {"items": items, "total": len(items)}

    @router.get("/records/{record_id}")
    async def get_record(record_id: str, caller: CallerDep) -> dict[str, str]:
        record = next(r for r in records if r["id"] == record_id)
        caller.require_region(record["region_code"])
        return record

    @router.post("/records")
    async def write(body: dict[str, str], caller: WriterDep) -> dict[str, str]:
        caller.require_region(body["region_code"])
        return body

    return router


@pytest.fixture
async def service(amqp_url: str, mongodb_url: str, namespace: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(
        service="reporting",
        amqp_url=amqp_url,
        mongodb_url=mongodb_url,
        namespace=namespace,
        jwks=TEST_JWKS,
        max_body_bytes=1000,
        public_docs=True,
    )
    app = create_app(settings, title="t", description="t", routers=[_router()], handlers=EventHandlers())
    async with RunningApp(app) as running, httpx.AsyncClient(base_url=running.url) as client:
        yield client


def _auth(role: str = "district_operator", region: str = "34.03", key: SigningKey = TEST_SIGNING_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(key, sub='op-1', role=role, region=region)}"}


async def test_health_readiness_and_metrics(service: httpx.AsyncClient) -> None:
    assert (await service.get("/healthz")).json() == {"status": "ok"}
    ready = await service.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "broker": True, "mongo": True}
    metrics = (await service.get("/metrics")).text
    assert "pilar_messages_handled_total" in metrics
    assert 'pilar_dlq_depth{service="reporting"} 0.0' in metrics
    assert "pilar_outbox_backlog" in metrics


async def test_docs_are_served(service: httpx.AsyncClient) -> None:
    assert (await service.get("/docs")).status_code == 200
    assert "/records" in (await service.get("/openapi.json")).json()["paths"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic b3A6cHc="},
        _auth(key=ANOTHER_KEY),
    ],
)
async def test_no_or_bad_token_is_401(service: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await service.get("/records", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]


async def test_reads_are_limited_to_the_token_region(service: httpx.AsyncClient) -> None:
    gunungkidul = _auth(region="34.03")
    listed = (await service.get("/records", headers=gunungkidul)).json()
    assert [r["id"] for r in listed["items"]] == ["a"]
    assert (await service.get("/records/a", headers=gunungkidul)).status_code == 200
    outside = await service.get("/records/b", headers=gunungkidul)
    assert outside.status_code == 403
    assert "35.11" in outside.json()["detail"]
    assert (await service.get("/records", headers=_auth(role="admin", region=""))).json()["total"] == 2


async def test_writes_need_a_writer_role_and_the_region(service: httpx.AsyncClient) -> None:
    body = {"region_code": "34.03.13.2004"}
    assert (await service.post("/records", json=body, headers=_auth())).status_code == 200
    assert (await service.post("/records", json=body, headers=_auth(role="viewer"))).status_code == 403
    other = {"region_code": "35.11.01.2001"}
    assert (await service.post("/records", json=other, headers=_auth())).status_code == 403


async def test_oversized_and_malformed_bodies_are_refused(service: httpx.AsyncClient) -> None:
    big = {"region_code": "34.03", "x": "y" * 5000}
    assert (await service.post("/records", json=big, headers=_auth())).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 500

    streamed = await service.post("/records", content=chunks(), headers=_auth())
    assert streamed.status_code == 413
    malformed = await service.post(
        "/records", content=b"{nope", headers={**_auth(), "content-type": "application/json"}
    )
    assert malformed.status_code == 422


async def test_the_correlation_id_is_returned_and_kept(service: httpx.AsyncClient) -> None:
    given = await service.get("/healthz", headers={"X-Correlation-ID": "flow-42"})
    assert given.headers["x-correlation-id"] == "flow-42"
    assert (await service.get("/healthz")).headers["x-correlation-id"]


async def test_a_correlation_id_that_is_not_id_shaped_is_replaced(service: httpx.AsyncClient) -> None:
    # It is logged unmasked and rides on every event of the flow: personal data or log-breaking text stays out.
    for given in ("budi@example.id 0812-2700-3333", "a" * 129, 'flow {"level": "error"}', "", "3403135208900001",
                  "081227003333"):  # fmt: skip
        answer = await service.get("/healthz", headers={"X-Correlation-ID": given})
        kept = answer.headers["x-correlation-id"]
        assert kept != given and len(kept) == 36, kept
