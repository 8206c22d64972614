"""Finding 4: no service runs on a published or short JWT secret, and tokens are bounded.

A token must carry ``iat``, live no longer than its role's cap (12 h; integration tokens an admin-set longer cap),
not be issued in the future, and name a region unless it is an admin's. Checked against the real registry.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from pilar.cli import app as cli
from pilar_dev.testing import TEST_JWT_SECRET, RunningApp
from pilar_runtime.auth import decode_token, issue_token
from services.registry.app import build
from services.registry.settings import RegistrySettings

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)


def start_registry(secret: str | None, **extra: str) -> subprocess.CompletedProcess[str]:
    """Start the registry as `python -m services.registry` would run in production; it must stop by itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILAR_")}
    # Unreachable loopback servers: a service that wrongly starts fails later on them instead of hanging.
    env |= {"MONGODB_URL": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=500", "AMQP_URL": "amqp://u:p@127.0.0.1:9/"}
    env |= {"PILAR_LOG_FORMAT": "json", **extra}
    if secret is not None:
        env["PILAR_JWT_SECRET"] = secret
    return subprocess.run(
        [sys.executable, "-m", "services.registry"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        (None, "PILAR_JWT_SECRET is unset"),
        ("s3cr3t-Zq9", "shorter than 32 bytes"),
        ("Zq9" * 10 + "x", "shorter than 32 bytes"),  # 31 bytes
    ],
)
def test_a_service_refuses_to_start_without_a_secret_or_with_a_short_one(secret: str | None, why: str) -> None:
    started = start_registry(secret)
    output = started.stdout + started.stderr
    assert started.returncode == 2, output
    assert "service.refused_to_start" in output and why in output and "PILAR_JWT_SECRET" in output
    assert secret is None or secret not in output
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
    started = start_registry(
        "Zq9" * 12, AMQP_URL="amqp://pilar-registry:Sandi-Rahasia-77@127.0.0.1:9/", PILAR_BROKER_USERS=broker_users
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


async def test_a_service_starts_in_development_mode_with_a_short_secret(stack_settings: dict[str, str]) -> None:
    settings = RegistrySettings.model_validate({**stack_settings, "jwt_secret": "s3cr3t-Zq9", "dev_mode": True})
    async with RunningApp(build(settings)) as running, httpx.AsyncClient(base_url=running.url) as client:
        assert (await client.get("/healthz")).status_code == 200


def forged(**claims: Any) -> dict[str, str]:
    body = {"sub": "op-x", **{k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims.items()}}
    return {"Authorization": f"Bearer {jwt.encode(body, TEST_JWT_SECRET, algorithm='HS256')}"}


OPERATOR = {"role": "district_operator", "region": "34.03"}
REFUSED = {
    "no iat": forged(**OPERATOR, exp=NOW + timedelta(hours=1)),
    "lives 13 h": forged(**OPERATOR, iat=NOW, exp=NOW + timedelta(hours=13)),
    "lives a year": forged(**OPERATOR, iat=NOW - timedelta(days=1), exp=NOW + timedelta(days=364)),
    "integration token living 91 days": forged(
        role="integration", region="34.03", iat=NOW, exp=NOW + timedelta(days=91)
    ),
    "issued in the future": forged(**OPERATOR, iat=NOW + timedelta(minutes=10), exp=NOW + timedelta(hours=2)),
    "no exp": forged(**OPERATOR, iat=NOW),
    "no role": forged(region="34.03", iat=NOW, exp=NOW + timedelta(hours=1)),
    **{
        f"{role} with {label}": forged(role=role, iat=NOW, exp=NOW + timedelta(hours=1), **region)
        for role in ("province_operator", "district_operator", "viewer", "integration")
        for label, region in (
            ("no region", {}),
            ("an empty region", {"region": ""}),
            ("a null region", {"region": None}),
        )
    },
}


@pytest.mark.parametrize("headers", REFUSED.values(), ids=REFUSED.keys())
async def test_unbounded_or_unscoped_tokens_are_refused(registry: httpx.AsyncClient, headers: dict[str, str]) -> None:
    answer = await registry.get("/institutions", headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["detail"].startswith("invalid token")


ACCEPTED = {
    "admin without region": forged(role="admin", iat=NOW, exp=NOW + timedelta(hours=12)),
    "operator for 12 h": forged(**OPERATOR, iat=NOW, exp=NOW + timedelta(hours=12)),
    "integration token for 90 days": forged(role="integration", region="34.03", iat=NOW, exp=NOW + timedelta(days=90)),
    "iat a few seconds ahead (clock skew)": forged(
        **OPERATOR, iat=NOW + timedelta(seconds=5), exp=NOW + timedelta(hours=1)
    ),
}


@pytest.mark.parametrize("headers", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_bounded_scoped_tokens_are_accepted(registry: httpx.AsyncClient, headers: dict[str, str]) -> None:
    answer = await registry.get("/institutions", headers=headers)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("role", ["province_operator", "district_operator", "viewer", "integration"])
def test_no_token_without_a_region_is_issued_for_a_non_admin(role: str) -> None:
    with pytest.raises(ValueError, match="needs a region"):
        issue_token(TEST_JWT_SECRET, sub="x", role=role, region="")


runner = CliRunner()


@pytest.fixture
def cli_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PILAR_STATE_DIR", str(tmp_path))
    for name in ("PILAR_JWT_SECRET", "PILAR_TOKEN_MAX_HOURS", "PILAR_INTEGRATION_TOKEN_MAX_DAYS"):
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
    issued = runner.invoke(cli, ["token", "--role", "integration", "--region", "34.03", "--ttl", "30d"])
    assert issued.exit_code == 0, issued.output
    secret = (cli_state / "jwt-secret").read_text()
    assert decode_token(secret, issued.stdout.strip()).region == "34.03"
    monkeypatch.setenv("PILAR_INTEGRATION_TOKEN_MAX_DAYS", "7")
    assert runner.invoke(cli, ["token", "--role", "integration", "--region", "34.03", "--ttl", "8d"]).exit_code == 2


def test_the_local_stack_secret_is_long_random_and_private(cli_state: Path) -> None:
    from pilar import state

    secret = state.jwt_secret()
    assert len(secret.encode()) >= 32 and secret == state.jwt_secret()
    assert (cli_state / "jwt-secret").stat().st_mode & 0o777 == 0o600
