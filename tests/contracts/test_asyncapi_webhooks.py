"""The AsyncAPI document describes the webhooks as notify sends them: the headers, and every event it passes on."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from contracts.catalogue import EVENT_TYPES, routing_key
from contracts.generate import ASYNCAPI_PATH, WEBHOOKS_CHANNEL, topic_matches
from contracts.topology import SUBSCRIPTIONS
from services.notify.domain.signature import signed_headers
from tests.contracts.test_contracts import wire_message


def _document() -> Any:
    return json.loads(ASYNCAPI_PATH.read_text(encoding="utf-8"))


def _resolve(document: Any, ref: str) -> Any:
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_webhooks_channel_carries_every_event_notify_passes_on_and_a_rules_notice() -> None:
    document = _document()
    channel = document["channels"][WEBHOOKS_CHANNEL]
    passed_on = {
        name
        for name in EVENT_TYPES
        if any(topic_matches(pattern, routing_key(name)) for pattern in SUBSCRIPTIONS["notify"])
    }
    assert {"WKSBM_formed", "FGD_held", "report_generated"} <= passed_on
    assert set(channel["messages"]) == {f"webhook.{name}" for name in passed_on} | {"webhook.notice"}
    assert channel["servers"] == [{"$ref": "#/servers/district"}]
    operation = document["operations"]["notify.send.webhooks"]
    assert operation["bindings"]["http"]["method"] == "POST"
    assert len(operation["messages"]) == len(channel["messages"])


def test_a_signed_delivery_fits_the_documented_headers_and_payload() -> None:
    document = _document()
    message = _resolve(document, document["channels"][WEBHOOKS_CHANNEL]["messages"]["webhook.WKSBM_formed"]["$ref"])
    body = json.dumps(wire_message()).encode()
    headers = {
        **signed_headers(body, "whsec_" + "QUJDREVGR0hJSktMTU5PUA==", message_id="dlv_1", timestamp=1_700_000_000),
        "X-Pilar-Event-Type": "WKSBM_formed",
    }
    header_schema = _resolve(document, message["headers"]["$ref"])
    assert not list(Draft202012Validator(header_schema).iter_errors(headers))
    # The payload schema refers to the document's components, so it is checked inside the whole document.
    payload_schema = {**_resolve(document, message["payload"]["$ref"]), "components": document["components"]}
    assert not list(Draft202012Validator(payload_schema).iter_errors(json.loads(body)))
    assert list(Draft202012Validator(header_schema).iter_errors({"webhook-id": "dlv_1"}))
