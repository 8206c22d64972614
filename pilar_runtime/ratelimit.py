"""Per-caller rate limits on expensive commands (report generation, imports): a sliding window per token ``sub``.

The window lives in the process's memory: each replica counts on its own, so behind a load balancer spreading
requests over N replicas a caller gets up to N times the limit.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import Depends, HTTPException, Request

from pilar_runtime.auth import CallerDep

if TYPE_CHECKING:
    from pilar_runtime.service import Runtime

# Forget callers idle for a whole window once this many are tracked, so the table cannot grow without bound.
_PRUNE_ABOVE = 10_000


class SlidingWindow:
    """At most ``limit`` hits per key in any ``seconds``-long window."""

    def __init__(self, limit: int, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> float:
        """Count one request: 0 when it is allowed, else the seconds until the next one would be."""
        now = self.clock()
        if len(self._hits) > _PRUNE_ABOVE:
            self._hits = {k: h for k, h in self._hits.items() if h and h[-1] > now - self.seconds}
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.seconds - now
        hits.append(now)
        return 0.0


class RateLimits:
    """One app's windows, one per limited setting (``Runtime.rate_limits``): each app counts on its own."""

    def __init__(self) -> None:
        self._windows: dict[str, SlidingWindow] = {}

    def window(self, setting: str, per_minute: int) -> SlidingWindow:
        return self._windows.setdefault(setting, SlidingWindow(per_minute))


def per_caller_limit(setting: str) -> Any:
    """A route dependency: at most ``settings.<setting>`` requests a minute per caller, else 429 with Retry-After."""

    async def within_limit(request: Request, caller: CallerDep) -> None:
        runtime: Runtime = request.app.state.runtime
        per_minute: int = getattr(runtime.settings, setting)
        wait = runtime.rate_limits.window(setting, per_minute).hit(caller.sub)
        if wait:
            seconds = max(1, math.ceil(wait))
            raise HTTPException(
                429,
                f"too many requests: at most {per_minute} a minute per caller; try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    return Depends(within_limit)
