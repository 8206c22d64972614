"""The console's pure rules: lockout, password policy, account assignment, Indonesian formats and messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from pilar_runtime.localtime import WIB, WITA
from services.console.domain.accounts import (
    AccountError,
    checked_assignment,
    email_key,
    may_manage,
    password_problem,
    refuse_outside_scope,
)
from services.console.domain.formats import angka, week_of
from services.console.domain.home import figures, open_followups, this_week
from services.console.domain.lockout import LOCK, MAX_FAILURES, WINDOW, Attempts, after_failure, is_locked
from services.console.domain.messages import field_errors
from services.console.domain.passwords import check_password, hash_password
from services.console.domain.sessions import Timeouts, csrf_matches, expired, expires_at

NOW = datetime(2026, 8, 6, 9, 0, tzinfo=UTC)


def _fail(times: int, start: datetime = NOW, every: timedelta = timedelta(minutes=1)) -> Attempts:
    attempts = Attempts((), None)
    for i in range(times):
        attempts = after_failure(attempts, start + i * every)
    return attempts


def test_five_failures_within_fifteen_minutes_lock_the_account_for_fifteen_minutes() -> None:
    four = _fail(MAX_FAILURES - 1)
    assert not is_locked(four, NOW + timedelta(minutes=4))
    five = after_failure(four, NOW + timedelta(minutes=4))
    assert five.locked_until == NOW + timedelta(minutes=4) + LOCK
    assert is_locked(five, NOW + timedelta(minutes=18))
    assert not is_locked(five, NOW + timedelta(minutes=19))


def test_failures_spread_over_more_than_the_window_never_lock() -> None:
    spread = _fail(10, every=WINDOW / 4)
    assert spread.locked_until is None
    assert len(spread.failures) == 4


def test_password_policy() -> None:
    person = {"email": "Sri.Wahyuni@dinsos.example", "name": "Sri Wahyuni"}
    assert password_problem("pendek", **person) == "Kata sandi minimal 10 karakter."
    assert password_problem("sri.wahyuni@dinsos.example", **person) is not None
    assert password_problem("SRI WAHYUNI", **person) == "Kata sandi tidak boleh sama dengan e-mail atau nama."
    assert password_problem("sriwahyuni", **person) == "Kata sandi tidak boleh sama dengan e-mail atau nama."
    assert password_problem("aaaaaaaaaaaa", **person) == "Kata sandi terlalu mudah ditebak."
    assert password_problem("Gunung-Kidul-2026!", **person) is None


def test_argon2id_hashes_and_checks() -> None:
    stored = hash_password("Gunung-Kidul-2026!")
    assert stored.startswith("$argon2id$")
    assert check_password(stored, "Gunung-Kidul-2026!").ok
    assert not check_password(stored, "gunung-kidul-2026!").ok
    assert not check_password(None, "anything at all").ok
    assert not check_password("not a hash", "anything at all").ok


def test_a_hash_with_weaker_parameters_is_renewed_at_sign_in() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("Gunung-Kidul-2026!")
    checked = check_password(weak, "Gunung-Kidul-2026!")
    assert checked.ok and checked.rehash is not None and checked.rehash != weak
    assert check_password(checked.rehash, "Gunung-Kidul-2026!") == type(checked)(True, None)


def test_every_role_but_admin_needs_a_real_region() -> None:
    assert checked_assignment("admin", "") == ("admin", "")
    assert checked_assignment("district_operator", "3403") == ("district_operator", "34.03")
    with pytest.raises(AccountError) as no_region:
        checked_assignment("viewer", " ")
    assert no_region.value.field == "region"
    with pytest.raises(AccountError) as unknown:
        checked_assignment("viewer", "34.99")
    assert unknown.value.field == "region"
    with pytest.raises(AccountError) as role:
        checked_assignment("superuser", "34")
    assert role.value.field == "role"


def test_e_mail_is_unique_without_regard_to_case() -> None:
    assert email_key(" Admin@Dinsos.Example ") == email_key("admin@dinsos.example")


def test_admins_manage_the_accounts_of_their_scope_only() -> None:
    national = {"_id": "a", "role": "admin", "region": ""}
    diy = {"_id": "b", "role": "admin", "region": "34"}
    operator = {"_id": "c", "role": "province_operator", "region": "34"}
    gunungkidul = {"region": "34.03"}
    assert may_manage(national, {"region": "35.11"})
    assert may_manage(diy, gunungkidul) and not may_manage(diy, {"region": "35.11"})
    assert not may_manage(operator, gunungkidul)
    with pytest.raises(AccountError):
        refuse_outside_scope(diy, "")
    refuse_outside_scope(diy, "34.03")


def test_sessions_end_after_idle_or_absolute_timeout() -> None:
    timeouts = Timeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    created = NOW
    assert not expired(created, NOW + timedelta(minutes=29), NOW + timedelta(minutes=30), timeouts)
    assert expired(created, NOW, NOW + timedelta(minutes=30), timeouts)
    assert expired(created, NOW + timedelta(hours=11, minutes=59), NOW + timedelta(hours=12), timeouts)
    assert expires_at(created, NOW + timedelta(hours=11, minutes=50), timeouts) == NOW + timedelta(hours=12)
    assert csrf_matches("abc", "abc") and not csrf_matches("abc", None) and not csrf_matches("abc", "abd")


def test_indonesian_numbers_and_weeks() -> None:
    assert angka(1234) == "1.234"
    assert angka(1234567) == "1.234.567"
    assert angka(12.5) == "12,5"
    assert angka(0) == "0"
    assert week_of(date(2019, 8, 8)) == (date(2019, 8, 5), date(2019, 8, 11))


def test_this_weeks_sessions_on_the_regions_clock() -> None:
    sessions = [
        {"topic": "Penyuluhan WKSBM", "venue": "Balai Desa", "starts_at": "2019-08-08T01:00:00+00:00"},
        # Sunday 23.30 WITA: still this week. An hour later it is Monday in WITA, yet still Sunday in WIB.
        {"topic": "FGD", "venue": "Aula", "starts_at": "2019-08-11T15:30:00+00:00"},
        {"topic": "Next week", "venue": "Aula", "starts_at": "2019-08-11T16:30:00+00:00"},
    ]
    lines = this_week(sessions, WITA, "WITA", date(2019, 8, 8))
    assert [line.topic for line in lines] == ["Penyuluhan WKSBM", "FGD"]
    assert lines[0].when == "Kamis, 8 Agustus 2019 pukul 09.00 WITA"
    assert [line.topic for line in this_week(sessions, WIB, "WIB", date(2019, 8, 8))] == [
        "Penyuluhan WKSBM",
        "FGD",
        "Next week",
    ]


def test_figures_and_followups_from_the_services_answers() -> None:
    summary = {
        "institutions": {"WKSBM": {"active": 3, "inactive": 1}, "POKJA": {"active": 1234}},
        "workers": {"PSM": 2},
        "sessions": {"scheduled": 1, "held": 4},
        "participants": {"total": 160},
        "followups": {"open": 2, "overdue": 1},
    }
    assert dict(figures(summary))["Lembaga"] == 1238
    followups = [
        {"action": "b", "due_on": "2019-08-20", "overdue": False},
        {"action": "a", "due_on": "2019-08-01", "overdue": True},
    ]
    assert [(f.action, f.overdue) for f in open_followups(followups)] == [("a", True), ("b", False)]


def test_service_problems_become_indonesian_messages_by_field() -> None:
    invalid = {
        "message": "…",
        "errors": [{"loc": ["body", "venue"], "msg": "Field required", "type": "missing"}],
    }
    assert field_errors(422, invalid) == {"venue": "Wajib diisi."}
    region = {"message": "region_code: region code 34.99 does not exist in the Kemendagri 2025 reference",
              "field": "region_code"}  # fmt: skip
    assert field_errors(422, region) == {"region_code": "Kode wilayah tidak ada dalam referensi Kemendagri."}
    assert field_errors(409, {"message": "x", "rule": "double_booking"}) == {
        "": "Petugas atau narasumber sudah memiliki sesi pada waktu tersebut."
    }
    assert field_errors(422, {"message": "starts_at: not on a Sunday", "field": "starts_at"}) == {
        "starts_at": "starts_at: not on a Sunday"
    }
    assert field_errors(500, {"message": "Traceback …"}) == {
        "": "Layanan sedang tidak tersedia. Coba lagi sebentar lagi."
    }
