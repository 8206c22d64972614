"""The example district client (examples/district_client/) against the four services: it registers its own webhook
with its integration token (another integration sees neither it nor its deliveries), backfills what happened
before it started, follows the feed, takes a signed webhook, applies each event once, refuses a tampered or
replayed webhook, rotates its secret, and finds its webhook again after a restart."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from pilar_dev.devstack import free_port
from pilar_dev.testing import TEST_SIGNING_KEY, bearer, eventually
from pilar_runtime.auth import issue_token
from pilar_runtime.localtime import local_today
from services.notify.domain.signature import signed_headers
from tests.e2e.stack import Stack

CLIENT = Path(__file__).resolve().parents[2] / "examples" / "district_client" / "client.py"
SECRET = "whsec_" + "ZGlzdHJpY3QtZ3VudW5na2lkdWwtMzIwMDE="  # base64 of a 25-byte key
GUNUNGKIDUL = "34.03"
SIDINSOS = "sidinsos-gunungkidul"  # the client's integration
TYPES = "institution_registered,WKSBM_formed"


def _client_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("district_client", CLIENT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class RunningClient:
    process: asyncio.subprocess.Process
    state: Path
    webhook_url: str
    lines: list[str] = field(default_factory=list)

    async def read(self) -> None:
        assert self.process.stdout
        async for line in self.process.stdout:
            self.lines.append(line.decode().strip())

    async def said(self, *words: str, timeout: float = 60) -> None:
        async def found() -> bool:
            if self.process.returncode is not None:
                raise AssertionError(f"the client exited {self.process.returncode}: {self.lines}")
            return any(all(w in line for w in words) for line in self.lines)

        await eventually(found, timeout=timeout, interval=0.1, what=f"the client to say {words}: {self.lines}")

    def applied(self) -> list[dict[str, Any]]:
        log = self.state / "events.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def webhook(self) -> dict[str, str]:
        """What the client keeps of its webhook: id, URL and secret."""
        found: dict[str, str] = json.loads((self.state / "webhook.json").read_text())
        return found


async def _run_client(state: Path, *args: str) -> asyncio.subprocess.Process:
    token = issue_token(TEST_SIGNING_KEY, sub=SIDINSOS, role="integration", region=GUNUNGKIDUL)
    env = {**os.environ, "PILAR_TOKEN": token}
    env.pop("PILAR_WEBHOOK_SECRET", None)  # the client makes up its own
    return await asyncio.create_subprocess_exec(
        sys.executable, str(CLIENT), "--state", str(state), *args, env=env, stdout=asyncio.subprocess.PIPE
    )


def _webhook_args(stack: Stack, port: int) -> tuple[str, ...]:
    listen = ("--notify", stack.url("notify"), "--region", GUNUNGKIDUL, "--listen", f"127.0.0.1:{port}")
    return ("--reporting", stack.url("reporting"), "--types", TYPES, *listen)


async def _a_desa(registry: httpx.AsyncClient) -> str:
    kecamatan = (await registry.get("/regions", params={"parent": GUNUNGKIDUL})).json()["items"][0]["code"]
    return str((await registry.get("/regions", params={"parent": kecamatan})).json()["items"][0]["code"])


async def _wksbm(registry: httpx.AsyncClient, desa: str) -> str:
    """A WKSBM with a complete board and a member institution, not yet formed."""
    member = await registry.post(
        "/institutions",
        json={"kind": "PRANATA_SOSIAL", "name": "Kelompok Dasawisma Melati", "region_code": desa, "status": "active"},
    )
    assert member.status_code == 201, member.text
    board = [{"role": r, "name": n} for r, n in (("ketua", "Sutarno"), ("sekretaris", "Wulan"), ("bendahara", "Tri"))]
    wksbm = await registry.post(
        "/institutions",
        json={
            "kind": "WKSBM",
            "name": "WKSBM Desa Contoh",
            "region_code": desa,
            "member_ids": [member.json()["id"]],
            "board": board,
        },
    )
    assert wksbm.status_code == 201, wksbm.text
    return str(wksbm.json()["id"])


@pytest.fixture(scope="module")
async def wksbm(stack: Stack, admin: dict[str, httpx.AsyncClient]) -> str:
    """Registered before the client starts, and stored by reporting: the client must backfill it."""
    institution = await _wksbm(admin["registry"], await _a_desa(admin["registry"]))

    async def stored() -> bool:
        page = await admin["reporting"].get("/events", params={"type": "institution_registered", "limit": 1000})
        return institution in {e["aggregate_id"] for e in page.json()["items"]}

    await eventually(stored, timeout=60, what="reporting to store the registration")
    return institution


@pytest.fixture(scope="module")
async def integrations(stack: Stack) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """notify as the client's integration sees it, and as another system of the same district does."""
    clients = {
        sub: httpx.AsyncClient(
            base_url=stack.url("notify"), headers=bearer("integration", GUNUNGKIDUL, sub), timeout=30
        )
        for sub in (SIDINSOS, "simpel-gunungkidul")
    }
    yield clients
    for http in clients.values():
        await http.aclose()


@pytest.fixture(scope="module")
async def client(stack: Stack, wksbm: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningClient]:
    port = free_port()
    state = tmp_path_factory.mktemp("district")
    process = await _run_client(state, *_webhook_args(stack, port))
    running = RunningClient(process, state, f"http://127.0.0.1:{port}/pilar/events")
    reader = asyncio.create_task(running.read())
    yield running
    if process.returncode is None:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
    await reader


async def test_the_client_registers_its_own_webhook_which_another_integration_cannot_see(
    client: RunningClient, integrations: dict[str, httpx.AsyncClient]
) -> None:
    await client.said("webhook registered")
    mine = (await integrations[SIDINSOS].get("/webhooks")).json()
    assert [(w["url"], w["owner"], w["event_patterns"]) for w in mine["items"]] == [
        (client.webhook_url, SIDINSOS, ["*.institution_registered", "*.WKSBM_formed"])
    ]
    webhook_id = mine["items"][0]["id"]
    assert client.webhook()["id"] == webhook_id and client.webhook()["secret"].startswith("whsec_")
    assert oct((client.state / "webhook.json").stat().st_mode & 0o777) == "0o600"
    other = integrations["simpel-gunungkidul"]
    assert (await other.get("/webhooks")).json()["total"] == 0
    assert (await other.get(f"/webhooks/{webhook_id}")).status_code == 404


async def test_the_client_backfills_what_happened_before_it_started(client: RunningClient, wksbm: str) -> None:
    await client.said("following")
    backfilled = [e for e in client.applied() if e["aggregate_id"] == wksbm]
    assert [(e["event_type"], e["outcome"], e["via"]) for e in backfilled] == [
        ("institution_registered", "applied", "feed")
    ]
    assert json.loads((client.state / "state.json").read_text())["cursor"] > 0


async def test_a_formation_arrives_by_feed_and_signed_webhook_and_is_applied_once(
    client: RunningClient,
    wksbm: str,
    admin: dict[str, httpx.AsyncClient],
    integrations: dict[str, httpx.AsyncClient],
) -> None:
    await client.said("following")
    formed_on = (local_today() - timedelta(days=1)).isoformat()
    formation = await admin["registry"].post(f"/institutions/{wksbm}/formation", json={"formed_on": formed_on})
    assert formation.status_code in (200, 201), formation.text

    await client.said("webhook verified", "WKSBM_formed")
    await client.said("WKSBM_formed", wksbm, "via feed")
    await client.said("WKSBM_formed", wksbm, "via webhook")
    formed = [e for e in client.applied() if e["event_type"] == "WKSBM_formed"]
    assert len(formed) == 1 and formed[0]["outcome"] == "applied"  # the other copy was a duplicate
    assert any(line.startswith("duplicate WKSBM_formed") for line in client.lines)
    registered_version = next(e for e in client.applied() if e["event_type"] == "institution_registered")
    assert formed[0]["aggregate_version"] > registered_version["aggregate_version"]

    # The delivery is in the client's delivery log, and in no other integration's.
    query = {"event_id": formed[0]["event_id"]}

    async def recorded_as_sent() -> bool:  # notify records the attempt once the client has answered
        own = (await integrations[SIDINSOS].get("/deliveries", params=query)).json()["items"]
        return [(d["recipient_id"], d["status"]) for d in own] == [(client.webhook()["id"], "sent")]

    await eventually(recorded_as_sent, timeout=30, what="the delivery in the client's own delivery log")
    assert (await integrations["simpel-gunungkidul"].get("/deliveries", params=query)).json()["total"] == 0


async def test_a_tampered_or_replayed_webhook_is_refused(client: RunningClient) -> None:
    await client.said("following")
    event = {"event_id": "forged", "event_type": "WKSBM_formed", "aggregate_id": "x", "aggregate_version": 9}
    body = json.dumps(event).encode()
    now, secret = int(time.time()), client.webhook()["secret"]
    signed = signed_headers(body, secret, message_id="dlv_forged", timestamp=now)
    replayed = signed_headers(body, secret, message_id="dlv_forged", timestamp=now - 600)
    async with httpx.AsyncClient(timeout=10) as http:
        tampered = await http.post(client.webhook_url, content=body.replace(b"9", b"1"), headers=signed)
        stale = await http.post(client.webhook_url, content=body, headers=replayed)
        unsigned = await http.post(client.webhook_url, content=body)
    assert (tampered.status_code, stale.status_code, unsigned.status_code) == (400, 400, 400)
    assert "forged" not in {e["event_id"] for e in client.applied()}


async def test_the_client_rotates_its_secret_and_the_running_receiver_takes_it_at_once(
    client: RunningClient, stack: Stack, integrations: dict[str, httpx.AsyncClient]
) -> None:
    await client.said("following")
    old = client.webhook()
    rotation = await _run_client(client.state, "--notify", stack.url("notify"), "--rotate-secret")
    out, _ = await asyncio.wait_for(rotation.communicate(), timeout=60)
    assert rotation.returncode == 0, out
    new_secret = client.webhook()["secret"]
    assert new_secret != old["secret"] and out.decode().count(new_secret) == 1  # printed once
    assert old["secret"] not in out.decode()
    shown = (await integrations[SIDINSOS].get(f"/webhooks/{old['id']}")).json()
    assert shown["secret_rotated_by"] == SIDINSOS and shown["previous_secret_until"]

    # notify signs with both secrets during the grace period; the running client checks with the new one.
    tested = await integrations[SIDINSOS].post(f"/webhooks/{old['id']}/test")
    assert tested.json() == {"delivered": True, "status_code": 204, "failure": None}
    body, now = b'{"type": "ping"}', int(time.time())
    async with httpx.AsyncClient(timeout=10) as http:
        for secret, expected in ((new_secret, 204), (old["secret"], 400)):
            headers = signed_headers(body, secret, message_id="dlv_rotation", timestamp=now)
            assert (await http.post(client.webhook_url, content=body, headers=headers)).status_code == expected


async def test_a_restarted_client_finds_its_webhook_resumes_from_its_cursor_and_applies_nothing_twice(
    client: RunningClient, stack: Stack, integrations: dict[str, httpx.AsyncClient]
) -> None:
    await client.said("following")
    client.process.terminate()
    await asyncio.wait_for(client.process.wait(), timeout=30)
    before, webhook = client.applied(), client.webhook()
    port = client.webhook_url.split(":")[2].split("/")[0]
    again = await _run_client(client.state, *_webhook_args(stack, int(port)), "--once")
    out, _ = await asyncio.wait_for(again.communicate(), timeout=60)
    assert again.returncode == 0, out
    assert f"webhook found {webhook['id']}" in out.decode() and "webhook registered" not in out.decode()
    assert (await integrations[SIDINSOS].get("/webhooks")).json()["total"] == 1
    assert client.webhook() == webhook
    after = client.applied()
    # What came in meanwhile is new; nothing read before comes again.
    assert after[: len(before)] == before
    assert len({e["event_id"] for e in after}) == len(after)
    assert f"backfilled up to {json.loads((client.state / 'state.json').read_text())['cursor']}" in out.decode()


def test_the_clients_check_agrees_with_the_signer() -> None:
    verify = _client_module().verify_webhook
    body, now = b'{"event_id":"e1"}', 1_700_000_000
    headers = signed_headers(body, SECRET, message_id="dlv_1", timestamp=now)
    assert verify(body, headers, SECRET, now=now + 299)
    assert not verify(body, headers, SECRET, now=now + 301)
    assert not verify(body + b" ", headers, SECRET, now=now)
    assert not verify(body, headers, "whsec_" + "b3RoZXIta2V5LW9mLXNpeHRlZW4=", now=now)
    plain = "district-plain-secret-0123456789"
    assert verify(body, signed_headers(body, plain, message_id="dlv_2", timestamp=now), plain, now=now)
    # Two signatures while the key is rotated: either one will do.
    rotated = {**headers, "webhook-signature": "v1,AAAA " + headers["webhook-signature"]}
    assert verify(body, rotated, SECRET, now=now)
