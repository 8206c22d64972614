"""Issue 15: the services fetch the keys they verify tokens with, over real HTTP on loopback.

The console's JWK Set (``PILAR_JWKS_URL``) is cached and fetched again when a token names a key it does not hold,
so a rotated key is trusted without a restart, a retired one is dropped when the cache expires, and a flood of
made-up key ids costs the console at most one fetch per ``PILAR_JWKS_REFETCH_SECONDS``. Without keys (the console
down at first use) a request is answered 503, not 401: the token may be fine. An OpenID Connect provider's keys are
found through its discovery document; its roles and region are read where its claims carry them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pilar_dev.testing import TEST_JWKS, RunningApp, bearer
from pilar_runtime.auth import issue_token
from pilar_runtime.keys import SigningKey, jwks
from pilar_runtime.problems import PROBLEM_JSON
from services.registry.app import build
from services.registry.settings import RegistrySettings


class KeyServer:
    """Serves a JWK Set (the console's endpoint, or an OpenID Connect provider's with its discovery document) and
    counts how often it was asked."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.discovery: dict[str, dict[str, Any]] = {}
        self.fetches = 0
        self.running = RunningApp(
            Starlette(
                routes=[
                    Route("/.well-known/jwks.json", self.jwks),
                    Route("/realms/{realm}/.well-known/openid-configuration", self.openid_configuration),
                    Route("/realms/{realm}/certs", self.jwks),
                ]
            )
        )
        self.url = self.running.url

    async def jwks(self, _request: Request) -> JSONResponse:
        self.fetches += 1
        return JSONResponse({"keys": self.keys})

    async def openid_configuration(self, request: Request) -> JSONResponse:
        return JSONResponse(self.discovery[request.path_params["realm"]])


@pytest.fixture
async def key_server() -> AsyncIterator[KeyServer]:
    server = KeyServer()
    async with server.running:
        yield server


def _registry(stack_settings: dict[str, str], **settings: Any) -> RunningApp:
    base = {k: v for k, v in stack_settings.items() if k != "jwks"}
    return RunningApp(build(RegistrySettings.model_validate({**base, **settings})))


def _auth(key: SigningKey, role: str = "district_operator", region: str = "34.03") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(key, sub='op-gk', role=role, region=region)}"}


async def test_a_rotated_key_is_trusted_without_a_restart_and_a_retired_one_dropped(
    key_server: KeyServer, stack_settings: dict[str, str]
) -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    key_server.keys = jwks(old)["keys"]
    url = f"{key_server.url}/.well-known/jwks.json"
    settings = {"jwks_url": url, "jwks_cache_seconds": 1.0, "jwks_refetch_seconds": 0}
    async with _registry(stack_settings, **settings) as running, httpx.AsyncClient(base_url=running.url) as client:
        for _ in range(3):
            assert (await client.get("/institutions", headers=_auth(old))).status_code == 200
        assert key_server.fetches == 1  # cached

        key_server.keys = jwks(new, old)["keys"]  # the console rotated: the new key signs, the old one still trusted
        assert (await client.get("/institutions", headers=_auth(new))).status_code == 200
        assert (await client.get("/institutions", headers=_auth(old))).status_code == 200
        assert key_server.fetches == 2

        key_server.keys = jwks(new)["keys"]  # the old key retired: gone once the cache expires
        await _until_refused(client, _auth(old))
        refused = await client.get("/institutions", headers=_auth(old))
        assert refused.json()["message"] == "invalid token: signed by a key the issuer does not publish"
        assert (await client.get("/institutions", headers=_auth(new))).status_code == 200


async def _until_refused(client: httpx.AsyncClient, headers: dict[str, str], timeout: float = 5) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while (await client.get("/institutions", headers=headers)).status_code != 401:
        assert datetime.now(UTC) < deadline, "the retired key is still trusted"


async def test_made_up_key_ids_cost_the_console_at_most_one_fetch_per_refetch_interval(
    key_server: KeyServer, stack_settings: dict[str, str]
) -> None:
    known = SigningKey.generate()
    key_server.keys = jwks(known)["keys"]
    url = f"{key_server.url}/.well-known/jwks.json"
    settings = {"jwks_url": url, "jwks_refetch_seconds": 60}
    async with _registry(stack_settings, **settings) as running, httpx.AsyncClient(base_url=running.url) as client:
        assert (await client.get("/institutions", headers=_auth(known))).status_code == 200
        for _ in range(10):
            answer = await client.get("/institutions", headers=_auth(SigningKey.generate()))
            assert answer.status_code == 401
        assert key_server.fetches == 1


async def test_without_keys_a_request_is_answered_503_and_the_service_recovers(
    stack_settings: dict[str, str], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    key = SigningKey.generate()
    console = KeyServer()  # not started yet: the console is down when the first token arrives
    console.keys = jwks(key)["keys"]
    url = f"{console.url}/.well-known/jwks.json"
    settings = {"jwks_url": url, "jwks_refetch_seconds": 0, "jwks_cache_seconds": 0.5}
    async with _registry(stack_settings, **settings) as running, httpx.AsyncClient(base_url=running.url) as client:
        down = await client.get("/institutions", headers=_auth(key))
        assert down.status_code == 503, down.text
        assert down.headers["content-type"] == PROBLEM_JSON
        assert down.json()["message"] == "token keys unavailable, try again shortly"
        logged = capsys.readouterr().out + caplog.text  # wherever this process's logging sends it
        assert "auth.token_keys_unavailable" in logged and "tokenkeys.fetch_failed" in logged
        async with console.running:
            assert (await client.get("/institutions", headers=_auth(key))).status_code == 200
        # The console away again, the cache expired: the keys last fetched still verify.
        await asyncio.sleep(0.6)
        assert (await client.get("/institutions", headers=_auth(key))).status_code == 200


def _rsa_key(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
async def provider(key_server: KeyServer) -> AsyncIterator[tuple[str, rsa.RSAPrivateKey]]:
    """A Keycloak-like provider on loopback: realm `dinsos`, and a realm `palsu` whose discovery document names
    `dinsos` as its issuer."""
    private, public = _rsa_key("rsa-1")
    issuer = f"{key_server.url}/realms/dinsos"
    key_server.keys = [public, {"kty": "EC", "crv": "P-256", "use": "enc", "kid": "enc-1", "x": "", "y": ""}]
    document = {"issuer": issuer, "jwks_uri": f"{issuer}/certs"}
    key_server.discovery = {"dinsos": document, "palsu": document}
    yield issuer, private


def _oidc(private: Any, issuer: str, roles: list[str], region: Any = "34.03", **overrides: Any) -> dict[str, str]:
    now = datetime.now(UTC)
    claims = {"iss": issuer, "aud": "pilar-api", "sub": "f3a1c9e2", "iat": now, "exp": now + timedelta(minutes=5),
              "realm_access": {"roles": roles}, "pilar": {"region": region}, **overrides}  # fmt: skip
    alg = "HS256" if isinstance(private, bytes) else "RS256"
    return {"Authorization": f"Bearer {jwt.encode(claims, private, algorithm=alg, headers={'kid': 'rsa-1'})}"}


OIDC = {
    "oidc_audience": "pilar-api",
    "oidc_role_claim": "realm_access.roles",
    "oidc_region_claim": "pilar.region",
    "oidc_role_map": {"dinsos-operator-kabupaten": "district_operator", "dinsos-pimpinan": "viewer"},
}


async def test_tokens_of_an_openid_connect_provider_are_trusted_beside_the_consoles(
    provider: tuple[str, rsa.RSAPrivateKey], stack_settings: dict[str, str]
) -> None:
    issuer, private = provider
    settings = {**OIDC, "oidc_issuer": issuer, "jwks": TEST_JWKS}
    async with _registry(stack_settings, **settings) as running, httpx.AsyncClient(base_url=running.url) as client:
        operator = _oidc(private, issuer, ["offline_access", "dinsos-operator-kabupaten"])
        assert (await client.get("/institutions", headers=operator)).status_code == 200
        outside = await client.post("/institutions", json={}, headers=_oidc(private, issuer, ["viewer", "admin"]))
        assert outside.status_code == 403 and "role viewer may not change data" in outside.text  # first known wins
        assert (await client.get("/institutions", headers=bearer("viewer", "34.03"))).status_code == 200  # console

        other, _ = _rsa_key("rsa-1")
        refused = {
            "no known role": (_oidc(private, issuer, ["offline_access", "uma_authorization"]), "unknown role"),
            "no region": (_oidc(private, issuer, ["dinsos-pimpinan"], region=None), "needs a region"),
            "another key": (_oidc(other, issuer, ["dinsos-pimpinan"]), "Signature verification failed"),
            "HS256": (_oidc(b"pilar-api-0123456789-0123456789-x", issuer, ["dinsos-pimpinan"]), "not accepted"),
            "another audience": (_oidc(private, issuer, ["dinsos-pimpinan"], aud="account"), "Audience"),
            "expired": (
                _oidc(private, issuer, ["dinsos-pimpinan"], exp=datetime.now(UTC) - timedelta(minutes=2)),
                "expired",
            ),
        }
        for name, (headers, reason) in refused.items():
            answer = await client.get("/institutions", headers=headers)
            assert answer.status_code == 401 and reason in answer.json()["message"], (name, answer.text)


async def test_a_discovery_document_naming_another_issuer_is_not_trusted(
    provider: tuple[str, rsa.RSAPrivateKey], key_server: KeyServer, stack_settings: dict[str, str]
) -> None:
    _, private = provider
    pretender = f"{key_server.url}/realms/palsu"
    settings = {**OIDC, "oidc_issuer": pretender}
    async with _registry(stack_settings, **settings) as running, httpx.AsyncClient(base_url=running.url) as client:
        answer = await client.get("/institutions", headers=_oidc(private, pretender, ["dinsos-pimpinan"]))
        assert answer.status_code == 503 and "token keys unavailable" in answer.text
        assert key_server.fetches == 0
