"""Errors a command can end with, mapped to HTTP answers: never a 500 for bad input (DESIGN §7)."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

log = structlog.get_logger("pilar.http")


class DomainError(Exception):
    status = 422

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """A rule is broken by the current state: the detail names the rule (and what it conflicts with)."""

    status = 409


class Unprocessable(DomainError):
    status = 422


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(ServerSelectionTimeoutError)
    @app.exception_handler(ConnectionFailure)
    async def database_away(_request: Request, exc: Exception) -> JSONResponse:
        log.error("http.database_unavailable", error=str(exc))
        return JSONResponse({"detail": "database unavailable, try again shortly"}, status_code=503)
