"""ASGI middleware every service runs: correlation id and request log, trace context and request metrics, body
size limit."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pilar_runtime.logs import bound_contextvars, mask_text
from pilar_runtime.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS
from pilar_runtime.problems import problem
from pilar_runtime.tracing import TRACEPARENT, TRACESTATE, traced

log = structlog.get_logger("pilar.http")
CORRELATION_HEADER = "x-correlation-id"
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class CorrelationMiddleware:
    """Takes ``X-Correlation-ID`` from the caller (or makes one), binds it for the request's logs and events,
    returns it in the response, and writes one log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        given = headers.get(CORRELATION_HEADER.encode(), b"").decode("latin-1")
        # Only an id-shaped value is taken: the id is logged unmasked and travels on every event of the flow.
        taken = _CORRELATION_ID.fullmatch(given) and mask_text(given) == given  # not a NIK or phone number either
        correlation_id = given if taken else str(uuid.uuid4())
        status = 500
        started = time.perf_counter()

        async def send_with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (CORRELATION_HEADER.encode(), correlation_id.encode()),
                ]
            await send(message)

        with bound_contextvars(correlation_id=correlation_id):
            try:
                await self.app(scope, receive, send_with_header)
            finally:
                path = scope.get("path", "")
                if path not in ("/healthz", "/readyz", "/metrics"):
                    log.info(
                        "http.request",
                        method=scope.get("method"),
                        path=path,
                        status=status,
                        duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    )


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ObservedRequests:
    """Continues the caller's W3C trace (``traceparent``) or starts one for the request, and counts and times
    each request by its route template (``/sessions/{session_id}``, never the path with its ids); a path that
    matches no route is ``unmatched``."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        wanted = {TRACEPARENT.encode(), TRACESTATE.encode()}
        headers = {k.decode("latin-1"): v for k, v in scope.get("headers") or [] if k in wanted}
        method = scope.get("method", "")
        method = method if method in _METHODS else "other"
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with traced(f"HTTP {method}", headers, kind=SpanKind.SERVER):
            try:
                await self.app(scope, receive, send_status)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                trace.get_current_span().update_name(f"{method} {route}")
                HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
                HTTP_REQUEST_DURATION.labels(self.service, method, route).observe(time.perf_counter() - started)


class BodySizeLimit:
    """Refuses bodies over the limit with 413, whether or not the client sent a Content-Length."""

    def __init__(self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = overrides or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.overrides.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await _too_large(send, limit)
        received = 0
        exceeded = False
        answered = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # The framework turns the failed read into its own error answer: replace it with the 413.
            nonlocal answered
            if not exceeded:
                return await send(message)
            if not answered:
                answered = True
                await _too_large(send, limit)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            if not answered:
                await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    response = problem(413, f"request body larger than {limit} bytes")
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
