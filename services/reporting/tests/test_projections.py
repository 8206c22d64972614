"""Through the bus: the recorded sequence (shuffled, with duplicates) → event store, projections, feed, replay."""

from __future__ import annotations

import asyncio
from typing import Any

from pilar_dev.testing import bearer, eventually
from services.reporting.domain.facts import Fact
from services.reporting.domain.summary import summary
from services.reporting.store import PROJECTIONS, generations_stored, view
from services.reporting.tests.conftest import ADMIN, Publish, Reporting, fed, settled, shuffled_with_duplicates
from services.reporting.tests.scenario import CAMPAIGN, KEC_WONOSARI, UNKNOWN_TYPE, envelope, scenario
from services.reporting.tests.test_domain import live

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
BONDOWOSO = bearer("district_operator", "35.11", sub="op-bdw")


async def test_projections_from_a_shuffled_sequence_with_duplicates(reporting: Reporting, publish: Publish) -> None:
    await fed(reporting, publish, shuffled_with_duplicates())
    assert await reporting.mongo.db.events.count_documents({"event_type": {"$ne": "report_generated"}}) == len(
        scenario()
    )
    _, expected = live([Fact.of(e) for e in scenario()])

    district = await reporting.get("/summary", GUNUNGKIDUL)  # the caller's own region by default
    assert district["region_code"] == "34.03" and district["name"] == "Kabupaten Gunungkidul"
    want = summary("34.03", expected["34.03"])
    for section in ("institutions", "formations", "sessions", "participants", "workers", "followups"):
        assert district[section] == want[section], section
    assert district["institutions"] == {"WKSBM": {"active": 9, "inactive": 1}}
    assert district["sessions"] == {"scheduled": 0, "held": 10, "cancelled": 1}
    assert district["participants"]["total"] == 400
    assert district["notifications"]["sent"] == 3 and district["notifications"]["failed"] == 1
    assert district["community_regulations"]["total"] == 1
    assert district["events"]["unknown"] == {UNKNOWN_TYPE: 1}

    kecamatan = await reporting.get("/summary", GUNUNGKIDUL, region=KEC_WONOSARI)
    assert kecamatan["sessions"]["held"] == 5 and kecamatan["formations"] == {"WKSBM": {"2019-08": 5}}
    provinsi = await reporting.get("/summary", ADMIN, region="34")
    assert provinsi["sessions"] == district["sessions"]
    bondowoso = await reporting.get("/summary", BONDOWOSO)
    assert bondowoso["followups"] == {"open": 0, "overdue": 1, "completed": 1, "cancelled": 0}
    assert bondowoso["sessions"]["held"] == 1

    progress = await reporting.get(f"/campaigns/{CAMPAIGN}/progress", GUNUNGKIDUL)
    assert progress["targets"]["new_wksbm"] == {
        "target": 10,
        "achieved": 10,
        "met": True,
        "institution_ids": [f"ins_wksbm_{i:02d}" for i in range(1, 11)],
    }
    assert progress["sessions"] == {"scheduled": 0, "held": 10, "cancelled": 1}
    outside = await reporting.http.get(f"/campaigns/{CAMPAIGN}/progress", headers=BONDOWOSO)
    assert outside.status_code == 403 and outside.json()["detail"] == f"campaign {CAMPAIGN} is outside your region"
    assert (await reporting.http.get("/campaigns/cmp_nope/progress", headers=ADMIN)).status_code == 404


async def test_the_event_feed_pages_from_a_cursor_within_the_callers_region(
    reporting: Reporting, publish: Publish
) -> None:
    await fed(reporting, publish, scenario())
    bondowoso_events = [e for e in scenario() if e.region_code.startswith("35.11")]
    seen: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await reporting.get("/events", BONDOWOSO, after=after, limit=2)
        seen += page["items"]
        if not page["items"]:
            break
        assert page["items"][0]["seq"] > after
        after = page["next"]
    seen = [e for e in seen if e["event_type"] != "report_generated"]  # reports built meanwhile are events too
    assert sorted(e["event_id"] for e in seen) == sorted(str(e.event_id) for e in bondowoso_events)
    assert all(e["routing_key"] == f"{e['producer']}.{e['event_type']}" and e["received_at"] for e in seen)
    assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)

    formed = await reporting.get("/events", GUNUNGKIDUL, type="WKSBM_formed", region=KEC_WONOSARI)
    assert formed["total"] == 5 and {e["region_code"][:8] for e in formed["items"]} == {KEC_WONOSARI}
    # A type outside the catalogue is stored all the same, and read as one record's events; a filter names
    # catalogue types only.
    unknown = await reporting.get("/events", ADMIN, aggregate_id="x1")
    assert unknown["total"] == 1 and unknown["items"][0]["event_type"] == UNKNOWN_TYPE
    assert unknown["items"][0]["payload"] == {"where": "34.03.01.2003"}
    refused = await reporting.http.get("/events", params={"type": UNKNOWN_TYPE}, headers=ADMIN)
    assert refused.status_code == 422 and UNKNOWN_TYPE in refused.text

    # A list is silently limited to the caller's region: another region's events are simply not there.
    elsewhere = await reporting.get("/events", GUNUNGKIDUL, region="35.11")
    assert elsewhere == {"items": [], "total": 0, "next": 0}
    wider = await reporting.get("/events", GUNUNGKIDUL, region="34", type="WKSBM_formed")
    assert wider["total"] == 10 and {e["region_code"][:5] for e in wider["items"]} == {"34.03"}
    bad = await reporting.http.get("/events", params={"region": "99.99"}, headers=ADMIN)
    assert bad.status_code == 422 and "region" in bad.text
    assert (await reporting.http.get("/events")).status_code == 401


async def test_an_unknown_event_type_is_stored_and_the_consumer_goes_on(reporting: Reporting, publish: Publish) -> None:
    first = scenario()[0]
    odd = envelope(
        "village_festival",
        {"x": 1},
        region="34.03.01.2001",
        aggregate="f1",
        version=1,
        at=first.occurred_at,
        producer="outreach",
    )
    await fed(reporting, publish, [odd, odd, first])
    counts = await reporting.get("/summary", ADMIN, region="34.03.01.2001")
    assert counts["events"]["unknown"] == {"village_festival": 1}
    assert counts["events"]["total"] == 1  # the worker lives in 34.03, not in this desa
    assert (await reporting.get("/summary", ADMIN, region="34.03"))["workers"] == {"NARASUMBER": 1}


async def _snapshot(reporting: Reporting) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in PROJECTIONS:
        docs = await (await view(reporting.mongo.db, name)).find().sort("_id", 1).to_list(None)
        for doc in docs:
            if "counts" in doc:  # a counter moved back to 0 live is simply absent after a rebuild
                doc["counts"] = {k: v for k, v in doc["counts"].items() if v}
        out[name] = docs
    return out


async def test_replay_rebuilds_the_same_state_as_live(reporting: Reporting, publish: Publish) -> None:
    await fed(reporting, publish, shuffled_with_duplicates(seed=7))
    await settled(reporting)
    before = await _snapshot(reporting)
    assert len(before["institutions"]) == 10 and before["rollups"]

    assert (await reporting.http.post("/admin/replay", headers=GUNUNGKIDUL)).status_code == 403
    await reporting.mongo.db.rollups.update_one({"_id": "34.03"}, {"$set": {"counts": {}}})  # damage to repair
    started = await reporting.http.post("/admin/replay", headers=ADMIN)
    assert started.status_code == 202, started.text

    async def finished() -> bool:
        return (await reporting.get("/admin/replay"))["status"] == "done"

    await eventually(finished, timeout=60)
    state = await reporting.get("/admin/replay")
    assert state["events"] == state["done"] == state["total"] == await reporting.stored_events()
    assert state["caught_up"] == 0  # nothing arrived meanwhile (test_replay_live: events arriving)
    await asyncio.sleep(0.2)
    assert await _snapshot(reporting) == before

    async def replaced_dropped() -> bool:  # once readers elsewhere have looked again
        return list(await generations_stored(reporting.mongo.db)) == [1]

    await eventually(replaced_dropped, timeout=15)
