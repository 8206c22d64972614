"""Signed links (pure): a token opens its one scope until it expires; anything else about it is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pilar_runtime.links import LinkRefused, Why, check_link, scope, sign_link, with_token

SECRET = "a-stack-secret-of-enough-length-0123456789"
NOW = datetime(2027, 8, 2, 5, 0, tzinfo=UTC)
REPORT = scope("report", "rpt_a")


def _why(token: str, *, secret: str = SECRET, scope_: str = REPORT, now: datetime = NOW) -> Why:
    with pytest.raises(LinkRefused) as refused:
        check_link(secret, scope_, token, now)
    return refused.value.why


def test_a_link_opens_its_own_report_until_it_expires() -> None:
    token = sign_link(SECRET, REPORT, NOW + timedelta(days=7))
    check_link(SECRET, REPORT, token, NOW)
    check_link(SECRET, REPORT, token, NOW + timedelta(days=7) - timedelta(seconds=1))
    assert _why(token, now=NOW + timedelta(days=7)) is Why.EXPIRED
    assert _why(token, scope_=scope("report", "rpt_b")) is Why.INVALID
    assert _why(token, secret=SECRET + "x") is Why.INVALID


def test_without_a_secret_no_link_opens_anything() -> None:
    # A service started without PILAR_LINK_SECRET must not accept links keyed with the empty secret.
    unkeyed = sign_link("", REPORT, NOW + timedelta(days=7))
    assert _why(unkeyed, secret="") is Why.INVALID
    assert _why(sign_link(SECRET, REPORT, NOW + timedelta(days=7)), secret="") is Why.INVALID


def test_a_tampered_link_is_invalid_not_expired() -> None:
    token = sign_link(SECRET, REPORT, NOW - timedelta(days=1))  # expired, but only a real link is told so
    assert _why(token) is Why.EXPIRED
    stamp, signature = token.split(".")
    later = f"{int(stamp) + 86_400 * 30}.{signature}"  # the expiry pushed a month on
    flipped = f"{stamp}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    for forged in (later, flipped, "", ".", "abc.def", f"{stamp}.", f"{stamp}.%%%", "1" * 200):
        assert _why(forged) is Why.INVALID, forged


def test_the_token_goes_on_the_link_s_query() -> None:
    assert with_token("/reports/rpt_a/download", "1.x") == "/reports/rpt_a/download?token=1.x"
    assert with_token("/reports/rpt_a/download?format=pdf", "1.x") == "/reports/rpt_a/download?format=pdf&token=1.x"
