"""Webhooks carry no personal data: notify keeps a worker's phone and e-mail (it invites and reminds them), but a
district system subscribed to `registry.worker_*` gets the worker event without them.

The real notify app on the real broker and Mongo-wire server; the webhook is a real HTTP receiver on loopback.
"""

from __future__ import annotations

import json

import httpx

from pilar_dev.testing import bearer, eventually
from services.notify import store
from services.notify.tests.conftest import Notify, client, notify, receiver, smtp  # noqa: F401 — fixtures
from services.notify.tests.support import OFFICER, OFFICER_EMAIL, OFFICER_PHONE, Receiver, worker

SECRET = "kunci-rahasia-gunungkidul-2026"


async def test_worker_events_reach_webhooks_without_contacts(
    notify: Notify,  # noqa: F811
    client: httpx.AsyncClient,  # noqa: F811
    receiver: tuple[Receiver, str],  # noqa: F811
) -> None:
    hooks, url = receiver
    body = {"url": f"{url}/sid", "event_patterns": ["registry.worker_*"], "region_code": "34.03", "secret": SECRET}
    answer = await client.post("/webhooks", json=body, headers=bearer("district_operator", "34.03"))
    assert answer.status_code == 201, answer.text
    for version in (1, 2):  # worker_registered, then worker_updated
        await notify.publish(worker(OFFICER, email=OFFICER_EMAIL, phone=OFFICER_PHONE, version=version))

    async def both_sent() -> bool:
        return len(hooks.at("/sid")) == 2

    await eventually(both_sent, what="both worker events at the webhook")
    for call in hooks.at("/sid"):
        sent = json.loads(call.body)
        assert sent["event_type"] in {"worker_registered", "worker_updated"}
        assert sent["payload"]["worker_id"] == OFFICER and sent["payload"]["name"] == "Sri Lestari"
        assert "email" not in sent["payload"] and "phone" not in sent["payload"], sent
        assert OFFICER_EMAIL not in call.body.decode() and OFFICER_PHONE not in call.body.decode()
    # notify itself still has what it needs to reach the worker.
    contact = await notify.mongo.db[store.CONTACTS].find_one({"_id": OFFICER})
    assert contact is not None and contact["email"] == OFFICER_EMAIL and contact["phone"] == OFFICER_PHONE
