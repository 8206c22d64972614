"""The keys the console signs its users' access tokens with (`pilar_runtime.auth.issue_token`) and publishes."""

from __future__ import annotations

from dataclasses import dataclass
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
