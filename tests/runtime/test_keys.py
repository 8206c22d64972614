"""Signing keys: tokens signed with a key verify with its published JWK and no other; kids are RFC 7638
thumbprints; a key file round-trips."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from pilar_runtime.keys import ALGORITHM, SigningKey, jwks


def test_a_token_verifies_with_the_published_key_of_its_kid_only() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    token = key.sign({"sub": "op-gk", "role": "district_operator", "region": "34.03"})
    published = jwt.PyJWKSet.from_dict(jwks(key, other))
    assert jwt.get_unverified_header(token)["kid"] == key.kid != other.kid
    assert jwt.decode(token, published[key.kid].key, algorithms=[ALGORITHM])["sub"] == "op-gk"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, published[other.kid].key, algorithms=[ALGORITHM])


def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the Ed25519 example key's thumbprint.
    pem = (
        b"-----BEGIN PRIVATE KEY-----\n"
        b"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
        b"-----END PRIVATE KEY-----\n"
    )
    assert SigningKey.from_pem(pem).kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_a_key_file_round_trips_and_only_ed25519_is_taken(tmp_path: Path) -> None:
    key = SigningKey.generate()
    (tmp_path / "signing.pem").write_bytes(key.pem())
    assert SigningKey.load(tmp_path / "signing.pem").kid == key.kid
    with pytest.raises(ValueError, match="Ed25519"):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        SigningKey.from_pem(ec_pem)
