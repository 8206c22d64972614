"""Timers fire once with two pollers, and after a restart; cancelled timers never fire."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from pilar_runtime.mongo import OUTBOX, Mongo, UnitOfWork
from pilar_runtime.timers import TimerPoller, cancel_timer, ensure_timer_indexes, schedule_timer
from tests.runtime.helpers import worker_event


async def _fired_effect(data: dict[str, Any], uow: UnitOfWork) -> None:
    await uow.db.effects.update_one({"_id": data["id"]}, {"$inc": {"n": 1}}, upsert=True, session=uow.session)
    uow.emit(worker_event(data["id"]))


async def test_a_due_timer_fires_once_with_two_pollers(mongo: Mongo) -> None:
    await ensure_timer_indexes(mongo)
    past = datetime.now(UTC) - timedelta(seconds=1)

    async def plant(uow: UnitOfWork) -> None:
        for i in range(20):
            await schedule_timer(uow, "reminder", f"k{i}", past, {"id": f"t{i}"})

    await mongo.transact(plant)
    pollers = [TimerPoller(mongo, {"reminder": _fired_effect}, service="notify") for _ in range(2)]
    fired = await asyncio.gather(*(p.fire_due() for p in pollers), pollers[0].fire_due())

    assert sum(fired) == 20
    assert await mongo.db.effects.count_documents({"n": 1}) == 20
    assert await mongo.db.effects.count_documents({"n": {"$gt": 1}}) == 0
    assert await mongo.db[OUTBOX].count_documents({}) == 20  # the effect's events committed with the mark


async def test_a_timer_survives_a_restart_and_fires_when_due(mongo: Mongo) -> None:
    await ensure_timer_indexes(mongo)
    due = datetime.now(UTC) + timedelta(hours=72)
    await mongo.transact(lambda uow: schedule_timer(uow, "reminder", "h-3", due, {"id": "later"}))

    before = TimerPoller(mongo, {"reminder": _fired_effect}, service="notify")
    assert await before.fire_due() == 0  # not due yet; the poller "stops" here

    after_restart = TimerPoller(
        mongo, {"reminder": _fired_effect}, service="notify", clock=lambda: due + timedelta(seconds=1)
    )
    assert await after_restart.fire_due() == 1
    assert await after_restart.fire_due() == 0


async def test_a_poller_that_died_holding_a_lease_is_taken_over(mongo: Mongo) -> None:
    await ensure_timer_indexes(mongo)
    await mongo.transact(lambda uow: schedule_timer(uow, "reminder", "k", datetime.now(UTC), {"id": "x"}))
    dying = TimerPoller(mongo, {"reminder": _fired_effect}, service="notify", lease_seconds=0.2)
    assert await dying._claim() is not None  # claimed, then the process is gone

    other = TimerPoller(mongo, {"reminder": _fired_effect}, service="notify")
    assert await other.fire_due() == 0
    await asyncio.sleep(0.3)
    assert await other.fire_due() == 1


async def test_moving_and_cancelling_timers(mongo: Mongo) -> None:
    await ensure_timer_indexes(mongo)
    now = datetime.now(UTC)

    async def plan(uow: UnitOfWork) -> None:
        await schedule_timer(uow, "reminder", "moved", now, {"id": "moved"})
        await schedule_timer(uow, "reminder", "moved", now + timedelta(days=1), {"id": "moved"})
        await schedule_timer(uow, "reminder", "dropped", now, {"id": "dropped"})
        await cancel_timer(uow, "reminder", "dropped")

    await mongo.transact(plan)
    poller = TimerPoller(mongo, {"reminder": _fired_effect}, service="notify")
    assert await poller.fire_due() == 0
    assert await mongo.db.effects.count_documents({}) == 0


async def test_a_failing_timer_handler_rolls_back_and_is_retried(mongo: Mongo) -> None:
    await ensure_timer_indexes(mongo)
    await mongo.transact(lambda uow: schedule_timer(uow, "reminder", "k", datetime.now(UTC), {"id": "y"}))
    calls: list[int] = []

    async def flaky(data: dict[str, Any], uow: UnitOfWork) -> None:
        calls.append(1)
        await _fired_effect(data, uow)
        if len(calls) == 1:
            raise RuntimeError("smtp away")

    poller = TimerPoller(mongo, {"reminder": flaky}, service="notify", lease_seconds=0.1)
    assert await poller.fire_due() == 0
    await asyncio.sleep(0.2)
    assert await poller.fire_due() == 1
    assert await mongo.db.effects.count_documents({"_id": "y", "n": 1}) == 1
