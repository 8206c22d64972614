"""Bearer auth with a region scope (DESIGN §7).

Access tokens are signed by the console (EdDSA, a ``kid`` naming its key) or by a configured OpenID Connect
provider; the services hold only public keys (``pilar_runtime.tokenkeys``), so none of them can mint a token.

A token's ``region`` claim is a Kemendagri code prefix: a Gunungkidul operator (``34.03``) may read and write
``34.03`` and everything below it, nothing else. Every role but ``admin`` must carry a region; an admin without
one sees every region. A token carries ``iat`` and ``exp``, and may live at most ``TokenLimits`` (12 h; an
integration token up to an admin-set longer cap).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
import structlog
from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pilar_runtime.errors import Forbidden, NotFound
from pilar_runtime.keys import ALGORITHM, SigningKey
from pilar_runtime.links import LinkRefused, Why, check_link, scope
from pilar_runtime.regions import checked_region, in_region
from pilar_runtime.roles import Role
from pilar_runtime.tokenkeys import KeySource, KeysUnavailable

log = structlog.get_logger("pilar.auth")

DEFAULT_ISSUER = "pilar-console"
DEFAULT_AUDIENCE = "pilar"
# Clock skew tolerated between the issuer and a service, on ``exp`` and on an ``iat`` in the future.
LEEWAY = timedelta(seconds=60)
_REGION = re.compile(r"^(\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?)?$")


WRITERS = frozenset({Role.ADMIN, Role.PROVINCE_OPERATOR, Role.DISTRICT_OPERATOR})


@dataclass(frozen=True)
class TokenLimits:
    """The longest a token may live (``exp - iat``): operators' tokens briefly, integration tokens longer."""

    lifetime: timedelta = timedelta(hours=12)
    integration_lifetime: timedelta = timedelta(days=90)

    def for_role(self, role: Role) -> timedelta:
        return self.integration_lifetime if role is Role.INTEGRATION else self.lifetime


def region_filter(scope: str, field: str = "region_code") -> dict[str, Any]:
    """A Mongo filter for documents whose ``field`` lies in the scope's subtree."""
    if not scope:
        return {}
    return {field: {"$regex": f"^{re.escape(scope)}(\\.|$)"}}


@dataclass(frozen=True)
class Caller:
    sub: str
    role: Role
    region: str

    def can_see(self, region_code: str) -> bool:
        return in_region(region_code, self.region)

    def require_region(self, region_code: str) -> None:
        """403 unless the region lies in the caller's subtree."""
        if not self.can_see(region_code):
            raise Forbidden(f"region {region_code} is outside your scope ({self.region or 'all'})")

    def require_record(self, region_code: str, what: str, record_id: str) -> None:
        """403 unless a record asked for by id lies in the caller's subtree. The answer names no detail of a record
        outside it, not even where it is."""
        if not self.can_see(region_code):
            raise Forbidden(f"{what} {record_id} is outside your region")

    def visible(self, found: dict[str, Any] | None, what: str, record_id: str) -> dict[str, Any]:
        """A record asked for by id, as this caller may have it: 404 when there is none, 403 when it lies outside
        the caller's subtree."""
        if found is None:
            raise NotFound(f"{what} {record_id} not found")
        self.require_record(str(found.get("region_code")), what, record_id)
        return found

    def sees_personal_data(self, region_code: str) -> bool:
        """NIK, phone numbers and e-mail addresses of a record of ``region_code`` show whole only to a writer whose
        scope covers it (DESIGN §7); everyone else sees them masked."""
        return self.role in WRITERS and self.can_see(region_code)

    def require_writer(self) -> None:
        if self.role not in WRITERS:
            raise Forbidden(f"role {self.role} may not change data")

    def region_filter(self, field: str = "region_code") -> dict[str, Any]:
        return region_filter(self.region, field)

    def list_filter(self, region: str | None = None, field: str = "region_code") -> dict[str, Any]:
        """The filter of every list: the caller's subtree, narrowed to ``region`` when asked. A region outside the
        scope simply matches nothing (lists are silently limited; a record asked for by id answers 403 instead);
        a malformed or unknown region is a 422."""
        clauses = [self.region_filter(field)]
        if region:
            clauses.append(region_filter(checked_region(region, "region"), field))
        clauses = [c for c in clauses if c]
        return {"$and": clauses} if len(clauses) > 1 else (clauses[0] if clauses else {})


def issue_token(
    key: SigningKey,
    *,
    sub: str,
    role: str,
    region: str = "",
    ttl: timedelta = timedelta(hours=12),
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    name: str | None = None,
) -> str:
    """An access token signed with the console's key (the console, and `pilar token` with the same key file)."""
    Role(role)  # refuse unknown roles here too
    if not _REGION.match(region):
        raise ValueError(f"region {region!r} is not a dotted Kemendagri code prefix")
    if not region and role != Role.ADMIN:
        raise ValueError(f"a {role} token needs a region (only admin tokens span every region)")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"iss": issuer, "aud": audience, "sub": sub, "role": role, "region": region,
                              "iat": now, "exp": now + ttl}  # fmt: skip
    if name is not None:
        claims["name"] = name
    return key.sign(claims)


def _refused(reason: str) -> HTTPException:
    return HTTPException(401, f"invalid token: {reason}", headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Issuer:
    """An issuer whose tokens the services trust: its ``iss``, the ``aud`` its tokens must name, where its public
    keys come from, the algorithms it signs with (asymmetric only), and where its claims carry role and region
    (dotted paths, e.g. ``realm_access.roles``; a listed role is mapped through ``role_map``, first known wins)."""

    name: str
    audience: str
    keys: KeySource
    algorithms: frozenset[str] = frozenset({ALGORITHM})
    role_claim: str = "role"
    region_claim: str = "region"
    role_map: Mapping[str, str] = field(default_factory=dict)

    def role(self, claims: dict[str, Any]) -> Role:
        found = _claim(claims, self.role_claim)
        for value in found if isinstance(found, list) else [found]:
            if isinstance(value, str) and (role := self.role_map.get(value, value)) in _ROLES:
                return Role(role)
        raise _refused("unknown role")

    def region(self, claims: dict[str, Any]) -> str:
        found = _claim(claims, self.region_claim)
        if isinstance(found, list) and len(found) == 1:
            found = found[0]
        if found is not None and not isinstance(found, str):
            raise _refused("bad region claim")
        return found or ""


_ROLES = frozenset(Role)


def _claim(claims: dict[str, Any], path: str) -> Any:
    """The value at a dotted path into the claims, or None."""
    found: Any = claims
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


@dataclass(frozen=True)
class TokenVerifier:
    """Checks an access token against the trusted issuers' public keys: ``kid`` required, the algorithm the key's
    own (never HS256 or ``none``), ``iss``, ``aud``, ``iat``, ``exp``, lifetime, role and region."""

    issuers: Mapping[str, Issuer]
    limits: TokenLimits = TokenLimits()

    async def verify(self, token: str) -> Caller:
        """The caller the token names; HTTPException 401 with the reason, or 503 when no keys can be had."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise _refused("not a well-formed JWT") from exc
        named = unverified.get("iss")
        issuer = self.issuers.get(named) if isinstance(named, str) else None
        if issuer is None:
            raise _refused("issuer is not trusted")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in issuer.algorithms:
            raise _refused(f"algorithm not accepted (only {', '.join(sorted(issuer.algorithms))})")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _refused("no key id (kid) in the header")
        try:
            key = await issuer.keys.key(kid)
        except KeysUnavailable as exc:
            log.warning("auth.token_keys_unavailable", issuer=issuer.name, error=str(exc))
            raise HTTPException(503, "token keys unavailable, try again shortly", headers={"Retry-After": "5"}) from exc
        if key is None:
            raise _refused("signed by a key the issuer does not publish")
        if key.algorithm_name != alg:
            raise _refused("algorithm does not match the key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                audience=issuer.audience,
                issuer=issuer.name,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "sub", "iat", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise _refused(str(exc)) from exc
        return self._caller(issuer, claims)

    def _caller(self, issuer: Issuer, claims: dict[str, Any]) -> Caller:
        role = issuer.role(claims)
        if int(claims["exp"]) - int(claims["iat"]) > self.limits.for_role(role).total_seconds():
            raise _refused(f"lifetime longer than a {role} token may live ({self.limits.for_role(role)})")
        region = issuer.region(claims)
        if not _REGION.match(region):
            raise _refused("bad region claim")
        if not region and role is not Role.ADMIN:
            raise _refused(f"a {role} token needs a region claim")
        return Caller(sub=str(claims["sub"]), role=role, region=region)


async def caller_from_token(request: Request, token: str) -> Caller:
    """The caller a raw token names, checked by the app's verifier; recorded as the request's actor."""
    verifier: TokenVerifier = request.app.state.token_verifier
    caller = await verifier.verify(token)
    request.state.actor = caller.sub
    return caller


_bearer = HTTPBearer(auto_error=False)


async def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    return await caller_from_token(request, credentials.credentials)


async def current_writer(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    caller.require_writer()
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
WriterDep = Annotated[Caller, Depends(current_writer)]


LinkToken = Annotated[
    str | None,
    Query(
        max_length=2000,  # a longer one is answered like any other link that does not open the record
        description="a signed link's token (as in a report-ready e-mail), instead of a bearer token: opens this one "
        "record until the link expires",
    ),
]


def caller_or_link(kind: str, id_param: str) -> Callable[..., Awaitable[Caller | None]]:
    """A dependency: the bearer token's caller or, without one, None when `?token=` is a signed link opening the
    record of `kind` named by the path parameter `id_param` (`pilar_runtime.links`). An expired link answers 401,
    any other (forged, altered, another record's) 403; neither names the token."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        token: LinkToken = None,
    ) -> Caller | None:
        if credentials is not None or token is None:
            return await current_caller(request, credentials)
        record_id = str(request.path_params[id_param])
        try:
            check_link(request.app.state.link_secret, scope(kind, record_id), token, datetime.now(UTC))
        except LinkRefused as exc:
            if exc.why is Why.EXPIRED:
                raise HTTPException(
                    401, "the link has expired: sign in, or ask for a new link", headers={"WWW-Authenticate": "Bearer"}
                ) from exc
            raise Forbidden(f"the link does not open {kind} {record_id}") from exc
        request.state.actor = f"link:{kind}"
        return None

    return dependency
