"""reporting's own running parts, beside the shared ``Runtime``: built by the composition root (``app.py``),
reached from routes through ``PartsDep``."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from pilar_runtime.errors import TooMany
from pilar_runtime.service import Runtime, running_parts


class Arrivals:
    """Wakes the feed's long polls when this process commits new events.

    A reader takes a ``ticket`` before it looks for events, then waits on it: an arrival committed between its
    look and its wait has already set the ticket, so none is missed. Only commits of this process set it; the
    feed looks again every half second for those of other replicas."""

    def __init__(self, per_reader: int = 4) -> None:
        self._next = asyncio.Event()
        self._per_reader = per_reader
        self._waiting: Counter[str] = Counter()

    def arrived(self) -> None:
        self._next.set()
        self._next = asyncio.Event()

    def ticket(self) -> asyncio.Event:
        return self._next

    @contextmanager
    def reader(self, who: str) -> Iterator[None]:
        """One long poll of ``who`` (a caller's ``sub``) under way: each costs a query every half second, so one
        caller may hold only a few at once."""
        if self._waiting[who] >= self._per_reader:
            raise TooMany(f"at most {self._per_reader} long polls at once per caller; wait for one to answer")
        self._waiting[who] += 1
        try:
            yield
        finally:
            self._waiting[who] -= 1
            if not self._waiting[who]:
                del self._waiting[who]


async def wait_for(ticket: asyncio.Event, seconds: float) -> None:
    """Until the ticket is set or the time is up."""
    with suppress(TimeoutError):
        await asyncio.wait_for(ticket.wait(), seconds)


@dataclass
class ReportingParts:
    replay_batch: int  # events folded per round of a replay (REPORTING_REPLAY_BATCH)
    # The replay in progress (events done, total), shown by GET /admin/replay.
    replay_progress: dict[str, int] = field(default_factory=dict)
    arrivals: Arrivals = field(default_factory=Arrivals)
    runtime: Runtime | None = None  # set at start-up

    def started(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def held_partitions(self) -> frozenset[int]:
        """The partitions this replica holds now (none without partitions)."""
        leases = self.runtime.partitions if self.runtime else None
        return frozenset(leases.held) if leases else frozenset()


def _parts(request: Request) -> ReportingParts:
    return running_parts(request, ReportingParts)


PartsDep = Annotated[ReportingParts, Depends(_parts)]
