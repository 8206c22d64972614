"""Pure rules of corrections: turning rules and webhooks off, on and deleting them; notices that come too late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilar_runtime.errors import Conflict
from services.notify.domain.skips import SESSION_STARTED, session_started
from services.notify.domain.switches import Action, is_active, switched

NOW = datetime(2019, 8, 8, 2, 0, tzinfo=UTC)  # 09:00 WIB, the first day of seed 001's campaign


def test_disable_enable_delete_record_who_and_when_and_repeat_harmlessly() -> None:
    rule = {"_id": "rul_1", "version": 1}  # stored before rules could be disabled: active
    assert is_active(rule)
    off = switched(rule, Action.DISABLE, "op-gunungkidul", NOW, "rule")
    assert off == {"active": False, "disabled_at": NOW, "disabled_by": "op-gunungkidul", "version": 2}
    rule |= off
    assert switched(rule, Action.DISABLE, "op-lain", NOW, "rule") is None
    on = switched(rule, Action.ENABLE, "op-gunungkidul", NOW, "rule")
    assert on is not None and (on["active"], on["enabled_by"], on["version"]) == (True, "op-gunungkidul", 3)
    rule |= on
    assert switched(rule, Action.ENABLE, "op-gunungkidul", NOW, "rule") is None
    gone = switched(rule, Action.DELETE, "op-gunungkidul", NOW, "rule")
    assert gone is not None and (gone["active"], gone["deleted_at"], gone["version"]) == (False, NOW, 4)
    rule |= gone
    assert switched(rule, Action.DELETE, "op-gunungkidul", NOW, "rule") is None


@pytest.mark.parametrize("action", [Action.ENABLE, Action.DISABLE])
def test_a_deleted_webhook_is_not_turned_on_or_off(action: Action) -> None:
    webhook = {"_id": "wh_1", "active": False, "deleted_at": NOW, "version": 2}
    with pytest.raises(Conflict) as refused:
        switched(webhook, action, "op", NOW, "webhook")
    assert refused.value.detail["rule"] == "webhook_deleted"


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_a_notice_is_skipped_exactly_when_the_session_has_started(minutes: int) -> None:
    starts_at = NOW + timedelta(minutes=minutes)
    skip = session_started(starts_at, NOW)
    assert (skip is not None) == (minutes <= 0)
    if skip is not None:
        assert skip.reason == SESSION_STARTED and starts_at.isoformat() in skip.detail
    assert session_started(starts_at.isoformat().replace("+00:00", "Z"), NOW) == skip
