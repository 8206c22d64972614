"""Rendering and filtering the services' JSON log lines, for `pilar up` and `pilar logs`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
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


LEVEL_ORDER = ("debug", "info", "warning", "error", "critical")
SINCE = re.compile(r"^(\d+)([smhd])$")
SINCE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str) -> timedelta:
    """``10m``, ``90s``, ``2h``, ``1d`` as a span of time; ValueError for anything else."""
    found = SINCE.match(text.strip())
    if not found:
        raise ValueError(f"--since {text!r}: give a number and a unit, e.g. 90s, 10m, 2h or 1d")
    return timedelta(**{SINCE_UNITS[found.group(2)]: int(found.group(1))})


def _at(record: dict[str, Any]) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(record.get("timestamp", "")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LogFilter:
    service: str | None = None
    correlation_id: str | None = None
    event_type: str | None = None
    level: str | None = None  # this level and the ones above it
    event_id: str | None = None
    since: datetime | None = None  # lines without a readable time are kept: they are what a crash leaves
    trace_id: str | None = None

    def __post_init__(self) -> None:
        if self.level is not None and self.level not in LEVEL_ORDER:
            raise ValueError(f"--level {self.level!r}: one of {', '.join(LEVEL_ORDER)}")

    def matches(self, record: dict[str, Any]) -> bool:
        return (
            (self.service is None or record.get("service") == self.service)
            and (self.correlation_id is None or record.get("correlation_id") == self.correlation_id)
            and (self.event_type is None or record.get("event_type") == self.event_type)
            and (self.event_id is None or record.get("event_id") == self.event_id)
            and (self.level is None or _rank(record) >= LEVEL_ORDER.index(self.level))
            and (self.since is None or (at := _at(record)) is None or at >= self.since)
            and (self.trace_id is None or record.get("trace_id") == self.trace_id)
        )


def _rank(record: dict[str, Any]) -> int:
    level = str(record.get("level", "info")).lower()
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else LEVEL_ORDER.index("info")


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


class LogReader:
    """Reads the log files of a folder from where it left off, so `--follow` prints only what is new."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._offsets: dict[Path, int] = {}

    def read_new(self) -> list[dict[str, Any]]:
        """The whole lines written since the last call, from every file, in time order."""
        records: list[dict[str, Any]] = []
        for path in sorted(self.folder.glob("*.log")):
            with path.open("rb") as file:
                file.seek(self._offsets.get(path, 0))
                data = file.read()
            whole = data[: data.rfind(b"\n") + 1]  # a line still being written is read next time
            self._offsets[path] = self._offsets.get(path, 0) + len(whole)
            for line in whole.decode("utf-8", "replace").splitlines():
                if line.strip():
                    records.append(parse_line(line, path.stem))
        records.sort(key=lambda r: str(r.get("timestamp", "")))
        return records
