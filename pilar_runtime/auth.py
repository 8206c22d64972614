"""JWT bearer auth with a region scope (DESIGN §7).

A token's ``region`` claim is a Kemendagri code prefix: a Gunungkidul operator (``34.03``) may read and write
``34.03`` and everything below it, nothing else. An empty region (admins, Kemensos) sees every region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ALGORITHM = "HS256"
_REGION = re.compile(r"^(\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?)?$")


class Role(StrEnum):
    ADMIN = "admin"
    PROVINCE_OPERATOR = "province_operator"
    DISTRICT_OPERATOR = "district_operator"
    VIEWER = "viewer"
    INTEGRATION = "integration"


WRITERS = frozenset({Role.ADMIN, Role.PROVINCE_OPERATOR, Role.DISTRICT_OPERATOR})


def in_region(code: str, scope: str) -> bool:
    """Is the region ``code`` inside the subtree ``scope`` (a dotted prefix)?"""
    return not scope or code == scope or code.startswith(scope + ".")


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
            raise HTTPException(403, f"region {region_code} is outside your scope ({self.region or 'all'})")

    def require_writer(self) -> None:
        if self.role not in WRITERS:
            raise HTTPException(403, f"role {self.role} may not change data")

    def region_filter(self, field: str = "region_code") -> dict[str, Any]:
        return region_filter(self.region, field)


def issue_token(secret: str, *, sub: str, role: str, region: str = "", ttl: timedelta = timedelta(hours=12)) -> str:
    Role(role)  # refuse unknown roles here too
    if not _REGION.match(region):
        raise ValueError(f"region {region!r} is not a dotted Kemendagri code prefix")
    now = datetime.now(UTC)
    claims = {"sub": sub, "role": role, "region": region, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Caller:
    """Validate signature, expiry and claims; raises HTTPException(401) with the reason."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as exc:
        raise HTTPException(401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc
    try:
        role = Role(str(claims.get("role")))
    except ValueError as exc:
        raise HTTPException(401, "invalid token: unknown role", headers={"WWW-Authenticate": "Bearer"}) from exc
    region = str(claims.get("region") or "")
    if not _REGION.match(region):
        raise HTTPException(401, "invalid token: bad region claim", headers={"WWW-Authenticate": "Bearer"})
    return Caller(sub=str(claims["sub"]), role=role, region=region)


_bearer = HTTPBearer(auto_error=False)


async def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    secret: str = request.app.state.jwt_secret
    caller = decode_token(secret, credentials.credentials)
    request.state.actor = caller.sub
    return caller


async def current_writer(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    caller.require_writer()
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
WriterDep = Annotated[Caller, Depends(current_writer)]
