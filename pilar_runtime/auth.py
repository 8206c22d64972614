"""JWT bearer auth with a region scope (DESIGN §7).

A token's ``region`` claim is a Kemendagri code prefix: a Gunungkidul operator (``34.03``) may read and write
``34.03`` and everything below it, nothing else. Every role but ``admin`` must carry a region; an admin without
one sees every region. A token carries ``iat`` and ``exp``, and may live at most ``TokenLimits`` (12 h; an
integration token up to an admin-set longer cap).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pilar_runtime.errors import Forbidden, NotFound
from pilar_runtime.links import LinkRefused, Why, check_link, scope
from pilar_runtime.regions import checked_region, in_region
from pilar_runtime.roles import Role

ALGORITHM = "HS256"
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


def issue_token(secret: str, *, sub: str, role: str, region: str = "", ttl: timedelta = timedelta(hours=12)) -> str:
    Role(role)  # refuse unknown roles here too
    if not _REGION.match(region):
        raise ValueError(f"region {region!r} is not a dotted Kemendagri code prefix")
    if not region and role != Role.ADMIN:
        raise ValueError(f"a {role} token needs a region (only admin tokens span every region)")
    now = datetime.now(UTC)
    claims = {"sub": sub, "role": role, "region": region, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _refused(reason: str) -> HTTPException:
    return HTTPException(401, f"invalid token: {reason}", headers={"WWW-Authenticate": "Bearer"})


def decode_token(secret: str, token: str, limits: TokenLimits = TokenLimits()) -> Caller:
    """Validate signature, ``iat`` and ``exp``, lifetime and claims; raises HTTPException(401) with the reason."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=LEEWAY,
            options={"require": ["sub", "role", "iat", "exp"]},
        )
    except jwt.PyJWTError as exc:
        raise _refused(str(exc)) from exc
    try:
        role = Role(str(claims["role"]))
    except ValueError as exc:
        raise _refused("unknown role") from exc
    if int(claims["exp"]) - int(claims["iat"]) > limits.for_role(role).total_seconds():
        raise _refused(f"lifetime longer than a {role} token may live ({limits.for_role(role)})")
    region = str(claims.get("region") or "")
    if not _REGION.match(region):
        raise _refused("bad region claim")
    if not region and role is not Role.ADMIN:
        raise _refused(f"a {role} token needs a region claim")
    return Caller(sub=str(claims["sub"]), role=role, region=region)


def caller_from_token(request: Request, token: str) -> Caller:
    """The caller a raw token names, checked against the app's secret and limits; recorded as the request's actor."""
    caller = decode_token(request.app.state.jwt_secret, token, request.app.state.token_limits)
    request.state.actor = caller.sub
    return caller


_bearer = HTTPBearer(auto_error=False)


async def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    return caller_from_token(request, credentials.credentials)


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
            check_link(request.app.state.jwt_secret, scope(kind, record_id), token, datetime.now(UTC))
        except LinkRefused as exc:
            if exc.why is Why.EXPIRED:
                raise HTTPException(
                    401, "the link has expired: sign in, or ask for a new link", headers={"WWW-Authenticate": "Bearer"}
                ) from exc
            raise Forbidden(f"the link does not open {kind} {record_id}") from exc
        request.state.actor = f"link:{kind}"
        return None

    return dependency
