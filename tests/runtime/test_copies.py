"""Copies kept by version in a unit of work, against the real Mongo-wire server: the newest of a transaction's
versions wins, a stale or equal one changes nothing, a read in the same transaction sees what was kept, and a
batch's copies cost one read and one write per collection."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pilar_runtime.mongo import Mongo, UnitOfWork

COPIES = "worker_copies"


async def keep_all(mongo: Mongo, ahead: set[str], copies: list[tuple[str, dict[str, Any], int]]) -> list[bool]:
    """Keep ``copies`` (id, fields, version) in order in one transaction whose consumer handles the aggregates
    ``ahead``; what each call answered."""

    async def work(uow: UnitOfWork) -> list[bool]:
        uow.aggregate_ids.update(ahead)
        return [await uow.keep_copy(COPIES, doc_id, fields, version) for doc_id, fields, version in copies]

    return await mongo.transact(work)


async def stored(mongo: Mongo) -> dict[str, dict[str, Any]]:
    return {d.pop("_id"): d async for d in mongo.db[COPIES].find()}


async def operations(mongo: Mongo) -> Counter[str]:
    """The server's count of reads and writes on the copies collection so far (its ``top``)."""
    totals = (await mongo.client.admin.command("top"))["totals"]
    found = totals.get(f"{mongo.db.name}.{COPIES}", {})
    return Counter({kind: found.get(kind, {}).get("count", 0) for kind in ("queries", "update", "insert")})


async def test_the_newest_version_in_a_transaction_wins_and_older_or_equal_ones_change_nothing(mongo: Mongo) -> None:
    await mongo.db[COPIES].insert_one({"_id": "w-kept", "name": "Sri", "version": 2})
    answers = await keep_all(
        mongo,
        {"w-1", "w-kept"},
        [
            ("w-1", {"name": "Ani", "active": True}, 1),
            ("w-1", {"name": "Ani Lestari"}, 3),
            ("w-1", {"name": "late", "active": False}, 2),  # arrived after version 3: stale
            ("w-1", {"name": "again"}, 3),  # the same version again
            ("w-kept", {"name": "stale"}, 2),
            ("w-kept", {"name": "older"}, 1),
            ("w-new", {"name": "Budi"}, 1),  # not among the transaction's aggregates: read alone
        ],
    )

    assert answers == [True, True, False, False, False, False, True]
    assert await stored(mongo) == {
        # as successive upserts would leave it: version 1's field that version 3 does not set is still there
        "w-1": {"name": "Ani Lestari", "active": True, "version": 3},
        "w-kept": {"name": "Sri", "version": 2},
        "w-new": {"name": "Budi", "version": 1},
    }


async def test_a_copy_read_in_the_same_transaction_is_the_one_just_kept(mongo: Mongo) -> None:
    await mongo.db[COPIES].insert_one({"_id": "w-1", "name": "Sri", "version": 1})

    async def work(uow: UnitOfWork) -> list[Any]:
        uow.aggregate_ids.add("w-1")
        await uow.keep_copy(COPIES, "w-1", {"name": "Sri Lestari"}, 2)
        first = await (await uow.copies(COPIES)).find_one({"_id": "w-1"}, session=uow.session)
        kept_after_read = await uow.keep_copy(COPIES, "w-1", {"name": "Sri L."}, 3)
        stale_after_read = await uow.keep_copy(COPIES, "w-1", {"name": "stale"}, 2)
        return [first, kept_after_read, stale_after_read]

    first, kept_after_read, stale_after_read = await mongo.transact(work)
    assert first == {"_id": "w-1", "name": "Sri Lestari", "version": 2}
    assert (kept_after_read, stale_after_read) == (True, False)
    assert await stored(mongo) == {"w-1": {"name": "Sri L.", "version": 3}}


async def test_a_batch_of_copies_costs_one_read_and_one_write(mongo: Mongo) -> None:
    await mongo.db[COPIES].insert_many([{"_id": f"w-{i}", "name": "old", "version": 1} for i in range(0, 10, 2)])
    ids = {f"w-{i}" for i in range(10)}
    before = await operations(mongo)

    answers = await keep_all(mongo, ids, [(f"w-{i}", {"name": f"new {i}"}, 2 - i % 2) for i in range(10)])

    used = await operations(mongo) - before
    assert answers == [True] * 10
    assert used == Counter({"queries": 1, "update": 1}), used
    assert {d["name"] for d in (await stored(mongo)).values()} == {f"new {i}" for i in range(10)}


async def test_a_transaction_without_copies_kept_reads_and_writes_none(mongo: Mongo) -> None:
    await mongo.db[COPIES].insert_one({"_id": "w-1", "name": "Sri", "version": 1})
    before = await operations(mongo)

    async def work(uow: UnitOfWork) -> None:
        uow.aggregate_ids.add("w-1")
        await (await uow.copies(COPIES)).find_one({"_id": "w-1"}, session=uow.session)

    await mongo.transact(work)
    assert await operations(mongo) - before == Counter({"queries": 1})  # the handler's own read only
