"""A district system manages its own webhooks with its integration token: registers, lists, changes, tests, rotates
the secret of, pauses, resumes and deletes them; another integration sees none of it; a receiver that is down gets
its deliveries later, on the schedule or by hand — real broker, Mongo-wire server and HTTP receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx

from pilar_dev.testing import bearer, eventually
from services.notify.domain.signature import verify
from services.notify.tests.conftest import Notify
from services.notify.tests.support import DOWN_PAGE, Receiver, scheduled

SIDINSOS = bearer("integration", "34.03", sub="sidinsos-gunungkidul")
SIMPEL = bearer("integration", "34.03", sub="simpel-gunungkidul")  # another system of the same district
BONDOWOSO = bearer("integration", "35.11", sub="sidinsos-bondowoso")
OPERATOR = bearer("district_operator", "34.03", sub="op-gunungkidul")
VIEWER = bearer("viewer", "34.03", sub="viewer-gunungkidul")
SECRET = "kunci-rahasia-sidinsos-2026"


async def _register(client: httpx.AsyncClient, url: str) -> str:
    body = {"url": url, "event_patterns": ["outreach.session_*"], "region_code": "34.03", "secret": SECRET}
    created = await client.post("/webhooks", json=body, headers=SIDINSOS)
    assert created.status_code == 201, created.text
    assert (created.json()["owner"], created.json()["created_by"]) == ("sidinsos-gunungkidul",) * 2
    assert SECRET not in created.text
    return str(created.json()["id"])


async def _publish(notify: Notify, session_id: str) -> str:
    envelope = scheduled(session_id, (notify.clock() + timedelta(days=7)).replace(microsecond=0))
    await notify.publish(envelope)
    return str(envelope.event_id)


async def _delivery(notify: Notify, event_id: str) -> dict[str, object]:
    async def recorded() -> bool:
        return bool(await notify.deliveries(event_id=event_id, channel="webhook"))

    await eventually(recorded, what="the webhook delivery to be recorded")
    [found] = await notify.deliveries(event_id=event_id, channel="webhook")
    return found


async def _held(notify: Notify, event_id: str) -> None:
    """Once the webhook delivery of the event is recorded and the dispatcher has put it back to wait."""
    await _delivery(notify, event_id)

    async def held() -> bool:
        [found] = await notify.deliveries(event_id=event_id, channel="webhook")
        return bool(found["next_attempt_at"] > notify.clock() + timedelta(minutes=5))

    await eventually(held, what="the dispatcher to hold the paused webhook's delivery")


async def test_an_integration_manages_its_own_webhook_and_no_other_system_sees_it(
    notify: Notify, client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    webhook_id = await _register(client, f"{url}/sidinsos")
    path = f"/webhooks/{webhook_id}"
    elsewhere = {"url": f"{url}/x", "event_patterns": ["outreach.*"], "region_code": "35.11", "secret": SECRET}
    assert (await client.post("/webhooks", json=elsewhere, headers=SIDINSOS)).status_code == 403
    viewer_body = {**elsewhere, "region_code": "34.03"}
    assert (await client.post("/webhooks", json=viewer_body, headers=VIEWER)).status_code == 403

    # Lists: the integration its own, the other integration nothing, staff of the region everything.
    listed = {name: (await client.get("/webhooks", headers=h)).json()["total"]
              for name, h in (("sidinsos", SIDINSOS), ("simpel", SIMPEL), ("operator", OPERATOR))}  # fmt: skip
    assert listed == {"sidinsos": 1, "simpel": 0, "operator": 1}
    # Another integration cannot see or touch it (404, as if it did not exist); one of another region: 403.
    for method, suffix, body in (
        ("GET", "", None), ("PATCH", "", {"description": "x"}), ("DELETE", "", None), ("POST", "/pause", None),
        ("POST", "/resume", None), ("POST", "/rotate-secret", None), ("POST", "/test", None),
        ("POST", "/disable", None),
    ):  # fmt: skip
        answer = await client.request(method, path + suffix, json=body, headers=SIMPEL)
        assert answer.status_code == 404, (method, suffix, answer.text)
        assert (await client.request(method, path + suffix, json=body, headers=BONDOWOSO)).status_code == 403
    assert (await client.post(f"{path}/pause", headers=VIEWER)).status_code == 403

    changed = await client.patch(path, json={"description": "SIDINSOS Gunungkidul"}, headers=SIDINSOS)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["description"], changed.json()["updated_by"], changed.json()["version"]) == (
        "SIDINSOS Gunungkidul", "sidinsos-gunungkidul", 2)  # fmt: skip
    for bad in ({"url": "ftp://sidinsos.example/"}, {"event_patterns": ["not a pattern"]}, {"region_code": "35.11"}):
        assert (await client.patch(path, json=bad, headers=SIDINSOS)).status_code == 422, bad

    # The test ping is signed like any delivery, and answers with the receiver's status only.
    pinged = await client.post(f"{path}/test", headers=SIDINSOS)
    assert pinged.json() == {"delivered": True, "status_code": 204, "failure": None}
    [ping] = hooks.at("/sidinsos")
    assert json.loads(ping.body)["type"] == "ping" and ping.headers["x-pilar-event-type"] == "ping"
    assert verify(ping.body, SECRET, ping.headers)
    hooks.down = 1
    refused = await client.post(f"{path}/test", headers=SIDINSOS)
    assert refused.json() == {"delivered": False, "status_code": 503, "failure": "server_5xx"}
    assert DOWN_PAGE.decode() not in refused.text

    # Rotating: the new secret is shown once; the old one keeps signing beside it for the grace period.
    rotated = await client.post(f"{path}/rotate-secret", headers=SIDINSOS)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and rotated.json()["webhook"]["secret_rotated_by"] == "sidinsos-gunungkidul"
    assert rotated.json()["webhook"]["previous_secret_until"]
    shown = await client.get(path, headers=SIDINSOS)
    assert new_secret not in shown.text and SECRET not in shown.text
    await client.post(f"{path}/test", headers=SIDINSOS)
    signed_twice = hooks.at("/sidinsos")[-1]
    assert verify(signed_twice.body, new_secret, signed_twice.headers)
    assert verify(signed_twice.body, SECRET, signed_twice.headers)

    # Paused: the event's delivery is recorded but waits, with no attempt spent; resumed, it is sent.
    paused = await client.post(f"{path}/pause", headers=SIDINSOS)
    assert (paused.json()["paused"], paused.json()["paused_by"]) == (True, "sidinsos-gunungkidul")
    calls_before = len(hooks.calls)
    event_id = await _publish(notify, "ses_paused")
    await _held(notify, event_id)
    [waiting] = await notify.deliveries(event_id=event_id, channel="webhook")
    assert (waiting["status"], waiting["attempts"], len(hooks.calls)) == ("pending", [], calls_before)
    # The district moves its receiver meanwhile: what waited goes to the new URL.
    moved = await client.patch(path, json={"url": f"{url}/sidinsos-baru"}, headers=SIDINSOS)
    assert moved.status_code == 200 and moved.json()["url"] == f"{url}/sidinsos-baru", moved.text
    resumed = await client.post(f"{path}/resume", headers=SIDINSOS)
    assert (resumed.json()["paused"], resumed.json()["resumed_by"]) == (False, "sidinsos-gunungkidul")

    async def sent() -> bool:
        return bool(await notify.deliveries(event_id=event_id, channel="webhook", status="sent"))

    await eventually(sent, what="the waiting delivery to be sent on resume")
    [delivered] = hooks.at("/sidinsos-baru")
    assert json.loads(delivered.body)["event_id"] == event_id and verify(delivered.body, new_secret, delivered.headers)

    # Deleted: nothing more is sent — not even what was waiting, which fails as `not_configured`.
    await client.post(f"{path}/pause", headers=SIDINSOS)
    last = await _publish(notify, "ses_gone")
    await _held(notify, last)
    calls_before = len(hooks.calls)
    deleted = await client.delete(path, headers=SIDINSOS)
    assert (deleted.json()["active"], deleted.json()["deleted_by"]) == (False, "sidinsos-gunungkidul")

    async def given_up() -> bool:
        return bool(await notify.deliveries(event_id=last, status="failed", failure="not_configured"))

    await eventually(given_up, what="the deleted webhook's waiting delivery to fail")
    assert len(hooks.calls) == calls_before
    [gone] = await notify.deliveries(event_id=last)
    retry = await client.post(f"/deliveries/{gone['_id']}/retry", headers=SIDINSOS)
    assert (retry.status_code, retry.json()["rule"]) == (409, "webhook_deleted")
    assert (await client.post(f"{path}/test", headers=SIDINSOS)).status_code == 409
    assert (await client.patch(path, json={"description": "y"}, headers=SIDINSOS)).status_code == 409
    assert (await client.get("/webhooks", headers=SIDINSOS)).json()["total"] == 0


async def test_a_receiver_down_for_a_while_gets_its_delivery_on_the_schedule_or_by_hand(
    notify: Notify, client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    """notify here retries twice, 50 ms apart (NOTIFY_RETRY_SCHEDULE=0.05,0.05)."""
    hooks, url = receiver
    webhook_id = await _register(client, f"{url}/sidinsos")

    hooks.down = 2  # down for the first two attempts, back for the third
    first = await _publish(notify, "ses_down")

    async def sent(event_id: str) -> bool:
        return bool(await notify.deliveries(event_id=event_id, channel="webhook", status="sent"))

    await eventually(lambda: sent(first), what="the delivery to get through on its third attempt")
    [delivered] = await notify.deliveries(event_id=first)
    assert [a["outcome"] for a in delivered["attempts"]] == ["failed", "failed", "sent"]
    assert all(verify(c.body, SECRET, c.headers) for c in hooks.at("/sidinsos"))

    hooks.down = 3  # down through the whole schedule: the delivery fails; back up, a retry by hand sends it
    second = await _publish(notify, "ses_longer")

    async def failed() -> bool:
        return bool(await notify.deliveries(event_id=second, channel="webhook", status="failed"))

    await eventually(failed, what="the delivery to fail once the schedule is spent")
    [given_up] = await notify.deliveries(event_id=second)
    retry = f"/deliveries/{given_up['_id']}/retry"
    assert (await client.post(retry, headers=SIMPEL)).status_code == 404  # not its webhook
    assert (await client.post(retry, headers=BONDOWOSO)).status_code == 403
    assert (await client.post(retry, headers=VIEWER)).status_code == 403
    assert (await client.post("/deliveries/dlv_unknown/retry", headers=SIDINSOS)).status_code == 404
    # A dispatcher holding the delivery this moment (its lease, not its version, says so): the retry waits.
    held = await notify.mongo.db.deliveries.update_one(
        {"_id": given_up["_id"]}, {"$set": {"lease_until": datetime(2100, 1, 1, tzinfo=UTC)}}
    )
    assert held.modified_count == 1
    busy = await client.post(retry, headers=SIDINSOS)
    assert (busy.status_code, busy.json()["rule"]) == (409, "changed_meanwhile")
    await notify.mongo.db.deliveries.update_one({"_id": given_up["_id"]}, {"$set": {"lease_until": None}})
    retried = await client.post(retry, headers=SIDINSOS)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["retried_by"]) == ("pending", "sidinsos-gunungkidul")
    await eventually(lambda: sent(second), what="the retried delivery to be sent")
    [redelivered] = await notify.deliveries(event_id=second)
    assert [a["outcome"] for a in redelivered["attempts"]] == ["failed"] * 3 + ["sent"]
    assert redelivered["recipient_id"] == webhook_id

    again = await client.post(retry, headers=OPERATOR)  # staff of the region may retry too, but not a sent one
    assert (again.status_code, again.json()["rule"]) == (409, "delivery_sent")


async def test_an_integration_lists_only_the_deliveries_to_its_own_webhooks(
    notify: Notify, client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    """Two systems of Gunungkidul and the Dinas itself each have a webhook for the same event: each system's
    delivery log holds its own delivery only; staff of the region see all three."""
    _, url = receiver
    hooks = {}
    for name, headers in (("sidinsos", SIDINSOS), ("simpel", SIMPEL), ("dinas", OPERATOR)):
        body = {"url": f"{url}/{name}", "event_patterns": ["outreach.*"], "region_code": "34.03", "secret": SECRET}
        created = await client.post("/webhooks", json=body, headers=headers)
        assert created.status_code == 201, created.text
        hooks[name] = created.json()["id"]
    event_id = await _publish(notify, "ses_bersama")

    async def all_sent() -> bool:
        return len(await notify.deliveries(event_id=event_id, channel="webhook", status="sent")) == 3

    await eventually(all_sent, what="the three webhook deliveries to be sent")

    async def listed(headers: dict[str, str], **query: str) -> set[str]:
        answer = await client.get("/deliveries", params={"event_id": event_id, **query}, headers=headers)
        assert answer.status_code == 200, answer.text
        if headers is not OPERATOR:  # an integration's own webhook URL stays masked, as before
            assert all("recipient" not in item for item in answer.json()["items"])
        return {item["recipient_id"] for item in answer.json()["items"]}

    assert await listed(SIDINSOS) == {hooks["sidinsos"]}
    assert await listed(SIMPEL) == {hooks["simpel"]}
    assert await listed(OPERATOR, channel="webhook") == set(hooks.values())
    assert await listed(SIDINSOS, channel="email") == set()
    assert await listed(SIDINSOS, status="sent", channel="webhook") == {hooks["sidinsos"]}
    unfiltered = await client.get("/deliveries", headers=SIMPEL)
    assert {item["recipient_id"] for item in unfiltered.json()["items"]} == {hooks["simpel"]}
    # A deleted webhook's deliveries stay in its owner's log, and still in no one else's.
    assert (await client.delete(f"/webhooks/{hooks['sidinsos']}", headers=SIDINSOS)).status_code == 200
    assert await listed(SIDINSOS) == {hooks["sidinsos"]}
    assert await listed(SIMPEL) == {hooks["simpel"]}
