"""Placing sessions for the same person serialises: the second transaction re-reads and sees the first's session.

Mongo transactions are snapshot-isolated: two commands that both read "officer free" and insert different
session documents would both commit (write skew). `store.lock` makes them write one shared document, so the
later one conflicts, is retried by the transaction and then sees the earlier session.
"""

from __future__ import annotations

import asyncio

from pilar_runtime.mongo import Mongo, UnitOfWork
from services.outreach import store


async def test_two_placements_for_one_person_are_serialised_by_the_lock(mongo: Mongo) -> None:
    await mongo.db.placed.insert_one({"_id": "other", "officer": "psm-02"})  # the collection exists beforehand
    seen: dict[str, list[int]] = {"a": [], "b": []}

    def place(name: str, delay: float) -> object:
        async def work(uow: UnitOfWork) -> None:
            await asyncio.sleep(delay)
            await store.lock(uow, ["person:psm-01"])
            booked = await uow.db.placed.count_documents({"officer": "psm-01"}, session=uow.session)
            seen[name].append(booked)
            await asyncio.sleep(0.3)  # both have read before either commits
            if booked == 0:
                await uow.db.placed.insert_one({"_id": name, "officer": "psm-01"}, session=uow.session)

        return work

    await asyncio.gather(mongo.transact(place("a", 0)), mongo.transact(place("b", 0.1)))  # type: ignore[arg-type]
    assert await mongo.db.placed.count_documents({"officer": "psm-01"}) == 1
    assert seen["a"] == [0]
    assert seen["b"][-1] == 1  # retried after the conflict, then saw a's booking
