"""Two replicas of reporting sharing four partitions (uvicorn, RabbitMQ, Mongo-wire server): they split the
partitions, store each event once, build what one replica builds, page the feed in order and replay alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pilar_dev.testing import RunningApp, eventually
from pilar_runtime.mongo import Mongo
from pilar_runtime.partitions import LEASES
from services.reporting import store
from services.reporting.app import build
from services.reporting.domain.facts import Fact
from services.reporting.domain.summary import summary
from services.reporting.settings import ReportingSettings
from services.reporting.tests.conftest import ADMIN, Publish, Reporting, fed, settled, shuffled_with_duplicates
from services.reporting.tests.scenario import KEC_WONOSARI, scenario
from services.reporting.tests.test_domain import live

SECTIONS = ("institutions", "formations", "sessions", "participants", "workers", "followups")


@pytest.fixture
async def replicas(stack_settings: dict[str, str]) -> AsyncIterator[list[Reporting]]:
    settings = ReportingSettings(
        **stack_settings,  # type: ignore[arg-type]
        partitions=4,
        lease_seconds=1.5,  # a beat every half second: the second replica gets its share quickly
        report_poll_seconds=0.2,
        timer_poll_seconds=0.2,
        monthly_report_grace_seconds=1.5,
    )
    async with RunningApp(build(settings)) as one, RunningApp(build(settings)) as two:
        mongo = Mongo(settings.mongodb_url, settings.database)
        async with httpx.AsyncClient(base_url=one.url, timeout=30) as a, httpx.AsyncClient(base_url=two.url) as b:
            both = [Reporting(one.url, a, mongo), Reporting(two.url, b, mongo)]

            async def shared() -> bool:
                held = await mongo.db[LEASES].find({"lease_until": {"$ne": None}}).to_list(None)
                return len(held) == 4 and len({lease["holder"] for lease in held}) == 2

            await eventually(shared, timeout=20, what="the two replicas holding two partitions each")
            yield both
        await mongo.close()


async def test_two_replicas_store_each_event_once_and_build_what_one_replica_builds(
    replicas: list[Reporting], publish: Publish
) -> None:
    first, second = replicas
    await fed(first, publish, shuffled_with_duplicates())
    db = first.mongo.db
    stored = await db.events.find({"event_type": {"$ne": "report_generated"}}).to_list(None)
    assert sorted(e["event_id"] for e in stored) == sorted(str(e.event_id) for e in scenario())

    _, expected = live([Fact.of(e) for e in scenario()])
    for region in ("34.03", KEC_WONOSARI, "35.11"):
        counts = await second.get("/summary", ADMIN, region=region)
        want = summary(region, expected[region])
        for section in SECTIONS:
            assert counts[section] == want[section], (region, section)
    # The roll-ups were moved by several partitions, each in documents of its own.
    assert await db.rollups.count_documents({"_id": {"$regex": "#"}}) > 0

    # A reader following the feed from its cursor gets every event once, in order: the idle partitions' counters
    # are moved up within a tick, so the horizon reaches the newest events.
    seen: list[dict[str, Any]] = []

    async def followed() -> bool:
        after = seen[-1]["seq"] if seen else 0
        while page := (await first.get("/events", ADMIN, after=after, limit=7))["items"]:
            seen.extend(page)
            after = page[-1]["seq"]
        return {e["event_id"] for e in seen} >= {str(e.event_id) for e in scenario()}

    await eventually(followed, timeout=10, what="the feed reaching every event")
    numbers = [e["seq"] for e in seen]
    assert numbers == sorted(set(numbers))  # in order, none twice


async def test_a_replay_with_partitions_gives_the_same_counts(replicas: list[Reporting], publish: Publish) -> None:
    first, _ = replicas
    await fed(first, publish, shuffled_with_duplicates(seed=7))
    await settled(first)
    db = first.mongo.db
    regions = sorted({store.region_of(doc["_id"]) for doc in await db.rollups.find({}, {"_id": 1}).to_list(None)})
    before = {region: await store.counts_of(db, region) for region in regions}

    started = await first.http.post("/admin/replay", headers=ADMIN)
    assert started.status_code == 202, started.text

    async def finished() -> bool:
        return (await first.get("/admin/replay"))["status"] == "done"

    await eventually(finished, timeout=60)
    assert {region: await store.counts_of(db, region) for region in regions} == before
