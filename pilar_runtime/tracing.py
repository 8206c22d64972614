"""W3C trace context across the system: an HTTP request's ``traceparent`` (or a new trace) reaches every event
it causes, downstream services' handlers and the events they emit in turn.

The context travels in the ``traceparent`` header of an HTTP request, in the outbox document (``trace``, written
in the same transaction as the event), and in the AMQP message's headers. Every log line written inside a traced
request or handler carries ``trace_id``. Spans are exported only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set and
the OTLP exporter package is installed; otherwise the context is only propagated and logged.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, format_trace_id
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from pilar_runtime.logs import bound_contextvars

log = structlog.get_logger("pilar.tracing")

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER = trace.get_tracer("pilar")


def configure_tracing(service: str) -> None:
    """Install the SDK tracer provider once per process (so a request without ``traceparent`` starts a trace)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: f"pilar-{service}"}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        exporter = _otlp_exporter()
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def _otlp_exporter() -> Any:
    try:
        module = importlib.import_module("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    except ImportError:
        log.warning("tracing.exporter_missing", need="opentelemetry-exporter-otlp-proto-http", exporting=False)
        return None
    return module.OTLPSpanExporter()


def current_context_headers() -> dict[str, str]:
    """The current trace context as headers (``traceparent``, and ``tracestate`` when there is one); empty
    outside any trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


@contextmanager
def traced(name: str, headers: Mapping[str, Any], *, kind: SpanKind) -> Iterator[str]:
    """A span continuing the trace in ``headers`` (a new trace when they carry none or a malformed one), with
    ``trace_id`` bound for every log line inside; yields the trace id."""
    carrier = {k: _text(headers[k]) for k in (TRACEPARENT, TRACESTATE) if k in headers}
    parent = _PROPAGATOR.extract(carrier)
    with _TRACER.start_as_current_span(name, context=parent, kind=kind) as span:
        trace_id = format_trace_id(span.get_span_context().trace_id)
        with bound_contextvars(trace_id=trace_id):
            yield trace_id


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
