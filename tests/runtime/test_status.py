"""The outbox part of GET /admin/status against the real MongoDB-wire server: backlog and the oldest's age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from pilar_runtime.mongo import OUTBOX, Mongo
from pilar_runtime.status import outbox_status


async def test_the_outbox_backlog_counts_unpublished_events_and_ages_the_oldest(mongo: Mongo) -> None:
    assert (await outbox_status(mongo)).model_dump() == {"backlog": 0, "oldest_age_seconds": None}
    now = datetime.now(UTC)
    await mongo.db[OUTBOX].insert_many(
        [
            {"_id": ObjectId.from_datetime(now - timedelta(minutes=10)), "sent_at": now},  # published: not counted
            {"_id": ObjectId.from_datetime(now - timedelta(seconds=120)), "sent_at": None},
            {"sent_at": None},
        ]
    )
    status = await outbox_status(mongo)
    assert status.backlog == 2
    assert status.oldest_age_seconds is not None and 119 <= status.oldest_age_seconds < 130
