"""Every error answer is RFC 9457 problem details, served by a real service and documented in its OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from pilar_dev.testing import TEST_JWKS, RunningApp, bearer
from pilar_runtime.auth import WriterDep
from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.problems import PROBLEM_JSON
from pilar_runtime.service import create_app
from pilar_runtime.settings import ServiceSettings


class Booking(BaseModel):
    officer_id: str
    participants: int


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/bookings")
    async def book(body: Booking, caller: WriterDep) -> Booking:
        if body.officer_id == "busy":
            raise Conflict(
                {"rule": "double_booking", "message": "officer busy is booked", "conflicting_session_id": "s1"}
            )
        if body.participants > 100:
            raise Unprocessable(f"participants: {body.participants} is more than the venue holds")
        return body

    @router.get("/bookings/{booking_id}")
    async def get_booking(booking_id: str, caller: WriterDep) -> Booking:
        caller.require_record("35.11", "booking", booking_id)
        return Booking(officer_id="x", participants=1)

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
    app = create_app(settings, title="t", description="t", routers=[_router()])
    async with RunningApp(app) as running, httpx.AsyncClient(base_url=running.url) as client:
        yield client


AUTH = bearer("district_operator", "34.03", sub="op-1")


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"] == "about:blank" and body["status"] == status and body["title"]
    assert isinstance(body["message"], str) and body["message"]
    return body


async def test_a_broken_rule_names_it_and_keeps_the_old_detail(service: httpx.AsyncClient) -> None:
    body = _problem(await service.post("/bookings", json={"officer_id": "busy", "participants": 3}, headers=AUTH), 409)
    assert body["title"] == "Conflict"
    assert body["rule"] == "double_booking" and body["message"] == "officer busy is booked"
    assert body["conflicting_session_id"] == "s1"
    # Earlier clients read detail.rule: kept for one release.
    assert body["detail"]["rule"] == "double_booking"


async def test_a_bad_value_names_its_field(service: httpx.AsyncClient) -> None:
    body = _problem(await service.post("/bookings", json={"officer_id": "a", "participants": 300}, headers=AUTH), 422)
    assert body["field"] == "participants" and body["rule"] is None
    assert body["detail"] == body["message"] == "participants: 300 is more than the venue holds"


async def test_a_malformed_body_lists_its_errors(service: httpx.AsyncClient) -> None:
    body = _problem(await service.post("/bookings", json={"officer_id": "a"}, headers=AUTH), 422)
    assert body["field"] == "participants"
    assert [e["loc"] for e in body["errors"]] == [["body", "participants"]]
    assert body["detail"] == body["errors"]
    assert "participants" in body["message"]


async def test_auth_scope_size_and_unknown_routes_answer_problems_too(service: httpx.AsyncClient) -> None:
    missing = await service.post("/bookings", json={"officer_id": "a", "participants": 1})
    assert _problem(missing, 401)["message"] == "missing bearer token"
    assert missing.headers["www-authenticate"] == "Bearer"
    outside = _problem(await service.get("/bookings/b1", headers=AUTH), 403)
    assert outside["message"] == "booking b1 is outside your region"
    assert _problem(await service.post("/bookings", content=b"x" * 2000, headers=AUTH), 413)["status"] == 413
    assert _problem(await service.get("/nothing-here"), 404)["title"] == "Not Found"


async def test_the_openapi_documents_every_error_as_a_problem_with_an_example(service: httpx.AsyncClient) -> None:
    schema = (await service.get("/openapi.json")).json()
    assert {"type", "title", "status", "message", "rule", "field", "detail"} <= set(
        schema["components"]["schemas"]["Problem"]["properties"]
    )
    write = schema["paths"]["/bookings"]["post"]["responses"]
    read = schema["paths"]["/bookings/{booking_id}"]["get"]["responses"]
    assert {"401", "403", "409", "413", "422", "503"} <= set(write)
    assert {"401", "403", "404", "422", "503"} <= set(read)
    for responses in (write, read):
        for status, answer in responses.items():
            if status.startswith(("4", "5")):
                content = answer["content"]
                assert list(content) == [PROBLEM_JSON], (status, content)
                assert content[PROBLEM_JSON]["example"]["status"] == int(status)
    assert write["409"]["content"][PROBLEM_JSON]["example"]["rule"] == "double_booking"
    # Answers show their real schema, not a bare object.
    assert write["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Booking"}
