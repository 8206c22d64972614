"""Rules and webhooks over HTTP: validation (422 naming the field), region scope, write-only secrets."""

from __future__ import annotations

from typing import Any

import httpx

from pilar_dev.devstack import free_port
from pilar_dev.testing import bearer
from services.notify.tests.conftest import Notify
from services.notify.tests.support import Receiver

OPERATOR = bearer("district_operator", "34.03")
GOOD = {"event_pattern": "outreach.session_*", "region_code": "34.03", "channel": "email", "recipients": ["officers"]}

BAD_RULES: list[tuple[dict[str, Any], str]] = [
    ({"event_pattern": "session"}, "event_pattern"),
    ({"event_pattern": "registry.worker_registered"}, "matches no notice"),
    ({"event_pattern": "registry.*_formed", "recipients": ["narasumber"]}, "cannot be derived"),
    ({"event_pattern": "registry.WKSBM_formed", "template": "{{ sesi.topik }}"}, "does not render"),
    ({"event_pattern": "outreach.session_[a]"}, "event_pattern"),
    ({"channel": "fax"}, "channel"),
    ({"template": "Yth. {{ sesi.nama_kepala_desa }}"}, "does not render"),
    ({"template": "{% if %}"}, "does not parse"),
    ({"recipients": ["followup_owner"]}, "cannot be derived"),
    ({"recipients": ["bukan-alamat"]}, "recipients"),
    ({"recipients": []}, "recipients"),
    ({"region_code": "99.99"}, "region_code"),
    ({"channel": "webhook", "recipients": ["officers"]}, "webhook"),
    ({"colour": "red"}, "colour"),
]


async def test_bad_rules_are_refused_with_the_reason(notify: Notify, client: httpx.AsyncClient) -> None:
    for change, reason in BAD_RULES:
        answer = await client.post("/rules", json={**GOOD, **change}, headers=OPERATOR)
        assert answer.status_code == 422, (change, answer.text)
        assert reason in answer.text, (change, answer.text)
    assert (await client.get("/rules", headers=OPERATOR)).json()["total"] == 0


async def test_rules_are_created_listed_and_scoped_by_region(notify: Notify, client: httpx.AsyncClient) -> None:
    custom = {**GOOD, "channel": "sms", "recipients": ["narasumber", "+62 812-3456-7890"],
              "template": "{{ sesi.topik }} di {{ sesi.desa }}, {{ sesi.mulai }}"}  # fmt: skip
    created = await client.post("/rules", json=custom, headers=OPERATOR)
    assert created.status_code == 201, created.text
    assert created.json()["id"].startswith("rul_")
    shipped = await client.post("/rules", json={**GOOD, "template": "email/session_reminder"}, headers=OPERATOR)
    assert shipped.status_code == 201, shipped.text

    assert (await client.get("/rules", headers=OPERATOR)).json()["total"] == 2
    assert (await client.get("/rules", headers=bearer("viewer", "35.11"))).json()["total"] == 0
    outside = await client.post("/rules", json={**GOOD, "region_code": "35.11"}, headers=OPERATOR)
    assert outside.status_code == 403
    viewer = await client.post("/rules", json=GOOD, headers=bearer("viewer", "34.03"))
    assert viewer.status_code == 403
    defaults = (await client.get("/rules/defaults", headers=OPERATOR)).json()
    assert {r["channel"] for r in defaults["items"]} == {"email", "sms"}

    # Contacts a writer put in a rule: whole for writers, masked for viewers and integrations.
    async def sms_recipients(headers: dict[str, str]) -> list[str]:
        rules = (await client.get("/rules", headers=headers)).json()["items"]
        return next(r["recipients"] for r in rules if r["channel"] == "sms")

    assert await sms_recipients(OPERATOR) == ["narasumber", "+62 812-3456-7890"]
    for reader in (bearer("viewer", "34.03"), bearer("integration", "34.03")):
        assert await sms_recipients(reader) == ["narasumber", "[phone]"]


async def test_bad_webhooks_are_refused(
    notify: Notify, client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    bad: list[tuple[dict[str, Any], str]] = [
        ({"url": "ftp://sidinsos.example.id/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:pw@sidinsos.example.id/"}, "credentials"),
        ({"url": f"http://127.0.0.1:{free_port()}/pilar"}, "nothing accepted a connection"),
        ({"url": "http://[::1/pilar"}, "url"),
        ({"url": "http://sidinsos.example.id:99999/"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "link-local addresses are not reachable"),
        ({"event_patterns": ["outreach session"]}, "event_patterns[0]"),
        ({"event_patterns": []}, "event_patterns"),
        ({"secret": "pendek"}, "secret"),
        ({"region_code": "34.99"}, "region_code"),
    ]
    for change, reason in bad:
        body = {"url": f"{url}/pilar", "event_patterns": ["outreach.*"], "region_code": "34.03",
                "secret": "kunci-rahasia-gunungkidul-2026", **change}  # fmt: skip
        answer = await client.post("/webhooks", json=body, headers=OPERATOR)
        assert answer.status_code == 422 and reason in answer.text, (change, answer.text)
    assert (await client.get("/webhooks", headers=OPERATOR)).json()["total"] == 0


async def test_webhook_secrets_are_never_returned(
    notify: Notify, client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    secret = "kunci-rahasia-gunungkidul-2026"
    body = {"url": f"{url}/pilar", "event_patterns": ["outreach.*", "registry.WKSBM_formed"],
            "region_code": "34.03", "secret": secret}  # fmt: skip
    created = await client.post("/webhooks", json=body, headers=OPERATOR)
    assert created.status_code == 201, created.text
    listed = await client.get("/webhooks", headers=OPERATOR)
    for text in (created.text, listed.text):
        assert secret not in text and '"secret"' not in text
    assert listed.json()["items"][0]["secret_set"] is True
    assert listed.json()["items"][0]["id"] == created.json()["id"]
    assert (await client.get("/webhooks", headers=bearer("viewer", "35.11"))).json()["total"] == 0


async def test_lists_narrow_to_a_region_within_the_callers_scope(notify: Notify, client: httpx.AsyncClient) -> None:
    for region in ("34.03", "34.03.13"):
        created = await client.post("/rules", json={**GOOD, "region_code": region}, headers=OPERATOR)
        assert created.status_code == 201, created.text

    async def total(path: str, region: str) -> int:
        answer = await client.get(path, params={"region": region}, headers=OPERATOR)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    assert await total("/rules", "34.03.13") == 1
    assert await total("/rules", "34") == 2  # wider than the scope: the scope still limits
    assert await total("/rules", "35.11") == 0  # outside the scope: silently nothing
    for path in ("/rules", "/webhooks", "/deliveries"):
        assert (await client.get(path, params={"region": "nonsense"}, headers=OPERATOR)).status_code == 422
