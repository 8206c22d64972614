"""The public keys the services verify access tokens with."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.console.api.pages import parts

router = APIRouter(tags=["keys"])


class Jwk(BaseModel):
    model_config = ConfigDict(extra="allow")

    kty: str = Field(description="OKP")
    crv: str = Field(description="Ed25519")
    x: str
    kid: str = Field(description="RFC 7638 thumbprint")
    use: str
    alg: str = Field(description="EdDSA")


class Jwks(BaseModel):
    keys: list[Jwk] = Field(description="the current key first, then keys rotated out but still trusted")


@router.get("/.well-known/jwks.json", response_model=Jwks, summary="The JWK Set of the keys that sign access tokens")
async def jwks(request: Request, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return parts(request).keys.published()
