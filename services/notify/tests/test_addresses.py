"""Unit and property tests of the webhook address rule: every spelling of an inward address is refused."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.notify.domain.addresses import embedded_ipv4, parse_literal, parse_networks, refusal

INWARD_V4 = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
             "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4", "192.0.0.0/24", "198.18.0.0/15"]  # fmt: skip
INWARD_V6 = ["::1/128", "::/128", "fe80::/10", "fc00::/7", "ff00::/8", "fec0::/10", "64:ff9b:1::/48", "2001::/32"]
# The machine running the suite is shared: no per-example deadline.
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
PUBLIC = ["8.8.8.8", "1.1.1.1", "203.130.193.74", "2001:4860:4860::8888", "::ffff:8.8.8.8", "2002:808:808::1"]


def spellings(address: ipaddress.IPv4Address) -> list[str]:
    """The ways inet_aton (and so the C resolver) accepts to write one IPv4 address."""
    a, b, c, d = address.packed
    value = int(address)
    return [
        str(address),
        str(value),
        hex(value),
        f"0{value:o}",
        ".".join(f"0{x:o}" for x in (a, b, c, d)),
        ".".join(hex(x) for x in (a, b, c, d)),
        f"{a}.{(b << 16) | (c << 8) | d}",
        f"{a}.{b}.{(c << 8) | d}",
        f"{hex(a)}.{hex((b << 16) | (c << 8) | d)}",
        f"0{a:o}.{b}.0x{c:x}.{d}",
    ]


def ipv6_forms(address: ipaddress.IPv4Address) -> list[str]:
    """IPv6 addresses that carry (and reach) an IPv4 one."""
    value = int(address)
    return [
        f"::ffff:{address}",
        f"[::ffff:{address}]",
        f"::ffff:{value >> 16:x}:{value & 0xFFFF:x}",
        f"2002:{value >> 16:x}:{value & 0xFFFF:x}::1",
        f"64:ff9b::{address}",
        *([f"::{address}"] if value > 1 else []),  # `::` and `::1` are themselves, not IPv4-compatible forms
    ]


@st.composite
def inward_v4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    network = draw(st.sampled_from(INWARD_V4))
    address = draw(st.ip_addresses(network=network))
    assert isinstance(address, ipaddress.IPv4Address)
    return address


@PROPERTY
@given(st.ip_addresses(v=4))
def test_every_ipv4_spelling_reads_as_the_same_address(address: ipaddress.IPv4Address) -> None:
    for spelling in spellings(address):
        assert parse_literal(spelling) == address, spelling


@PROPERTY
@given(inward_v4())
def test_inward_ipv4_is_refused_in_every_spelling_and_ipv6_form(address: ipaddress.IPv4Address) -> None:
    forms = spellings(address) + ipv6_forms(address)
    for form in forms:
        literal = parse_literal(form)
        assert literal is not None and refusal(literal) is not None, form
    allowed = parse_networks(f"{address}/32")
    for form in forms:
        literal = parse_literal(form)
        assert literal is not None and refusal(literal, allowed) is None, form


@PROPERTY
@given(st.sampled_from(INWARD_V6).flatmap(lambda n: st.ip_addresses(network=n)))
def test_inward_ipv6_is_refused(address: ipaddress.IPv6Address) -> None:
    assert refusal(address) is not None
    assert refusal(address, parse_networks([f"{address}/128"])) is None


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_are_admitted(host: str) -> None:
    literal = parse_literal(host)
    assert literal is not None and refusal(literal) is None


@pytest.mark.parametrize(
    ("host", "kind"),
    [("169.254.169.254", "link-local"), ("0x7f.1", "loopback"), ("2130706433", "loopback"), ("[::1]", "loopback"),
     ("0177.0.0.1", "loopback"), ("127.1", "loopback"), ("10.1", "private"), ("100.64.0.1", "carrier-grade"),
     ("0", "unspecified"), ("[::]", "unspecified"), ("224.0.0.251", "multicast"), ("64:ff9b::10.0.0.5", "private"),
     ("::ffff:169.254.169.254", "link-local"), ("2002:a9fe:a9fe::", "link-local"), ("fe80::1%eth0", "link-local")],
)  # fmt: skip
def test_the_refusal_names_the_kind_of_address(host: str, kind: str) -> None:
    literal = parse_literal(host)
    assert literal is not None
    assert kind in (refusal(literal) or "")


@pytest.mark.parametrize("host", ["sidinsos.example.id", "1.2.3.4.5", "08.1.1.1", "0x100.1.1.1", "256.1.1.1", "",
                                  "1..1", "0x", "1.2.3.4 ", "١٢٧.0.0.1", "[::1", "::g"])  # fmt: skip
def test_names_and_malformed_numbers_are_not_literals(host: str) -> None:
    assert parse_literal(host) is None


def test_allowed_networks_and_embedded_addresses() -> None:
    assert parse_networks("127.0.0.0/8, ::1/128,") == [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1")]
    with pytest.raises(ValueError, match="not a network"):
        parse_networks("10.0.0.0/33")
    assert embedded_ipv4(ipaddress.IPv6Address("::1")) is None  # loopback itself, not 0.0.0.1
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), parse_networks("127.0.0.0/8")) is None
    assert refusal(ipaddress.ip_address("127.0.0.1"), parse_networks("::/0")) == "loopback"  # versions never mix
