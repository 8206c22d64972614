"""Composition root of the reporting service."""

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from pilar_runtime.service import Runtime, create_app
from services.reporting import store
from services.reporting.api import admin, asyncapi, events, history, reports, summary
from services.reporting.commands import replays
from services.reporting.commands.events import keep_horizon
from services.reporting.commands.reports import drop_unnamed_files
from services.reporting.dashboard import routes as dashboard
from services.reporting.handlers import MONTHLY_TIMER, build_handlers, month_ended
from services.reporting.migrations import run_migrations
from services.reporting.parts import ReportingParts
from services.reporting.reports.jobs import ReportWorker
from services.reporting.settings import ReportingSettings

# A build's files are named by its job seconds after they are stored: files no job names after this long never will be.
UNNAMED_FILES_KEPT = timedelta(hours=1)


def build(settings: ReportingSettings | None = None) -> FastAPI:
    config = settings or ReportingSettings()
    letterhead = config.letterhead()  # a logo it cannot use stops the service here, before it serves anything
    parts = ReportingParts(replay_batch=config.replay_batch)

    async def start(runtime: Runtime) -> None:
        await store.ensure_indexes(runtime.mongo.db)
        migrated = await run_migrations(runtime.mongo.db)
        await drop_unnamed_files(runtime.mongo.db, before=datetime.now(UTC) - UNNAMED_FILES_KEPT)
        await store.use_partitions(runtime.mongo.db, config.partitions)
        parts.started(runtime)
        if config.partitions > 1:
            runtime.background(keep_horizon(runtime), "horizon")
        if migrated:
            runtime.background(replays.run_replay(runtime.mongo, parts.replay_batch, parts.replay_progress), "replay")
        worker = ReportWorker(
            runtime.mongo,
            letterhead=letterhead,
            poll_seconds=config.report_poll_seconds,
            lease_seconds=max(config.lease_seconds, 120),
        )
        # A commit that records a report job (a request, an event, the month-end timer) wakes the worker at once.
        runtime.mongo.after_commit(store.REPORTS, worker.wake)
        # A commit that stores events answers the feed's readers waiting for them (GET /events?wait=).
        runtime.mongo.after_commit(store.EVENTS, parts.arrivals.arrived)
        runtime.poll(worker, "report-worker")

    return create_app(
        config,
        title="Pilar reporting",
        description=(
            "Stores every event, projects region roll-ups and campaign progress, builds XLSX/PDF/CSV reports "
            "(campaign, PSKS handover, monthly district) and serves the operators' dashboard.\n\n"
            "District systems: the events this API pages through (`GET /events`), the AMQP feed and the webhooks "
            "are described in the [AsyncAPI document](/asyncapi) ([JSON](/asyncapi.json)); this API's own "
            "description is the [OpenAPI document](/openapi.json) (served where the API documentation is enabled)."
        ),
        routers=[
            summary.router,
            events.router,
            history.router,
            reports.router,
            admin.router,
            dashboard.router,
            asyncapi.router,
        ],
        handlers=build_handlers(timedelta(seconds=config.monthly_report_grace_seconds), held=parts.held_partitions),
        timer_handlers={MONTHLY_TIMER: month_ended},
        on_startup=start,
        parts=parts,
        status_extras=store.status_figures,
    )
