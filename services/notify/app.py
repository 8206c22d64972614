"""Composition root of the notify service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from pilar_runtime.service import Runtime, create_app
from services.notify import store
from services.notify.api import deliveries, rules, webhooks
from services.notify.channels import senders
from services.notify.dispatcher import Dispatcher
from services.notify.domain.deliveries import Retries
from services.notify.domain.rules import default_rules
from services.notify.domain.timing import QuietHours, TokenBucket, parse_clock
from services.notify.handlers import handlers_for, timer_handlers_for
from services.notify.notifier import Notifier
from services.notify.parts import NotifyParts
from services.notify.settings import NotifySettings

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def build(settings: NotifySettings | None = None, *, clock: Clock = _now) -> FastAPI:
    """The app; tests pass a `clock` to move time (quiet hours, backoff, reminder moments)."""
    config = settings or NotifySettings()
    start_at = parse_clock(config.quiet_hours_start, "quiet_hours_start")
    quiet = QuietHours(start_at, parse_clock(config.quiet_hours_end, "quiet_hours_end"))
    notifier = Notifier(
        defaults=default_rules(sms_enabled=bool(config.sms_gateway_url)) if config.default_rules else [],
        quiet=quiet,
        public_base_url=config.public_base_url,
        clock=clock,
        link_secret=config.link_key(),
        link_lifetime=timedelta(days=config.report_link_days),
    )

    async def start(runtime: Runtime) -> None:
        await store.ensure_indexes(runtime.mongo)
        rate = {"email": config.rate_email_per_second, "sms": config.rate_sms_per_second,
                "webhook": config.rate_webhook_per_second}  # fmt: skip
        dispatcher = Dispatcher(
            runtime.mongo,
            senders(config),
            {channel: TokenBucket(per_second, config.rate_burst) for channel, per_second in rate.items()},
            quiet=quiet,
            clock=clock,
            retries=Retries(config.retry_schedule),
            batch=config.dispatch_batch,
            concurrency=config.dispatch_concurrency,
            poll_seconds=config.dispatch_poll_seconds,
            lease_seconds=config.lease_seconds,
        )
        # A commit that records deliveries wakes the dispatcher at once.
        runtime.mongo.after_commit(store.DELIVERIES, dispatcher.wake)
        runtime.poll(dispatcher, "dispatcher")

    return create_app(
        config,
        title="Pilar notify",
        description="Rules, Indonesian templates, e-mail / webhook / SMS channels, reminders and the delivery log.",
        routers=[rules.router, webhooks.router, deliveries.router],
        parts=NotifyParts(settings=config),
        handlers=handlers_for(notifier),
        timer_handlers=timer_handlers_for(notifier),
        on_startup=start,
        status_extras=store.status_figures,
    )
