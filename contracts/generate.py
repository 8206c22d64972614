"""Generate the published contract from the models: one JSON Schema per event type and an AsyncAPI document.

District systems code against these files, so they are checked in and CI fails when they drift from the
models (`python -m contracts --check`). Output is deterministic: sorted keys, two-space indent, trailing
newline, so a regenerated file only changes when the contract does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from contracts.catalogue import EVENT_TYPES, EventType, routing_key
from contracts.envelope import REGION_CODE, Envelope
from contracts.topology import (
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    SUBSCRIPTIONS,
    dead_letter_queue,
    service_queue,
)

CONTRACTS_DIR = Path(__file__).resolve().parent
SCHEMAS_DIR = CONTRACTS_DIR / "schemas"
ASYNCAPI_PATH = CONTRACTS_DIR / "asyncapi.json"

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Version of the published catalogue (AsyncAPI `info.version`): bump the minor for added events or fields,
# the major when an event gets a new `schema_version`.
CATALOGUE_VERSION = "1.3.0"
AMQP_BINDING_VERSION = "0.3.0"
HTTP_BINDING_VERSION = "0.3.0"
WEBHOOKS_CHANNEL = "webhooks"

Json = dict[str, Any]


# --- AMQP topic matching ---------------------------------------------------------------------------------


def topic_matches(pattern: str, key: str) -> bool:
    """Whether a topic-exchange binding `pattern` routes `key`: `*` is one word, `#` zero or more words."""
    return _words_match(tuple(pattern.split(".")), tuple(key.split(".")))


def _words_match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_words_match(rest, words[skip:]) for skip in range(len(words) + 1))
    return bool(words) and head in ("*", words[0]) and _words_match(rest, words[1:])


# --- JSON Schema per event -------------------------------------------------------------------------------


def event_schema(event: EventType) -> Json:
    """The whole message on the wire for one event type: the envelope with its payload typed."""
    schema = Envelope.model_json_schema()
    payload = event.model.model_json_schema()
    defs: Json = payload.pop("$defs", {})
    defs[event.model.__name__] = payload

    properties = schema["properties"]
    properties["event_type"] = {"const": event.name, "title": "Event Type", "type": "string"}
    properties["producer"] = {"const": event.producer, "title": "Producer", "type": "string"}
    # The model checks this in a validator, which pydantic cannot express in the schema by itself.
    # The console's events about a national admin carry "" (the whole country).
    region = REGION_CODE.pattern if event.producer != "console" else f"^$|{REGION_CODE.pattern}"
    properties["region_code"]["pattern"] = region
    properties["payload"] = {"$ref": f"#/$defs/{event.model.__name__}"}
    # `Envelope.to_json` always writes every field (defaults included), so readers may rely on all of them.
    schema["required"] = list(properties)

    schema.update(
        {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"{event.name}.json",
            "$defs": defs,
            "title": event.name,
            "description": f"{event.summary}. Routing key `{routing_key(event.name)}` on {EVENTS_EXCHANGE}.",
        }
    )
    return schema


# --- AsyncAPI ----------------------------------------------------------------------------------------------


def _component_schemas() -> Json:
    """Every event's envelope schema plus the models they use, with `$defs` lifted into components.

    AsyncAPI tools resolve `#/...` against the whole document, so the per-file `$defs` cannot stay nested.
    """
    components: Json = {}
    for event in EVENT_TYPES.values():
        schema = event_schema(event)
        for key in ("$schema", "$id"):
            del schema[key]
        named = {**schema.pop("$defs"), event.name: schema}
        for name, definition in named.items():
            definition = _relocate_refs(definition)
            if components.setdefault(name, definition) != definition:
                raise ValueError(f"two different schemas are both named {name!r}")
    return components


def _relocate_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: value.replace("#/$defs/", "#/components/schemas/", 1)
            if key == "$ref" and isinstance(value, str)
            else _relocate_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_relocate_refs(item) for item in node]
    return node


def _channel(event: EventType) -> Json:
    key = routing_key(event.name)
    return {
        "address": key,
        "servers": [{"$ref": "#/servers/rabbitmq"}],
        "title": event.name,
        "description": event.summary,
        "messages": {event.name: {"$ref": f"#/components/messages/{event.name}"}},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": EVENTS_EXCHANGE,
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                    "vhost": "/",
                },
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
    }


def _message(event: EventType) -> Json:
    return {
        "name": event.name,
        "title": event.name,
        "summary": event.summary,
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{event.name}"},
        "correlationId": {
            "description": "follows one flow from the HTTP request through every service",
            "location": "$message.payload#/correlation_id",
        },
        "tags": [{"name": event.producer}],
        # The AMQP `type` property mirrors `event_type` (`message_id` and `correlation_id` mirror theirs).
        "bindings": {"amqp": {"messageType": event.name, "bindingVersion": AMQP_BINDING_VERSION}},
    }


def _channel_ref(event: EventType) -> Json:
    return {"$ref": f"#/channels/{routing_key(event.name)}"}


def _message_refs(event: EventType) -> list[Json]:
    return [{"$ref": f"#/channels/{routing_key(event.name)}/messages/{event.name}"}]


def _send_operations() -> Iterator[tuple[str, Json]]:
    for event in EVENT_TYPES.values():
        yield (
            f"{event.producer}.send.{event.name}",
            {
                "action": "send",
                "title": f"{event.producer} publishes {event.name}",
                "channel": _channel_ref(event),
                "messages": _message_refs(event),
                # Persistent messages with publisher confirms: the outbox relay marks a message sent only
                # once the broker has it.
                "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": AMQP_BINDING_VERSION}},
            },
        )


def _receive_operations() -> Iterator[tuple[str, Json]]:
    for service, patterns in SUBSCRIPTIONS.items():
        for event in EVENT_TYPES.values():
            key = routing_key(event.name)
            matching = [pattern for pattern in patterns if topic_matches(pattern, key)]
            if not matching:
                continue
            yield (
                f"{service}.receive.{key}",
                {
                    "action": "receive",
                    "title": f"{service} consumes {event.name}",
                    "description": (
                        f"From the quorum queue `{service_queue(service)}` bound to `{EVENTS_EXCHANGE}` with "
                        f"{', '.join(f'`{p}`' for p in matching)}; after its delivery limit, or at once when "
                        f"invalid, dead-lettered through `{DEAD_LETTER_EXCHANGE}` to "
                        f"`{dead_letter_queue(service)}`."
                    ),
                    "channel": _channel_ref(event),
                    "messages": _message_refs(event),
                    "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING_VERSION}},
                    "x-pilar-queue": service_queue(service),
                    "x-pilar-binding-patterns": matching,
                },
            )


# --- Webhooks ----------------------------------------------------------------------------------------------

# What notify sends with every webhook delivery (services/notify/domain/signature.py, channels/webhook.py).
WEBHOOK_HEADERS: Json = {
    "type": "object",
    "required": ["webhook-id", "webhook-timestamp", "webhook-signature", "X-Pilar-Event-Type"],
    "properties": {
        "webhook-id": {
            "type": "string",
            "description": "the delivery id (`dlv_…`), the same on every retry: de-duplicate on it",
        },
        "webhook-timestamp": {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "Unix seconds of this attempt; refuse one more than 5 minutes from your clock",
        },
        "webhook-signature": {
            "type": "string",
            "pattern": "^v1,",
            "description": (
                'Standard Webhooks: `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{raw body}">`, '
                "keyed with the webhook's secret (`whsec_<base64>`: those bytes; any other secret: its UTF-8 "
                "bytes); several space-separated values while a key is rotated"
            ),
        },
        "X-Pilar-Signature": {
            "type": "string",
            "deprecated": True,
            "description": "`sha256=<hex HMAC-SHA256 of the raw body>`: signs no time; sent for one more release",
        },
        "X-Pilar-Event-Type": {"type": "string", "description": "the event's `event_type`"},
        "X-Pilar-Event-Id": {"type": "string", "description": "the event's `event_id`"},
        "X-Pilar-Delivery-Id": {"type": "string", "description": "the same as `webhook-id`"},
    },
}

# A webhook rule sends a notice's facts instead of an event (services/notify/domain/deliveries.py).
WEBHOOK_NOTICE: Json = {
    "type": "object",
    "title": "webhook_notice",
    "required": ["notice", "facts"],
    "properties": {
        "notice": {"type": "string", "description": "the notice kind, e.g. `session_reminder`"},
        "facts": {"type": "object", "description": "the notice's facts, without personal data"},
    },
}


def webhook_events() -> list[EventType]:
    """The events a webhook can be sent: those notify consumes, since it passes every one on."""
    patterns = SUBSCRIPTIONS["notify"]
    return [
        event
        for event in EVENT_TYPES.values()
        if any(topic_matches(pattern, routing_key(event.name)) for pattern in patterns)
    ]


def _webhook_message(name: str, summary: str, payload: str) -> Json:
    return {
        "name": name,
        "title": name,
        "summary": summary,
        "contentType": "application/json",
        "headers": {"$ref": "#/components/schemas/webhook_headers"},
        "payload": {"$ref": f"#/components/schemas/{payload}"},
        "bindings": {"http": {"bindingVersion": HTTP_BINDING_VERSION}},
    }


def _webhook_messages() -> Json:
    messages = {
        f"webhook.{event.name}": _webhook_message(f"webhook.{event.name}", event.summary, event.name)
        for event in webhook_events()
    }
    messages["webhook.notice"] = _webhook_message(
        "webhook.notice", "a webhook rule's notice: its kind and facts", "webhook_notice"
    )
    return messages


def _webhooks_channel(messages: Json) -> Json:
    return {
        "address": None,
        "servers": [{"$ref": "#/servers/district"}],
        "title": "webhooks",
        "description": (
            "`POST <url>` to each webhook registered on notify (`POST /webhooks`) with the JSON envelope of every "
            "event that matches one of its patterns in its region subtree, personal data (`nik`, `phone`, "
            "`email`) removed. Any 2xx is success; anything else, or no answer, is retried later with the same "
            "`webhook-id`."
        ),
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
        "bindings": {"http": {"bindingVersion": HTTP_BINDING_VERSION}},
    }


def _webhook_operation(messages: Json) -> Json:
    return {
        "action": "send",
        "title": "notify delivers to webhooks",
        "channel": {"$ref": f"#/channels/{WEBHOOKS_CHANNEL}"},
        "messages": [{"$ref": f"#/channels/{WEBHOOKS_CHANNEL}/messages/{name}"} for name in messages],
        "bindings": {"http": {"method": "POST", "bindingVersion": HTTP_BINDING_VERSION}},
    }


def asyncapi_document() -> Json:
    webhook_messages = _webhook_messages()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Pilar events",
            "version": CATALOGUE_VERSION,
            "description": (
                "Events exchanged by Pilar's registry, outreach, notify and reporting services on the "
                f"durable topic exchange `{EVENTS_EXCHANGE}`. Routing key: `<producer>.<event_type>`. "
                "Readers must tolerate unknown fields; a breaking change gets a new `schema_version`. District "
                "systems bind a queue of their own to the exchange, or register webhooks on notify (the "
                f"`{WEBHOOKS_CHANNEL}` channel), and backfill with reporting's `GET /events?after=`."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "rabbitmq:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "RabbitMQ; credentials come from the deployment, never defaults",
                "security": [{"$ref": "#/components/securitySchemes/rabbitmq_user"}],
            },
            "district": {
                "host": "district.example.id",
                "protocol": "https",
                "description": "a district system receiving webhooks, at the URL it registered",
            },
        },
        "channels": {
            **{routing_key(event.name): _channel(event) for event in EVENT_TYPES.values()},
            WEBHOOKS_CHANNEL: _webhooks_channel(webhook_messages),
        },
        "operations": {
            **dict([*_send_operations(), *_receive_operations()]),
            "notify.send.webhooks": _webhook_operation(webhook_messages),
        },
        "components": {
            "messages": {**{event.name: _message(event) for event in EVENT_TYPES.values()}, **webhook_messages},
            "schemas": {**_component_schemas(), "webhook_headers": WEBHOOK_HEADERS, "webhook_notice": WEBHOOK_NOTICE},
            "securitySchemes": {"rabbitmq_user": {"type": "userPassword"}},
        },
    }


# --- Files -------------------------------------------------------------------------------------------------


def render(document: Json) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def artefacts(root: Path = CONTRACTS_DIR) -> dict[Path, str]:
    """Every generated file under `root` (the contracts package) with the text it should hold."""
    files = {root / "schemas" / f"{event.name}.json": render(event_schema(event)) for event in EVENT_TYPES.values()}
    files[root / "asyncapi.json"] = render(asyncapi_document())
    return files


def _orphans(root: Path, expected: dict[Path, str]) -> list[Path]:
    """Schemas left behind by an event type that no longer exists."""
    return sorted(path for path in (root / "schemas").glob("*.json") if path not in expected)


def stale(root: Path = CONTRACTS_DIR) -> list[Path]:
    """Files that are missing, differ from a fresh generation, or should no longer exist."""
    expected = artefacts(root)
    outdated = [
        path for path, text in expected.items() if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    return sorted(outdated) + _orphans(root, expected)


def write(root: Path = CONTRACTS_DIR) -> list[Path]:
    """Bring the generated files up to date; returns the files written or removed."""
    expected = artefacts(root)
    changed = stale(root)
    for path in changed:
        if path in expected:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(expected[path], encoding="utf-8")
        else:
            path.unlink()
    return changed
