"""Sign-in through an OpenID Connect provider, for real over loopback: a tiny provider (discovery, authorization,
token with PKCE and client authentication, JWK Set) vouches for a person; the console opens a session with the
role and region its claims carry and the pages call the services with it. A forged or replayed return, and a
person without a Pilar role, sign nobody in."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pilar_dev.testing import RunningApp
from pilar_runtime.keys import SigningKey, jwks
from pilar_runtime.mongo import Mongo
from services.console.app import build
from services.console.tests.conftest import Browser, console_settings
from services.reporting.app import build as build_reporting
from services.reporting.settings import ReportingSettings

CLIENT_ID, CLIENT_SECRET = "pilar-console", "rahasia-klien-sso-0123456789"
OPERATOR = {
    "name": "Rina Wulandari",
    "email": "rina@gunungkidulkab.go.id",
    "realm_access": {"roles": ["offline_access", "operator_kabupaten"]},  # Keycloak's realm roles
    "wilayah": "34.03",
}


@dataclass
class Provider:
    """What Keycloak does for the console, no more: it vouches for ``person`` when the browser comes by."""

    key: SigningKey = field(default_factory=SigningKey.generate)
    person: dict[str, Any] = field(default_factory=lambda: dict(OPERATOR))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    url: str = ""

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/auth", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/certs", self.certs),
            ]
        )

    async def discovery(self, _request: Request) -> JSONResponse:
        return JSONResponse(
            {"issuer": self.url, "authorization_endpoint": f"{self.url}/auth", "token_endpoint": f"{self.url}/token",
             "jwks_uri": f"{self.url}/certs"}
        )  # fmt: skip

    async def certs(self, _request: Request) -> JSONResponse:
        return JSONResponse(jwks(self.key))

    async def authorize(self, request: Request) -> Response:
        asked = request.query_params
        assert asked["client_id"] == CLIENT_ID and asked["response_type"] == "code", asked
        assert asked["code_challenge_method"] == "S256" and "openid" in asked["scope"].split()
        code = secrets.token_urlsafe(16)
        self.codes[code] = {k: asked[k] for k in ("code_challenge", "nonce", "redirect_uri")}
        query = urlencode({"code": code, "state": asked["state"]})
        return RedirectResponse(f"{asked['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        issued = self.codes.pop(str(form.get("code")), None)  # a code is good once
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (
            request.headers.get("authorization") != f"Basic {basic}"
            or issued is None
            or issued["redirect_uri"] != form.get("redirect_uri")
            or issued["code_challenge"] != challenge
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.url, "aud": CLIENT_ID, "sub": "f3c1-rina", "iat": now, "exp": now + 300,
                  "nonce": issued["nonce"], **self.person}  # fmt: skip
        return JSONResponse({"access_token": "opaque", "token_type": "Bearer", "id_token": self.key.sign(claims)})


@dataclass
class Signed:
    console: str
    provider: Provider
    mongo: Mongo


@pytest.fixture
async def sso(stack_settings: dict[str, str], tmp_path: Path) -> AsyncIterator[Signed]:
    provider = Provider()
    reporting = ReportingSettings(**stack_settings)  # type: ignore[arg-type]
    async with RunningApp(provider.app()) as idp, RunningApp(build_reporting(reporting)) as rep:
        provider.url = idp.url
        settings = console_settings(
            stack_settings,
            tmp_path,
            reporting_url=rep.url,
            oidc_signin_issuer=idp.url,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
            oidc_signin_role_claim="realm_access.roles",
            oidc_signin_region_claim="wilayah",
            oidc_role_map={"operator_kabupaten": "district_operator"},
        )
        async with RunningApp(build(settings)) as running:
            mongo = Mongo(settings.mongodb_url, settings.database)
            yield Signed(running.url, provider, mongo)
            await mongo.close()


async def _account_events(sso: Signed, user_id: str) -> list[str]:
    """The account events the console wrote for this account, in order (its outbox, published or not)."""
    found = []
    async for document in sso.mongo.db["outbox"].find({}).sort("_id", 1):
        for event in document.get("events") or [document]:
            body = json.loads(event["body"])
            if body["payload"].get("user_id") == user_id:
                found.append(body["event_type"])
    return found


async def _to_provider_and_back(browser: Browser) -> str:
    """The browser follows the console to the provider; the callback URL the provider sends it back to."""
    sent = await browser.get("/masuk/oidc")
    assert sent.status_code == 303, sent.text
    async with httpx.AsyncClient() as elsewhere:
        back = await elsewhere.get(sent.headers["location"])
    assert back.status_code == 302, back.text
    return back.headers["location"]


async def test_a_person_the_provider_vouches_for_signs_in_with_role_and_region_from_the_claims(sso: Signed) -> None:
    browser = Browser(httpx.AsyncClient(base_url=sso.console, timeout=30))
    signin_page = await browser.get("/masuk")
    assert 'href="/masuk/oidc"' in signin_page.text
    callback = await _to_provider_and_back(browser)
    assert urlparse(callback).path == "/masuk/oidc/callback"
    signed = await browser.get(callback)
    assert signed.status_code == 303 and signed.headers["location"] == "/", signed.text
    home = await browser.get("/")
    assert home.status_code == 200 and "Rina Wulandari" in home.text and "Gunungkidul" in home.text
    reports = await browser.get("/laporan")  # the services answer the console's token for this account
    assert reports.status_code == 200 and "Belum ada laporan untuk wilayah Anda." in reports.text
    account = await sso.mongo.db["users"].find_one({"name": "Rina Wulandari"})
    assert account and account["role"] == "district_operator" and account["region"] == "34.03"
    assert account["password_hash"] is None and not account["must_change_password"]
    assert await _account_events(sso, account["_id"]) == ["user_created"]  # in the account audit like any other
    # The same person again: the same account, not a second one, and nothing new to tell.
    await browser.get(await _to_provider_and_back(browser))
    assert await sso.mongo.db["users"].count_documents({"name": "Rina Wulandari"}) == 1
    assert await _account_events(sso, account["_id"]) == ["user_created"]
    await browser.close()


async def test_a_forged_or_replayed_return_signs_nobody_in(sso: Signed) -> None:
    browser = Browser(httpx.AsyncClient(base_url=sso.console, timeout=30))
    callback = await _to_provider_and_back(browser)
    query = parse_qs(urlparse(callback).query)
    forged = await browser.get(f"/masuk/oidc/callback?code={query['code'][0]}&state=bukan-state-sesi-ini")
    assert forged.status_code == 403 and "Masuk melalui penyedia identitas tidak berhasil." in forged.text
    replayed = await browser.get(callback)  # the state was used up by the forged attempt
    assert replayed.status_code == 403
    assert (await browser.get("/")).status_code == 303  # still not signed in
    stranger = Browser(httpx.AsyncClient(base_url=sso.console, timeout=30))
    other_session = await stranger.get(callback)  # another browser's return
    assert other_session.status_code == 403
    await browser.close()
    await stranger.close()


async def test_a_person_without_a_pilar_role_is_not_signed_in(sso: Signed) -> None:
    sso.provider.person = {**OPERATOR, "realm_access": {"roles": ["offline_access"]}}
    browser = Browser(httpx.AsyncClient(base_url=sso.console, timeout=30))
    refused = await browser.get(await _to_provider_and_back(browser))
    assert refused.status_code == 403 and "Masuk melalui penyedia identitas tidak berhasil." in refused.text
    assert await sso.mongo.db["users"].count_documents({"name": "Rina Wulandari"}) == 0
    await browser.close()
