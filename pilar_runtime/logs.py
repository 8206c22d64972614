"""structlog set-up: JSON lines when not on a TTY, a pretty console on one; PII masked in every line.

Context (``service``, ``correlation_id``, ``event_id``, ``event_type``, ``region_code``) lives in contextvars so a
line written anywhere inside a request or a message handler carries it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, clear_contextvars

from pilar_runtime.personal import PERSONAL_KEYS

__all__ = ["bind_contextvars", "bound_contextvars", "clear_contextvars", "configure_logging", "mask_pii"]

# NIK: 16 digits. Phone: Indonesian mobile/landline forms (+62 / 62 / 0 then 8–13 digits, separators allowed).
# E-mail: the common shape. Order matters: NIK before phone so a NIK is called a NIK. A NIK or a phone number
# stands alone: not inside a longer run of word characters (``ins_0812…``, hex ``…0812345678ab``) nor a group of
# a hyphen-joined hex id (a UUID's ``-0812-``), so correlation and event ids come out whole.
_ALONE_BEFORE = r"(?<![\w])(?<![0-9A-Fa-f]-)"
_ALONE_AFTER = r"(?![\w])(?!-[0-9A-Fa-f])"
_NIK = re.compile(rf"{_ALONE_BEFORE}\d{{16}}{_ALONE_AFTER}")
_PHONE = re.compile(rf"{_ALONE_BEFORE}(?:\+62|62|0)[\s.-]?\d{{2,4}}(?:[\s.-]?\d{{2,5}}){{1,3}}{_ALONE_AFTER}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Keys whose values are personal or secret whatever they look like.
SENSITIVE_KEYS = PERSONAL_KEYS | {"password", "secret", "token", "authorization", "body", "recipient", "name"}
_KEEP = frozenset({"event", "level", "timestamp", "logger", "service"})


def mask_text(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _NIK.sub("[nik]", text)
    return _PHONE.sub("[phone]", text)


def _is_id_key(key: str) -> bool:
    """``correlation_id``, ``event_id``, ``aggregate_id``, any ``*_id``: ids, never personal data."""
    key = key.lower()
    return key == "id" or key.endswith("_id")


def _mask_value(key: str, value: Any) -> Any:
    if key.lower() in SENSITIVE_KEYS and value is not None:
        return "[masked]"
    if isinstance(value, str) and _is_id_key(key):
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v) for v in value]
    return value


def mask_pii(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: masks NIK, phone numbers and e-mail addresses wherever they stand alone."""
    for key, value in list(event_dict.items()):
        if key in _KEEP and key != "event":
            continue
        event_dict[key] = _mask_value(key, value) if key != "event" else mask_text(str(value))
    return event_dict


def configure_logging(service: str, *, fmt: str = "auto", level: str = "INFO") -> None:
    """Configure structlog and route stdlib logging (uvicorn, faststream, pymongo) through the same pipeline."""
    pretty = sys.stderr.isatty() if fmt == "auto" else fmt == "console"
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_pii,
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
        if pretty
        else structlog.processors.JSONRenderer()
    )
    # Loggers cached on first use keep the processor list they saw: change that list in place, so configuring again
    # (another app in the same process, or a test capturing logs) reaches them too.
    processors = structlog.get_config()["processors"]
    processors[:] = [*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter]
    structlog.configure(
        processors=processors,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika", "pymongo", "faststream", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    clear_contextvars()
    bind_contextvars(service=service)
