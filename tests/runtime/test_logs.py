"""Log lines never carry NIK, phone numbers or e-mail addresses; context travels in contextvars."""

from __future__ import annotations

import json

import pytest
import structlog

from pilar_runtime.logs import bound_contextvars, configure_logging, mask_text


def test_a_line_with_nik_phone_and_email_comes_out_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("registry", fmt="json")
    log = structlog.get_logger("test")
    with bound_contextvars(correlation_id="c-1", event_type="worker_registered"):
        log.info(
            "worker.registered for 3403134107850002 at budi.santoso@dinsos.jogjaprov.go.id",
            note="call 0812-3456-7890 or +62 274 513 215",
            nik="3403134107850002",
            nested={"contact": "wa 081234567890"},
            region_code="34.03.13.2004",
            count=16,
        )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    text = json.dumps(line)
    for secret in ("3403134107850002", "budi.santoso", "3456-7890", "513 215", "081234567890"):
        assert secret not in text
    assert line["service"] == "registry"
    assert line["correlation_id"] == "c-1"
    assert line["event_type"] == "worker_registered"
    assert line["region_code"] == "34.03.13.2004"  # region codes are not phone numbers
    assert line["nik"] == "[masked]"
    assert "[email]" in line["event"]


@pytest.mark.parametrize(
    "text",
    ["2026-11-24T02:39:00Z", "34.03.13.2004", "event 9f1c2d3e", "count=1234567", "Rp 1.500.000"],
)
def test_ordinary_values_are_left_alone(text: str) -> None:
    assert mask_text(text) == text
