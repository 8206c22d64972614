"""Signed links: a link sent by e-mail opens one thing (e.g. `report:rpt_…`) without a bearer token until it
expires. Pure: no I/O.

A link token is `<expiry, Unix seconds>.<base64url HMAC-SHA256 of "<scope>|<expiry>">`. Its key is derived from
the link secret (`PILAR_LINK_SECRET`, given to notify, which signs, and reporting, which checks; no other service)
with a purpose string of its own. Bearer tokens are signed with the console's asymmetric key, so a link token and a
bearer token can never stand for each other. The scope is inside the MAC: a token for one report opens no other.
Compared in constant time. Without a secret no link opens anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime
from enum import StrEnum

PURPOSE = b"pilar signed link v1"
MAX_TOKEN_CHARS = 100


class LinkRefused(Exception):
    """Why a link does not open: `expired` (it was real), or `invalid` (forged, altered, or for something else)."""

    def __init__(self, why: Why) -> None:
        super().__init__(why.value)
        self.why = why


class Why(StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"


def _mac(secret: str, scope: str, expires: int) -> bytes:
    key = hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, f"{scope}|{expires}".encode(), hashlib.sha256).digest()


def sign_link(secret: str, scope: str, expires: datetime) -> str:
    """The token for `scope`, good until `expires`."""
    stamp = int(expires.timestamp())
    return f"{stamp}.{base64.urlsafe_b64encode(_mac(secret, scope, stamp)).decode().rstrip('=')}"


def check_link(secret: str, scope: str, token: str, now: datetime) -> None:
    """Nothing when the token opens `scope` at `now`; LinkRefused otherwise. The signature is checked before the
    expiry, so `expired` is said only of a real link."""
    stamp, _, signature = token.partition(".")
    if not secret or len(token) > MAX_TOKEN_CHARS or not stamp.isascii() or not stamp.isdigit():
        raise LinkRefused(Why.INVALID)
    try:
        offered = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (binascii.Error, ValueError) as exc:
        raise LinkRefused(Why.INVALID) from exc
    if not hmac.compare_digest(offered, _mac(secret, scope, int(stamp))):
        raise LinkRefused(Why.INVALID)
    if int(stamp) <= now.timestamp():
        raise LinkRefused(Why.EXPIRED)


def with_token(path: str, token: str) -> str:
    """`path` with `token=` added to its query."""
    return f"{path}{'&' if '?' in path else '?'}token={token}"


def scope(kind: str, record_id: str) -> str:
    """What a link opens: one record of one kind (`report:rpt_…`: that report, its state and its files)."""
    return f"{kind}:{record_id}"
