"""Every route of every service documents what it answers: a real schema for success, problem details for errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from pilar_dev.testing import TEST_JWKS
from pilar_runtime.keys import SigningKey
from pilar_runtime.problems import PROBLEM_JSON
from services.console.app import build as build_console
from services.console.settings import ConsoleSettings
from services.notify.app import build as build_notify
from services.notify.settings import NotifySettings
from services.outreach.app import build as build_outreach
from services.outreach.settings import OutreachSettings
from services.registry.app import build as build_registry
from services.registry.settings import RegistrySettings
from services.reporting.app import build as build_reporting
from services.reporting.settings import ReportingSettings

# Answers that are not JSON documents: files, pages, redirects, the Prometheus text.
NOT_JSON = ("text/html", "text/plain", "text/csv", "application/pdf", "application/vnd.openxmlformats", "image/")


def _app(service: str, tmp_path: Path) -> FastAPI:
    settings = {"jwks": TEST_JWKS, "public_docs": True}
    key = tmp_path / "signing-key.pem"
    key.write_bytes(SigningKey.generate().pem())
    apps = {
        "console": lambda: build_console(ConsoleSettings.model_validate({**settings, "signing_key_file": key})),
        "registry": lambda: build_registry(RegistrySettings.model_validate(settings)),
        "outreach": lambda: build_outreach(OutreachSettings.model_validate(settings)),
        "notify": lambda: build_notify(NotifySettings.model_validate(settings)),
        "reporting": lambda: build_reporting(ReportingSettings.model_validate(settings)),
    }
    return apps[service]()


def _is_bare(schema: dict[str, Any]) -> bool:
    """An answer documented as "some object" or "anything": what the OpenAPI shows without a response model."""
    if not schema:
        return True
    if schema.get("type") == "object" and not schema.get("properties"):
        return schema.get("additionalProperties", True) in (True, {})
    return schema.get("type") == "array" and _is_bare(schema.get("items", {}))


@pytest.mark.parametrize("service", ["registry", "outreach", "notify", "reporting", "console"])
def test_every_answer_has_a_real_schema_and_every_error_is_a_problem(service: str, tmp_path: Path) -> None:
    schema = _app(service, tmp_path).openapi()
    bare, not_problems = [], []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                content = answer.get("content", {})
                if status.startswith(("4", "5")) and (path, status) != ("/readyz", "503"):  # a readiness report
                    if list(content) != [PROBLEM_JSON]:
                        not_problems.append(f"{method.upper()} {path} {status}")
                    continue
                for media_type, body in content.items():
                    if media_type.startswith(NOT_JSON) or body.get("schema", {}).get("format") == "binary":
                        continue
                    if _is_bare(body.get("schema", {})):
                        bare.append(f"{method.upper()} {path} {status} {media_type}")
    assert not bare, f"answers without a response model: {bare}"
    assert not not_problems, f"errors not documented as problem details: {not_problems}"
