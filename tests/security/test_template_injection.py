"""Finding 1: a rule's template is code a district operator writes — it must not run Python or read secrets.

Each payload would, on a plain `jinja2.Environment`, run a command that creates a marker file, or push the link
secret into an error message. They go to the real notify app as rules (POST /rules), and — stored as if written
before the fix — are rendered at send time against a real event from the broker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from pilar_dev.testing import TEST_LINK_SECRET, bearer, eventually
from services.notify import store
from services.notify.tests.conftest import Notify, client, notify, receiver, smtp  # noqa: F401 — fixtures
from services.notify.tests.support import scheduled

OPERATOR = bearer("district_operator", "34.03")
RULE = {"event_pattern": "outreach.session_scheduled", "region_code": "34.03", "channel": "email",
        "recipients": ["pengelola@dinsos.example.id"]}  # fmt: skip
ENV = "cycler.__init__.__globals__.os.environ"


def payloads(marker: Path) -> list[str]:
    """Escapes that run `touch <marker>` or carry the secret into an exception's text."""
    touch = f"touch {marker}"
    return [
        f"{{{{ cycler.__init__.__globals__.os.popen('{touch}').read() }}}}",
        f"{{{{ joiner.__init__.__globals__.os.system('{touch}') }}}}",
        f"{{{{ namespace.__init__.__globals__.os.system('{touch}') }}}}",
        f"{{{{ lipsum.__globals__['os'].popen('{touch}').read() }}}}",
        f"{{{{ self.__init__.__globals__.__builtins__.__import__('os').system('{touch}') }}}}",
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}"
        f"{{{{ c('{touch}', shell=True).wait() }}}}{{% endif %}}{{% endfor %}}",
        "{% set o = sesi|attr('__class__')|attr('__mro__') %}"
        f"{{{{ (o|last)|attr('__subclasses__') }}}}{{{{ lipsum.__globals__.os.system('{touch}') }}}}",
        "{{ '{0.__class__.__mro__}'.format(sesi) }}",
        "{% set s = [] %}{{ s.append(1) }}{{ s }}",
        f"{{{{ {{}}[{ENV}.PILAR_LINK_SECRET] }}}}",  # the secret as a missing key: echoed by the old 422
        f"{{{{ {{}}[{ENV}.AMQP_URL] }}}}",
        "{{ config.SECRET_KEY }}{{ request.environ }}",
    ]


def secrets(amqp_url: str) -> list[str]:
    return [TEST_LINK_SECRET, urlsplit(amqp_url).password or "guest"]


@pytest.fixture(autouse=True)
def process_secrets(monkeypatch: pytest.MonkeyPatch, amqp_url: str) -> None:
    """The process's environment holds the secrets, as a deployed notify's does."""
    monkeypatch.setenv("PILAR_LINK_SECRET", TEST_LINK_SECRET)
    monkeypatch.setenv("AMQP_URL", amqp_url)


async def test_escapes_posted_as_rules_are_refused_without_running(
    notify: Notify,  # noqa: F811
    client: httpx.AsyncClient,  # noqa: F811
    tmp_path: Path,
    amqp_url: str,
) -> None:
    marker = tmp_path / "ran"
    for template in payloads(marker):
        answer = await client.post("/rules", json={**RULE, "template": template}, headers=OPERATOR)
        assert answer.status_code == 422, (template, answer.text)
        assert "template" in answer.json()["detail"]
        for secret in secrets(amqp_url):
            assert secret not in answer.text, template
        assert "uid=" not in answer.text and "<class" not in answer.text and "environ" not in answer.text
        assert not marker.exists(), f"the template ran a command: {template}"
    assert (await client.get("/rules", headers=OPERATOR)).json()["total"] == 0


async def test_escapes_in_stored_rules_fail_the_delivery_without_running(
    notify: Notify,  # noqa: F811
    client: httpx.AsyncClient,  # noqa: F811
    tmp_path: Path,
    amqp_url: str,
) -> None:
    marker = tmp_path / "ran"
    templates = payloads(marker)
    rules = [
        {**RULE, "_id": f"rul_{i:020x}", "template": t, "recipients": [f"pengelola{i}@dinsos.example.id"],
         "created_at": datetime.now(UTC), "version": 1}
        for i, t in enumerate(templates)
    ]  # fmt: skip
    await notify.mongo.db[store.RULES].insert_many(rules)
    envelope = scheduled("ses_tpl", (notify.clock() + timedelta(days=7)).replace(microsecond=0))
    await notify.publish(envelope)

    async def recorded() -> list[dict[str, Any]]:
        return await notify.deliveries(event_id=str(envelope.event_id), rule_id={"$in": [r["_id"] for r in rules]})

    async def all_recorded() -> bool:
        return len(await recorded()) == len(rules)

    await eventually(all_recorded, what="a delivery for every hostile rule")
    assert not marker.exists(), "a stored rule's template ran a command at send time"
    assert {d["status"] for d in await recorded()} == {"failed"}
    log = await client.get("/deliveries", params={"status": "failed"}, headers=OPERATOR)
    assert log.status_code == 200 and log.json()["total"] >= len(rules)
    for secret in secrets(amqp_url):
        assert secret not in log.text
    assert "<class" not in log.text and "uid=" not in log.text
