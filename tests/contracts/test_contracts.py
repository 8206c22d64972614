"""The contract district systems code against: models, names, and the generated JSON Schema / AsyncAPI files.

Pure unit tests: nothing here touches a broker or a database; the only I/O is reading the checked-in files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from contracts import Envelope
from contracts.__main__ import main
from contracts.catalogue import EVENT_TYPES, FORMED_EVENT_BY_KIND, routing_key, typed_payload
from contracts.events import common, console, notify, outreach, reporting
from contracts.events import registry as registry_events
from contracts.events.notify import failure_reason
from contracts.generate import ASYNCAPI_PATH, SCHEMAS_DIR, artefacts, stale, topic_matches
from contracts.topology import EVENTS_EXCHANGE, SERVICES, SUBSCRIPTIONS

# The users' style: an optional subject in its own spelling (an upper-case acronym such as WKSBM or FGD,
# or a proper noun such as Pokja or KarangTaruna), then lower snake case.
EVENT_NAME = re.compile(r"^(?:(?:[A-Z]{2,}|(?:[A-Z][a-z]+)+)_)?[a-z]+(?:_[a-z]+)*$")


def wksbm_formed_payload() -> dict[str, Any]:
    return {
        "institution_id": "inst-1",
        "kind": "WKSBM",
        "name": "WKSBM Sido Rukun",
        "region_code": "34.03.01.2001",
        "formed_on": "2025-03-01",
        "board": [
            {"role": "ketua", "name": "Sri Lestari"},
            {"role": "sekretaris", "name": "Budi Santoso"},
            {"role": "bendahara", "name": "Ani Rahayu"},
        ],
        "member_ids": ["inst-2", "inst-3"],
    }


def wksbm_formed_envelope(**changes: Any) -> dict[str, Any]:
    return {
        "event_type": "WKSBM_formed",
        "producer": "registry",
        "correlation_id": "corr-1",
        "actor": "operator-34.03",
        "region_code": "34.03.01.2001",
        "aggregate_id": "inst-1",
        "aggregate_version": 2,
        "payload": wksbm_formed_payload(),
        **changes,
    }


def wire_message(**changes: Any) -> Any:
    """A message exactly as a producer puts it on the bus."""
    return json.loads(Envelope.model_validate(wksbm_formed_envelope(**changes)).to_json())


def schema_validator(event_type: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS_DIR / f"{event_type}.json").read_text(encoding="utf-8")))


def asyncapi() -> Any:
    return json.loads(ASYNCAPI_PATH.read_text(encoding="utf-8"))


# --- generated files ---------------------------------------------------------------------------------------


def test_committed_artefacts_match_the_models() -> None:
    outdated = [str(path.relative_to(SCHEMAS_DIR.parent.parent)) for path in stale()]
    assert not outdated, f"generated contract files are stale: {outdated}; run `python -m contracts`"


def test_check_command_passes_on_the_committed_tree() -> None:
    assert main(["--check"]) == 0


def test_missing_files_count_as_stale(tmp_path: Path) -> None:
    assert stale(tmp_path) == sorted(artefacts(tmp_path))


def test_generation_is_deterministic() -> None:
    assert artefacts() == artefacts()


def test_one_schema_file_per_event_type() -> None:
    assert {path.stem for path in SCHEMAS_DIR.glob("*.json")} == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_schema_is_draft_2020_12_with_constant_type_and_producer(event_type: str) -> None:
    schema = json.loads((SCHEMAS_DIR / f"{event_type}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{event_type}.json"
    assert schema["properties"]["event_type"]["const"] == event_type
    assert schema["properties"]["producer"]["const"] == EVENT_TYPES[event_type].producer
    assert schema["properties"]["payload"] == {"$ref": f"#/$defs/{EVENT_TYPES[event_type].model.__name__}"}


def test_schema_accepts_a_published_message() -> None:
    assert list(schema_validator("WKSBM_formed").iter_errors(wire_message())) == []


def test_schema_tolerates_unknown_fields() -> None:
    message = wire_message()
    message["added_later"] = {"by": "a newer producer"}
    message["payload"]["also_added"] = 1
    assert list(schema_validator("WKSBM_formed").iter_errors(message)) == []


def test_schema_rejects_a_payload_without_a_required_field() -> None:
    message = wire_message()
    del message["payload"]["board"]
    assert not schema_validator("WKSBM_formed").is_valid(message)


def test_schema_rejects_another_event_type_or_producer() -> None:
    validator = schema_validator("WKSBM_formed")
    assert not validator.is_valid(wire_message(event_type="Pokja_formed"))
    assert not validator.is_valid(wire_message(producer="outreach"))


def test_schema_rejects_an_undotted_region_code() -> None:
    message = wire_message()
    message["region_code"] = "3403012001"
    assert not schema_validator("WKSBM_formed").is_valid(message)


def test_only_the_consoles_events_about_a_national_admin_carry_no_region() -> None:
    national = {"user_id": "usr_1", "name": "Admin", "role": "admin", "region": "", "actor": "console"}
    envelope = Envelope(
        event_type="user_created", producer="console", correlation_id="c", actor="console", region_code="",
        aggregate_id="usr_1", aggregate_version=1, payload=national,
    )  # fmt: skip
    assert schema_validator("user_created").is_valid(json.loads(envelope.to_json()))
    with pytest.raises(ValidationError, match="not a dotted Kemendagri code"):
        Envelope.model_validate(wksbm_formed_envelope(region_code=""))
    assert not schema_validator("WKSBM_formed").is_valid({**wire_message(), "region_code": ""})


# --- models ------------------------------------------------------------------------------------------------


def contract_models() -> list[type[BaseModel]]:
    modules = (common, registry_events, outreach, notify, reporting, console)
    found = {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__
    }
    return sorted(found | {Envelope}, key=lambda model: model.__name__)


def test_every_catalogue_model_is_checked_for_frozenness() -> None:
    assert {event.model for event in EVENT_TYPES.values()} <= set(contract_models())


@pytest.mark.parametrize("model", contract_models(), ids=lambda model: model.__name__)
def test_model_is_frozen(model: type[BaseModel]) -> None:
    assert model.model_config.get("frozen") is True
    instance = model.model_construct()
    # Base classes have no field of their own; a frozen model refuses any attribute all the same.
    field = next(iter(model.model_fields), "added")
    with pytest.raises(ValidationError, match="frozen"):
        setattr(instance, field, None)


def test_envelope_reader_tolerates_unknown_fields() -> None:
    envelope = Envelope.model_validate(wksbm_formed_envelope(trace_id="t-1", schema_hint={"x": 1}))
    assert envelope.event_type == "WKSBM_formed"
    assert envelope.model_extra == {"trace_id": "t-1", "schema_hint": {"x": 1}}


def test_payload_reader_tolerates_unknown_fields() -> None:
    payload = {**wksbm_formed_payload(), "village_head": "Pak Lurah"}
    envelope = Envelope.model_validate(wksbm_formed_envelope(payload=payload))
    assert typed_payload(envelope).model_extra == {"village_head": "Pak Lurah"}


def test_payload_missing_a_required_field_fails() -> None:
    payload = wksbm_formed_payload()
    del payload["board"]
    envelope = Envelope.model_validate(wksbm_formed_envelope(payload=payload))
    with pytest.raises(ValidationError) as raised:
        typed_payload(envelope)
    assert [(error["type"], error["loc"]) for error in raised.value.errors()] == [("missing", ("board",))]


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_payload_has_required_fields(event_type: str) -> None:
    with pytest.raises(ValidationError) as raised:
        EVENT_TYPES[event_type].model.model_validate({})
    assert {error["type"] for error in raised.value.errors()} == {"missing"}


def test_envelope_rejects_an_unknown_producer_and_a_naive_time() -> None:
    with pytest.raises(ValidationError, match="unknown producer"):
        Envelope.model_validate(wksbm_formed_envelope(producer="payroll"))
    with pytest.raises(ValidationError, match="time zone"):
        Envelope.model_validate(wksbm_formed_envelope(occurred_at="2025-03-01T10:00:00"))


# --- names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "WKSBM_formed",
        "FGD_held",
        "KarangTaruna_formed",
        "Pokja_formed",
        "institution_registered",
        "penyuluhan_held",
    ],
)
def test_event_name_style_accepts(name: str) -> None:
    assert EVENT_NAME.match(name)


@pytest.mark.parametrize(
    "name",
    [
        "WksbmFormed",
        "wksbm-formed",
        "WKSBM-formed",
        "WKSBM_Formed",
        "wksbmFormed",
        "KARANG_TARUNA_formed",
        "held_",
    ],
)
def test_event_name_style_rejects(name: str) -> None:
    assert not EVENT_NAME.match(name)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_catalogue_names_follow_the_users_style(event_type: str) -> None:
    assert EVENT_NAME.match(event_type), event_type
    assert EVENT_TYPES[event_type].name == event_type


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_routing_key_is_producer_dot_event_type(event_type: str) -> None:
    producer = EVENT_TYPES[event_type].producer
    assert producer in SERVICES
    assert routing_key(event_type) == f"{producer}.{event_type}"


def test_envelope_routing_key_matches_the_catalogue() -> None:
    assert Envelope.model_validate(wksbm_formed_envelope()).routing_key == routing_key("WKSBM_formed")


def test_formed_events_exist_for_their_kinds() -> None:
    for kind, event_type in FORMED_EVENT_BY_KIND.items():
        assert EVENT_TYPES[event_type].producer == "registry", kind


# --- topic matching ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("registry.WKSBM_formed", "registry.WKSBM_formed", True),
        ("registry.WKSBM_formed", "registry.Pokja_formed", False),
        ("registry.*", "registry.WKSBM_formed", True),
        ("registry.*", "outreach.FGD_held", False),
        ("registry.*", "registry", False),
        ("registry.*", "registry.a.b", False),
        ("*", "registry", True),
        ("*", "registry.WKSBM_formed", False),
        ("*.FGD_held", "outreach.FGD_held", True),
        ("#", "registry.WKSBM_formed", True),
        ("#", "a.b.c.d", True),
        ("registry.#", "registry", True),
        ("registry.#", "registry.a.b", True),
        ("registry.#", "outreach.a", False),
        ("#.FGD_held", "FGD_held", True),
        ("#.FGD_held", "outreach.FGD_held", True),
        ("#.FGD_held", "outreach.penyuluhan_held", False),
        ("a.#.z", "a.z", True),
        ("a.#.z", "a.b.c.z", True),
        ("a.#.z", "a.b.c", False),
        ("#.*", "a", True),
        ("#.*", "", True),
        ("*.#.*", "a", False),
    ],
)
def test_topic_matching(pattern: str, key: str, matches: bool) -> None:
    assert topic_matches(pattern, key) is matches


# --- AsyncAPI ----------------------------------------------------------------------------------------------


def resolve(document: Any, ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are expected, got {ref}"
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


def receivers(document: Any, key: str) -> set[str]:
    return {
        name.split(".receive.")[0]
        for name, operation in document["operations"].items()
        if operation["action"] == "receive" and operation["channel"]["$ref"] == f"#/channels/{key}"
    }


def test_asyncapi_document_header() -> None:
    document = asyncapi()
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "Pilar events"
    assert document["info"]["version"]
    assert document["servers"]["rabbitmq"]["protocol"] == "amqp"


def test_asyncapi_references_all_resolve() -> None:
    document = asyncapi()
    refs = references(document)
    assert refs
    for ref in refs:
        resolve(document, ref)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_asyncapi_has_a_channel_per_event_type(event_type: str) -> None:
    document = asyncapi()
    key = routing_key(event_type)
    channel = document["channels"][key]
    assert channel["address"] == key
    exchange = channel["bindings"]["amqp"]["exchange"]
    assert (exchange["name"], exchange["type"], exchange["durable"]) == (EVENTS_EXCHANGE, "topic", True)
    message = resolve(document, channel["messages"][event_type]["$ref"])
    assert resolve(document, message["payload"]["$ref"])["properties"]["event_type"]["const"] == event_type

    send = document["operations"][f"{EVENT_TYPES[event_type].producer}.send.{event_type}"]
    assert send["action"] == "send"
    assert send["channel"] == {"$ref": f"#/channels/{key}"}


def test_asyncapi_receive_operations_follow_the_subscriptions() -> None:
    document = asyncapi()
    assert set(SUBSCRIPTIONS) == set(SERVICES)
    assert receivers(document, "registry.worker_registered") == {"outreach", "notify", "reporting"}
    assert receivers(document, "outreach.session_scheduled") == {"registry", "notify", "reporting"}
    assert receivers(document, "outreach.campaign_planned") == {"registry", "notify", "reporting"}
    assert receivers(document, "notify.notification_failed") == {"reporting"}
    assert receivers(document, "reporting.report_generated") == {"notify", "reporting"}
    assert receivers(document, "outreach.FGD_held") == {"notify", "reporting"}


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("server_5xx", "server_5xx"),
        ("SMTP 127.0.0.1:25: SMTPRecipientsRefused: [SMTPRecipientRefused(550, '<a@b.id>', 'a@b.id')]", "refused"),
        ("SMTP 127.0.0.1:25: SMTPConnectError: refused", "unreachable"),
        ("SMTP 127.0.0.1:25: SMTPReadTimeoutError: timed out", "timeout"),
        ("webhook answered HTTP 503", "server_5xx"),
        ("SMS gateway answered HTTP 401", "rejected_4xx"),
        ("webhook unreachable: ConnectError: [Errno 111]", "unreachable"),
        ("webhook refused: loopback addresses are not reachable by webhooks", "blocked_address"),
        ("template needs a fact this notice lacks: sesi", "template"),
        ("the webhook is no longer registered", "not_configured"),
        ("KeyError: 'x'", "internal"),
    ],
)
def test_a_failure_reason_of_either_age_reads_as_its_category(reason: str, category: str) -> None:
    assert failure_reason(reason) == category
