"""Sign-in through an OpenID Connect provider, the pure part: the authorization request (code flow with PKCE,
state and nonce), the checks of the provider's answer, and the account the ID token's claims make."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pilar_runtime.roles import Role
from services.console.domain.accounts import AccountError, checked_assignment

SCOPE = "openid profile email"


class OidcRefused(Exception):
    """The provider's answer cannot sign anyone in; the message is for the log, the person sees one sentence."""


@dataclass(frozen=True)
class Pending:
    """What the console remembers in the session between sending the person to the provider and their return."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> Pending:
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64))

    @property
    def challenge(self) -> str:
        """RFC 7636 S256: base64url(sha256(verifier)) without padding."""
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_url(endpoint: str, client_id: str, redirect_uri: str, pending: Pending) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": pending.challenge,
        "code_challenge_method": "S256",
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def check_state(pending: Pending | None, state: str | None) -> Pending:
    if pending is None or not state or not hmac.compare_digest(pending.state, state):
        raise OidcRefused("state does not match this session's sign-in")
    return pending


def endpoints(issuer: str, discovery: Any) -> tuple[str, str, str]:
    """Authorization, token and JWK Set endpoints; the document must name the configured issuer."""
    if not isinstance(discovery, dict) or discovery.get("issuer") != issuer:
        raise OidcRefused("the discovery document names another issuer")
    found = [discovery.get(name) for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")]
    if not all(isinstance(url, str) and url.startswith(("https://", "http://")) for url in found):
        raise OidcRefused("the discovery document lacks an endpoint")
    return str(found[0]), str(found[1]), str(found[2])


@dataclass(frozen=True)
class Person:
    subject: str
    name: str
    email: str
    role: str
    region: str


@dataclass(frozen=True)
class Claims:
    """Where the provider's ID token carries role and region (dotted paths, e.g. Keycloak's
    ``realm_access.roles``), and its role names for Pilar's (a listed role: the first known wins)."""

    role: str = "role"
    region: str = "region"
    role_map: dict[str, str] | None = None

    def role_of(self, claims: dict[str, Any]) -> str:
        found = _claim(claims, self.role)
        for value in found if isinstance(found, list) else [found]:
            if isinstance(value, str) and (role := (self.role_map or {}).get(value, value)) in ROLES:
                return role
        raise OidcRefused("no Pilar role in the role claim")

    def region_of(self, claims: dict[str, Any]) -> str:
        found = _claim(claims, self.region)
        if isinstance(found, list) and len(found) == 1:
            found = found[0]
        if found is not None and not isinstance(found, str):
            raise OidcRefused("the region claim is not a code")
        return found or ""


ROLES = frozenset(role.value for role in Role)


def _claim(claims: dict[str, Any], path: str) -> Any:
    found: Any = claims
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def person(claims: dict[str, Any], where: Claims, nonce: str) -> Person:
    """Who the verified ID token names, with role and region from the configured claims."""
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise OidcRefused("nonce does not match this session's sign-in")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise OidcRefused("the ID token names no subject")
    try:
        role, region = checked_assignment(where.role_of(claims), where.region_of(claims))
    except AccountError as exc:  # a role without a region, or a region not in the reference
        raise OidcRefused(f"region claim unusable for the role: {exc.field}") from None
    name = next((str(claims[c]) for c in ("name", "preferred_username") if claims.get(c)), subject)
    return Person(subject, " ".join(name.split())[:120], str(claims.get("email") or ""), role.value, region)


def account_id(issuer: str, subject: str) -> str:
    """The console account of a provider's person: the same at every sign-in, never a local account's."""
    return f"usr_{hashlib.sha256(f'{issuer}|{subject}'.encode()).hexdigest()[:16]}"


def account_key(issuer: str, subject: str) -> str:
    """Stands where a local account's e-mail key does (unique); no e-mail signs in with a password to it."""
    return f"oidc:{issuer}|{subject}"
