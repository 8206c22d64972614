"""`pilar backfill registry` against running services: a campaign planned before the registry kept outreach's
campaigns (it is only in reporting's event store) is unknown to formation until the backfill, then cited as usual."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aio_pika

from contracts import topology
from pilar_dev.testing import TEST_SIGNING_KEY_PEM, eventually
from pilar_runtime.brokerusers import broker_user
from services.registry.tests.conftest import KAMPUNG, Registry, board, outreach_plan, registry  # noqa: F401
from services.reporting.tests.conftest import Reporting, reporting  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN, SESSION = "cmp_before_upgrade", "ses_before_upgrade"


async def test_backfill_gives_the_registry_campaigns_planned_before_it_kept_them(
    registry: Registry,  # noqa: F811 (the fixture)
    reporting: Reporting,  # noqa: F811
    amqp_url: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    # Straight into reporting's queue only: the registry never had them, as before the upgrade.
    channel = await registry.amqp.channel()
    for event in outreach_plan(CAMPAIGN, "34.03", {SESSION: KAMPUNG}):
        message = aio_pika.Message(event.to_json(), message_id=str(event.event_id), user_id=broker_user(amqp_url))
        await channel.default_exchange.publish(message, routing_key=topology.service_queue("reporting", namespace))
    await eventually(lambda: _stored(reporting), timeout=30, what="reporting to store the campaign and session")

    member = await registry.created(
        "/institutions", {"kind": "PRANATA_SOSIAL", "name": "Kelompok Tani", "region_code": KAMPUNG, "status": "active"}
    )
    wksbm = await registry.created(
        "/institutions",
        {
            "kind": "WKSBM",
            "name": "WKSBM Kampung",
            "region_code": KAMPUNG,
            "board": board(),
            "member_ids": [member["id"]],
        },
    )
    path = f"/institutions/{wksbm['id']}/formation"
    citation = {"formed_on": "2019-08-15", "campaign_id": CAMPAIGN, "session_id": SESSION}
    unknown = await registry.post(path, citation)
    assert unknown.status_code == 422 and "not known yet" in unknown.text

    (tmp_path / "signing-key.pem").write_bytes(TEST_SIGNING_KEY_PEM)  # the console's key, as the services trust it
    env = os.environ | {
        "AMQP_URL": amqp_url,
        "PILAR_REPORTING_URL": reporting.url,
        "PILAR_STATE_DIR": str(tmp_path),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pilar", "backfill", "registry", "--namespace", namespace,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output = (await asyncio.wait_for(process.communicate(), timeout=60))[0].decode()
    assert process.returncode == 0, output
    assert "sent 2 stored event(s)" in output

    async def formed() -> bool:
        return (await registry.post(path, citation)).status_code == 200

    await eventually(formed, timeout=30, what="the formation citing the backfilled campaign")


async def _stored(reporting: Reporting) -> bool:  # noqa: F811
    found = await reporting.get("/events", after=0)
    return {e["aggregate_id"] for e in found["items"]} >= {CAMPAIGN, SESSION}
