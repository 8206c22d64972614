"""Finding 4, after issue 15: no service can mint a token, forged ones are refused, and tokens are bounded.

The services hold only the console's public keys (a JWK Set): no secret in their settings could sign a token, and
a token must be EdDSA-signed by a published key (``kid``), name the console as issuer and Pilar as audience, carry
``iat``, live no longer than its role's cap (12 h; integration tokens an admin-set longer cap), not be issued in
the future, and name a region unless it is an admin's. Checked against the real registry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from pilar.cli import app as cli
from pilar_dev.testing import TEST_JWKS, TEST_LINK_SECRET, TEST_SIGNING_KEY, TEST_SIGNING_KEY_PEM, RunningApp, verified
from pilar_runtime.auth import issue_token
from pilar_runtime.keys import SigningKey, jwks
from pilar_runtime.problems import PROBLEM_JSON
from services.notify.settings import NotifySettings
from services.outreach.settings import OutreachSettings
from services.registry.app import build
from services.registry.settings import RegistrySettings
from services.reporting.settings import ReportingSettings

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)
Token = Callable[[], dict[str, str]]  # made when the test runs: a claim "in the future" must still be so then


def now() -> datetime:
    return datetime.now(UTC)


PRIVATE_D = TEST_SIGNING_KEY.private.private_bytes_raw()


def start(service: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    """Start a service as `python -m services.<name>` would run in production; it must stop by itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PILAR_", "CONSOLE_"))}
    # Unreachable loopback servers: a service that wrongly starts fails later on them instead of hanging.
    env |= {"MONGODB_URL": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=500", "AMQP_URL": "amqp://u:p@127.0.0.1:9/"}
    env |= {"PILAR_LOG_FORMAT": "json", **env_vars}
    return subprocess.run(
        [sys.executable, "-m", f"services.{service}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


WITH_PRIVATE_KEY = json.dumps({"keys": [{**TEST_SIGNING_KEY.jwk, "d": _b64(PRIVATE_D)}]})


@pytest.mark.parametrize(
    ("service", "env", "why"),
    [
        ("registry", {}, "no token keys: set PILAR_JWKS_URL"),
        ("registry", {"PILAR_JWT_SECRET": "Zq9" * 12}, "no token keys: set PILAR_JWKS_URL"),  # the old secret: no use
        ("registry", {"PILAR_JWKS": WITH_PRIVATE_KEY}, "holds a private or symmetric key"),
        ("registry", {"PILAR_JWKS": '{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "x"}]}'}, "private or symmetric"),
        ("registry", {"PILAR_JWKS": "keys"}, "PILAR_JWKS cannot be used: not JSON"),
        ("registry", {"PILAR_JWKS": TEST_JWKS, "PILAR_JWKS_URL": "http://127.0.0.1:9/jwks"}, "both set"),
        ("registry", {"PILAR_JWKS_URL": "file:///etc/keys.json"}, "PILAR_JWKS_URL must be an http(s) URL"),
        ("reporting", {"PILAR_JWKS": TEST_JWKS, "PILAR_LINK_SECRET": "s3cr3t-Zq9"}, "PILAR_LINK_SECRET is shorter"),
    ],
    ids=["no-keys", "only-a-jwt-secret", "private-key", "symmetric-key", "not-json", "both", "file-url",
         "short-link-secret"],
)  # fmt: skip
def test_a_service_refuses_to_start_without_usable_token_keys(service: str, env: dict[str, str], why: str) -> None:
    started = start(service, **env)
    output = started.stdout + started.stderr
    assert started.returncode == 2, output
    assert "service.refused_to_start" in output and why in output, output
    assert _b64(PRIVATE_D) not in output and "s3cr3t-Zq9" not in output and "c2VjcmV0" not in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "broker_users",
    [
        # disagrees with AMQP_URL's user
        '{"registry": "x", "outreach": "x", "notify": "x", "reporting": "x"}',
        # not JSON at all
        "{registry: pilar-registry",
        # a value a validator's message would quote, holding a password
        '{"registry": "amqp://u:Sandi-Rahasia-77@h/", "outreach": "x", "notify": "x", "reporting": "x"}',
    ],
    ids=["disagrees", "not-json", "quoted-value"],
)
def test_a_service_with_bad_settings_names_them_without_echoing_their_values(broker_users: str) -> None:
    # The refusal must not quote AMQP_URL, its password, or a password inside the refused value.
    started = start(
        "registry",
        PILAR_JWKS=TEST_JWKS,
        AMQP_URL="amqp://pilar-registry:Sandi-Rahasia-77@127.0.0.1:9/",
        PILAR_BROKER_USERS=broker_users,
    )
    output = started.stdout + started.stderr
    assert started.returncode == 2, output
    assert "service.refused_to_start" in output and "broker_users" in output.lower()
    assert "Sandi-Rahasia-77" not in output and "Traceback" not in output


@pytest.fixture
async def registry(stack_settings: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = RegistrySettings.model_validate(stack_settings)
    async with RunningApp(build(settings)) as running, httpx.AsyncClient(base_url=running.url) as client:
        yield client


async def test_reporting_starts_in_development_mode_with_a_short_link_secret(stack_settings: dict[str, str]) -> None:
    from services.reporting.app import build as build_reporting

    settings = ReportingSettings.model_validate({**stack_settings, "link_secret": "s3cr3t-Zq9", "dev_mode": True})
    async with RunningApp(build_reporting(settings)) as running, httpx.AsyncClient(base_url=running.url) as client:
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("settings_type", [RegistrySettings, OutreachSettings, NotifySettings, ReportingSettings])
def test_no_service_holds_anything_that_could_sign_a_token(
    settings_type: type[RegistrySettings], stack_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever a deployment still sets from before, a service reads no signing secret: only public keys.
    monkeypatch.setenv("PILAR_JWT_SECRET", "Zq9" * 12)
    monkeypatch.setenv("CONSOLE_SIGNING_KEY_FILE", str(ROOT / "signing-key.pem"))
    settings = settings_type.model_validate(stack_settings)
    held = json.dumps(settings.model_dump(mode="json"))
    assert "Zq9" * 12 not in held and "signing-key.pem" not in held
    assert "PRIVATE KEY" not in held and _b64(PRIVATE_D) not in held
    assert not any("jwt_secret" in name or "signing" in name for name in type(settings).model_fields)
    [published] = json.loads(settings.jwks or "{}")["keys"]
    assert set(published) == {"kty", "crv", "x", "kid", "use", "alg"}  # the public half only


def signed(key: SigningKey = TEST_SIGNING_KEY, headers: dict[str, Any] | None = None, **claims: Any) -> str:
    body = {"iss": "pilar-console", "aud": "pilar", "sub": "op-x", **claims}
    body = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in body.items()}
    body = {k: v for k, v in body.items() if v is not None or k not in ("iss", "aud")}  # None: leave it out
    return jwt.encode(body, key.private, algorithm="EdDSA", headers={"kid": key.kid, **(headers or {})})


def forged(**claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {signed(**claims)}"}


def forged_with(key: SigningKey, headers: dict[str, Any] | None = None, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {signed(key, headers, **claims)}"}


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def reheaded(header: dict[str, Any], **claims: Any) -> dict[str, str]:
    """A real token with its header replaced (what PyJWT itself would not write)."""
    _, payload, signature = signed(**claims).split(".")
    return {"Authorization": f"Bearer {_b64(json.dumps(header).encode())}.{payload}.{signature}"}


def hs256(secret: bytes, **claims: Any) -> dict[str, str]:
    """An HS256 token keyed with ``secret``, made by hand: PyJWT itself refuses an asymmetric key as an HMAC secret."""
    good = jwt.decode(signed(**claims), options={"verify_signature": False})
    unsigned = _unsigned({"alg": "HS256", "typ": "JWT", "kid": TEST_SIGNING_KEY.kid}, good)
    mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    return {"Authorization": f"Bearer {unsigned}.{_b64(mac)}"}


OPERATOR = {"role": "district_operator", "region": "34.03"}
REFUSED = {
    "no iat": lambda: forged(**OPERATOR, exp=now() + timedelta(hours=1)),
    "lives 13 h": lambda: forged(**OPERATOR, iat=now(), exp=now() + timedelta(hours=13)),
    "lives a year": lambda: forged(**OPERATOR, iat=now() - timedelta(days=1), exp=now() + timedelta(days=364)),
    "integration token living 91 days": lambda: forged(
        role="integration", region="34.03", iat=now(), exp=now() + timedelta(days=91)
    ),
    "issued in the future": lambda: forged(
        **OPERATOR, iat=now() + timedelta(minutes=10), exp=now() + timedelta(hours=2)
    ),
    "no exp": lambda: forged(**OPERATOR, iat=now()),
    "no role": lambda: forged(region="34.03", iat=now(), exp=now() + timedelta(hours=1)),
    **{
        f"{role} with {label}": partial(forged, role=role, iat=now(), exp=now() + timedelta(hours=1), **region)
        for role in ("province_operator", "district_operator", "viewer", "integration")
        for label, region in (
            ("no region", {}),
            ("an empty region", {"region": ""}),
            ("a null region", {"region": None}),
        )
    },
}


@pytest.mark.parametrize("token", REFUSED.values(), ids=REFUSED.keys())
async def test_unbounded_or_unscoped_tokens_are_refused(registry: httpx.AsyncClient, token: Token) -> None:
    answer = await registry.get("/institutions", headers=token())
    assert answer.status_code == 401, answer.text
    assert answer.json()["detail"].startswith("invalid token")


ACCEPTED = {
    "admin without region": lambda: forged(role="admin", iat=now(), exp=now() + timedelta(hours=12)),
    "operator for 12 h": lambda: forged(**OPERATOR, iat=now(), exp=now() + timedelta(hours=12)),
    "integration token for 90 days": lambda: forged(
        role="integration", region="34.03", iat=now(), exp=now() + timedelta(days=90)
    ),
    "iat a few seconds ahead (clock skew)": lambda: forged(
        **OPERATOR, iat=now() + timedelta(seconds=5), exp=now() + timedelta(hours=1)
    ),
}


@pytest.mark.parametrize("token", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_bounded_scoped_tokens_are_accepted(registry: httpx.AsyncClient, token: Token) -> None:
    answer = await registry.get("/institutions", headers=token())
    assert answer.status_code == 200, answer.text


GOOD: dict[str, Any] = {**OPERATOR, "iat": NOW, "exp": NOW + timedelta(hours=1)}
PUBLIC_X = base64.urlsafe_b64decode(TEST_SIGNING_KEY.jwk["x"] + "==")
STRANGER = SigningKey.generate()
FORGED = {
    "HS256 with a guessed secret": (hs256(b"secret", **GOOD), "algorithm not accepted (only EdDSA)"),
    "HS256 keyed with the published public key": (hs256(PUBLIC_X, **GOOD), "algorithm not accepted"),
    "HS256 keyed with the old test secret": (
        hs256(b"test-only-secret-0123456789-abcdefghij", **GOOD), "algorithm not accepted"),
    "alg none": ({"Authorization": "Bearer " + _unsigned({"alg": "none", "kid": TEST_SIGNING_KEY.kid},
                  jwt.decode(signed(**GOOD), options={"verify_signature": False})) + "."}, "algorithm not accepted"),
    "another key, its own kid": (forged_with(STRANGER, **GOOD), "signed by a key the issuer does not publish"),
    "another key, our kid": (
        forged_with(STRANGER, headers={"kid": TEST_SIGNING_KEY.kid}, **GOOD), "Signature verification failed"),
    "no kid": ({"Authorization": "Bearer " + jwt.encode(jwt.decode(signed(**GOOD), options={"verify_signature": False}),
                TEST_SIGNING_KEY.private, algorithm="EdDSA")}, "no key id (kid)"),
    "another issuer": (forged(**GOOD, iss="https://idp.example.id"), "issuer is not trusted"),
    "no issuer": (forged(**GOOD, iss=None), "issuer is not trusted"),
    "another audience": (forged(**GOOD, aud="pilar-staging"), "Audience doesn't match"),
    "no audience": (forged(**GOOD, aud=None), "aud"),
    "expired": (forged(**OPERATOR, iat=NOW - timedelta(hours=2), exp=NOW - timedelta(hours=1)), "has expired"),
    "not a JWT": ({"Authorization": "Bearer not.a-jwt"}, "not a well-formed JWT"),
    "alg as a list": (reheaded({"alg": ["EdDSA"], "kid": TEST_SIGNING_KEY.kid}, **GOOD), "algorithm not accepted"),
}  # fmt: skip


@pytest.mark.parametrize(("headers", "reason"), FORGED.values(), ids=FORGED.keys())
async def test_forged_and_foreign_tokens_are_refused_with_the_reason(
    registry: httpx.AsyncClient, headers: dict[str, str], reason: str
) -> None:
    answer = await registry.get("/institutions", headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON and answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["message"].startswith("invalid token: ") and reason in answer.json()["message"]


@pytest.mark.parametrize("role", ["province_operator", "district_operator", "viewer", "integration"])
def test_no_token_without_a_region_is_issued_for_a_non_admin(role: str) -> None:
    with pytest.raises(ValueError, match="needs a region"):
        issue_token(TEST_SIGNING_KEY, sub="x", role=role, region="")


runner = CliRunner()


@pytest.fixture
def cli_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PILAR_STATE_DIR", str(tmp_path))
    for name in ("CONSOLE_SIGNING_KEY_FILE", "PILAR_TOKEN_MAX_HOURS", "PILAR_INTEGRATION_TOKEN_MAX_DAYS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["--role", "district_operator", "--region", "34.03", "--ttl", "13h"],
        ["--role", "admin", "--ttl", "2d"],
        ["--role", "integration", "--region", "34.03", "--ttl", "91d"],
        ["--role", "viewer"],
        ["--role", "admin", "--ttl", "forever"],
        ["--role", "integration", "--region", "34.03", "--ttl", "9999999999d"],
    ],
)
def test_pilar_token_refuses_long_lifetimes_and_missing_regions(cli_state: Path, args: list[str]) -> None:
    assert runner.invoke(cli, ["token", *args]).exit_code == 2


def test_pilar_token_issues_integration_tokens_within_the_admin_set_cap(
    cli_state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = runner.invoke(
        cli, ["token", "--role", "integration", "--region", "34.03", "--sub", "simpel", "--ttl", "30d"]
    )
    assert issued.exit_code == 0, issued.output
    key = SigningKey.load(cli_state / "signing-key.pem")
    assert verified(issued.stdout.strip(), key).region == "34.03"
    monkeypatch.setenv("PILAR_INTEGRATION_TOKEN_MAX_DAYS", "7")
    too_long = ["token", "--role", "integration", "--region", "34.03", "--sub", "simpel", "--ttl", "8d"]
    assert runner.invoke(cli, too_long).exit_code == 2


def test_the_local_stack_keys_are_random_kept_and_private(cli_state: Path) -> None:
    from pilar import state

    key = state.signing_key()
    assert key.kid == state.signing_key().kid != SigningKey.generate().kid
    assert key.pem() != TEST_SIGNING_KEY_PEM
    link = state.link_secret()
    assert len(link.encode()) >= 32 and link == state.link_secret() != TEST_LINK_SECRET
    for name in ("signing-key.pem", "link-secret"):
        assert (cli_state / name).stat().st_mode & 0o777 == 0o600
    assert jwks(key)["keys"][0]["kid"] == key.kid
