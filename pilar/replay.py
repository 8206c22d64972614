"""`pilar replay reporting`: rebuild reporting's projections from its event store, with a progress bar."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pilar_runtime.mongo import Mongo


async def run_replay() -> int:
    from services.reporting.commands.replays import replay
    from services.reporting.settings import ReportingSettings

    settings = ReportingSettings()
    mongo = Mongo(settings.mongodb_url, settings.database)
    columns = (TextColumn("replaying events"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns) as progress:
            task = progress.add_task("replay", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            replayed = await replay(mongo, advance)
        print(f"rebuilt every projection from {replayed} stored events")
        return 0
    finally:
        await mongo.close()
