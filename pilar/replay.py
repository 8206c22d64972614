"""`pilar replay reporting`: ask the running reporting service to rebuild its projections, with a progress bar."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pilar.operator import admin_client, call

POLL_SECONDS = 0.3


async def run_replay(poll_seconds: float = POLL_SECONDS) -> dict[str, Any]:
    """Start the replay (POST /admin/replay) and follow GET /admin/replay until it ends; returns its last state."""
    columns = (TextColumn("replaying events"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    async with admin_client("reporting", "pilar-replay") as client:
        await call(client, "POST", "/admin/replay")
        with Progress(*columns) as progress:
            task = progress.add_task("replay", total=None)
            while True:
                replay: dict[str, Any] = (await call(client, "GET", "/admin/replay")).json()
                if replay.get("total") is not None:
                    progress.update(task, completed=replay.get("done") or 0, total=replay["total"])
                if replay["status"] != "running":
                    return replay
                await asyncio.sleep(poll_seconds)
