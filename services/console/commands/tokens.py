"""The access tokens the console signs for its signed-in users (EdDSA, short-lived) and the keys it publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pilar_runtime.keys import SigningKey, jwks
from pilar_runtime.settings import RefusedSettings


@dataclass(frozen=True)
class Keys:
    current: SigningKey
    previous: tuple[SigningKey, ...] = ()

    @classmethod
    def load(cls, current: Path | None, previous: str) -> Keys:
        if current is None:
            raise RefusedSettings(
                "CONSOLE_SIGNING_KEY_FILE is unset: point it at the Ed25519 key (PEM) that signs tokens"
            )
        try:
            return cls(
                SigningKey.load(current),
                tuple(SigningKey.load(Path(p.strip())) for p in previous.split(",") if p.strip()),
            )
        except (OSError, ValueError) as exc:
            raise RefusedSettings(f"a signing key could not be read: {exc}") from None

    def published(self) -> dict[str, Any]:
        return jwks(self.current, *self.previous)


def access_token(key: SigningKey, user: dict[str, Any], *, ttl: timedelta, issuer: str, audience: str) -> str:
    """The user's access token: who, their role and region as the account says now, for ``ttl``."""
    now = datetime.now(UTC)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": user["_id"],
        "role": user["role"],
        "region": user["region"],
        "name": user["name"],
        "iat": now,
        "exp": now + ttl,
    }
    return key.sign(claims)
