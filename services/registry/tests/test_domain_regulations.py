"""Pure rules of correcting and revoking a community regulation (seed 000: Desa Pelangas' agreement)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from pilar_runtime.errors import Conflict, Unprocessable
from services.registry.domain.regulations import (
    RegulationChanges,
    RegulationRevocation,
    check_in_force,
    check_revocation,
    corrected,
)

PELANGAS = {
    "_id": "reg_1",
    "region_code": "19.05.02.2001",
    "title": "Kesepakatan warga Desa Pelangas",
    "topics": ["NAPZA"],
    "adopted_on": "2019-10-21",
    "pokja_id": None,
    "status": "in_force",
}


def test_only_the_fields_that_really_change_are_a_correction() -> None:
    changes = RegulationChanges(title=PELANGAS["title"], topics=["napza", "pmb", "NAPZA"], reason="salah ketik")
    assert changes.given() == {"title": PELANGAS["title"], "topics": ["NAPZA", "PMB"]}
    assert corrected(PELANGAS, changes.given()) == {"topics": ["NAPZA", "PMB"]}
    assert corrected(PELANGAS, RegulationChanges(adopted_on=date(2019, 10, 21)).given()) == {}


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": "tanpa perubahan"}, {"title": None}, {"topics": []}, {"adopted_on": "2999-01-01"},
     {"region_code": "19.05.02.2002"}],
)  # fmt: skip
def test_a_correction_must_change_something_valid(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RegulationChanges.model_validate(body)


def test_a_revoked_regulation_is_kept_as_it_was() -> None:
    check_in_force(PELANGAS)
    check_in_force({k: v for k, v in PELANGAS.items() if k != "status"})  # recorded before revocations existed
    with pytest.raises(Conflict) as refused:
        check_in_force({**PELANGAS, "status": "revoked"})
    assert refused.value.detail["rule"] == "regulation_revoked"


def test_a_regulation_is_not_revoked_before_it_was_adopted() -> None:
    check_revocation("2019-10-21", date(2019, 10, 21))
    with pytest.raises(Unprocessable, match="revoked_on"):
        check_revocation("2019-10-21", date(2019, 10, 20))
    with pytest.raises(ValidationError):
        RegulationRevocation.model_validate({"revoked_on": "2020-03-02", "reason": ""})
