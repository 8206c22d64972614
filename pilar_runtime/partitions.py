"""Partitions of a service's events shared out among its replicas (reporting with ``REPORTING_PARTITIONS`` > 1).

Each replica beats a heartbeat in the service's database, works out its share — the partitions over the replicas
alive, rounded up — and holds that many under leases: it renews the ones it has, claims free or expired ones while
below its share, and gives up its surplus when another replica joins (stops consuming first, then releases). A
replica that dies (or loses the broker) stops renewing, and its partitions are claimed by the others once their
leases run out. A partition given up is released only once the deliveries taken from it are handled, and the
queues have a single active consumer, so a partition changing hands is not consumed by two replicas at once (but
for a replica that stalls past its lease: the transactions keep that safe).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog
from pymongo.errors import DuplicateKeyError

from pilar_runtime.mongo import Mongo
from pilar_runtime.poller import lease_free

log = structlog.get_logger("pilar.partitions")

MEMBERS = "partition_members"
LEASES = "partition_leases"


class PartitionsDisagree(Exception):
    """Another replica alive splits the events into another number of partitions."""


async def refuse_other_partitions(mongo: Mongo, partitions: int, lease_seconds: float) -> None:
    """At start-up: refuses (PartitionsDisagree) to run beside a replica alive that has another number of
    partitions — one aggregate's events would be consumed from two queues at once, out of order. Every replica
    runs with the same number; it is changed with the service stopped (a replica stopped less than a lease ago still
    counts as alive)."""
    since = datetime.now(UTC) - timedelta(seconds=lease_seconds)
    other = await mongo.db[MEMBERS].find_one(
        {"seen": {"$gte": since}, "partitions": {"$exists": True, "$ne": partitions}}
    )
    if other is not None:
        raise PartitionsDisagree(
            f"another replica runs with {other['partitions']} partitions and this one "
            f"with {partitions}: start every replica with the same number, or stop the others first (a replica "
            f"stopped less than {lease_seconds:g} s ago still counts)"
        )


def share_of(partitions: int, replicas: int) -> int:
    """How many partitions each replica holds: all of them spread evenly, rounded up."""
    return -(-partitions // max(replicas, 1))


class PartitionLeases:
    def __init__(self, mongo: Mongo, partitions: int, lease_seconds: float, member: str | None = None) -> None:
        self.db = mongo.db
        self.partitions = partitions
        self.lease = timedelta(seconds=lease_seconds)
        self.member = member or uuid.uuid4().hex
        self.held: set[int] = set()

    async def balance(self) -> tuple[set[int], set[int]]:
        """One beat: returns the partitions to consume and the surplus to give up (stop consuming, then
        ``release``)."""
        now = datetime.now(UTC)
        until = now + self.lease
        beat = {"seen": now, "partitions": self.partitions}
        await self.db[MEMBERS].update_one({"_id": self.member}, {"$set": beat}, upsert=True)
        alive = await self.db[MEMBERS].count_documents({"seen": {"$gte": now - self.lease}})
        share = share_of(self.partitions, alive)
        kept: set[int] = set()
        for p in sorted(self.held):
            renewed = await self.db[LEASES].update_one(
                {"_id": p, "holder": self.member}, {"$set": {"lease_until": until}}
            )
            if renewed.matched_count:
                kept.add(p)
        surplus = set(sorted(kept)[share:])
        kept -= surplus
        for p in range(self.partitions):
            if len(kept) >= share:
                break
            if p in kept or p in surplus:
                continue
            try:
                await self.db[LEASES].update_one(
                    {"_id": p, **lease_free(now)},
                    {"$set": {"holder": self.member, "lease_until": until}},
                    upsert=True,
                )
            except DuplicateKeyError:  # held by another replica: the upsert found no free lease to take
                continue
            kept.add(p)
        self.held = kept | surplus
        return kept, surplus

    async def release(self, partitions: set[int]) -> None:
        for p in partitions:
            await self.db[LEASES].update_one({"_id": p, "holder": self.member}, {"$set": {"lease_until": None}})
            self.held.discard(p)

    async def leave(self) -> None:
        """At shutdown, after consuming stopped: the others take the partitions at their next beat."""
        await self.release(set(self.held))
        await self.db[MEMBERS].delete_one({"_id": self.member})


async def keep_partitions(
    leases: PartitionLeases,
    consume: Callable[[set[int]], Awaitable[None]],
    every: float,
    broker_answers: Callable[[], Awaitable[bool]],
) -> None:
    """Beat until cancelled: consume what this replica holds, give up its surplus. While the broker does not answer
    it renews nothing: its partitions go to replicas that can consume them once the leases run out."""
    consumed: set[int] = set()
    while True:
        try:
            if not await broker_answers():
                log.warning("partitions.broker_away", partitions=sorted(leases.held))
                await asyncio.sleep(every)
                continue
            kept, surplus = await leases.balance()
            await consume(kept)
            if kept != consumed:
                log.info("partitions.consumed", partitions=sorted(kept), member=leases.member)
                consumed = kept
            if surplus:
                await leases.release(surplus)
                log.info("partitions.given_up", partitions=sorted(surplus))
        except Exception as exc:  # the database or broker away: the leases run out, the others take over
            log.warning("partitions.beat_failed", error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(every)
