"""The `pilar` command: tokens, merged logs, and the DLQ worked against the real broker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aio_pika
import jwt
import pytest
from typer.testing import CliRunner

from contracts import topology
from contracts.envelope import Envelope
from pilar.cli import app
from pilar.dlq import list_dead_letters, redrive
from pilar_dev.testing import TEST_SIGNING_KEY, TEST_SIGNING_KEY_PEM, eventually, publish_event, verified
from pilar_runtime.brokerusers import broker_user, producer_users
from pilar_runtime.bus import Bus, Topology
from pilar_runtime.consumer import EventConsumer, EventHandlers
from pilar_runtime.keys import SigningKey
from pilar_runtime.mongo import Mongo, UnitOfWork
from tests.runtime.helpers import worker_event

runner = CliRunner()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PILAR_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("CONSOLE_SIGNING_KEY_FILE", raising=False)
    return tmp_path


def test_token_is_signed_with_the_stack_key_and_carries_role_and_region(state: Path) -> None:
    result = runner.invoke(app, ["token", "--role", "district_operator", "--region", "34.03", "--sub", "budi"])
    assert result.exit_code == 0, result.output
    caller = verified(result.stdout.strip(), SigningKey.load(state / "signing-key.pem"))
    assert (caller.sub, caller.role, caller.region) == ("budi", "district_operator", "34.03")
    assert (state / "signing-key.pem").stat().st_mode & 0o777 == 0o600


def test_token_signs_with_a_given_key_file_for_the_configured_issuer_and_audience(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = state / "console.pem"
    key_file.write_bytes(TEST_SIGNING_KEY_PEM)
    monkeypatch.setenv("PILAR_JWT_ISSUER", "https://console.dinsos.example.id")
    monkeypatch.setenv("PILAR_JWT_AUDIENCE", "pilar-gunungkidul")
    result = runner.invoke(app, ["token", "--key-file", str(key_file), "--role", "viewer", "--region", "34.03"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == ("https://console.dinsos.example.id", "pilar-gunungkidul")
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": TEST_SIGNING_KEY.kid, "typ": "JWT"}
    assert verified(token).role == "viewer"  # a service configured alike takes it
    missing = runner.invoke(app, ["token", "--key-file", str(state / "nowhere.pem")])
    assert missing.exit_code == 2 and "nowhere.pem" in missing.output


@pytest.mark.parametrize("args", [["--role", "superuser"], ["--region", "34-03"]])
def test_token_refuses_unknown_roles_and_bad_regions(state: Path, args: list[str]) -> None:
    assert runner.invoke(app, ["token", *args]).exit_code != 0


def test_an_integration_token_names_its_system(state: Path) -> None:
    """Webhooks belong to the token's subject: two systems given the same default would manage each other's."""
    unnamed = runner.invoke(app, ["token", "--role", "integration", "--region", "34.03", "--ttl", "30d"])
    assert unnamed.exit_code == 2 and "--sub" in unnamed.output
    named = runner.invoke(app, ["token", "--role", "integration", "--region", "34.03", "--sub", "simpel-gk"])
    assert named.exit_code == 0, named.output
    assert verified(named.stdout.strip(), SigningKey.load(state / "signing-key.pem")).sub == "simpel-gk"


def test_logs_are_merged_in_time_order_and_filtered_by_correlation_or_trace_id(state: Path) -> None:
    logs = state / "logs"
    logs.mkdir()

    def line(ts: str, event: str, cid: str, **extra: Any) -> str:
        return json.dumps({"timestamp": ts, "level": "info", "event": event, "correlation_id": cid, **extra}) + "\n"

    (logs / "registry.log").write_text(
        line("2026-11-24T01:00:01Z", "wksbm.formed", "flow-1", service="registry")
        + line("2026-11-24T01:00:03Z", "worker.registered", "flow-2", service="registry")
    )
    (logs / "reporting.log").write_text(
        line("2026-11-24T01:00:02Z", "projection.updated", "flow-1", service="reporting", trace_id="4bf9" * 8)
        + "plain crash text\n"
    )
    result = runner.invoke(app, ["logs", "--correlation-id", "flow-1", "--json"])
    assert result.exit_code == 0, result.output
    events = [json.loads(x)["event"] for x in result.stdout.splitlines()]
    assert events == ["wksbm.formed", "projection.updated"]
    everything = runner.invoke(app, ["logs", "--json"]).stdout.splitlines()
    assert len(everything) == 4  # the non-JSON line is kept, not dropped
    traced = runner.invoke(app, ["logs", "--trace-id", "4bf9" * 8, "--json"]).stdout.splitlines()
    assert [json.loads(x)["event"] for x in traced] == ["projection.updated"]


@pytest.mark.parametrize("partitions", [1, 2], ids=["one-queue", "partitioned"])
async def test_dead_letters_are_listed_with_their_reason_and_redriven_after_a_fix(
    amqp_url: str, namespace: str, mongo: Mongo, amqp: aio_pika.abc.AbstractConnection, partitions: int
) -> None:
    fixed = False
    handlers = EventHandlers()

    @handlers.on("worker_registered")
    async def needs_fix(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        if not fixed:
            raise RuntimeError("template missing")
        await uow.db.effects.insert_one({"_id": payload.worker_id}, session=uow.session)

    topo = Topology("notify", namespace, delivery_limit=2, partitions=partitions)
    consumer = EventConsumer(
        "notify", handlers, mongo, producer_users=producer_users(amqp_url, {}, "notify"), delivery_limit=2
    )
    bus = Bus(amqp_url, topo, consumer)
    await bus.start()
    if partitions > 1:  # this replica holds them all: a letter goes back through partition 0's queue
        await bus.hold(set(range(partitions)))
    try:
        channel = await amqp.channel()
        exchange = await channel.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))
        event = worker_event("w-dlq")
        await publish_event(exchange, event, amqp_url=amqp_url)

        async def dead_lettered() -> bool:
            return len(await list_dead_letters(amqp_url, "notify", namespace)) == 1

        await eventually(dead_lettered)
        letters = await list_dead_letters(amqp_url, "notify", namespace)
        assert "template missing" in letters[0].reason
        assert letters[0].message_id == str(event.event_id)
        assert len(await list_dead_letters(amqp_url, "notify", namespace)) == 1  # listing keeps them

        fixed = True
        assert await redrive(amqp_url, "notify", namespace, consumer_user=broker_user(amqp_url)) == 1

        async def handled() -> bool:
            return await mongo.db.effects.count_documents({"_id": "w-dlq"}) == 1

        await eventually(handled)
        await asyncio.sleep(0.2)
        assert await list_dead_letters(amqp_url, "notify", namespace) == []
    finally:
        await bus.stop()
