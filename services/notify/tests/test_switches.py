"""Rules and webhooks disabled, enabled again and deleted: nothing new is planned for them, what was recorded stays
in the log, who did it and when is kept; writers of the region only — real broker, Mongo-wire and HTTP receiver."""

from __future__ import annotations

from datetime import timedelta

import httpx

from pilar_dev.testing import bearer, eventually
from services.notify.tests.conftest import Notify
from services.notify.tests.support import Receiver, scheduled

OPERATOR = bearer("district_operator", "34.03", sub="op-gunungkidul")
BONDOWOSO = bearer("district_operator", "35.11", sub="op-bondowoso")
VIEWER = bearer("viewer", "34.03", sub="viewer-gunungkidul")
KEPALA_SEKSI = "kasi.penyuluhan@dinsos.gunungkidulkab.go.id"
SEKRETARIAT = "sekretariat@dinsos.gunungkidulkab.go.id"  # a rule that stays on: it shows an event was handled
SECRET = "kunci-rahasia-gunungkidul-2026"


async def _rule(client: httpx.AsyncClient, address: str) -> str:
    body = {"event_pattern": "outreach.session_scheduled", "region_code": "34.03", "channel": "email",
            "recipients": [address]}  # fmt: skip
    created = await client.post("/rules", json=body, headers=OPERATOR)
    assert created.status_code == 201, created.text
    assert created.json()["active"] is True
    return str(created.json()["id"])


async def _invite(notify: Notify, session_id: str) -> dict[str, str]:
    """A session in Desa Kampung a week ahead is scheduled; once notify has handled it (the sentinel rule's
    delivery exists), the recipients it planned, by address → rule or webhook id."""
    envelope = scheduled(session_id, (notify.clock() + timedelta(days=7)).replace(microsecond=0))
    await notify.publish(envelope)

    async def handled() -> bool:
        return bool(await notify.deliveries(event_id=str(envelope.event_id), recipient=SEKRETARIAT))

    await eventually(handled, what=f"notify to handle {session_id}")
    found = await notify.deliveries(event_id=str(envelope.event_id))
    return {d["recipient"]: d["recipient_id"] if d["channel"] == "webhook" else d["rule_id"] for d in found}


async def test_a_disabled_or_deleted_rule_plans_nothing_and_stays_on_record(
    notify: Notify, client: httpx.AsyncClient
) -> None:
    await _rule(client, SEKRETARIAT)
    rule_id = await _rule(client, KEPALA_SEKSI)
    path = f"/rules/{rule_id}"
    assert (await _invite(notify, "ses_1")).get(KEPALA_SEKSI) == rule_id

    for headers, status in ((BONDOWOSO, 403), (VIEWER, 403)):
        assert (await client.post(f"{path}/disable", headers=headers)).status_code == status
    assert (await client.post("/rules/rul_unknown/disable", headers=OPERATOR)).status_code == 404
    disabled = await client.post(f"{path}/disable", headers=OPERATOR)
    assert disabled.status_code == 200, disabled.text
    assert (disabled.json()["active"], disabled.json()["disabled_by"], disabled.json()["version"]) == (
        False,
        "op-gunungkidul",
        2,
    )
    again = await client.post(f"{path}/disable", headers=OPERATOR)
    assert (again.json()["version"], again.json()["disabled_at"]) == (2, disabled.json()["disabled_at"])
    assert KEPALA_SEKSI not in await _invite(notify, "ses_2")

    enabled = await client.post(f"{path}/enable", headers=OPERATOR)
    assert (enabled.json()["active"], enabled.json()["enabled_by"], enabled.json()["version"]) == (
        True,
        "op-gunungkidul",
        3,
    )
    assert (await _invite(notify, "ses_3")).get(KEPALA_SEKSI) == rule_id

    assert (await client.delete(path, headers=VIEWER)).status_code == 403
    deleted = await client.delete(path, headers=OPERATOR)
    assert deleted.status_code == 200, deleted.text
    assert (deleted.json()["active"], deleted.json()["deleted_by"]) == (False, "op-gunungkidul")
    assert KEPALA_SEKSI not in await _invite(notify, "ses_4")
    revived = await client.post(f"{path}/enable", headers=OPERATOR)
    assert (revived.status_code, revived.json()["rule"]) == (409, "rule_deleted")
    assert (await client.delete(path, headers=OPERATOR)).json()["version"] == deleted.json()["version"]

    listed = (await client.get("/rules", headers=OPERATOR)).json()
    assert rule_id not in [r["id"] for r in listed["items"]]
    with_deleted = (await client.get("/rules", params={"deleted": "true"}, headers=OPERATOR)).json()
    assert rule_id in [r["id"] for r in with_deleted["items"]]
    kept = await client.get(path, headers=OPERATOR)
    assert kept.json()["deleted_at"] == deleted.json()["deleted_at"]
    assert (await client.get(path, headers=BONDOWOSO)).status_code == 403
    # What the rule planned before stays in the delivery log.
    assert len(await notify.deliveries(rule_id=rule_id)) == 2


async def test_a_disabled_webhook_is_sent_nothing_new_and_a_deleted_one_cannot_return(
    notify: Notify, client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    await _rule(client, SEKRETARIAT)
    body = {"url": f"{url}/sidinsos", "event_patterns": ["outreach.session_*"], "region_code": "34.03",
            "secret": SECRET}  # fmt: skip
    created = await client.post("/webhooks", json=body, headers=OPERATOR)
    assert created.status_code == 201, created.text
    webhook_id = created.json()["id"]
    path = f"/webhooks/{webhook_id}"
    hook_url = f"{url}/sidinsos"
    assert (await _invite(notify, "ses_a")).get(hook_url) == webhook_id

    assert (await client.post(f"{path}/disable", headers=BONDOWOSO)).status_code == 403
    disabled = await client.post(f"{path}/disable", headers=OPERATOR)
    assert (disabled.json()["active"], disabled.json()["disabled_by"]) == (False, "op-gunungkidul")
    assert SECRET not in disabled.text and disabled.json()["secret_set"] is True
    assert hook_url not in await _invite(notify, "ses_b")

    assert (await client.post(f"{path}/enable", headers=OPERATOR)).json()["active"] is True
    assert (await _invite(notify, "ses_c")).get(hook_url) == webhook_id

    deleted = await client.delete(path, headers=OPERATOR)
    assert (deleted.json()["active"], deleted.json()["deleted_by"]) == (False, "op-gunungkidul")
    assert hook_url not in await _invite(notify, "ses_d")
    revived = await client.post(f"{path}/enable", headers=OPERATOR)
    assert (revived.status_code, revived.json()["rule"]) == (409, "webhook_deleted")
    # A rule may no longer name it, and lists leave it out unless asked.
    webhook_rule = {"event_pattern": "outreach.session_*", "region_code": "34.03", "channel": "webhook",
                    "recipients": [webhook_id]}  # fmt: skip
    refused = await client.post("/rules", json=webhook_rule, headers=OPERATOR)
    assert refused.status_code == 422 and "not registered" in refused.text
    assert (await client.get("/webhooks", headers=OPERATOR)).json()["total"] == 0
    assert (await client.get("/webhooks", params={"deleted": "true"}, headers=OPERATOR)).json()["total"] == 1
    assert len(await notify.deliveries(recipient_id=webhook_id)) == 2
