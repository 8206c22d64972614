"""The keys that sign access tokens (EdDSA, Ed25519) and the JWK Set that publishes their public halves.

Only the console (and `pilar token`, with the same key file) holds a private key; the services verify with the
public keys the console publishes at ``/.well-known/jwks.json``, so no API service can mint a token. A key is
named by its RFC 7638 thumbprint (``kid``), so a rotated key is told apart from the one before it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

ALGORITHM = "EdDSA"


def public_jwk(public: Ed25519PublicKey) -> dict[str, Any]:
    """The public key as a JWK with its thumbprint as ``kid``, for signing use with EdDSA only."""
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(public))
    return {**jwk, "kid": _thumbprint(jwk), "use": "sig", "alg": ALGORITHM}


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, in lexicographic order, without whitespace."""
    required = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(required.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be an Ed25519 private key (PEM, PKCS#8)")
        return cls(key)

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        return cls.from_pem(path.read_bytes())

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def jwk(self) -> dict[str, Any]:
        return public_jwk(self.private.public_key())

    @property
    def kid(self) -> str:
        return str(self.jwk["kid"])

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm=ALGORITHM, headers={"kid": self.kid})


def jwks(*keys: SigningKey) -> dict[str, Any]:
    """The JWK Set publishing these keys' public halves: the current key first, then those still trusted."""
    return {"keys": [key.jwk for key in keys]}
