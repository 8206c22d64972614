"""Disabling, enabling and deleting a rule or a webhook, pausing and resuming a webhook, within the caller's region
(an integration: its own webhooks only). Not events: a rule or a webhook is notify's own configuration, and its
record keeps who changed it and when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict, NotFound
from pilar_runtime.mongo import Mongo
from services.notify import store
from services.notify.commands.owners import managed_by
from services.notify.domain.switches import Action, switched

log = structlog.get_logger("notify.switches")

WHAT = {store.RULES: "rule", store.WEBHOOKS: "webhook"}


async def record(mongo: Mongo, collection: str, record_id: str, caller: Caller) -> dict[str, Any]:
    """A rule or webhook by id: 404 unknown, 403 outside the caller's region. Deleted ones too (they stay on
    record); a webhook without its secret."""
    what = WHAT[collection]
    found = await store.by_id(mongo, collection, record_id)
    if found is None:
        raise NotFound(f"{what} {record_id} does not exist")
    caller.require_record(found["region_code"], what, record_id)
    if collection == store.WEBHOOKS and not managed_by(caller, found):
        raise NotFound(f"{what} {record_id} does not exist")  # another integration's: not even its existence
    return found


async def switch(mongo: Mongo, collection: str, record_id: str, action: Action, caller: Caller) -> dict[str, Any]:
    """The record after the action; unchanged when the action was done before."""
    what = WHAT[collection]
    current = await record(mongo, collection, record_id, caller)
    now = datetime.now(UTC)
    stored_now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as the database keeps it: milliseconds
    changes = switched(current, action, caller.sub, stored_now, what)
    if changes is None:
        return current
    if not await store.change(mongo, collection, record_id, current.get("version", 1), changes):
        raise Conflict({"rule": "changed_meanwhile", "message": f"the {what} was changed meanwhile; read it again"})
    log.info(f"notify.{what}_{action}d", record_id=record_id)
    if collection == store.WEBHOOKS and action in (Action.RESUME, Action.DELETE):
        await store.release_waiting(mongo, record_id, now)  # sent on resume; failed (not sent) once deleted
    return {**current, **changes}
