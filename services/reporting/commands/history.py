"""A record's history: the events that shaped it, from the event store, within the caller's region."""

from __future__ import annotations

from typing import Any

from pilar_runtime.auth import Caller
from pilar_runtime.errors import NotFound
from pilar_runtime.models import PageParams
from services.reporting import store
from services.reporting.domain.history import RECORDS, history_entry
from services.reporting.store import Db


async def record_history(db: Db, caller: Caller, record: str, record_id: str, page: PageParams) -> dict[str, Any]:
    """A page of the events of a ``record`` (institution, session, campaign, worker), oldest first: 404 when
    reporting knows no such record, 403 when it lies outside the caller's region."""
    state = await store.record_state(db, RECORDS[record], record_id)
    if state is None:
        raise NotFound(f"{record} {record_id} not found")
    caller.require_record(str(state.get("region_code")), record, record_id)
    return await store.history_page(db, record_id, page, history_entry)
