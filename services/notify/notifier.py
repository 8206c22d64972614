"""What recording a notice needs to know besides the database: the shipped rules, the quiet hours, the prefix
of report download links, and the clock (tests move it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.notify.domain.rules import Rule
from services.notify.domain.timing import QuietHours

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Notifier:
    defaults: list[Rule]
    quiet: QuietHours
    public_base_url: str
    clock: Clock
