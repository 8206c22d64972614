"""Finished sends recorded in batches (the recorder alone, its transaction replaced by a list): a batch by size or
after the linger, the next gathering while one is recorded, and a failed batch recorded again one by one."""

from __future__ import annotations

import asyncio

from pymongo.errors import ServerSelectionTimeoutError
from structlog.testing import capture_logs

from services.notify.domain.deliveries import Attempt, Retries
from services.notify.recorder import AttemptRecorder
from services.notify.tests.support import NOON


def sent(delivery_id: str) -> Attempt:
    return Attempt({"_id": delivery_id}, NOON, None, Retries(()))


class Transactions:
    """Each committed batch's delivery ids; a batch holding one of `failing` fails as a whole, as a transaction does;
    `gate`, while cleared, keeps every batch waiting in its transaction."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.committed: list[list[str]] = []
        self.tried: list[list[str]] = []
        self.failing = failing
        self.gate = asyncio.Event()
        self.gate.set()

    async def record(self, batch: list[Attempt]) -> None:
        ids = [a.delivery["_id"] for a in batch]
        self.tried.append(ids)
        await self.gate.wait()
        if self.failing & set(ids):
            raise RuntimeError("write conflict")
        self.committed.append(ids)


async def test_a_full_batch_is_recorded_at_once_and_the_rest_when_drained() -> None:
    transactions = Transactions()
    recorder = AttemptRecorder(transactions.record, size=3, linger=60)
    for name in ("a", "b", "c"):
        recorder.add(sent(name))
    await asyncio.sleep(0.01)
    recorder.add(sent("d"))
    await asyncio.sleep(0.01)
    assert transactions.committed == [["a", "b", "c"]]  # "d" waits for more, or for the linger
    await recorder.drain()
    assert transactions.committed == [["a", "b", "c"], ["d"]]


async def test_a_lone_send_is_recorded_after_the_linger() -> None:
    transactions = Transactions()
    recorder = AttemptRecorder(transactions.record, size=100, linger=0.02)
    recorder.add(sent("a"))
    await asyncio.sleep(0.005)
    assert transactions.committed == []
    await asyncio.sleep(0.1)
    assert transactions.committed == [["a"]]


async def test_sends_finishing_while_a_batch_is_recorded_make_the_next_batch() -> None:
    transactions = Transactions()
    recorder = AttemptRecorder(transactions.record, size=2, linger=60)
    transactions.gate.clear()
    for name in ("a", "b", "c", "d", "e"):  # "a", "b" are being recorded while "c", "d", "e" finish
        recorder.add(sent(name))
        await asyncio.sleep(0)
    assert transactions.tried == [["a", "b"]]
    transactions.gate.set()
    await recorder.drain()
    assert transactions.committed == [["a", "b"], ["c", "d", "e"]]  # one transaction open at a time


async def test_a_failed_batch_is_recorded_one_by_one_and_only_the_bad_delivery_stays_unrecorded() -> None:
    transactions = Transactions(failing=frozenset({"b"}))
    recorder = AttemptRecorder(transactions.record, size=3, linger=60)
    with capture_logs() as logs:
        for name in ("a", "b", "c"):
            recorder.add(sent(name))
        await recorder.drain()
    assert transactions.tried == [["a", "b", "c"], ["a"], ["b"], ["c"]]
    assert transactions.committed == [["a"], ["c"]]  # each once; "b" keeps its lease and is sent again later
    failures = [e for e in logs if e["event"] == "notify.record_failed"]
    assert [f["delivery_ids"] for f in failures] == [["a", "b", "c"], ["b"]]


async def test_waiting_for_the_first_attempts_records_them_without_the_linger() -> None:
    transactions = Transactions()
    recorder = AttemptRecorder(transactions.record, size=100, linger=60)
    recorder.add(sent("a"))
    recorder.add(sent("b"))
    await asyncio.wait_for(recorder.recorded(2), timeout=5)
    assert transactions.committed == [["a", "b"]] and recorder.done == 2
    await asyncio.wait_for(recorder.recorded(2), timeout=5)  # already there: returns at once


async def test_a_batch_that_found_no_database_is_not_tried_again_one_by_one() -> None:
    async def unreachable(batch: list[Attempt]) -> None:
        tried.append([a.delivery["_id"] for a in batch])
        raise ServerSelectionTimeoutError("no server answers")

    tried: list[list[str]] = []
    recorder = AttemptRecorder(unreachable, size=3, linger=60)
    for name in ("a", "b", "c"):
        recorder.add(sent(name))
    await recorder.drain()
    assert tried == [["a", "b", "c"]] and recorder.done == 3  # the leases expire; the deliveries come back
