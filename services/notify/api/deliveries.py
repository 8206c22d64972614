"""`GET /deliveries`: the delivery log with every attempt, for your region subtree — for an integration, only the
deliveries to its own webhooks (another system's are not its business). Message bodies stay inside;
a recipient's address is shown only to a writer whose scope covers the recipient's own region (DESIGN §7:
contacts travel only where needed) — a province narasumber serving a desa session stays masked for that desa's
district operator, as registry masks them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.events.common import Channel
from pilar_runtime.api import PageDep
from pilar_runtime.auth import WRITERS, Caller, CallerDep
from pilar_runtime.errors import Forbidden
from pilar_runtime.logs import mask_text
from pilar_runtime.models import Page, public
from pilar_runtime.service import RuntimeDep
from services.notify import store
from services.notify.api.rules import Region
from services.notify.api.schemas import Delivery
from services.notify.commands import deliveries

router = APIRouter(tags=["deliveries"])

Status = Annotated[str | None, Query(pattern="^(pending|sent|failed|skipped)$")]


def without_contacts(delivery: dict[str, Any]) -> dict[str, Any]:
    """A delivery without its address, and none left in the error texts (an SMTP server's refusal names the
    mailbox): as a reader sees it, or a writer whose scope does not hold the recipient."""
    delivery.pop("recipient", None)
    if delivery.get("failed_reason"):
        delivery["failed_reason"] = mask_text(delivery["failed_reason"])
    for attempt in delivery.get("attempts") or []:
        if attempt.get("error"):
            attempt["error"] = mask_text(attempt["error"])
    return public(delivery)


def sees_address(caller: Caller, delivery: dict[str, Any]) -> bool:
    """A writer of the recipient's region or above. A delivery recorded before recipients had a region shows its
    address to admins only."""
    return caller.sees_personal_data(delivery.get("recipient_region", ""))


@router.get(
    "/deliveries",
    summary="Deliveries, filtered by event, recipient, status, channel; an integration lists only those to its own "
    "webhooks",
    response_model=Page[Delivery],
    response_model_exclude_unset=True,
)
async def list_deliveries(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    event_id: Annotated[str | None, Query(max_length=200)] = None,
    recipient: Annotated[str | None, Query(max_length=2000)] = None,
    status: Status = None,
    channel: Channel | None = None,
    region: Region = None,
) -> dict[str, Any]:
    if recipient is not None and caller.role not in WRITERS:
        # Filtering by an address would tell a reader whether that person is on the list.
        raise Forbidden(f"role {caller.role} may not look deliveries up by recipient")
    # The caller's own filters come after the scope: a channel other than `webhook` then finds an integration none.
    query: dict[str, Any] = {**caller.list_filter(region), **await deliveries.visible_to(runtime.mongo, caller)}
    if recipient is not None:  # only among recipients whose address the caller may see: no oracle for the rest
        query.update(caller.list_filter(field="recipient_region"), recipient=recipient)
    for name, value in (("event_id", event_id), ("status", status)):
        if value is not None:
            query[name] = value
    if channel is not None:
        query["channel"] = channel.value

    return await store.deliveries_page(runtime.mongo, query, page, lambda delivery: shown(caller, delivery))


@router.post(
    "/deliveries/{delivery_id}/retry",
    summary="Send a failed or pending delivery again now: one more attempt (409 once sent). Staff writers of the "
    "region, or the integration whose webhook it goes to",
    response_model=Delivery,
    response_model_exclude_unset=True,
)
async def retry_delivery(delivery_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return shown(caller, await deliveries.retry_delivery(runtime.mongo, delivery_id, caller, datetime.now(UTC)))


def shown(caller: Caller, delivery: dict[str, Any]) -> dict[str, Any]:
    return public(delivery) if sees_address(caller, delivery) else without_contacts(delivery)
