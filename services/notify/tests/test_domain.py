"""Unit tests of notify's pure rules: patterns, timing, rule validation, planning, rendering, signatures."""

from __future__ import annotations

import base64
import hmac
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from contracts.events.notify import FailureReason
from pilar_runtime.errors import Conflict
from services.notify.channels import CHANNELS, held_in_quiet_hours
from services.notify.domain.context import SAMPLE_FACTS, notice_context, tanggal, waktu
from services.notify.domain.deliveries import Failure, Retries, after_attempt, retried
from services.notify.domain.kinds import NOTICE_KINDS, InvalidPattern, matching_kinds, validate_pattern
from services.notify.domain.plan import Contact, Webhook, plan_notices, plan_webhooks
from services.notify.domain.render import TemplateProblem, default_template, render
from services.notify.domain.rules import CHANNELS as RULE_CHANNELS
from services.notify.domain.rules import InvalidRule, Rule, check_rule, default_rules
from services.notify.domain.signature import sign, sign_legacy, signed_headers, verify
from services.notify.domain.switches import Action, switched
from services.notify.domain.timing import (
    DEFAULT_RETRY_SCHEDULE,
    WIB,
    QuietHours,
    TokenBucket,
    followup_due_notice_at,
    parse_schedule,
    reminder_times,
    retry_wait,
)
from services.notify.domain.webhooks import Keys, rotated
from services.notify.settings import NotifySettings


def rule(**change: Any) -> Rule:
    fields: dict[str, Any] = {
        "id": "r", "event_pattern": "outreach.session_*", "region_code": "34.03", "channel": "email",
        "recipients": ("officers", "narasumber"), "template": None,
    }  # fmt: skip
    fields.update(change)
    return Rule(**fields)


def test_patterns_cover_notices_and_reject_nonsense() -> None:
    assert matching_kinds("outreach.session_*") == [
        "outreach.session_scheduled",
        "outreach.session_reminder",
        "outreach.session_rescheduled",
        "outreach.session_cancelled",
    ]
    assert validate_pattern("*.*") == "*.*"
    assert validate_pattern("registry.WKSBM_formed", notices_only=False)
    for bad in ("session_*", "outreach.session scheduled", "outreach.[ab]", ""):
        with pytest.raises(InvalidPattern):
            validate_pattern(bad)
    with pytest.raises(InvalidPattern, match="matches no notice"):
        validate_pattern("registry.worker_*")
    assert matching_kinds("registry.*_formed") == [
        "registry.WKSBM_formed",
        "registry.Pokja_formed",
        "registry.KarangTaruna_formed",
    ]


def test_reminders_only_for_moments_still_ahead() -> None:
    starts = datetime(2027, 8, 12, 2, 0, tzinfo=UTC)
    assert reminder_times(starts, starts - timedelta(days=10)) == {
        "H-3": starts - timedelta(days=3),
        "H-1": starts - timedelta(days=1),
    }
    assert reminder_times(starts, starts - timedelta(days=2)) == {"H-1": starts - timedelta(days=1)}
    assert reminder_times(starts, starts - timedelta(hours=1)) == {}
    assert followup_due_notice_at(date(2027, 8, 30)) == datetime(2027, 8, 29, 8, 0, tzinfo=WIB)


def test_quiet_hours_wrap_midnight_and_release_in_the_morning() -> None:
    quiet = QuietHours(time(21, 0), time(6, 0))
    evening = datetime(2027, 8, 12, 22, 30, tzinfo=WIB)
    small_hours = datetime(2027, 8, 13, 3, 0, tzinfo=WIB)
    morning = datetime(2027, 8, 13, 6, 0, tzinfo=WIB)
    assert quiet.release(evening) == morning
    assert quiet.release(small_hours) == morning
    assert quiet.release(morning) == morning and not quiet.is_quiet(morning)
    noon_utc = datetime(2027, 8, 13, 5, 0, tzinfo=UTC)  # 12:00 WIB
    assert quiet.release(noon_utc) == noon_utc
    assert not QuietHours(time(0, 0), time(0, 0)).is_quiet(small_hours)
    assert QuietHours(time(1, 0), time(5, 0)).is_quiet(small_hours)


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    now[0] = 0.5
    assert bucket.take() == 0.0


def test_every_notice_has_shipped_templates_that_render() -> None:
    for kind, facts in SAMPLE_FACTS.items():
        for channel in ("email", "sms"):
            assert default_template(channel, kind), (channel, kind)
            rendered = render(channel, kind, notice_context(kind, facts, public_base_url="https://x", penerima="Sri"))
            assert rendered.body
    assert set(SAMPLE_FACTS) == set(NOTICE_KINDS)


def test_context_speaks_indonesian_in_wib() -> None:
    assert waktu("2019-08-08T02:00:00Z") == "Kamis, 8 Agustus 2019 pukul 09.00 WIB"
    assert tanggal("2020-11-30") == "Senin, 30 November 2020"
    context = notice_context(
        "outreach.session_scheduled", SAMPLE_FACTS["outreach.session_scheduled"], public_base_url="", penerima="X"
    )
    assert context["sesi"]["desa"] == "Kampung"
    rendered = render("email", "outreach.session_scheduled", context)
    assert rendered.subject.startswith("Undangan Penyuluhan Sosial: Pembentukan WKSBM — Kampung")


def test_a_template_missing_a_fact_fails_with_the_reason() -> None:
    context = notice_context(
        "outreach.followup_due", SAMPLE_FACTS["outreach.followup_due"], public_base_url="", penerima="X"
    )
    with pytest.raises(TemplateProblem, match="lacks"):
        render("email", "outreach.followup_due", context, "{{ sesi.topik }}")
    with pytest.raises(TemplateProblem, match="empty"):
        render("sms", "outreach.followup_due", context, "{# nothing #}")


FAILING_TEMPLATES = [
    ("{{ tindak_lanjut.__class__ }}", "may not"),
    ("{{ 10 ** 1000000 }}", "may not"),
    ("{{ 'x' * 10 ** 7 }}", "may not"),
    ("{{ tindak_lanjut.aksi / 0 }}", "fails to render (TypeError)"),
    ("{{ {}[tindak_lanjut.aksi] }}", "lacks"),
    ("{% for %}", "does not parse"),
    ('{{ "{0.__class__}"|format(tindak_lanjut.aksi) }}', "may not"),  # the brace-style `format` is sandboxed too
]


@pytest.mark.parametrize(("template", "reason"), FAILING_TEMPLATES)
def test_a_template_fails_without_quoting_what_it_computed(template: str, reason: str) -> None:
    facts = SAMPLE_FACTS["outreach.followup_due"]
    context = notice_context("outreach.followup_due", facts, public_base_url="", penerima="X")
    with pytest.raises(TemplateProblem, match=reason.replace("(", r"\(").replace(")", r"\)")) as caught:
        render("email", "outreach.followup_due", context, template)
    assert context["tindak_lanjut"]["aksi"] not in str(caught.value) and "class" not in str(caught.value)


# Amounts and counts are data, not sizes: templates a Dinas Sosial writes, with what each must say.
NUMBER_TEMPLATES = [
    ('{{ "{:,}".format(kampanye.peserta) }}', "250,000"),
    ('{{ "Rp {:,.0f}"|format(anggaran) }}', "Rp 150,000,000"),
    ('{{ "%d peserta"|format(123456) }}', "123456 peserta"),
    ('{{ "%s: %s"|format("Jumlah", 150000000) }}', "Jumlah: 150000000"),
    ('{{ "Hubungi 0274-512345 untuk %s" % penerima }}', "Hubungi 0274-512345 untuk Sri"),
    ('{{ desa|selectattr("peserta", "gt", 150000)|map(attribute="nama")|join(", ") }}', "Sidoharjo"),
    ("{{ kampanye.peserta }} orang ({{ kampanye.peserta * 2 }} kursi)", "250000 orang (500000 kursi)"),
    (
        '{{ "%(nama)s: %(n)08d"|format(nama="Peserta", n=250000) }} {{ "{:>8}|".format("ok") }}',
        "Peserta: 00250000       ok|",
    ),
]


@pytest.mark.parametrize(("template", "message"), NUMBER_TEMPLATES)
def test_amounts_and_counts_above_the_size_cap_render(template: str, message: str) -> None:
    facts = {**SAMPLE_FACTS["outreach.campaign_planned"], "participants_reached": 250_000}  # a province's count
    context = notice_context("outreach.campaign_planned", facts, public_base_url="", penerima="Sri")
    desa = [{"nama": "Sidoharjo", "peserta": 160_000}, {"nama": "Ngawis", "peserta": 900}]
    context |= {"anggaran": 150_000_000, "desa": desa}
    assert render("email", "outreach.campaign_planned", context, template).body == message


def test_rule_validation() -> None:
    check_rule(rule())
    check_rule(rule(channel="sms", recipients=("officers", "+62 812-3456-7890")))
    check_rule(rule(channel="webhook", recipients=("wh_0123456789abcdef0123",)))
    bad: list[tuple[dict[str, Any], str]] = [
        ({"channel": "pigeon"}, "channel"),
        ({"recipients": ()}, "recipients"),
        ({"recipients": ("followup_owner",)}, "cannot be derived"),
        ({"recipients": ("12345",)}, "e-mail"),
        ({"channel": "sms", "recipients": ("a@b.id",)}, "phone"),
        ({"channel": "webhook", "recipients": ("officers",)}, "webhook"),
        ({"channel": "webhook", "recipients": ("wh_0123456789abcdef0123",), "template": "x"}, "no template"),
        ({"template": "{{ laporan.tautan }}"}, "does not render"),
    ]
    for change, message in bad:
        with pytest.raises(InvalidRule, match=message):
            check_rule(rule(**change))
    for shipped in default_rules(sms_enabled=True):
        check_rule(shipped)
    assert {r.channel for r in default_rules(sms_enabled=False)} == {"email"}


def test_planning_dedupes_and_reports_the_unreachable() -> None:
    facts = {"officer_ids": ["w1", "w2"], "narasumber_ids": ["w1", "w3"]}
    contacts = {
        "w1": Contact("w1", "A", "a@x.id", "0812 3456 7890"),
        "w2": Contact("w2", "B", None, None),
        "w3": Contact("w3", "C", "c@x.id", None, active=False),
    }
    rules = [rule(), rule(id="fixed", recipients=("a@x.id", "boss@x.id")), rule(id="elsewhere", region_code="35.11")]
    planned, unreachable = plan_notices("outreach.session_scheduled", "34.03.13.2004", facts, rules, contacts, {})
    assert sorted(p.recipient for p in planned) == ["a@x.id", "boss@x.id"]
    assert unreachable == ["w2", "w3"]
    sms, _ = plan_notices("outreach.session_scheduled", "34.03.13.2004", facts, [rule(channel="sms")], contacts, {})
    assert [p.recipient for p in sms] == ["081234567890"]
    none, _ = plan_notices("outreach.followup_due", "34.03.13.2004", facts, rules, contacts, {})
    assert none == []


def test_webhooks_want_their_patterns_in_their_region() -> None:
    hooks = [
        Webhook("wh_a", "https://a", ("outreach.*",), "34.03"),
        Webhook("wh_b", "https://b", ("registry.WKSBM_formed",), ""),
        Webhook("wh_c", "https://c", ("outreach.*",), "35.11"),
    ]
    assert [p.recipient_id for p in plan_webhooks("outreach.session_cancelled", "34.03.13.2004", hooks)] == ["wh_a"]
    assert [p.recipient_id for p in plan_webhooks("registry.WKSBM_formed", "35.11.01.2001", hooks)] == ["wh_b"]


def test_signature_follows_standard_webhooks() -> None:
    body = b'{"event_type":"session_scheduled"}'
    headers = signed_headers(body, "s3cret-s3cret-s3cret", message_id="dlv_1", timestamp=1_700_000_000)
    expected = hmac.new(b"s3cret-s3cret-s3cret", b"dlv_1.1700000000." + body, "sha256").digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(expected).decode()
    assert headers["webhook-id"] == "dlv_1" and headers["webhook-timestamp"] == "1700000000"
    assert verify(body, "s3cret-s3cret-s3cret", headers, now=1_700_000_100)
    assert not verify(body + b" ", "s3cret-s3cret-s3cret", headers, now=1_700_000_100)
    assert not verify(body, "other-other-other", headers, now=1_700_000_100)
    assert not verify(body, "s3cret-s3cret-s3cret", {**headers, "webhook-id": "dlv_2"}, now=1_700_000_100)


def test_the_standard_webhooks_test_vector() -> None:
    secret, body = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, secret) == expected


def test_a_whsec_secret_is_its_base64_key_and_the_legacy_header_uses_the_same_key() -> None:
    raw = b"\x00\x01key-bytes-0123456789"
    secret = "whsec_" + base64.b64encode(raw).decode()
    body = b"{}"
    assert sign("m", 5, body, secret) == "v1," + base64.b64encode(hmac.new(raw, b"m.5.{}", "sha256").digest()).decode()
    assert sign_legacy(body, "s3cret") == "sha256=" + hmac.new(b"s3cret", body, "sha256").hexdigest()
    assert verify(body, secret, signed_headers(body, secret, message_id="m", timestamp=5), now=5)
    assert not verify(body, "whsec_not base64!", {"webhook-id": "m", "webhook-timestamp": "5",
                                                  "webhook-signature": "v1,x"}, now=5)  # fmt: skip


def test_a_signature_outside_the_tolerance_or_among_rotated_keys() -> None:
    body = b"{}"
    headers = signed_headers(body, "s3cret-s3cret-s3cret", message_id="m", timestamp=1000)
    assert not verify(body, "s3cret-s3cret-s3cret", headers, now=1000 + 301)  # replayed later
    assert not verify(body, "s3cret-s3cret-s3cret", headers, now=1000 - 301)  # from the future
    assert verify(body, "s3cret-s3cret-s3cret", headers, now=1000 + 300)
    rotated = {**headers, "webhook-signature": "v1,b2xk " + headers["webhook-signature"]}
    assert verify(body, "s3cret-s3cret-s3cret", rotated, now=1000)
    assert not verify(body, "s3cret-s3cret-s3cret", {**headers, "webhook-timestamp": "1e3"}, now=1000)


def test_every_channel_a_rule_may_name_has_a_sender_and_only_sms_waits_through_quiet_hours() -> None:
    assert set(CHANNELS) == set(RULE_CHANNELS)
    assert [c for c in RULE_CHANNELS if held_in_quiet_hours(c)] == ["sms"]


def test_an_attempt_is_sent_retried_after_the_schedule_s_wait_or_failed_once_it_is_spent() -> None:
    now, retries = datetime(2027, 8, 2, 5, 0, tzinfo=UTC), Retries((60, 300))
    assert retries.max_attempts == 3
    refused = Failure(FailureReason.REFUSED, "550 no such mailbox")
    assert after_attempt(1, None, now, retries) == ({"at": now, "outcome": "sent", "error": None},
                                                    {"status": "sent", "sent_at": now, "_message": None})  # fmt: skip
    entry, retry = after_attempt(1, refused, now, retries)
    assert entry == {"at": now, "outcome": "failed", "reason": "refused", "error": "550 no such mailbox"}
    assert retry == {"next_attempt_at": now + timedelta(seconds=60)}
    assert after_attempt(2, refused, now, retries)[1] == {"next_attempt_at": now + timedelta(seconds=300)}
    _, last = after_attempt(3, refused, now, retries)
    assert last == {"status": "failed", "failed_reason": "550 no such mailbox", "failure": "refused"}
    # A retry asked for by hand after the schedule was spent is one more attempt, failed again if it fails.
    assert after_attempt(4, refused, now, retries)[1]["status"] == "failed"
    assert after_attempt(4, None, now, retries)[1]["status"] == "sent"


def test_the_retry_schedule_reads_from_text_and_lasts_days_by_default() -> None:
    assert parse_schedule("60, 300,1800") == (60.0, 300.0, 1800.0)
    assert [retry_wait(n, (60.0, 300.0)) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=5), None]
    assert sum(DEFAULT_RETRY_SCHEDULE) > timedelta(days=1).total_seconds()  # a night down loses nothing
    assert NotifySettings(retry_schedule="5,10").retry_schedule == (5.0, 10.0)
    assert NotifySettings().retry_schedule == DEFAULT_RETRY_SCHEDULE
    for bad in ("", "60,soon", "60,-1", "60,nan", "inf"):
        with pytest.raises(ValueError, match="retry schedule"):
            parse_schedule(bad)


def test_a_retry_by_hand_takes_a_failed_or_waiting_delivery_not_a_sent_one_nor_one_in_flight() -> None:
    now = datetime(2027, 8, 2, 5, 0, tzinfo=UTC)
    failed = {"status": "failed", "version": 4, "failure": "server_5xx", "failed_reason": "HTTP 503"}
    assert retried(failed, "sidinsos", now) == {
        "status": "pending", "next_attempt_at": now, "failed_reason": None, "failure": None, "retried_at": now,
        "retried_by": "sidinsos", "version": 5,
    }  # fmt: skip
    waiting = {"status": "pending", "version": 2, "lease_until": now - timedelta(days=1)}
    assert retried(waiting, "op", now)["next_attempt_at"] == now
    for status in ("sent", "skipped"):
        with pytest.raises(Conflict) as refused:
            retried({"status": status, "version": 2}, "op", now)
        assert refused.value.detail["rule"] == f"delivery_{status}"
    with pytest.raises(Conflict):
        retried({**waiting, "lease_until": now + timedelta(seconds=20)}, "op", now)


def test_a_rotated_secret_signs_beside_the_new_one_only_until_its_grace_ends() -> None:
    now = datetime(2027, 8, 2, 5, 0, tzinfo=UTC)
    webhook: dict[str, Any] = {"url": "https://sidinsos.example/pilar", "secret": "kunci-lama-0123456789", "version": 3}
    changes = rotated(webhook, "whsec_bmV3", webhook["secret"], "sidinsos", now, timedelta(hours=24))
    assert (changes["previous_secret"], changes["previous_secret_until"], changes["version"]) == (
        "kunci-lama-0123456789", now + timedelta(hours=24), 4)  # fmt: skip
    stored = {**webhook, **changes}
    assert Keys.of(stored, now + timedelta(hours=23)).previous == "kunci-lama-0123456789"
    assert Keys.of(stored, now + timedelta(hours=24)).previous is None
    assert rotated(webhook, "whsec_bmV3", "x", "op", now, timedelta(0))["previous_secret"] is None
    headers = signed_headers(b"{}", "whsec_bmV3", message_id="m", timestamp=1000, previous="kunci-lama-0123456789")
    assert len(headers["webhook-signature"].split()) == 2
    for secret in ("whsec_bmV3", "kunci-lama-0123456789"):
        assert verify(b"{}", secret, headers, now=1000)
    with pytest.raises(Conflict):
        rotated({**webhook, "deleted_at": now}, "whsec_bmV3", "x", "op", now, timedelta(hours=1))


def test_pausing_and_resuming_are_recorded_once_and_not_on_a_deleted_webhook() -> None:
    now = datetime(2027, 8, 2, 5, 0, tzinfo=UTC)
    webhook = {"active": True, "version": 1}
    paused = switched(webhook, Action.PAUSE, "sidinsos", now, "webhook")
    assert paused == {"paused": True, "paused_at": now, "paused_by": "sidinsos", "version": 2}
    assert switched({**webhook, **paused}, Action.PAUSE, "sidinsos", now, "webhook") is None
    assert switched(webhook, Action.RESUME, "sidinsos", now, "webhook") is None
    assert switched({**webhook, **paused}, Action.RESUME, "op", now, "webhook")["paused"] is False  # type: ignore[index]
    disabled = {"active": False, "version": 2}
    assert switched(disabled, Action.DELETE, "op", now, "webhook")["deleted_by"] == "op"  # type: ignore[index]
    with pytest.raises(Conflict):
        switched({**webhook, "deleted_at": now}, Action.RESUME, "op", now, "webhook")
