"""Every error answer as RFC 9457 problem details: never a 500 for bad input (DESIGN §7).

Every error answer is ``application/problem+json``::

    {"type": "about:blank", "title": "Conflict", "status": 409,
     "message": "session ses_… conflicts with …", "rule": "double_booking", "field": null,
     "detail": <as before>}

``message`` is the human-readable text, ``rule`` names the broken rule (409) and ``field`` the input it concerns
(422), so a form can show the message next to its field. ``errors`` lists a request body's validation errors.
``detail`` keeps the shape earlier releases answered (a string, or an object with ``rule``/``message``) for one
more release; new clients read ``message``, ``rule`` and ``field``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pilar_runtime.errors import DomainError

log = structlog.get_logger("pilar.http")

PROBLEM_JSON = "application/problem+json"
# "region_code: …", "desa_codes[2]: …", "outcomes.followups[0].due_on: …": the field a message starts with.
_FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*): ")


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An error answer (RFC 9457), with Pilar's extension members."""

    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", description="no further semantics beyond the HTTP status")
    title: str = Field(description="the HTTP status phrase")
    status: int
    message: str = Field(description="what went wrong, for people")
    rule: str | None = Field(None, description="the business rule that was broken (409)")
    field: str | None = Field(None, description="the input the error concerns (422)")
    errors: list[ValidationIssue] | None = Field(None, description="a request body's validation errors")
    detail: Any = Field(description="deprecated: the shape earlier releases answered; read message/rule/field")


def problem(
    status: int, detail: Any, *, errors: list[dict[str, Any]] | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The problem-details answer for ``status`` whose legacy ``detail`` is a string, an object or a list."""
    body: dict[str, Any] = {"type": "about:blank", "title": _title(status), "status": status}
    extensions = dict(detail) if isinstance(detail, Mapping) else {}
    message = str(extensions.get("message", "")) if extensions else ""
    if isinstance(detail, str):
        message = detail
    elif errors:
        message = "; ".join(f"{'.'.join(map(str, e['loc'][1:] or e['loc']))}: {e['msg']}" for e in errors)
    body["message"] = message or _title(status).lower()
    field = extensions.get("field")
    if field is None and errors:
        field = ".".join(str(part) for part in errors[0]["loc"][1:]) or None  # without "body" / "query"
    elif field is None and status == 422 and (prefix := _FIELD_PREFIX.match(body["message"])):
        field = prefix.group(1)
    for key, value in extensions.items():
        if key not in body and key != "message":
            body[key] = value
    body["rule"] = extensions.get("rule")
    body["field"] = field
    if errors is not None:
        body["errors"] = errors
    body["detail"] = detail
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return problem(exc.status, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, exc.detail, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        return problem(422, errors, errors=errors)

    @app.exception_handler(ServerSelectionTimeoutError)
    @app.exception_handler(ConnectionFailure)
    async def database_away(_request: Request, exc: Exception) -> JSONResponse:
        log.error("http.database_unavailable", error=str(exc))
        return problem(503, "database unavailable, try again shortly")

    app.openapi = lambda: _openapi_with_problems(app)  # type: ignore[method-assign]


# What each documented error status means in every route that can answer it, with an example.
_EXAMPLES: dict[int, tuple[str, dict[str, Any]]] = {
    401: ("Missing, expired or invalid bearer token", {"message": "missing bearer token"}),
    403: ("The record or region lies outside the caller's scope, or the role may not do this",
          {"message": "institution ins_0f3a… is outside your region"}),
    404: ("No such record", {"message": "session ses_9b1c… not found"}),
    409: ("A business rule is broken by the current state (``rule`` names it)",
          {"message": "officer wrk_51d0… already has a session at this time", "rule": "double_booking",
           "conflicting_session_id": "ses_77aa…"}),
    413: ("The request body is larger than allowed", {"message": "request body larger than 1048576 bytes"}),
    422: ("The input is invalid (``field`` names it; ``errors`` lists a body's validation errors)",
          {"message": "region_code: region code 34.99 does not exist in the Kemendagri 2025 reference",
           "field": "region_code"}),
    429: ("Too many requests from this caller; see Retry-After",
          {"message": "too many requests: at most 10 a minute per caller; try again in 12 s"}),
    503: ("The database, the broker or the token keys are unavailable for a moment",
          {"message": "database unavailable, try again shortly"}),
}  # fmt: skip
_WRITES = {"post", "put", "patch", "delete"}


def _example(status: int) -> dict[str, Any]:
    extensions = _EXAMPLES[status][1]
    body: dict[str, Any] = {"type": "about:blank", "title": _title(status), "status": status, **extensions}
    body.setdefault("rule", None)
    body["field"] = extensions.get("field")
    body["detail"] = extensions["message"] if "rule" not in extensions else extensions
    return body


def _answers_its_own_model(documented: dict[str, Any]) -> bool:
    schema = documented.get("content", {}).get("application/json", {}).get("schema", {})
    return "$ref" in schema and not schema["$ref"].endswith("/HTTPValidationError")


def _openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema with every error answer documented as problem details: the statuses a route can give
    (401/403 with a bearer, 404 with a path parameter, 409 and 413 on writes, 422, 503) and an example each."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(components["Problem"].pop("$defs", {}))
    for components_name in ("HTTPValidationError", "ValidationError"):
        components.pop(components_name, None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            statuses = {422, 503}
            if operation.get("security"):
                statuses |= {401, 403}
            if "{" in path:
                statuses.add(404)
            if method in _WRITES:
                statuses |= {409, 413}
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses | {int(s) for s in responses if s.isdigit() and int(s) in _EXAMPLES}):
                documented = responses.get(str(status), {})
                if _answers_its_own_model(documented):
                    continue  # e.g. /readyz's 503 is a readiness report, not a problem
                responses[str(status)] = {
                    "description": documented.get("description") or _EXAMPLES[status][0],
                    "content": {
                        PROBLEM_JSON: {
                            "schema": {"$ref": "#/components/schemas/Problem"},
                            "example": _example(status),
                        }
                    },
                }
    app.openapi_schema = schema
    return schema
