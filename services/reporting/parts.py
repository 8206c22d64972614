"""reporting's own running parts, beside the shared ``Runtime``: built by the composition root (``app.py``),
reached from routes through ``PartsDep``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from pilar_runtime.service import running_parts


@dataclass
class ReportingParts:
    replay_batch: int  # events folded per round of a replay (REPORTING_REPLAY_BATCH)
    # The replay in progress (events done, total), shown by GET /admin/replay.
    replay_progress: dict[str, int] = field(default_factory=dict)


def _parts(request: Request) -> ReportingParts:
    return running_parts(request, ReportingParts)


PartsDep = Annotated[ReportingParts, Depends(_parts)]
