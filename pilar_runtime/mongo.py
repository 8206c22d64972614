"""MongoDB access through PyMongo's async API, and the unit of work every write goes through.

A unit of work is one Mongo transaction holding the state change, the events it emits (the outbox) and, for
a consumer, the inbox record of the message that caused it — so a crash anywhere loses nothing and a
redelivery has no second effect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar, cast

import structlog
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from contracts.envelope import Envelope
from contracts.topology import shard_of
from pilar_runtime.copies import Copies
from pilar_runtime.tracing import current_context_headers

T = TypeVar("T")
B = TypeVar("B", bound="WriteBuffer")

log = structlog.get_logger("pilar.mongo")

OUTBOX = "outbox"
INBOX = "inbox"
OUTBOX_TTL = "outbox_published_ttl"
COPIES_BUFFER = "copies"  # the unit of work's buffer of copies kept
# An event's document is a few kB at most: a thousand of them stay far below the 16 MB of one Mongo document.
EVENTS_PER_OUTBOX_DOCUMENT = 1_000


class AlreadyHandled(Exception):
    """The inbox already holds this (consumer, event_id): the effect happened before."""


class WriteBuffer(Protocol):
    """Writes gathered over a transaction and made once, just before it commits."""

    async def flush(self, uow: UnitOfWork) -> None: ...


class OutboxTaker(Protocol):
    """This process's outbox relay, taking the events of its commits straight from memory: a transaction writes
    its outbox documents already leased to the relay, which publishes them without querying the outbox for them.
    Should the process die first, the leases run out and any relay finds the documents as it finds all others."""

    def hand_over_lease(self) -> dict[str, Any] | None:
        """The lease fields for documents written now, or None to leave them to the relay's queries."""
        ...

    def take(self, documents: list[dict[str, Any]]) -> None:
        """The committed documents written with that lease, ``_id`` included."""
        ...


@dataclass
class UnitOfWork:
    """What a command or a handler sees inside its transaction."""

    db: AsyncDatabase[dict[str, Any]]
    session: AsyncClientSession
    events: list[Envelope] = field(default_factory=list)
    buffers: dict[str, WriteBuffer] = field(default_factory=dict)
    # The work this transaction leaves for a poller (a collection's name): its waiting poller is woken on commit.
    left_work: set[str] = field(default_factory=set)
    # The outbox documents written already leased to this process's relay: handed to it on commit.
    leased_outbox: list[dict[str, Any]] = field(default_factory=list)
    # The aggregates of the events a consumer handles in this transaction: the first copy kept in a collection
    # reads the versions stored there for all of them at once.
    aggregate_ids: set[str] = field(default_factory=set)
    # What ``read_once`` read, by name.
    reads: dict[str, Any] = field(default_factory=dict)

    def leave_work(self, collection: str) -> None:
        """This transaction leaves work in ``collection`` for a poller: the hooks registered for it run on commit."""
        self.left_work.add(collection)

    def emit(self, event: Envelope) -> None:
        """Queue an event; it is written to the outbox in this same transaction."""
        self.events.append(event)

    def buffer(self, name: str, make: Callable[[], B]) -> B:
        """The transaction's buffer called ``name``, made on first use and flushed before commit.

        A consumer handles a batch of events in one transaction; handlers that add their writes to a buffer
        cost one bulk write per batch instead of one write per event."""
        found = self.buffers.get(name)
        if found is None:
            found = self.buffers[name] = make()
        return cast(B, found)

    async def read_once(self, name: str, read: Callable[[], Awaitable[T]]) -> T:
        """What ``read`` returns, read at its first use in this transaction only: its snapshot would give a second
        read the same answer. Only for what the transaction does not write itself (a batch's handlers all looking
        up the same configuration)."""
        if name not in self.reads:
            self.reads[name] = await read()
        return cast(T, self.reads[name])

    async def keep_copy(self, collection: str, doc_id: str, fields: dict[str, Any], version: int) -> bool:
        """Set ``fields`` on the local copy of another service's record unless it already holds this
        ``aggregate_version`` or a newer one (events may arrive out of order after retries); True when it changed.

        The copies are written together before commit (``pilar_runtime.copies``): a handler that reads a copies
        collection in the same transaction reads it through ``copies(collection)``."""
        return await self.buffer(COPIES_BUFFER, Copies).keep(self, collection, doc_id, fields, version)

    async def copies(self, collection: str) -> AsyncCollection[dict[str, Any]]:
        """``collection`` of copies to read from, with the copies this transaction kept in it written first."""
        await self.buffer(COPIES_BUFFER, Copies).write(self, collection)
        return self.db[collection]


class Mongo:
    def __init__(self, url: str, database: str) -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url, tz_aware=True, serverSelectionTimeoutMS=5000, uuidRepresentation="standard"
        )
        self.db: AsyncDatabase[dict[str, Any]] = self.client[database]
        self._commit_hooks: list[tuple[str, Callable[[], None]]] = []
        self._outbox_taker: OutboxTaker | None = None

    def hand_outbox_to(self, taker: OutboxTaker) -> None:
        """Hand the events of every commit from now on to ``taker`` (the outbox relay of this process)."""
        self._outbox_taker = taker

    def after_commit(self, collection: str, hook: Callable[[], None]) -> None:
        """Call ``hook`` after each committed unit of work that left work in ``collection`` (events in the outbox,
        deliveries, report jobs), e.g. to wake its poller at once instead of at its next poll. Commits that leave
        none (most of a consumer's) wake nothing."""
        self._commit_hooks.append((collection, hook))

    async def ping(self) -> bool:
        try:
            await asyncio.wait_for(self.client.admin.command("ping"), timeout=2)
        except Exception:
            return False
        return True

    async def ensure_indexes(self, outbox_retention: timedelta = timedelta(days=7)) -> None:
        await self.db[OUTBOX].create_index([("sent_at", 1), ("_id", 1)])
        await self._keep_published_for(outbox_retention)
        await self.db[INBOX].create_index([("consumer", 1), ("event_id", 1)], unique=True)

    async def _keep_published_for(self, retention: timedelta) -> None:
        """Published outbox documents stay for inspection this long, then the server deletes them (a TTL index:
        unpublished ones, whose ``sent_at`` is null, are never touched). A changed setting updates the index."""
        seconds = int(retention.total_seconds())
        try:
            await self.db[OUTBOX].create_index("sent_at", name=OUTBOX_TTL, expireAfterSeconds=seconds)
        except OperationFailure as exc:
            if exc.code not in (85, 86):  # IndexOptionsConflict, IndexKeySpecsConflict: it exists, other expiry
                raise
            await self.db.command("collMod", OUTBOX, index={"name": OUTBOX_TTL, "expireAfterSeconds": seconds})

    async def close(self) -> None:
        await self.client.close()

    async def transact(
        self,
        work: Callable[[UnitOfWork], Awaitable[T]],
        *,
        inbox: tuple[str, str] | None = None,
    ) -> T:
        """Run ``work`` in one transaction with its outbox (and inbox) writes.

        PyMongo's ``with_transaction`` retries transient errors and unknown commit results, so ``work`` may run
        more than once and must only touch the database through ``uow.session``.
        Raises AlreadyHandled when ``inbox`` = (consumer, event_id) was recorded before.
        """
        committed: UnitOfWork | None = None
        async with self.client.start_session() as session:

            async def attempt(s: AsyncClientSession) -> T:
                nonlocal committed
                uow = committed = UnitOfWork(self.db, s)
                if inbox is not None:
                    await _record_inbox(uow, *inbox)
                result = await work(uow)
                for buffer in uow.buffers.values():
                    await buffer.flush(uow)
                if uow.events:
                    documents = outbox_documents(uow.events)
                    lease = self._outbox_taker.hand_over_lease() if self._outbox_taker else None
                    if lease:
                        for document in documents:
                            document.update(lease)
                        uow.leased_outbox = documents
                    await self.db[OUTBOX].insert_many(documents, session=s)
                    uow.leave_work(OUTBOX)
                return result

            result = await session.with_transaction(
                attempt,
                read_concern=ReadConcern("snapshot"),
                write_concern=WriteConcern("majority"),
            )
        if committed is not None and committed.leased_outbox and self._outbox_taker:
            self._outbox_taker.take(committed.leased_outbox)
        left = committed.left_work if committed is not None else set()
        for collection, hook in self._commit_hooks:
            if collection not in left:
                continue
            try:
                hook()
            except Exception:  # the work is committed: a failed wake-up only delays the next poll
                log.exception("mongo.commit_hook_failed")
        return result


async def _record_inbox(uow: UnitOfWork, consumer: str, event_id: str) -> None:
    try:
        await uow.db[INBOX].insert_one({"consumer": consumer, "event_id": event_id}, session=uow.session)
    except DuplicateKeyError as exc:
        raise AlreadyHandled(event_id) from exc


async def claim_inbox(uow: UnitOfWork, consumer: str, event_ids: list[str]) -> set[str]:
    """Record a batch of deliveries in the inbox; returns the event ids that were not recorded before.

    A concurrent claim of the same id (another replica) fails this transaction, which is then retried."""
    seen = {
        d["event_id"]
        async for d in uow.db[INBOX].find(
            {"consumer": consumer, "event_id": {"$in": event_ids}}, {"event_id": 1}, session=uow.session
        )
    }
    new = [i for i in dict.fromkeys(event_ids) if i not in seen]
    if new:
        await uow.db[INBOX].insert_many([{"consumer": consumer, "event_id": i} for i in new], session=uow.session)
    return set(new)


def outbox_documents(events: list[Envelope]) -> list[dict[str, Any]]:
    """A commit's events in as few documents as stay well under MongoDB's 16 MB a document, in the order they were
    emitted: they are claimed, published and marked sent together, so a bulk import committing 500 rows costs one
    outbox write and one mark, not 500 of each."""
    return [
        _outbox_document(events[i : i + EVENTS_PER_OUTBOX_DOCUMENT])
        for i in range(0, len(events), EVENTS_PER_OUTBOX_DOCUMENT)
    ]


def _outbox_document(events: list[Envelope]) -> dict[str, Any]:
    return {
        "events": [
            {
                "event_id": str(event.event_id),
                "routing_key": event.routing_key,
                "event_type": event.event_type,
                "correlation_id": event.correlation_id,
                "shard": shard_of(event.aggregate_id),
                "body": event.to_json(),
            }
            for event in events
        ],
        "sent_at": None,
        "lease_until": None,
        "attempts": 0,
        # The trace the events belong to (the request or handler that emitted them), put in the messages' headers.
        "trace": current_context_headers(),
    }
