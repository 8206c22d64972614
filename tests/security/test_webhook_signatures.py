"""Finding 10 (webhook signatures): a delivery is signed per Standard Webhooks — id, timestamp and body — so a
district system can verify it and refuse a replay. The receiver here checks with the spec's own algorithm,
written out below, not with notify's code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta

import httpx

from pilar_dev.testing import bearer, eventually
from services.notify.domain.signature import verify
from services.notify.tests.conftest import Notify, client, notify, receiver, smtp  # noqa: F401 — fixtures
from services.notify.tests.support import Receiver, scheduled

KEY = b"district-key-bytes-0123456789"
SECRET = "whsec_" + base64.b64encode(KEY).decode()  # the spec's form of a secret
TOLERANCE = 300


def spec_verifies(body: bytes, headers: dict[str, str], now: float) -> bool:
    """The Standard Webhooks receiver: HMAC-SHA256 over `id.timestamp.body`, base64, `v1,`; timestamp window."""
    message_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp", "")
    if not message_id or not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE:
        return False
    expected = base64.b64encode(hmac.new(KEY, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected.decode(), candidate) for candidate in offered)


async def test_a_delivery_verifies_and_its_replay_does_not(
    notify: Notify,  # noqa: F811
    client: httpx.AsyncClient,  # noqa: F811
    receiver: tuple[Receiver, str],  # noqa: F811
) -> None:
    hooks, url = receiver
    body = {"url": f"{url}/sidinsos", "event_patterns": ["outreach.*"], "region_code": "34.03", "secret": SECRET}
    answer = await client.post("/webhooks", json=body, headers=bearer("district_operator", "34.03"))
    assert answer.status_code == 201, answer.text
    await notify.publish(scheduled("ses_sig", (notify.clock() + timedelta(days=7)).replace(microsecond=0)))

    async def called() -> bool:
        return bool(hooks.at("/sidinsos"))

    await eventually(called, what="the webhook call")
    [call] = hooks.at("/sidinsos")
    now = time.time()
    assert spec_verifies(call.body, call.headers, now)
    assert verify(call.body, SECRET, call.headers)
    assert call.headers["webhook-id"] == call.headers["x-pilar-delivery-id"]

    # The same request, captured and sent again ten minutes later, is refused by the timestamp window …
    assert not spec_verifies(call.body, call.headers, now + 600)
    assert not verify(call.body, SECRET, call.headers, now=now + 600)
    # … and moving its timestamp forward breaks the signature.
    fresh = {**call.headers, "webhook-timestamp": str(int(now + 600))}
    assert not spec_verifies(call.body, fresh, now + 600)
    assert not verify(call.body, SECRET, fresh, now=now + 600)
