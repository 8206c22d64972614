"""GET /admin/dead-letters and POST /admin/dead-letters/redrive: every consuming service's own dead letters over
HTTP (the console's operations page), admins only. The mechanism is `pilar_runtime.deadletters`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from pilar_runtime.auth import Caller, CallerDep, Role
from pilar_runtime.deadletters import DlqError, envelope_ids, redrive, taken
from pilar_runtime.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from pilar_runtime.service import Runtime

NO_CONSUMER: dict[int | str, dict[str, object]] = {404: {"description": "The service consumes no events"}}
# A redrive handles the letters one after the other inside the request: bounded so it answers in time.
REDRIVE_LIMIT = 500


class DeadLetterLine(BaseModel):
    message_id: str | None
    event_type: str | None
    routing_key: str | None = Field(description="the routing key it was delivered with")
    event_id: str | None = None
    correlation_id: str | None = None
    producer: str | None = None
    reason: str = Field(description="why it was dead-lettered (the last attempt's reason)")
    dead_lettered_at: datetime | None = Field(description="when it was dead-lettered, when known")
    delivery_count: int = Field(description="how often the DLQ handed it out and took it back (listings, redrives)")


class DeadLetters(BaseModel):
    service: str
    waiting: int = Field(description="messages in the service's dead-letter queue")
    items: list[DeadLetterLine] = Field(description="the first of them, oldest first; no payload")


class RedriveRequest(BaseModel):
    message_ids: list[str] | None = Field(
        None, max_length=REDRIVE_LIMIT, description="the messages to redrive; absent or null: all of them"
    )


class RedriveResult(BaseModel):
    handled: int = Field(description="handled now (or found handled before) and removed from the DLQ")
    failed: int = Field(description="refused or failed again: back in the DLQ with the new reason")
    not_found: int = Field(description="named message ids not in the DLQ")


def _admin(caller: Caller) -> None:
    if caller.role != Role.ADMIN:
        raise Forbidden("only an admin may read or redrive the service's dead letters")


def _consuming(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    if runtime.consumer is None:
        raise NotFound("this service consumes no events, so it has no dead letters")
    return runtime


def dead_letters_router() -> APIRouter:
    router = APIRouter(prefix="/admin/dead-letters", tags=["operations"], responses=NO_CONSUMER)

    @router.get("", summary="The messages waiting in this service's dead-letter queue (admins only)")
    async def list_letters(
        request: Request, caller: CallerDep, limit: Annotated[int, Query(ge=1, le=REDRIVE_LIMIT)] = 50
    ) -> DeadLetters:
        _admin(caller)
        runtime = _consuming(request)
        try:
            async with taken(runtime.settings.amqp_url, runtime.bus.topology.dlq.name, limit) as found:
                lines = [
                    DeadLetterLine(
                        message_id=letter.message_id,
                        event_type=letter.event_type,
                        routing_key=letter.routing_key,
                        reason=letter.reason,
                        dead_lettered_at=letter.dead_lettered_at,
                        delivery_count=letter.delivery_count,
                        **envelope_ids(letter.body),
                    )
                    for _, letter in found.letters
                ]
        except DlqError as exc:
            raise HTTPException(503, str(exc)) from exc
        return DeadLetters(service=runtime.settings.service, waiting=found.waiting, items=lines)

    @router.post("/redrive", summary="Handle dead letters again through the service's consumer (admins only)")
    async def redrive_letters(request: Request, caller: CallerDep, body: RedriveRequest) -> RedriveResult:
        _admin(caller)
        runtime = _consuming(request)
        assert runtime.consumer is not None
        names = set(body.message_ids) if body.message_ids is not None else None
        try:
            counts = await redrive(runtime.settings.amqp_url, runtime.bus, runtime.consumer, names, REDRIVE_LIMIT)
        except DlqError as exc:
            raise HTTPException(503, str(exc)) from exc
        return RedriveResult(handled=counts.handled, failed=counts.failed, not_found=counts.not_found)

    return router
