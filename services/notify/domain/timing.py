"""Time rules: reminder moments, follow-up due notices, quiet hours, the retry schedule, the per-channel rate limit."""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from pilar_runtime.localtime import WIB, zone_of

REMINDER_STAGES: dict[str, timedelta] = {"H-3": timedelta(days=3), "H-1": timedelta(days=1)}
# A follow-up due notice goes out at 08:00 local time (the follow-up's region) the day before its due date.
FOLLOWUP_NOTICE_AT = time(8, 0)


def reminder_times(starts_at: datetime, now: datetime) -> dict[str, datetime]:
    """The reminders still ahead of `now` (a session scheduled two days ahead gets only its H-1)."""
    return {stage: starts_at - before for stage, before in REMINDER_STAGES.items() if starts_at - before > now}


def followup_due_notice_at(due_on: date, zone: tzinfo = WIB) -> datetime:
    return datetime.combine(due_on - timedelta(days=1), FOLLOWUP_NOTICE_AT, tzinfo=zone)


def parse_clock(text: str, field_name: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise ValueError(f"{field_name} must be HH:MM, got {text!r}") from exc


@dataclass(frozen=True)
class QuietHours:
    """A nightly window in which SMS waits, on the recipient's local clock (WIB, WITA or WIT); start > end wraps
    past midnight (21:00–06:00)."""

    start: time
    end: time

    def is_quiet(self, moment: datetime, zone: tzinfo = WIB) -> bool:
        local = moment.astimezone(zone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release(self, moment: datetime, zone: tzinfo = WIB) -> datetime:
        """`moment` itself when sending is allowed, else the end of the quiet window."""
        if not self.is_quiet(moment, zone):
            return moment
        local = moment.astimezone(zone)
        release = datetime.combine(local.date(), self.end, tzinfo=zone)
        if release <= local:
            release += timedelta(days=1)
        return release


def recipient_zone(recipient_region: str | None, notice_region: str) -> tzinfo:
    """Whose night the quiet hours keep: the recipient's region (a worker's, or the rule's for an address it names),
    else the notice's."""
    return zone_of(recipient_region or notice_region)


DEFAULT_RETRY_SCHEDULE = (60.0, 300.0, 1800.0, 7200.0, 21600.0, 86400.0)  # 1 min … 24 h: about 35 h in all


def parse_schedule(text: str) -> tuple[float, ...]:
    """`"60,300,1800"` → the waits in seconds after each failed attempt; at least one, each finite, none negative."""
    try:
        waits = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"the retry schedule is seconds separated by commas, got {text!r}") from exc
    if not waits or any(not math.isfinite(wait) or wait < 0 for wait in waits):
        raise ValueError(f"the retry schedule needs one or more waits of 0 seconds or more, got {text!r}")
    return waits


def retry_wait(attempt: int, schedule: tuple[float, ...]) -> timedelta | None:
    """The wait after failed attempt number `attempt` (1-based), or None after the last: one attempt, then one more
    after each wait of the schedule."""
    if attempt > len(schedule):
        return None
    return timedelta(seconds=schedule[attempt - 1])


@dataclass
class TokenBucket:
    """Per-process rate limit of one channel: `rate` tokens a second, at most `burst` saved up.

    With N replicas the system-wide rate is N·rate; good enough for an SMTP relay or SMS gateway quota.
    """

    rate: float
    burst: int
    clock: Callable[[], float] = _time.monotonic
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.stamp = self.clock()

    def take(self) -> float:
        """Take a token; returns 0 when granted, else the seconds to wait before asking again."""
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate
