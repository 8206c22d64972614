"""Webhook signatures: `X-Pilar-Signature: sha256=<hex HMAC-SHA256 of the raw body with the webhook's secret>`."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Pilar-Signature"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(body, secret), signature)
