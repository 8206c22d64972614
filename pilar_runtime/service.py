"""Assembles one service: Mongo, the bus, its consumer, the outbox relay, timers and a FastAPI app.

Each service's composition root (``services/<name>/app.py``) calls ``create_app`` with its own routers,
event handlers, timer handlers and start-up work; everything else is shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, Literal, TypeVar

import structlog
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_settings import SettingsError

from pilar_runtime.brokerusers import broker_user
from pilar_runtime.bus import Bus, Topology
from pilar_runtime.consumer import EventConsumer, EventHandlers
from pilar_runtime.deadletter_routes import dead_letters_router
from pilar_runtime.http import BodySizeLimit, CorrelationMiddleware, ObservedRequests
from pilar_runtime.logs import configure_logging
from pilar_runtime.metrics import DLQ_DEPTH
from pilar_runtime.mongo import OUTBOX, Mongo
from pilar_runtime.outbox import OutboxRelay, measure_outbox
from pilar_runtime.partitions import PartitionLeases, PartitionsDisagree, keep_partitions, refuse_other_partitions
from pilar_runtime.poller import LeasedPoller
from pilar_runtime.problems import install_error_handlers
from pilar_runtime.ratelimit import RateLimits
from pilar_runtime.settings import RefusedSettings, ServiceSettings, SignedLinkSettings
from pilar_runtime.status import StatusExtras, status_router
from pilar_runtime.timers import TimerHandler, TimerPoller, ensure_timer_indexes, measure_timers
from pilar_runtime.tracing import configure_tracing

log = structlog.get_logger("pilar.service")


# How long shutdown waits for a poller to finish its turn in progress before cancelling it.
STOP_GRACE_SECONDS = 10.0


@dataclass
class Runtime:
    """The running parts every service has, reachable from routes as ``RuntimeDep``. Parts of one service that its
    routes need (reporting's report worker and replay progress) are a dataclass of that service, given to
    ``create_app(parts=...)`` and reached through ``running_parts``."""

    settings: ServiceSettings
    mongo: Mongo
    bus: Bus
    relay: OutboxRelay | None = None
    timers: TimerPoller | None = None
    consumer: EventConsumer | None = None
    partitions: PartitionLeases | None = None  # with several partitions: the ones this replica holds
    rate_limits: RateLimits = field(default_factory=RateLimits)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    pollers: dict[LeasedPoller, asyncio.Task[None]] = field(default_factory=dict)

    def background(self, coro: Awaitable[Any], name: str) -> None:
        """Run work beside the service (imports, a replay); cancelled at shutdown."""
        self.tasks.append(asyncio.ensure_future(coro))
        self.tasks[-1].set_name(name)

    def poll(self, poller: LeasedPoller, name: str) -> None:
        """Run a leased poller beside the service; at shutdown it is stopped after its turn in progress."""
        self.pollers[poller] = asyncio.create_task(poller.run(), name=name)

    async def stop_background(self) -> None:
        """Stop the pollers after their turn (cancelled past ``STOP_GRACE_SECONDS``), cancel the other work."""
        for poller in self.pollers:
            await poller.stop()
        for task in self.tasks:
            task.cancel()
        loops = set(self.pollers.values())
        if loops:
            _, late = await asyncio.wait(loops, timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
        await asyncio.gather(*self.tasks, *loops, return_exceptions=True)


StartUp = Callable[[Runtime], Awaitable[None]]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]

P = TypeVar("P")


def running_parts(request: Request, kind: type[P]) -> P:
    """The service's own running parts (``create_app(parts=...)``); each service wraps this in a typed route
    dependency of its own."""
    parts = request.app.state.parts
    if not isinstance(parts, kind):
        raise TypeError(f"this app runs {type(parts).__name__}, not {kind.__name__}")
    return parts


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    handlers: EventHandlers | None = None,
    timer_handlers: dict[str, TimerHandler] | None = None,
    on_startup: StartUp | None = None,
    body_limits: dict[str, int] | None = None,
    parts: object = None,
    status_extras: StatusExtras | None = None,
) -> FastAPI:
    settings.refuse_unsafe()
    verifier = settings.token_verifier()
    configure_tracing(settings.service)
    if weak := settings.weak_secret():
        log.warning("service.dev_mode", reason=weak, note="never run like this in production")
    mongo = Mongo(settings.mongodb_url, settings.database)
    topo = Topology(
        settings.service, settings.namespace, delivery_limit=settings.delivery_limit, partitions=settings.partitions
    )
    consumer = (
        EventConsumer(
            settings.service,
            handlers,
            mongo,
            producer_users=settings.producer_users(),
            delivery_limit=settings.delivery_limit,
            batch_size=settings.batch_size,
        )
        if handlers
        else None
    )
    bus = Bus(settings.amqp_url, topo, consumer, prefetch=settings.prefetch)
    runtime = Runtime(settings=settings, mongo=mongo, bus=bus, consumer=consumer)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await mongo.ensure_indexes(outbox_retention=timedelta(days=settings.outbox_retention_days))
        await ensure_timer_indexes(mongo)
        if consumer:
            try:
                await refuse_other_partitions(mongo, settings.partitions, settings.lease_seconds)
            except PartitionsDisagree as exc:
                log.error("service.refused_to_start", reason=str(exc))
                raise
        await bus.start()
        runtime.relay = OutboxRelay(
            mongo,
            bus.publishing(),
            service=settings.service,
            user_id=broker_user(settings.amqp_url),
            batch=settings.relay_batch,
            poll_seconds=settings.relay_poll_seconds,
            lease_seconds=settings.lease_seconds,
            renew_channel=bus.renew_publishing,
        )
        mongo.after_commit(OUTBOX, runtime.relay.wake)
        bus.reconnected.append(runtime.relay.wake)  # backed off while the broker was away: publish once it is back
        mongo.hand_outbox_to(runtime.relay)
        runtime.poll(runtime.relay, "outbox-relay")
        if timer_handlers:
            runtime.timers = TimerPoller(
                mongo,
                timer_handlers,
                service=settings.service,
                poll_seconds=settings.timer_poll_seconds,
                lease_seconds=settings.lease_seconds,
            )
            runtime.poll(runtime.timers, "timers")
        if on_startup:
            await on_startup(runtime)
        keeping = None
        if consumer and topo.partition_queues:  # after the start-up work: the store may need to know of them
            runtime.partitions = PartitionLeases(mongo, settings.partitions, settings.lease_seconds)
            keeping = asyncio.create_task(
                keep_partitions(runtime.partitions, bus.hold, settings.lease_seconds / 3, bus.ping), name="partitions"
            )
        log.info("service.started", port=settings.port, database=settings.database)
        try:
            yield
        finally:
            # Finish in-flight messages first (the broker waits for running handlers), then the rest.
            if keeping is not None:
                keeping.cancel()
                await asyncio.gather(keeping, return_exceptions=True)
            await bus.stop()
            if runtime.partitions is not None:
                with contextlib.suppress(Exception):  # the database away: the leases run out instead
                    await runtime.partitions.leave()
            await runtime.stop_background()
            await mongo.close()
            log.info("service.stopped")

    docs = settings.public_docs
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.runtime = runtime
    app.state.parts = parts
    app.state.token_verifier = verifier
    app.state.link_secret = settings.link_key() if isinstance(settings, SignedLinkSettings) else ""
    install_error_handlers(app)
    app.include_router(health_router())
    app.include_router(status_router(status_extras))
    app.include_router(dead_letters_router())
    for router in routers:
        app.include_router(router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, overrides=body_limits)
    app.add_middleware(CorrelationMiddleware)
    app.add_middleware(ObservedRequests, service=settings.service)  # outermost: the request's log line has its trace
    return app


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    broker: bool
    mongo: bool


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Broker and MongoDB answer",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Not ready: the broker or MongoDB does not answer"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        broker, mongo = await asyncio.gather(runtime.bus.ping(), runtime.mongo.ping())
        ready = broker and mongo
        body = {"status": "ready" if ready else "not ready", "broker": broker, "mongo": mongo}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get(
        "/metrics",
        summary="Prometheus metrics (loopback clients, or the bearer PILAR_METRICS_TOKEN)",
        response_class=PlainTextResponse,
    )
    async def metrics(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        if not may_read_metrics(request, runtime.settings.metrics_token):
            raise HTTPException(
                403, "metrics are served to loopback clients, or with the bearer token PILAR_METRICS_TOKEN"
            )
        await measure(runtime)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def measure(runtime: Runtime) -> None:
    """The gauges read at scrape time, so they are current even when the loop that drains them is stuck (an
    outbox that cannot publish still shows its age growing). The page still answers when a source does not."""
    service = runtime.settings.service
    try:
        depth = await runtime.bus.dlq_depth()
        if depth is not None:
            DLQ_DEPTH.labels(service=service).set(depth)
    except Exception as exc:
        log.warning("metrics.dlq_depth_failed", error=str(exc))
    try:
        await measure_outbox(runtime.mongo, service)
        await measure_timers(runtime.mongo, service)
    except Exception as exc:
        log.warning("metrics.mongo_gauges_failed", error=str(exc))


def may_read_metrics(request: Request, token: SecretStr | None) -> bool:
    """With a metrics token, only its bearer (a proxy on this host makes every caller look local); else loopback."""
    if token is not None:
        given = request.headers.get("authorization", "").encode()
        return hmac.compare_digest(given, f"Bearer {token.get_secret_value()}".encode())
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


_USERINFO = re.compile(r"://[^@/\s]*@")  # the user and password part of a URL


S = TypeVar("S", bound=ServiceSettings)


def run(app_factory: Callable[[S], FastAPI], settings_type: type[S]) -> None:
    """Entry point of ``python -m services.<name>``: settings read from the environment, then the app served."""
    try:
        settings = settings_type()
    except (ValidationError, SettingsError) as exc:
        # Name each bad setting and why, never its value: AMQP_URL and MONGODB_URL carry passwords, and a
        # validator's message may quote the value it refused.
        configure_logging(settings_type.model_fields["service"].default)
        if isinstance(exc, ValidationError):
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)]
        else:
            problems = [str(exc)]  # which setting could not be parsed from which source
        log.error("service.refused_to_start", reason=_USERINFO.sub("://[masked]@", "; ".join(problems)))
        raise SystemExit(2) from None
    configure_logging(settings.service, fmt=settings.log_format, level=settings.log_level)
    try:
        app = app_factory(settings)
    except RefusedSettings as exc:
        log.error("service.refused_to_start", reason=str(exc))
        raise SystemExit(2) from None
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, timeout_graceful_shutdown=30)
