"""Reporting serves the published event catalogue: the AsyncAPI document as checked in, a page listing every
event with its fields, and links to both from the OpenAPI description that `/docs` shows."""

from __future__ import annotations

import html
import json

from contracts.catalogue import EVENT_TYPES
from contracts.generate import ASYNCAPI_PATH, WEBHOOKS_CHANNEL
from pilar_dev.testing import TEST_JWKS
from services.reporting.app import build
from services.reporting.domain.catalogue import catalogue_page, type_of
from services.reporting.settings import ReportingSettings
from services.reporting.tests.conftest import Reporting


async def test_the_document_served_is_the_published_one(reporting: Reporting) -> None:
    response = await reporting.http.get("/asyncapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == ASYNCAPI_PATH.read_bytes()


async def test_the_page_lists_every_event_its_fields_and_the_webhook_headers(reporting: Reporting) -> None:
    response = await reporting.http.get("/asyncapi")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = html.unescape(response.text)
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    for name, event in EVENT_TYPES.items():
        assert f'id="{event.producer}.{name}-{name}"' in page, name
    assert f'id="{WEBHOOKS_CHANNEL}-webhook.WKSBM_formed"' in page
    assert "webhook-signature" in page and "webhook-timestamp" in page
    assert "formed_on" in page  # a payload field of WKSBM_formed
    assert "aggregate_version" in page  # the envelope


def test_the_page_view_reads_payload_fields_types_and_requiredness() -> None:
    page = catalogue_page(json.loads(ASYNCAPI_PATH.read_text(encoding="utf-8")))
    channel = next(c for c in page.channels if c.key == "registry.WKSBM_formed")
    (message,) = channel.messages
    fields = {field.name: field for field in message.fields}
    assert fields["formed_on"].type == "string (date)" and fields["formed_on"].required
    assert fields["session_id"].type == "string or null" and not fields["session_id"].required
    assert fields["board"].type == "array of BoardMember"
    assert message.payload_title == "InstitutionFormed" and not message.headers
    envelope = {field.name: field.type for field in page.envelope}
    assert envelope["event_type"] == "string" and "payload" not in envelope
    webhooks = next(c for c in page.channels if c.key == WEBHOOKS_CHANNEL)
    assert webhooks.address == "the URL you registered" and webhooks.server == "district"
    assert type_of({"enum": ["a", "b"]}) == '"a" | "b"'


def test_the_openapi_description_links_the_asyncapi_document_and_page() -> None:
    app = build(ReportingSettings.model_validate({"jwks": TEST_JWKS, "public_docs": True}))
    description = app.openapi()["info"]["description"]
    assert "](/asyncapi)" in description and "](/asyncapi.json)" in description
