"""The services' public HTTP APIs, called with the signed-in user's token: what the pages show comes from there
(the console holds no domain data of its own). A service's problem answer becomes Indonesian messages per field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import structlog

from pilar_runtime.auth import issue_token
from pilar_runtime.keys import SigningKey
from services.console.domain.messages import GENERAL, UNAVAILABLE, field_errors

log = structlog.get_logger("console.gateway")


class ServiceRefused(Exception):
    """A service answered with an error (or not at all): ``errors`` maps form fields to Indonesian messages."""

    def __init__(self, status: int, errors: dict[str, str]) -> None:
        super().__init__(f"{status}: {errors}")
        self.status = status
        self.errors = errors


@dataclass(frozen=True)
class Gateway:
    urls: dict[str, str]  # service → base URL
    timeout: float
    token_ttl: timedelta
    key: SigningKey
    issuer: str
    audience: str

    def bearer(self, user: dict[str, Any]) -> str:
        """The token the console sends for ``user``: who, their role and region as the account says now."""
        return issue_token(
            self.key,
            sub=user["_id"],
            role=user["role"],
            region=user["region"],
            ttl=self.token_ttl,
            issuer=self.issuer,
            audience=self.audience,
            name=user["name"],
        )

    async def get(self, user: dict[str, Any], service: str, path: str, **params: Any) -> Any:
        return await self._call(user, "GET", service, path, params=params)

    async def send(
        self, user: dict[str, Any], method: str, service: str, path: str, body: Any = None, **params: Any
    ) -> Any:
        """A write (POST, PUT, PATCH, DELETE) with a JSON body; the service's problem comes back as `ServiceRefused`."""
        return await self._call(user, method, service, path, params=params, json=body)

    async def upload(
        self,
        user: dict[str, Any],
        service: str,
        path: str,
        filename: str,
        content: bytes,
        fields: dict[str, str] | None = None,
        **params: Any,
    ) -> Any:
        """A file posted as multipart form data, with the form's other ``fields`` (the registry's bulk import)."""
        return await self._call(
            user, "POST", service, path, params=params, files={"file": (filename, content)}, data=fields or {}
        )

    async def download(self, user: dict[str, Any], service: str, path: str, **params: Any) -> httpx.Response:
        """A file (a report's XLSX, PDF or CSV), passed on as the service answered it: body and headers."""
        found: httpx.Response = await self._call(user, "GET", service, path, params=params, raw=True)
        return found

    async def _call(self, user: dict[str, Any], method: str, service: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.bearer(user)}"}
        params = {k: v for k, v in (kwargs.pop("params", None) or {}).items() if v is not None}
        try:
            async with httpx.AsyncClient(base_url=self.urls[service], timeout=self.timeout) as client:
                response = await client.request(
                    method, path, headers=headers, params=params, **{k: v for k, v in kwargs.items() if k != "raw"}
                )
        except httpx.HTTPError as exc:
            log.warning("gateway.unreachable", service=service, path=path, error=type(exc).__name__)
            raise ServiceRefused(503, {GENERAL: UNAVAILABLE}) from None
        if response.is_success:
            if kwargs.get("raw"):
                return response
            return response.json() if response.content else None
        try:
            problem = response.json()
        except ValueError:
            problem = {}
        log.info("gateway.refused", service=service, path=path, status=response.status_code)
        raise ServiceRefused(
            response.status_code, field_errors(response.status_code, problem if isinstance(problem, dict) else {})
        )
