"""Finding 11: the PII masking of log lines masks personal data only, never ids.

A correlation id or an event id that came out partly as ``[phone]`` or ``[nik]`` breaks following one flow
(`pilar logs -c <id>`). Ids of every shape survive; NIKs, phone numbers and e-mail addresses in free text don't.
"""

from __future__ import annotations

import json
import uuid

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from pilar_runtime.logs import configure_logging, mask_text
from pilar_runtime.models import new_id

# Hex ids whose digit runs look like an Indonesian mobile number or a NIK: the shapes seen in `pilar up` logs.
TRICKY_IDS = [
    "5f1c2d3e-0812-4345-8678-90ab12345678",
    "5f1c2d3e-a1b2-4c3d-8e4f-0812345678ab",
    "a3403134107850002b-1111",
    "evt_08123456789012345678",
    "ins_34031341078500020000",
    "c3403134107850002",
]


@given(st.uuids(version=4))
def test_any_uuid4_survives_masking(value: uuid.UUID) -> None:
    for text in (str(value), value.hex, f"correlation {value} done"):
        assert mask_text(text) == text


@given(st.sampled_from(["ins", "evt", "ses", "cmp", "wrk", "imp"]), st.integers(0, 2**80))
def test_our_prefixed_ids_survive_masking(prefix: str, seed: int) -> None:
    made = f"{prefix}_{seed:020x}"[: len(prefix) + 21]
    assert mask_text(made) == made
    fresh = new_id(prefix)
    assert mask_text(fresh) == fresh


@pytest.mark.parametrize("value", TRICKY_IDS)
def test_ids_that_look_like_phone_numbers_are_left_alone(value: str) -> None:
    assert mask_text(value) == value
    assert mask_text(f"handled {value}.") == f"handled {value}."


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("NIK 3403134107850002 terdaftar", "3403134107850002"),
        ("nik=3403134107850002,", "3403134107850002"),
        ("hubungi 081234567890", "081234567890"),
        ("hubungi 0812-3456-7890 besok", "0812-3456-7890"),
        ("wa +6281234567890", "+6281234567890"),
        ("telp +62 274 513 215.", "+62 274 513 215"),
        ("(0274) 513215 / 0274-513215", "0274-513215"),
        ("surat ke budi.santoso@dinsos.jogjaprov.go.id", "budi.santoso@dinsos.jogjaprov.go.id"),
    ],
)
def test_real_personal_data_in_free_text_is_still_masked(text: str, secret: str) -> None:
    assert secret not in mask_text(text)


def test_id_keys_come_out_whole_in_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("registry", fmt="json")
    ids = {
        "correlation_id": "5f1c2d3e-a1b2-4c3d-8e4f-0812345678ab",
        "causation_id": "3403134107850002",
        "event_id": "081234567890",
        "aggregate_id": "ins_0812345678901234abcd",
        "worker_id": "0812-3456-7890",
    }
    structlog.get_logger("test").info("worker.registered", note="telp 081234567890", **ids)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert {key: line[key] for key in ids} == ids
    assert line["note"] == "telp [phone]"
