"""Who published an event: the pure checks (routing key, catalogue producer, broker user) and their settings."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from contracts import topology
from pilar_runtime.brokerusers import broker_user, broker_vhost, permissions, producer_users
from pilar_runtime.consumer import provenance_problem
from pilar_runtime.settings import ServiceSettings
from tests.runtime.helpers import worker_event

USERS = {
    "registry": "pilar-registry",
    "outreach": "pilar-outreach",
    "notify": "pilar-notify",
    "reporting": "r",
    "console": "c",
}


def problem(routing_key: str | None = "registry.worker_registered", user_id: str | None = "pilar-registry", **update):
    envelope = worker_event().model_copy(update=update)
    return provenance_problem(envelope, routing_key=routing_key, user_id=user_id, producer_users=USERS)


def test_an_event_as_its_producer_publishes_it_passes() -> None:
    assert problem() is None


def test_published_straight_into_the_queue_there_is_no_routing_key_to_compare() -> None:
    assert problem(routing_key=None) is None


@pytest.mark.parametrize("routing_key", ["outreach.worker_registered", "registry.worker_updated", "registry.#", ""])
def test_a_routing_key_that_disagrees_with_the_envelope_is_refused(routing_key: str) -> None:
    found = problem(routing_key=routing_key)
    assert found is not None and "routing key" in found and "registry.worker_registered" in found


def test_a_producer_that_is_not_the_catalogues_is_refused_even_under_a_matching_routing_key() -> None:
    found = problem(routing_key="outreach.worker_registered", user_id="pilar-outreach", producer="outreach")
    assert found == "forged: worker_registered is produced by registry, not outreach"


@pytest.mark.parametrize("user_id", [None, "", "pilar-outreach", "guest", "PILAR-REGISTRY"])
def test_a_missing_or_other_broker_user_is_refused(user_id: str | None) -> None:
    found = problem(user_id=user_id)
    assert found is not None and "registry's broker user 'pilar-registry'" in found


def test_an_unknown_event_type_is_checked_against_its_envelopes_producer() -> None:
    assert problem(routing_key="registry.dragon_sighted", event_type="dragon_sighted") is None
    found = problem(routing_key="registry.dragon_sighted", event_type="dragon_sighted", user_id="pilar-notify")
    assert found is not None and "pilar-notify" in found


def test_the_broker_user_comes_from_the_url() -> None:
    assert broker_user("amqp://pilar-registry:s3cret@rabbitmq:5672/") == "pilar-registry"
    assert broker_user("amqp://us%40er:x@h/") == "us@er"
    assert broker_user("amqp://rabbitmq:5672/") == "guest"  # what the client sends when the URL names none
    assert broker_vhost("amqp://u:p@h:5672/") == "/"
    assert broker_vhost("amqp://u:p@h:5672/%2f") == "/"
    assert broker_vhost("amqp://u:p@h:5672/pilar") == "pilar"


def test_without_a_map_every_producer_is_expected_as_the_stacks_one_user() -> None:
    assert producer_users("amqp://guest:guest@127.0.0.1/", {}, "notify") == dict.fromkeys(topology.SERVICES, "guest")


def test_a_map_must_name_every_producer_and_agree_with_the_services_own_user() -> None:
    url = "amqp://pilar-registry:x@rabbitmq/"
    assert producer_users(url, USERS, "registry") == USERS
    with pytest.raises(ValueError, match="no broker user for notify"):
        producer_users(url, {k: v for k, v in USERS.items() if k != "notify"}, "registry")
    with pytest.raises(ValueError, match="registry publishes as 'pilar-registry'"):
        producer_users("amqp://pilar-outreach:x@rabbitmq/", USERS, "registry")


def test_settings_read_the_map_as_json_and_refuse_to_start_with_a_wrong_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILAR_BROKER_USERS", '{"registry": "pilar-registry", "outreach": "o", "notify": "n"}')
    monkeypatch.setenv("AMQP_URL", "amqp://pilar-registry:x@rabbitmq/")
    with pytest.raises(ValidationError, match="no broker user for reporting"):
        ServiceSettings(service="registry")
    monkeypatch.setenv(
        "PILAR_BROKER_USERS",
        '{"registry": "pilar-registry", "outreach": "o", "notify": "n", "reporting": "r", "console": "c"}',
    )
    assert ServiceSettings(service="registry").producer_users()["outreach"] == "o"


def test_a_services_grant_covers_its_own_names_and_publishing_only_its_own_routing_keys() -> None:
    grant = permissions("outreach", "t1")
    own = re.compile(grant.write)
    for name in ("t1.pilar.events", "t1.pilar.dlx", "t1.outreach.events", "t1.outreach.dlq"):
        assert own.fullmatch(name)
    for name in ("amq.default", "t1.registry.events", "t1.pilar.eventsX", "pilar.events", "t1Xpilar.events"):
        assert not own.match(name), name
    assert grant.exchange == "t1.pilar.events"
    assert re.match(grant.topic_write, "outreach.FGD_held")
    assert not re.match(grant.topic_write, "registry.WKSBM_formed")
    assert not re.match(grant.topic_write, "outreachX.FGD_held")
