"""The published event catalogue (contracts/asyncapi.json) as a page reads it: channels, their messages, and each
message's fields with type, whether required, and description.

The AsyncAPI React component needs a browser bundle from a CDN; this page is rendered on the server from the
same document instead, so it works offline and shows exactly what is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Message:
    name: str
    summary: str
    payload_title: str
    fields: list[Field]
    headers: list[Field]


@dataclass(frozen=True)
class Channel:
    key: str
    address: str
    server: str
    description: str
    binding: str
    messages: list[Message]


@dataclass(frozen=True)
class CataloguePage:
    title: str
    version: str
    description: str
    servers: list[tuple[str, str, str]]  # name, protocol and host, description
    envelope: list[Field]
    channels: list[Channel]


def resolve(document: Json, ref: str) -> Json:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    result: Json = node
    return result


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: Json) -> str:
    """A short readable type: `string (date)`, `array of BoardMember`, `string or null`, `"WKSBM_formed"`."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "const" in schema:
        return f'"{schema["const"]}"'
    if "enum" in schema:
        return " | ".join(f'"{value}"' for value in schema["enum"])
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            return " or ".join(type_of(option) for option in schema[combined])
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def fields(schema: Json) -> list[Field]:
    required = set(schema.get("required", []))
    return [
        Field(name, type_of(prop), name in required, str(prop.get("description", "")))
        for name, prop in schema.get("properties", {}).items()
    ]


def _message(document: Json, message: Json) -> Message:
    envelope = resolve(document, message["payload"]["$ref"])
    payload_ref = envelope.get("properties", {}).get("payload", {}).get("$ref")
    # An event's own fields are its payload's; a body without an envelope (a rule's notice) shows its own.
    payload = resolve(document, payload_ref) if payload_ref else envelope
    headers = resolve(document, message["headers"]["$ref"]) if "headers" in message else {}
    return Message(
        name=message["name"],
        summary=message.get("summary", ""),
        payload_title=_ref_name(payload_ref) if payload_ref else message["name"],
        fields=fields(payload),
        headers=fields(headers),
    )


def _binding(channel: Json) -> str:
    bindings = channel.get("bindings", {})
    if "amqp" in bindings:
        exchange = bindings["amqp"]["exchange"]
        return f"{exchange['type']} exchange {exchange['name']}, routing key {channel['address']}"
    if "http" in bindings:
        return "HTTP POST to the webhook's URL"
    return ""


def _unpinned(envelope: Json) -> Json:
    """One event's envelope as every event's: its pinned `event_type` and `producer` become plain strings."""
    properties = {
        name: {k: v for k, v in prop.items() if k != "const"} for name, prop in envelope.get("properties", {}).items()
    }
    return {**envelope, "properties": properties}


def catalogue_page(document: Json) -> CataloguePage:
    channels = []
    for key, channel in sorted(document["channels"].items()):
        servers = [_ref_name(server["$ref"]) for server in channel.get("servers", [])]
        messages = [_message(document, resolve(document, ref["$ref"])) for ref in channel["messages"].values()]
        channels.append(
            Channel(
                key=key,
                address=channel.get("address") or "the URL you registered",
                server=", ".join(servers),
                description=channel.get("description", ""),
                binding=_binding(channel),
                messages=sorted(messages, key=lambda message: message.name),
            )
        )
    envelope_of = next(
        resolve(document, message["payload"]["$ref"])
        for message in document["components"]["messages"].values()
        if "headers" not in message
    )
    return CataloguePage(
        title=document["info"]["title"],
        version=document["info"]["version"],
        description=document["info"].get("description", ""),
        servers=[
            (name, f"{server['protocol']}://{server['host']}", server.get("description", ""))
            for name, server in sorted(document.get("servers", {}).items())
        ],
        envelope=[field for field in fields(_unpinned(envelope_of)) if field.name != "payload"],
        channels=channels,
    )
