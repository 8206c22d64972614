"""The leased poller every claiming loop shares: a document is claimed by one poller at a time, an expired lease is
taken over, and the loop stops, wakes and backs off as it says."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from pilar_runtime.mongo import Mongo
from pilar_runtime.poller import LeasedPoller, lease_free


class Jobs(LeasedPoller):
    """A poller over the test's ``jobs`` collection whose turns the test decides."""

    def __init__(
        self,
        jobs: AsyncCollection[dict[str, Any]] | None = None,
        *,
        turns: Callable[[], bool] = lambda: False,
        poll_seconds: float = 60.0,
        lease_seconds: float = 30.0,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        super().__init__(
            owner_prefix="test",
            poll_seconds=poll_seconds,
            lease_seconds=lease_seconds,
            max_backoff_seconds=max_backoff_seconds,
        )
        self.jobs = jobs
        self.turns = turns
        self.polled = 0
        self.slept: list[float] = []

    async def poll_once(self) -> bool:
        self.polled += 1
        return self.turns()

    async def batch(self, limit: int = 7) -> list[dict[str, Any]]:
        assert self.jobs is not None
        return await self.claim_batch(self.jobs, {"done": False}, sort=[("_id", 1)], limit=limit)

    async def one(self) -> dict[str, Any] | None:
        assert self.jobs is not None
        return await self.claim_one(self.jobs, {"done": False}, sort=[("_id", 1)], inc={"attempts": 1})


class RecordsSleeps(Jobs):
    """Sleeps no time, only notes how long it would have slept."""

    async def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


async def _plant(mongo: Mongo, n: int, **fields: Any) -> AsyncCollection[dict[str, Any]]:
    jobs = mongo.db["jobs"]
    await jobs.insert_many([{"_id": f"j{i:03}", "done": False, "lease_until": None, **fields} for i in range(n)])
    return jobs


def test_the_free_filter_takes_never_leased_released_and_expired_leases_without_an_or() -> None:
    now = datetime(2027, 8, 2, 5, 0, tzinfo=UTC)
    assert lease_free(now) == {"lease_until": {"$not": {"$gte": now}}}
    assert "$or" not in str(lease_free(now))


async def test_two_pollers_claiming_batches_never_take_the_same_document(mongo: Mongo) -> None:
    jobs = await _plant(mongo, 60)
    pollers = [Jobs(jobs) for _ in range(3)]
    taken: list[tuple[str, str]] = []

    async def drain(poller: Jobs) -> None:
        while claimed := await poller.batch():
            taken.extend((d["_id"], d["lease_owner"]) for d in claimed)
            assert all(d["lease_owner"] == poller.owner for d in claimed)

    await asyncio.gather(*(drain(p) for p in pollers))

    counts = Counter(job_id for job_id, _ in taken)
    assert len(counts) == 60 and max(counts.values()) == 1
    assert await jobs.count_documents(lease_free(datetime.now(UTC))) == 0


async def test_two_pollers_claiming_one_at_a_time_never_take_the_same_document(mongo: Mongo) -> None:
    jobs = await _plant(mongo, 20, attempts=0)
    pollers = [Jobs(jobs) for _ in range(2)]
    taken: list[str] = []

    async def drain(poller: Jobs) -> None:
        while (claimed := await poller.one()) is not None:
            assert claimed["lease_owner"] == poller.owner and claimed["attempts"] == 1  # returned as claimed
            taken.append(claimed["_id"])

    await asyncio.gather(*(drain(p) for p in pollers))
    assert sorted(taken) == [f"j{i:03}" for i in range(20)]


async def test_a_lease_is_taken_over_only_once_it_expired(mongo: Mongo) -> None:
    jobs = await _plant(mongo, 1, attempts=0)
    dying = Jobs(jobs, lease_seconds=0.3)
    assert [d["_id"] for d in await dying.batch()] == ["j000"]  # then its process is gone

    other = Jobs(jobs)
    assert await other.batch() == []
    assert await other.one() is None
    await asyncio.sleep(0.4)
    claimed = await other.one()
    assert claimed is not None and claimed["lease_owner"] == other.owner


async def test_the_claim_filter_only_takes_the_documents_due(mongo: Mongo) -> None:
    jobs = await _plant(mongo, 3)
    await jobs.update_one({"_id": "j001"}, {"$set": {"done": True}})
    assert [d["_id"] for d in await Jobs(jobs).batch()] == ["j000", "j002"]


async def test_stop_ends_run_promptly_even_in_a_long_sleep() -> None:
    poller = Jobs(poll_seconds=60)
    task = asyncio.create_task(poller.run())
    await asyncio.sleep(0.05)
    await poller.stop()
    await asyncio.wait_for(task, timeout=1)
    assert poller.polled == 1


async def test_wake_cuts_the_sleep_short() -> None:
    poller = Jobs(poll_seconds=60)
    task = asyncio.create_task(poller.run())
    await asyncio.sleep(0.05)
    assert poller.polled == 1
    poller.wake()
    await asyncio.sleep(0.05)
    assert poller.polled == 2  # a second turn long before the 60 s poll
    await poller.stop()
    await task


async def test_a_busy_poller_turns_again_without_sleeping() -> None:
    left = [True, True, False]
    poller = RecordsSleeps(turns=lambda: left.pop(0) if left else False, poll_seconds=1.0)
    task = asyncio.create_task(poller.run())
    while poller.polled < 4:
        await asyncio.sleep(0)
    await poller.stop()
    await task
    assert poller.slept[0] == 1.0 and poller.polled >= 4  # the first sleep came after the third turn
    assert len(poller.slept) == poller.polled - 2


async def test_backoff_doubles_on_failure_up_to_its_cap_and_resets_on_success() -> None:
    outcomes = ["fail"] * 5 + ["ok"] + ["fail"] * 2

    def turn() -> bool:
        if outcomes and outcomes.pop(0) == "fail":
            raise ConnectionError("mongo away")
        return False

    poller = RecordsSleeps(turns=turn, poll_seconds=0.5, max_backoff_seconds=4.0)
    task = asyncio.create_task(poller.run())
    while poller.polled < 10:
        await asyncio.sleep(0)
    await poller.stop()
    await task
    # five failures: 0.5, 1, 2, 4, 4 (capped); a success and its poll; two failures from the start again.
    assert poller.slept[:8] == [0.5, 1.0, 2.0, 4.0, 4.0, 0.5, 0.5, 1.0]


async def test_claims_use_the_pollers_clock(mongo: Mongo) -> None:
    jobs = await _plant(mongo, 1)
    later = datetime.now(UTC) + timedelta(days=1)
    poller = Jobs(jobs, lease_seconds=60)
    poller.clock = lambda: later
    [claimed] = await poller.batch()
    assert abs(claimed["lease_until"] - (later + timedelta(seconds=60))) < timedelta(milliseconds=1)
