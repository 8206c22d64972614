"""GET /events as a feed for pollers: several types, one record's events, and a long poll that answers as soon as
an event arrives on the bus."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.envelope import Envelope
from pilar_dev.testing import bearer
from services.reporting.commands import feed
from services.reporting.parts import Arrivals, wait_for
from services.reporting.tests.conftest import ADMIN, Publish, Reporting, fed
from services.reporting.tests.scenario import envelope

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def worker(event_type: str, worker_id: str, version: int, region: str = "34.03.01") -> Envelope:
    payload = {"worker_id": worker_id, "role": "PSM", "name": f"Pekerja {worker_id}", "region_code": region}
    return envelope(event_type, payload, region=region, aggregate=worker_id, version=version, at=AT)


def ids(page: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["event_type"], e["aggregate_id"]) for e in page["items"]]


async def test_the_feed_filters_several_types_and_one_records_events_and_refuses_what_it_cannot_answer(
    reporting: Reporting, publish: Publish
) -> None:
    events = [
        worker("worker_registered", "w-1", 1),
        worker("worker_registered", "w-2", 1),
        worker("worker_updated", "w-1", 2),
        worker("worker_updated", "w-2", 2),
        worker("worker_registered", "w-far", 1, region="35.11.01"),
    ]
    await fed(reporting, publish, events)

    both = await reporting.get("/events", GUNUNGKIDUL, type="worker_registered,worker_updated")
    assert sorted(ids(both)) == sorted(
        [
            ("worker_registered", "w-1"),
            ("worker_registered", "w-2"),
            ("worker_updated", "w-1"),
            ("worker_updated", "w-2"),
        ]
    )  # w-far lies outside the caller's region
    assert both["total"] == 4
    one_type = await reporting.get("/events", GUNUNGKIDUL, type="worker_updated")
    assert sorted(ids(one_type)) == [("worker_updated", "w-1"), ("worker_updated", "w-2")]
    record = await reporting.get("/events", GUNUNGKIDUL, aggregate_id="w-1")
    assert ids(record) == [("worker_registered", "w-1"), ("worker_updated", "w-1")]
    both_filters = await reporting.get("/events", GUNUNGKIDUL, aggregate_id="w-2", type="worker_updated")
    assert ids(both_filters) == [("worker_updated", "w-2")]
    assert (await reporting.get("/events", GUNUNGKIDUL, aggregate_id="w-far"))["items"] == []

    unknown = await reporting.http.get("/events", params={"type": "worker_updated,dragon_sighted"}, headers=ADMIN)
    assert unknown.status_code == 422 and unknown.headers["content-type"].startswith("application/problem+json")
    assert "dragon_sighted" in unknown.text and "worker_updated" not in unknown.json()["detail"].split(":")[1]
    too_long = await reporting.http.get("/events", params={"wait": 31}, headers=ADMIN)
    assert too_long.status_code == 422 and "wait" in too_long.text
    negative = await reporting.http.get("/events", params={"wait": -1}, headers=ADMIN)
    assert negative.status_code == 422


async def test_a_long_poll_answers_within_a_second_of_a_new_event_and_empty_when_the_time_is_up(
    reporting: Reporting, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No looking again meanwhile (that is for other replicas' events): the commit storing the event must wake it.
    monkeypatch.setattr(feed, "LOOK_AGAIN_SECONDS", 60.0)
    await fed(reporting, publish, [worker("worker_registered", "w-before", 1)])
    # Only workers' events: the month-end report the old month orders meanwhile is an event too.
    follow = {"type": "worker_registered"}
    cursor = (await reporting.get("/events", GUNUNGKIDUL, **follow))["next"]

    started = time.monotonic()
    empty = await reporting.get("/events", GUNUNGKIDUL, after=cursor, wait=1, **follow)
    waited = time.monotonic() - started
    assert empty == {"items": [], "total": 0, "next": cursor}
    assert 0.9 <= waited < 2.5, waited

    poll = asyncio.create_task(reporting.get("/events", GUNUNGKIDUL, after=cursor, wait=20, **follow))
    await asyncio.sleep(0.7)
    assert not poll.done()  # nothing after the cursor yet: the reader waits
    sent = time.monotonic()
    await publish([worker("worker_registered", "w-new", 1)])
    page = await asyncio.wait_for(poll, 10)
    answered = time.monotonic() - sent
    assert ids(page) == [("worker_registered", "w-new")] and page["next"] > cursor
    assert answered < 1.0, answered

    # An event of a type the reader does not follow leaves it waiting.
    other = asyncio.create_task(
        reporting.get("/events", GUNUNGKIDUL, after=page["next"], wait=1.5, type="worker_updated")
    )
    await publish([worker("worker_registered", "w-unfollowed", 1)])
    assert (await asyncio.wait_for(other, 10))["items"] == []


async def test_an_arrival_wakes_the_readers_holding_a_ticket_and_no_later_one() -> None:
    arrivals = Arrivals()
    before = arrivals.ticket()
    arrivals.arrived()  # between a reader's look and its wait: its ticket is already set
    started = time.monotonic()
    await wait_for(before, 5)
    assert time.monotonic() - started < 0.1
    after = arrivals.ticket()
    assert not after.is_set()
    started = time.monotonic()
    await wait_for(after, 0.2)
    assert time.monotonic() - started >= 0.2


async def test_one_caller_holds_at_most_four_long_polls_at_once(reporting: Reporting) -> None:
    """Each waiting poll looks again twice a second: a fifth of the same caller is refused, another caller's not."""
    cursor = (await reporting.get("/events", GUNUNGKIDUL))["next"]
    follow = {"after": cursor, "wait": 2, "region": "34.03.01"}
    held = [asyncio.create_task(reporting.http.get("/events", params=follow, headers=GUNUNGKIDUL)) for _ in range(4)]
    await asyncio.sleep(0.5)
    fifth = await reporting.http.get("/events", params=follow, headers=GUNUNGKIDUL)
    assert fifth.status_code == 429 and "4 long polls" in fifth.json()["message"], fifth.text
    other = await reporting.http.get("/events", params={**follow, "wait": 0.2}, headers=bearer("viewer", "34.03"))
    assert other.status_code == 200, other.text
    assert [answer.status_code for answer in await asyncio.gather(*held)] == [200] * 4
    again = await reporting.http.get("/events", params={**follow, "wait": 0.2}, headers=GUNUNGKIDUL)
    assert again.status_code == 200  # the four answered: the caller may wait again
