"""The example district client (examples/district_client/) against the four services: it backfills what happened
before it started, follows the feed, takes a signed webhook, applies each event once, and refuses a tampered or
replayed webhook."""

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
from pilar_dev.testing import TEST_SIGNING_KEY, eventually
from pilar_runtime.auth import issue_token
from pilar_runtime.localtime import local_today
from services.notify.domain.signature import signed_headers
from tests.e2e.stack import Stack

CLIENT = Path(__file__).resolve().parents[2] / "examples" / "district_client" / "client.py"
SECRET = "whsec_" + "ZGlzdHJpY3QtZ3VudW5na2lkdWwtMzIwMDE="  # base64 of a 25-byte key
GUNUNGKIDUL = "34.03"


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


def _token() -> str:
    return issue_token(TEST_SIGNING_KEY, sub="sidinsos-gunungkidul", role="integration", region=GUNUNGKIDUL)


async def _run_client(state: Path, *args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PILAR_TOKEN": _token(), "PILAR_WEBHOOK_SECRET": SECRET}
    return await asyncio.create_subprocess_exec(
        sys.executable, str(CLIENT), "--state", str(state), *args, env=env, stdout=asyncio.subprocess.PIPE
    )


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
async def client(stack: Stack, wksbm: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningClient]:
    port = free_port()
    state = tmp_path_factory.mktemp("district")
    process = await _run_client(state, "--reporting", stack.url("reporting"), "--listen", f"127.0.0.1:{port}")
    running = RunningClient(process, state, f"http://127.0.0.1:{port}/pilar/events")
    reader = asyncio.create_task(running.read())
    yield running
    if process.returncode is None:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
    await reader


async def test_the_client_backfills_what_happened_before_it_started(client: RunningClient, wksbm: str) -> None:
    await client.said("following")
    backfilled = [e for e in client.applied() if e["aggregate_id"] == wksbm]
    assert [(e["event_type"], e["outcome"], e["via"]) for e in backfilled] == [
        ("institution_registered", "applied", "feed")
    ]
    assert json.loads((client.state / "state.json").read_text())["cursor"] > 0


async def test_a_formation_arrives_by_feed_and_signed_webhook_and_is_applied_once(
    client: RunningClient, wksbm: str, admin: dict[str, httpx.AsyncClient]
) -> None:
    await client.said("following")
    webhook = {
        "url": client.webhook_url,
        "event_patterns": ["registry.WKSBM_formed"],
        "region_code": GUNUNGKIDUL,
        "secret": SECRET,
    }
    registered = await admin["notify"].post("/webhooks", json=webhook)
    assert registered.status_code == 201, registered.text

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


async def test_a_tampered_or_replayed_webhook_is_refused(client: RunningClient) -> None:
    await client.said("following")
    event = {"event_id": "forged", "event_type": "WKSBM_formed", "aggregate_id": "x", "aggregate_version": 9}
    body = json.dumps(event).encode()
    now = int(time.time())
    signed = signed_headers(body, SECRET, message_id="dlv_forged", timestamp=now)
    replayed = signed_headers(body, SECRET, message_id="dlv_forged", timestamp=now - 600)
    async with httpx.AsyncClient(timeout=10) as http:
        tampered = await http.post(client.webhook_url, content=body.replace(b"9", b"1"), headers=signed)
        stale = await http.post(client.webhook_url, content=body, headers=replayed)
        unsigned = await http.post(client.webhook_url, content=body)
    assert (tampered.status_code, stale.status_code, unsigned.status_code) == (400, 400, 400)
    assert "forged" not in {e["event_id"] for e in client.applied()}


async def test_a_restarted_client_resumes_from_its_cursor_and_applies_nothing_twice(
    client: RunningClient, stack: Stack
) -> None:
    await client.said("following")
    client.process.terminate()
    await asyncio.wait_for(client.process.wait(), timeout=30)
    before = client.applied()
    again = await _run_client(client.state, "--reporting", stack.url("reporting"), "--once")
    out, _ = await asyncio.wait_for(again.communicate(), timeout=60)
    assert again.returncode == 0, out
    after = client.applied()
    # What came in meanwhile (a delivery's notification_sent, say) is new; nothing read before comes again.
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
