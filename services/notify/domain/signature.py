"""Webhook signatures, per the Standard Webhooks spec (https://www.standardwebhooks.com/).

Headers: `webhook-id` (the delivery id, the same on every retry), `webhook-timestamp` (Unix seconds of this
attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`. Signing the timestamp
lets a receiver refuse a replayed delivery: `verify` rejects one older (or newer) than its tolerance.

The key: a secret written `whsec_<base64>` (the spec's form) is that base64's bytes; any other secret (all
webhooks registered before) is its own UTF-8 bytes — a Standard Webhooks library verifies those with
`"whsec_" + base64(secret)`.

For one release the old header is sent too: `X-Pilar-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, same
key. It signs no timestamp, so a receiver should move to the new headers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

LEGACY_HEADER = "X-Pilar-Signature"
PREFIX = "whsec_"
TOLERANCE_SECONDS = 300  # the spec's suggested window for webhook-timestamp


class BadSecret(ValueError):
    pass


def key(secret: str) -> bytes:
    """The HMAC key a secret stands for (see the module docstring)."""
    if not secret.startswith(PREFIX):
        return secret.encode()
    try:
        return base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except binascii.Error as exc:
        raise BadSecret("a whsec_ secret is base64 after the prefix") from exc


def sign(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """The `webhook-signature` value: `v1,<base64 signature>`."""
    content = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key(secret), content, hashlib.sha256).digest()).decode()


def sign_legacy(body: bytes, secret: str) -> str:
    """The `X-Pilar-Signature` value (kept for one release)."""
    return "sha256=" + hmac.new(key(secret), body, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, secret: str, *, message_id: str, timestamp: int, previous: str | None = None
) -> dict[str, str]:
    """The signing headers; during a rotation's grace period `previous` signs too, after the new secret's signature
    in the same header (a receiver still holding the old secret verifies)."""
    signatures = [sign(message_id, timestamp, body, s) for s in (secret, previous) if s]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
        LEGACY_HEADER: sign_legacy(body, secret),
    }


def verify(
    body: bytes,
    secret: str,
    headers: Mapping[str, str],
    *,
    tolerance_seconds: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does: the timestamp lies within the tolerance of its clock, and one of the `v1` signatures
    (space-separated, so a sender can rotate keys) matches, compared in constant time."""
    found = {name.lower(): value for name, value in headers.items()}
    message_id, stamp = found.get("webhook-id", ""), found.get("webhook-timestamp", "")
    if not message_id or not stamp.isascii() or not stamp.isdigit():
        return False
    timestamp = int(stamp)
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        return False
    try:
        expected = sign(message_id, timestamp, body, secret)
    except BadSecret:
        return False
    offered = found.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in offered)
