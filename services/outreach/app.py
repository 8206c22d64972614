"""Composition root of the outreach service."""

from fastapi import FastAPI

from pilar_runtime.service import Runtime, create_app
from services.outreach import store
from services.outreach.api import campaigns, followups, sessions
from services.outreach.handlers import handlers, timer_handlers
from services.outreach.settings import OutreachSettings


async def _start(runtime: Runtime) -> None:
    await store.ensure_indexes(runtime.mongo)


def build(settings: OutreachSettings | None = None) -> FastAPI:
    config = settings or OutreachSettings()
    return create_app(
        config,
        title="Pilar outreach",
        description="Campaigns, penyuluhan and FGD sessions under the scheduling rules, the auto-scheduler, "
        "held sessions with attendance, and their follow-ups.",
        routers=[campaigns.router, sessions.router, followups.router],
        handlers=handlers,
        timer_handlers=timer_handlers,
        on_startup=_start,
    )
