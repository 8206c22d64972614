"""Which network addresses a webhook may reach: public ones, and the operator's allow-list.

A webhook URL is chosen by a district operator, so without this rule notify would POST (and its registration
check would connect) wherever the operator points it: the cloud metadata service, the broker, MongoDB, the
office's intranet. The rule is decided on addresses, never on how the host is spelled: names are resolved first,
and the IPv4 spellings that the C resolver accepts (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`) are read
here the way it reads them, so the address checked is the one connected to.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Not covered (or not in every Python version) by ipaddress's own flags.
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the last 32 bits are an IPv4 address
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64 (RFC 8215): translates into own networks
_SPECIAL = [ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("192.88.99.0/24")]  # IETF protocol, 6to4 relay
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d
_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")  # one part of an inet_aton spelling


def parse_literal(host: str) -> Address | None:
    """The address a host names literally (any IPv4 spelling inet_aton accepts, IPv6 with or without brackets),
    or None when the host is a name to resolve."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    return _inet_aton(host)


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """Dotted IPv4 in 1-4 parts, each decimal, octal (leading 0) or hex (0x); the last part fills the rest."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_PART.fullmatch(p) for p in parts):
        return None
    numbers = [int(p, 16) if p[:2].lower() == "0x" else int(p, 8) if p.startswith("0") else int(p) for p in parts]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for i, n in enumerate(leading):
        value |= n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and reaches (IPv4-mapped, IPv4-compatible, 6to4, NAT64)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse_networks(text: str | Iterable[str]) -> list[Network]:
    """CIDRs, comma-separated or as a list (`127.0.0.0/8,::1/128`); raises ValueError naming a bad one."""
    items = text.split(",") if isinstance(text, str) else list(text)
    networks: list[Network] = []
    for item in (i.strip() for i in items):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"{item!r} is not a network (CIDR, e.g. 10.20.0.0/16)") from exc
    return networks


def _within(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def refusal(address: Address, allowed: Iterable[Network] = ()) -> str | None:
    """Why a webhook may not reach this address (the kind of address), or None when it may."""
    allowed = list(allowed)
    inner = embedded_ipv4(address)
    if _within(address, allowed) or (inner is not None and _within(inner, allowed)):
        return None
    if inner is not None:
        return refusal(inner)
    checks: list[tuple[bool, str]] = [
        (address.is_loopback, "loopback"),
        (address.is_unspecified, "unspecified"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (_within(address, [_SHARED]), "shared (carrier-grade NAT)"),
        (_within(address, [_LOCAL_NAT64, *_SPECIAL]), "reserved"),
        (address.is_private or getattr(address, "is_site_local", False), "private"),
        (address.is_reserved or not address.is_global, "reserved"),
    ]
    return next((kind for refused, kind in checks if refused), None)
