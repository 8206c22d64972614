"""A replay while events keep arriving (blue/green projections): the live consumer goes on, the replay catches up
and switches, and the projections in use then equal what the live path makes of every stored event, with nothing
lost or counted twice."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import bson
import pytest
from bson.codec_options import CodecOptions
from pymongo import ReturnDocument

from contracts.envelope import Envelope
from pilar_dev.testing import eventually
from services.reporting import store
from services.reporting.commands.replays import FOLD_EVENTS, replay
from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import AGGREGATES
from services.reporting.tests.conftest import Publish, Reporting, fed, settled, shuffled_with_duplicates
from services.reporting.tests.scenario import DESA, at, envelope
from services.reporting.tests.test_domain import live
from services.reporting.tests.test_projections import _snapshot

AS_STORED: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)


def arrivals(first: int, last: int) -> list[Envelope]:
    """New workers and deliveries in Gunungkidul in the scenario's own month (whose reports are out already, so no
    report follows them), and a worker of each ten renamed: new aggregates and changes to them."""
    found: list[Envelope] = []
    for n in range(first, last):
        desa = DESA[n % len(DESA)]
        worker = {"worker_id": f"wrk_new{n}", "role": "PSM", "name": f"PSM {n}", "region_code": desa}
        day = at(date(2019, 8, 20))
        found.append(envelope("worker_registered", worker, region=desa, aggregate=f"wrk_new{n}", version=1, at=day))
        if n % 10 == 0:
            renamed = {**worker, "name": f"PSM {n} (ganti nama)"}
            found.append(envelope("worker_updated", renamed, region=desa, aggregate=f"wrk_new{n}", version=2, at=day))
        delivery = {
            "delivery_id": f"dlv_new{n}",
            "channel": "email",
            "template": "undangan_sesi",
            "source_event_id": f"src_new{n}",
            "source_event_type": "session_scheduled",
            "attempts": 1,
        }
        found.append(envelope("notification_sent", delivery, region=desa, aggregate=f"dlv_new{n}", version=1, at=day))
    return found


async def trickle(publish: Publish, events: list[Envelope]) -> None:
    """Events arriving a few at a time, each of the first few twice (a redelivery)."""
    for start in range(0, len(events), 4):
        burst = events[start : start + 4]
        await publish(burst + burst[:1])
        await asyncio.sleep(0.02)


def as_stored(document: dict[str, Any]) -> dict[str, Any]:
    return bson.decode(bson.encode(document), codec_options=AS_STORED)


@pytest.mark.parametrize("fold_events", [FOLD_EVENTS, 40], ids=["whole", "in-parts"])
async def test_a_replay_while_events_keep_arriving_ends_identical_to_live_with_nothing_lost(
    reporting: Reporting, publish: Publish, fold_events: int
) -> None:
    await fed(reporting, publish, shuffled_with_duplicates(seed=5))
    await settled(reporting)
    waves = [arrivals(0, 15), arrivals(15, 30)]  # stored while the replay folds: it must catch them up
    last_wave = arrivals(30, 40)  # stored once it has caught up: the switch must project them
    stream = arrivals(40, 90)  # arriving all along, across the switch
    streaming = asyncio.create_task(trickle(publish, stream))
    totals: list[int] = []  # how many events each call says there are to replay

    async def progress(done: int, total: int) -> None:
        totals.append(total)
        if waves:
            await fed(reporting, publish, waves.pop(0))
        elif last_wave and done == total > totals[0]:  # caught up with what arrived meanwhile: the switch is next
            await fed(reporting, publish, last_wave)
            last_wave.clear()

    replayed = await replay(reporting.mongo, progress, batch=10, fold_events=fold_events)
    await streaming
    ids = sorted({str(e.event_id) for e in stream})

    async def all_stored() -> bool:
        return await reporting.mongo.db.events.count_documents({"event_id": {"$in": ids}}) == len(ids)

    await eventually(all_stored, timeout=60)
    assert not waves and not last_wave and replayed.generation == 1 and replayed.replaced == 0
    assert replayed.caught_up >= len(arrivals(0, 40)), replayed

    stored = await reporting.mongo.db.events.find().sort("_id", 1).to_list(None)
    assert [doc["_id"] for doc in stored] == list(range(1, len(stored) + 1))
    assert len({doc["event_id"] for doc in stored}) == len(stored)
    states, rollups = live([Fact.from_stored(doc) for doc in stored])
    in_use = await _snapshot(reporting)
    for name in AGGREGATES:
        expected = {key: as_stored(state) for key, state in states.get(name, {}).items()}
        assert {doc["_id"]: doc for doc in in_use[name]} == expected, name
    assert {doc["_id"]: doc["counts"] for doc in in_use[store.ROLLUPS]} == rollups
    assert rollups[""]["events|total"] == len(stored)
    workers = await reporting.get("/summary", region="34.03")
    assert workers["workers"]["PSM"] == 1 + 90  # the scenario's and every new one


async def test_a_failed_replay_leaves_the_projections_in_use_alone_and_the_next_one_clears_what_it_wrote(
    reporting: Reporting, publish: Publish
) -> None:
    await fed(reporting, publish, shuffled_with_duplicates(seed=9))
    await settled(reporting)
    before = await _snapshot(reporting)
    db = reporting.mongo.db
    # A stored event no projection can take (no session id), arriving once the replay has read its cursor.
    broken: list[int] = []

    async def progress(done: int, total: int) -> None:
        if not broken:
            counter = await db.counters.find_one_and_update(
                {"_id": store.EVENTS}, {"$inc": {"seq": 1}}, return_document=ReturnDocument.AFTER
            )
            assert counter is not None
            unreadable: dict[str, Any] = {"_id": counter["seq"], "event_id": "evt_unreadable", "payload": {}}
            unreadable |= {"event_type": "session_scheduled", "region_code": "34.03", "aggregate_id": "ses_x"}
            unreadable |= {"aggregate_version": 1, "occurred_at": at(date(2019, 8, 20))}
            await db.events.insert_one(unreadable)
            broken.append(counter["seq"])

    with pytest.raises(KeyError, match="session_id"):
        await replay(reporting.mongo, progress, batch=10)
    assert await store.generation(db) == 0 and await _snapshot(reporting) == before
    assert sorted(await store.generations_stored(db)) == [0, 1]  # what it wrote, beside the generation in use

    await db.events.delete_one({"_id": broken[0]})
    await db.counters.update_one({"_id": store.EVENTS}, {"$inc": {"seq": -1}})

    async def quietly(done: int, total: int) -> None:
        return None

    again = await replay(reporting.mongo, quietly, batch=10)
    assert again.generation == 1 and await _snapshot(reporting) == before


async def test_a_generation_written_again_after_a_lost_answer_keeps_its_documents_once(reporting: Reporting) -> None:
    """An insert retried after a lost answer, on a server that does not recognise the retry, meets what its first
    attempt wrote: the same documents, so the replay goes on and each is there once."""
    db = reporting.mongo.db
    written = [{"_id": f"ins_{i}", "region_code": DESA[0]} for i in range(3)]
    await store.write_generation(db, 9, {"institutions": written})
    await store.write_generation(db, 9, {"institutions": [*written, {"_id": "ins_3", "region_code": DESA[1]}]})
    assert await db[store.collection_name("institutions", 9)].count_documents({}) == 4
    await store.drop_generation(db, 9)
