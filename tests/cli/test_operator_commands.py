"""Every operator command against a stack started as the README says (`pilar up`), run as a subprocess the way an
operator types it: status, logs, mail, dlq, replay, token."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest

from contracts import topology
from pilar.dlq import list_dead_letters
from pilar_dev.devstack import free_port
from pilar_dev.testing import delete_namespace, new_namespace, verified
from pilar_runtime.auth import issue_token
from pilar_runtime.brokerusers import Rabbitmqctl
from pilar_runtime.keys import SigningKey

SERVICES = ("registry", "outreach", "notify", "reporting", "console")


class RunningStack:
    def __init__(self, env: dict[str, str], state: Path, namespace: str, amqp_url: str) -> None:
        self.env = env
        self.state = state
        self.namespace = namespace
        self.amqp_url = amqp_url

    def pilar(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pilar", *args],
            env={**self.env, "COLUMNS": "250", **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def url(self, service: str) -> str:
        return self.env[f"PILAR_{service.upper()}_URL"]

    def admin(self, service: str) -> httpx.Client:
        key = SigningKey.load(self.state / "signing-key.pem")
        token = issue_token(key, sub="ops-test", role="admin", ttl=timedelta(minutes=5))
        return httpx.Client(base_url=self.url(service), headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _until(check: Any, timeout: float = 30, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(every)


@pytest.fixture(scope="module")
def stack(amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state = tmp_path_factory.mktemp("ops-state")
    namespace = new_namespace("ops")
    env = {
        **os.environ,
        "AMQP_URL": amqp_url,
        "PILAR_NAMESPACE": namespace,
        "PILAR_STATE_DIR": str(state),
        "PILAR_MONGO_PORT": str(free_port()),
        "PILAR_SMTP_PORT": str(free_port()),
    }
    for name in ("MONGODB_URL", "NOTIFY_SMTP_HOST", "CONSOLE_SIGNING_KEY_FILE", "PILAR_BROKER_USERS"):
        env.pop(name, None)
    for service in SERVICES:
        port = free_port()
        env[f"{service.upper()}_PORT"] = str(port)
        env[f"PILAR_{service.upper()}_URL"] = f"http://127.0.0.1:{port}"
    up = subprocess.Popen(
        [sys.executable, "-m", "pilar", "up"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    running = RunningStack(env, state, namespace, amqp_url)

    def ready() -> bool:
        try:
            return all(httpx.get(f"{running.url(s)}/readyz", timeout=2).status_code == 200 for s in SERVICES)
        except httpx.HTTPError:
            return False

    try:
        assert _until(ready, timeout=120, every=0.5), "the stack did not come up"
        yield running
    finally:
        up.send_signal(signal.SIGINT)
        up.communicate(timeout=90)
        asyncio.run(delete_namespace(amqp_url, namespace))
        users = json.loads((state / "broker-users.json").read_text()) if (state / "broker-users.json").exists() else {}
        for user in set(users.values()):
            if user.startswith(namespace):  # only the users this stack made; the broker keeps users between runs
                Rabbitmqctl().delete_user(user)


def test_commands_in_another_shell_find_the_services_where_pilar_up_serves_them(stack: RunningStack) -> None:
    kept = json.loads((stack.state / "services.json").read_text())
    assert kept == {s: stack.url(s) for s in SERVICES}
    bare = {k: v for k, v in stack.env.items() if not k.startswith("PILAR_") or k == "PILAR_STATE_DIR"}
    done = subprocess.run(
        [sys.executable, "-m", "pilar", "status", "--json"], env=bare, capture_output=True, text=True, timeout=60
    )
    assert [s["service"] for s in json.loads(done.stdout) if "down" not in s] == list(SERVICES), done.stdout


def test_token_is_signed_with_the_running_stacks_key(stack: RunningStack) -> None:
    done = stack.pilar("token", "--role", "district_operator", "--region", "34.03", "--sub", "budi")
    assert done.returncode == 0, done.stderr
    caller = verified(done.stdout.strip(), SigningKey.load(stack.state / "signing-key.pem"))
    assert (caller.sub, caller.role, caller.region) == ("budi", "district_operator", "34.03")
    with stack.admin("registry") as client:
        assert client.get("/admin/status").status_code == 200  # the services take it


def test_status_shows_every_service_and_exits_zero_when_all_is_well(stack: RunningStack) -> None:
    done = stack.pilar("status", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = {s["service"]: s for s in json.loads(done.stdout)}
    assert set(statuses) == set(SERVICES)
    for service, status in statuses.items():
        assert (status["ready"], status["broker"], status["mongo"]) == (True, True, True)
        if service == "console":  # it consumes nothing: no queue
            assert status["queue"] is None
            continue
        assert status["queue"]["name"] == topology.service_queue(service, stack.namespace)
        assert status["queue"]["consumers"] == 1 and status["queue"]["dead_letters"] == 0, statuses
        assert status["outbox"]["backlog"] >= 0 and status["pending_timers"] >= 0
    assert set(statuses["notify"]["extras"]) == {"pending_deliveries", "failed_deliveries"}
    assert statuses["registry"]["extras"] == {"running_imports": 0}
    assert "last_replay" in statuses["reporting"]["extras"]
    table = stack.pilar("status")
    assert table.returncode == 0 and "Pilar status" in table.stdout
    assert table.stdout.count("ready") == len(SERVICES)
    assert "not ready" not in table.stdout and "down" not in table.stdout


def test_status_is_for_admins_only(stack: RunningStack) -> None:
    viewer = stack.pilar("token", "--role", "viewer", "--region", "34").stdout.strip()
    answer = httpx.get(f"{stack.url('notify')}/admin/status", headers={"Authorization": f"Bearer {viewer}"})
    assert answer.status_code == 403 and answer.headers["content-type"] == "application/problem+json"


def test_status_exits_one_and_names_the_service_that_is_down(stack: RunningStack) -> None:
    away = {"PILAR_OUTREACH_URL": f"http://127.0.0.1:{free_port()}"}
    table = stack.pilar("status", env=away)
    assert table.returncode == 1 and "down" in table.stdout
    done = stack.pilar("status", "--json", env=away)
    assert done.returncode == 1
    outreach = next(s for s in json.loads(done.stdout) if s["service"] == "outreach")
    tried = f"GET {away['PILAR_OUTREACH_URL']}/admin/status"
    assert outreach["down"] == f"{tried}: no answer (ConnectError); is the stack running (`pilar up`)?"


def _dead_letter(stack: RunningStack, message_id: str) -> None:
    """A message notify cannot read, put straight on its queue: its consumer dead-letters it with the reason."""

    async def publish() -> None:
        connection = await aio_pika.connect(stack.amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            await channel.default_exchange.publish(
                aio_pika.Message(b"not an event", message_id=message_id, content_type="application/json"),
                routing_key=topology.service_queue("notify", stack.namespace),
            )

    asyncio.run(publish())


def _dlq_ids(stack: RunningStack) -> list[str]:
    with stack.admin("notify") as client:
        depth = client.get("/admin/status").json()["queue"]["dead_letters"]
    listed = stack.pilar("dlq", "list", "notify")
    assert listed.returncode == 0, listed.stderr
    ids = [line.split("│")[2].strip() for line in listed.stdout.splitlines() if line.count("│") > 3]
    assert len(ids) == depth  # the table and the broker's count agree
    return ids


def test_dead_letters_are_listed_shown_redriven_and_purged_with_confirmation(stack: RunningStack) -> None:
    _dead_letter(stack, "ops-bad-1")
    assert _until(lambda: _dlq_ids(stack) == ["ops-bad-1"])
    status = stack.pilar("status")
    assert status.returncode == 1 and "dead letter(s)" in " ".join(status.stdout.split())

    # Listed more often than the service's delivery limit, the letter stays (the DLQ has no delivery limit).
    for _ in range(6):
        letters = asyncio.run(list_dead_letters(stack.amqp_url, "notify", stack.namespace))
        assert [letter.message_id for letter in letters] == ["ops-bad-1"]
    assert _dlq_ids(stack) == ["ops-bad-1"]
    shown = stack.pilar("dlq", "show", "notify", "1")
    assert shown.returncode == 0 and "ops-bad-1" in shown.stdout and "not JSON" in shown.stdout
    assert stack.pilar("dlq", "show", "notify", "2").returncode == 1

    dry = stack.pilar("dlq", "redrive", "notify", "--dry-run")
    assert dry.returncode == 0 and "would redrive 1 message(s)" in dry.stdout
    declined = stack.pilar("dlq", "redrive", "notify", stdin="n\n")
    assert declined.returncode == 1 and "nothing done" in declined.stdout
    assert _dlq_ids(stack) == ["ops-bad-1"]

    # Redriven, the message goes back to notify, which refuses it again: it returns to the DLQ, with no count.
    redriven = stack.pilar("dlq", "redrive", "notify", stdin="y\n")
    assert redriven.returncode == 0 and "redrove 1 message(s) to notify" in redriven.stdout, redriven.stderr
    assert _until(lambda: _dlq_ids(stack) == ["ops-bad-1"])

    assert "would purge 1" in stack.pilar("dlq", "purge", "notify", "--dry-run").stdout
    assert stack.pilar("dlq", "purge", "notify", "--id", "ops-other", "--yes").stdout.startswith("nothing to purge")
    assert _dlq_ids(stack) == ["ops-bad-1"]
    purged = stack.pilar("dlq", "purge", "notify", "--yes")
    assert purged.returncode == 0 and "purged 1 message(s)" in purged.stdout
    assert _dlq_ids(stack) == []


def test_dlq_commands_say_clearly_when_the_broker_is_not_there(stack: RunningStack) -> None:
    away = stack.pilar("dlq", "list", "notify", env={"AMQP_URL": f"amqp://guest:secretpw@127.0.0.1:{free_port()}/"})
    assert away.returncode == 1 and "does not answer" in away.stdout and "secretpw" not in away.stdout + away.stderr
    unknown = stack.pilar("dlq", "list", "notify", "--namespace", "nosuchstack")
    assert unknown.returncode == 1 and "no queue 'nosuchstack.notify.dlq'" in " ".join(unknown.stdout.split())


def test_logs_follow_one_flow_across_services_and_filter_by_event_level_and_time(stack: RunningStack) -> None:
    flow = f"ops-flow-{time.monotonic_ns()}"
    with stack.admin("registry") as client:
        worker = {"role": "PSM", "name": "Pekerja Operasi", "region_code": "34.03.13"}
        assert client.post("/workers", json=worker, headers={"X-Correlation-ID": flow}).status_code == 201

    def flow_lines() -> list[dict[str, Any]]:
        done = stack.pilar("logs", "--correlation", flow, "--json")
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        return lines if {"registry", "outreach"} <= {line["service"] for line in lines} else []

    lines = _until(flow_lines)
    assert lines, "the flow's lines did not reach both services' logs"
    stamps = [line["timestamp"] for line in lines]
    assert stamps == sorted(stamps)
    event_id = next(line["event_id"] for line in lines if line["service"] == "outreach" and line.get("event_id"))

    by_event = [json.loads(x) for x in stack.pilar("logs", "--event", event_id, "--json").stdout.splitlines()]
    assert by_event and all(line["event_id"] == event_id for line in by_event)
    only = [json.loads(x) for x in stack.pilar("logs", "--service", "outreach", "--json").stdout.splitlines()]
    assert only and {line["service"] for line in only} == {"outreach"}
    warned = [json.loads(x) for x in stack.pilar("logs", "--level", "warning", "--json").stdout.splitlines()]
    assert all(line["level"] in ("warning", "error", "critical") for line in warned)
    assert stack.pilar("logs", "--since", "10m", "--correlation", flow, "--json").stdout.count("\n") == len(lines)
    assert stack.pilar("logs", "--since", "ten").returncode == 2
    plain = stack.pilar("logs", "--correlation", flow)
    assert plain.returncode == 0 and "outreach" in plain.stdout and not plain.stdout.startswith("{")


def test_logs_follow_prints_what_is_written_after_it_started(stack: RunningStack) -> None:
    flow = f"ops-follow-{time.monotonic_ns()}"
    follower = subprocess.Popen(
        [sys.executable, "-m", "pilar", "logs", "--follow", "--correlation", flow, "--json"],
        env=stack.env,
        stdout=subprocess.PIPE,
        text=True,
        # Ctrl-C as a person's terminal sends it: a suite started in the background has SIGINT ignored, inherited.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        time.sleep(1.5)  # the follower has read what was there
        with stack.admin("reporting") as client:
            client.get("/admin/status", headers={"X-Correlation-ID": flow})
        assert follower.stdout is not None
        line = json.loads(follower.stdout.readline())
        assert line["correlation_id"] == flow and line["service"] == "reporting"
    finally:
        follower.send_signal(signal.SIGINT)
        follower.wait(timeout=10)


def test_mail_show_prints_the_message_decoded(stack: RunningStack) -> None:
    message = EmailMessage()
    message["From"] = "Pilar <pilar@dinsos.example>"
    message["To"] = "ketua@lks.example"
    message["Subject"] = "Pengingat: sesi penyuluhan — Kecamatan Sewon"
    message.set_content("Yth. Bapak/Ibu,\nsesi dimulai pukul 09.00 WIB.\n", charset="utf-8", cte="base64")
    with smtplib.SMTP("127.0.0.1", int(stack.env["PILAR_SMTP_PORT"]), timeout=10) as smtp:
        smtp.send_message(message)
    listed = _until(lambda: (done := stack.pilar("mail")) and "Pengingat" in done.stdout and done)
    assert listed, "the mail catcher kept nothing"
    shown = stack.pilar("mail", "--show", "1")
    assert shown.returncode == 0
    assert "Subject: Pengingat: sesi penyuluhan — Kecamatan Sewon" in shown.stdout
    assert "sesi dimulai pukul 09.00 WIB." in shown.stdout and "base64" not in shown.stdout
    assert stack.pilar("mail", "--show", "99").returncode == 1


def test_replay_runs_in_the_service_and_shows_its_progress(stack: RunningStack) -> None:
    done = stack.pilar("replay", "reporting")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rebuilt every projection from" in done.stdout and "replaying events" in done.stdout
    with stack.admin("reporting") as client:
        assert client.get("/admin/replay").json()["status"] == "done"
        assert client.get("/admin/status").json()["extras"]["last_replay"] == "done"
    away = stack.pilar("replay", "reporting", env={"PILAR_REPORTING_URL": f"http://127.0.0.1:{free_port()}"})
    assert away.returncode == 1 and "POST http://127.0.0.1:" in away.stdout and "no answer" in away.stdout
