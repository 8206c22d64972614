"""What recording a notice needs to know besides the database: the shipped rules, the quiet hours, the prefix
of report download links and how to sign them, and the clock (tests move it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pilar_runtime.links import scope, sign_link
from services.notify.domain.rules import Rule
from services.notify.domain.timing import QuietHours

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Notifier:
    defaults: list[Rule]
    quiet: QuietHours
    public_base_url: str
    clock: Clock
    # Report links carry a token signed with this (PILAR_LINK_SECRET; `pilar_runtime.links`), good this long.
    # No secret: links without a token, opened with a bearer token only.
    link_secret: str = ""
    link_lifetime: timedelta = timedelta(days=7)

    def report_link_token(self, report_id: str) -> str | None:
        if not self.link_secret:
            return None
        return sign_link(self.link_secret, scope("report", report_id), self.clock() + self.link_lifetime)
