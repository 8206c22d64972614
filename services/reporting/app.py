"""Composition root of the reporting service."""

from datetime import timedelta

from fastapi import FastAPI

from pilar_runtime.service import Runtime, create_app
from pilar_runtime.settings import ServiceSettings
from services.reporting import store
from services.reporting.api import admin, events, reports, summary
from services.reporting.dashboard import routes as dashboard
from services.reporting.handlers import MONTHLY_TIMER, build_handlers, month_ended
from services.reporting.migrations import run_migrations
from services.reporting.reports.jobs import ReportWorker
from services.reporting.settings import ReportingSettings


def build(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    poll = getattr(settings, "report_poll_seconds", 2.0)
    grace = getattr(settings, "monthly_report_grace_seconds", 900.0)

    async def start(runtime: Runtime) -> None:
        await store.ensure_indexes(runtime.mongo.db)
        await run_migrations(runtime.mongo.db)
        worker = ReportWorker(runtime.mongo, poll_seconds=poll, lease_seconds=max(settings.lease_seconds, 120))
        runtime.extras[reports.WORKER] = worker
        runtime.background(worker.run(), name="report-worker")

    return create_app(
        settings,
        title="Pilar reporting",
        description=(
            "Stores every event, projects region roll-ups and campaign progress, builds XLSX/PDF/CSV reports "
            "(campaign, PSKS handover, monthly district) and serves the operators' dashboard."
        ),
        routers=[summary.router, events.router, reports.router, admin.router, dashboard.router],
        handlers=build_handlers(timedelta(seconds=grace)),
        timer_handlers={MONTHLY_TIMER: month_ended},
        on_startup=start,
    )
