"""notify's collections: rules, webhooks, its copy of contacts, sessions / follow-ups / campaigns it reminds
about, and the delivery log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from pilar_runtime.api import page_of
from pilar_runtime.models import PageParams
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.poller import lease_free
from pilar_runtime.service import Runtime
from services.notify.domain.plan import Contact, Webhook
from services.notify.domain.rules import Rule
from services.notify.domain.webhooks import Keys

RULES = "rules"
WEBHOOKS = "webhooks"
CONTACTS = "contacts"
SESSIONS = "sessions"
FOLLOWUPS = "followups"
CAMPAIGNS = "campaigns"
DELIVERIES = "deliveries"

Db = AsyncDatabase[dict[str, Any]]


async def ensure_indexes(mongo: Mongo) -> None:
    db = mongo.db
    # The idempotency key: one delivery per (event, recipient, channel), whatever redelivers the event.
    await db[DELIVERIES].create_index([("event_id", 1), ("recipient", 1), ("channel", 1)], unique=True)
    await db[DELIVERIES].create_index([("status", 1), ("next_attempt_at", 1)])
    await db[DELIVERIES].create_index([("region_code", 1), ("created_at", -1)])
    await db[RULES].create_index([("region_code", 1)])
    await db[WEBHOOKS].create_index([("region_code", 1)])


# A rule recorded before rules could be disabled has no `active`: it is active. Deleted ones are inactive too.
ACTIVE = {"active": {"$ne": False}}
NOT_DELETED = {"deleted_at": None}


async def load_rules(db: Db, session: AsyncClientSession | None = None) -> list[Rule]:
    """The rules that plan deliveries: not disabled, not deleted."""
    return [Rule.of(d) async for d in db[RULES].find(ACTIVE, session=session)]


async def load_webhooks(db: Db, session: AsyncClientSession | None = None) -> list[Webhook]:
    return [
        Webhook(id=d["_id"], url=d["url"], event_patterns=tuple(d["event_patterns"]), region_code=d["region_code"])
        async for d in db[WEBHOOKS].find({"active": True}, {"secret": 0}, session=session)
    ]


async def load_contacts(uow: UnitOfWork, ids: set[str]) -> dict[str, Contact]:
    if not ids:
        return {}
    found = (await uow.copies(CONTACTS)).find({"_id": {"$in": sorted(ids)}}, session=uow.session)
    return {
        d["_id"]: Contact(
            d["_id"], d.get("name", ""), d.get("email"), d.get("phone"), d.get("active", True), d.get("region_code", "")
        )
        async for d in found
    }


async def webhook_keys(db: Db, ids: set[str], now: datetime) -> dict[str, Keys]:
    """Where each webhook's deliveries go now, what signs them, and whether it is paused or deleted."""
    if not ids:
        return {}
    fields = {"url": 1, "secret": 1, "previous_secret": 1, "previous_secret_until": 1, "paused": 1, "deleted_at": 1}
    return {d["_id"]: Keys.of(d, now) async for d in db[WEBHOOKS].find({"_id": {"$in": sorted(ids)}}, fields)}


async def release_waiting(mongo: Mongo, webhook_id: str, now: datetime) -> int:
    """A webhook's pending deliveries due now — held while it was paused, or waiting for a retry; how many."""
    found = await mongo.db[DELIVERIES].update_many(
        {"recipient_id": webhook_id, "channel": "webhook", "status": "pending", "next_attempt_at": {"$gt": now}},
        {"$set": {"next_attempt_at": now}},
    )
    return found.modified_count


async def record_delivery(db: Db, session: AsyncClientSession, document: dict[str, Any]) -> bool:
    """Insert unless (event_id, recipient, channel) exists; True when it is new. An upsert, not an insert:
    a duplicate-key error would abort the whole transaction."""
    key = {k: document[k] for k in ("event_id", "recipient", "channel")}
    result = await db[DELIVERIES].update_one(key, {"$setOnInsert": document}, upsert=True, session=session)
    return result.upserted_id is not None


# "No lease" is a lease that ended long ago (the leased poller's claim filter takes it as free).
NO_LEASE = datetime(1970, 1, 1, tzinfo=UTC)


def due_filter(now: datetime) -> dict[str, Any]:
    """Deliveries waiting to be sent at ``now``; the dispatcher adds the lease condition when it claims them."""
    return {"status": "pending", "next_attempt_at": {"$lte": now}}


async def record_attempts(
    uow: UnitOfWork, owner: str, attempts: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> set[str]:
    """For each delivery id, its changes made and its attempt logged — if `owner` still holds its lease — in one bulk
    write; returns the ids recorded.

    The lease is read, and the deliveries written, by id alone (a point lookup, where the Mongo-wire dev server
    scans the whole collection for any other filter): the caller's snapshot transaction makes that safe, as a
    replica that takes a lease over after the read makes the write conflict and the transaction run again."""
    found = uow.db[DELIVERIES].find(
        {"_id": {"$in": list(attempts)}}, {"lease_owner": 1, "status": 1}, session=uow.session
    )
    held = {d["_id"] async for d in found if d.get("lease_owner") == owner and d.get("status") == "pending"}
    writes = [
        UpdateOne({"_id": delivery_id}, {"$set": changes, "$push": {"attempts": attempt}})
        for delivery_id, (changes, attempt) in attempts.items()
        if delivery_id in held
    ]
    if writes:
        await uow.db[DELIVERIES].bulk_write(writes, session=uow.session)
    return held


async def hold(mongo: Mongo, delivery_id: str, owner: str, until: datetime) -> None:
    """A delivery its holder puts back, due at `until`."""
    await mongo.db[DELIVERIES].update_one(
        {"_id": delivery_id, "lease_owner": owner}, {"$set": {"next_attempt_at": until, "lease_until": NO_LEASE}}
    )


async def give_back(mongo: Mongo, delivery_ids: list[str], owner: str) -> None:
    """Deliveries their holder claimed and will not send: free to claim at once."""
    if delivery_ids:
        await mongo.db[DELIVERIES].update_many(
            {"_id": {"$in": delivery_ids}, "lease_owner": owner}, {"$set": {"lease_until": NO_LEASE}}
        )


# Notify's copies of what other services told it ----------------------------------------------------------------


async def find(uow: UnitOfWork, collection: str, doc_id: str | None) -> dict[str, Any] | None:
    """A session, follow-up, campaign or contact as notify last heard of it."""
    if not doc_id:
        return None
    return await (await uow.copies(collection)).find_one({"_id": doc_id}, session=uow.session)


async def keep_followup(uow: UnitOfWork, followup_id: str, facts: dict[str, Any], region_code: str) -> None:
    """The assigned follow-up's facts; a follow-up already completed stays completed."""
    await uow.db[FOLLOWUPS].update_one(
        {"_id": followup_id},
        {"$set": {"facts": facts, "region_code": region_code}, "$setOnInsert": {"status": "open"}},
        upsert=True,
        session=uow.session,
    )


async def complete_followup(uow: UnitOfWork, followup_id: str, status: str = "completed") -> None:
    """The follow-up closed: ``completed``, or ``cancelled`` by an amended report."""
    await uow.db[FOLLOWUPS].update_one(
        {"_id": followup_id}, {"$set": {"status": status}}, upsert=True, session=uow.session
    )


# Rules, webhooks and the delivery log as the API lists them ------------------------------------------------------

Show = Callable[[dict[str, Any]], dict[str, Any]]


async def insert(mongo: Mongo, collection: str, document: dict[str, Any]) -> None:
    await mongo.db[collection].insert_one(document)


async def count_webhooks(mongo: Mongo, ids: list[str], scope: dict[str, Any]) -> int:
    """How many of these webhook ids are registered (and not deleted) within `scope` (a region filter)."""
    return await mongo.db[WEBHOOKS].count_documents({"_id": {"$in": ids}, **scope, **NOT_DELETED})


async def webhook_ids(mongo: Mongo, scope: dict[str, Any]) -> list[str]:
    """The ids of the webhooks within `scope`, deleted ones included."""
    return [found["_id"] async for found in mongo.db[WEBHOOKS].find(scope, {"_id": 1})]


SECRETS = {"secret": 0, "previous_secret": 0}


async def by_id(mongo: Mongo, collection: str, record_id: str) -> dict[str, Any] | None:
    """A rule or webhook (without its secrets), deleted ones included."""
    return await mongo.db[collection].find_one({"_id": record_id}, SECRETS)


async def webhook_secret(mongo: Mongo, webhook_id: str) -> str:
    found = await mongo.db[WEBHOOKS].find_one({"_id": webhook_id}, {"secret": 1})
    return str(found["secret"]) if found else ""


async def delivery(mongo: Mongo, delivery_id: str) -> dict[str, Any] | None:
    """One delivery without its message or lease holder."""
    return await mongo.db[DELIVERIES].find_one({"_id": delivery_id}, {"_message": 0, "lease_owner": 0})


async def change(mongo: Mongo, collection: str, record_id: str, version: int, changes: dict[str, Any]) -> bool:
    """Apply the changes if the record is still at `version`; False when another change came first."""
    found = await mongo.db[collection].update_one({"_id": record_id, "version": version}, {"$set": changes})
    return found.modified_count == 1


async def change_unleased(mongo: Mongo, delivery_id: str, version: int, now: datetime, changes: dict[str, Any]) -> bool:
    """Apply the changes to a delivery still at `version` that no dispatcher holds (a claim leaves the version as
    it is, so the version alone would let a change slip in mid-attempt); False otherwise."""
    query = {"_id": delivery_id, "version": version, **lease_free(now)}
    return (await mongo.db[DELIVERIES].update_one(query, {"$set": changes})).modified_count == 1


def _listed(scope: dict[str, Any], deleted: bool) -> dict[str, Any]:
    return scope if deleted else {**scope, **NOT_DELETED}


async def rules_page(
    mongo: Mongo, scope: dict[str, Any], page: PageParams, show: Show, *, deleted: bool = False
) -> dict[str, Any]:
    return await page_of(mongo.db[RULES], _listed(scope, deleted), page, [("created_at", 1)], show=show)


async def webhooks_page(
    mongo: Mongo, scope: dict[str, Any], page: PageParams, show: Show, *, deleted: bool = False
) -> dict[str, Any]:
    query = _listed(scope, deleted)
    return await page_of(mongo.db[WEBHOOKS], query, page, [("created_at", 1)], projection=SECRETS, show=show)


async def deliveries_page(mongo: Mongo, query: dict[str, Any], page: PageParams, show: Show) -> dict[str, Any]:
    """Newest first, without the message (bodies stay inside) or the lease holder."""
    projection = {"_message": 0, "lease_owner": 0}
    return await page_of(mongo.db[DELIVERIES], query, page, [("created_at", -1)], projection=projection, show=show)


async def status_figures(runtime: Runtime) -> dict[str, int | str | None]:
    """notify's line in ``pilar status``: deliveries waiting to be sent and those that failed for good."""
    deliveries = runtime.mongo.db[DELIVERIES]
    return {
        "pending_deliveries": await deliveries.count_documents({"status": "pending"}),
        "failed_deliveries": await deliveries.count_documents({"status": "failed"}),
    }
