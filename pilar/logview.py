"""Rendering and filtering the services' JSON log lines, for `pilar up` and `pilar logs`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.text import Text

COLOURS = {"registry": "cyan", "outreach": "green", "notify": "magenta", "reporting": "yellow"}
LEVELS = {"error": "bold red", "critical": "bold red", "warning": "yellow", "info": "", "debug": "dim"}
_SHOWN_FIRST = ("timestamp", "level", "service", "event")


def parse_line(line: str, service: str) -> dict[str, Any]:
    """A JSON log line as a dict; anything else (a crash before logging was set up) as a plain message."""
    try:
        record = json.loads(line)
        if isinstance(record, dict):
            record.setdefault("service", service)
            return record
    except ValueError:
        pass
    return {"service": service, "level": "info", "event": line.rstrip()}


@dataclass(frozen=True)
class LogFilter:
    service: str | None = None
    correlation_id: str | None = None
    event_type: str | None = None
    level: str | None = None
    trace_id: str | None = None

    def matches(self, record: dict[str, Any]) -> bool:
        return (
            (self.service is None or record.get("service") == self.service)
            and (self.correlation_id is None or record.get("correlation_id") == self.correlation_id)
            and (self.event_type is None or record.get("event_type") == self.event_type)
            and (self.level is None or record.get("level") == self.level)
            and (self.trace_id is None or record.get("trace_id") == self.trace_id)
        )


def render(record: dict[str, Any]) -> Text:
    service = str(record.get("service", "?"))
    level = str(record.get("level", "info"))
    text = Text()
    text.append(str(record.get("timestamp", ""))[11:23] + " ", style="dim")
    text.append(f"{service:<9} ", style=COLOURS.get(service, "white"))
    text.append(f"{level:<7} ", style=LEVELS.get(level, ""))
    text.append(str(record.get("event", "")), style="bold")
    for key, value in record.items():
        if key not in _SHOWN_FIRST:
            text.append(f" {key}=", style="dim")
            text.append(str(value))
    return text
