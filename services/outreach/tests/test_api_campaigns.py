"""Seed 001 end to end on the real broker and Mongo: plan, auto-schedule, report, complete — and what goes wrong."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from services.outreach.store import SESSIONS
from services.outreach.tests.conftest import Outreach, auth
from services.outreach.tests.test_domain_scheduler import SEED_001_DESA

OFFICERS = ("psm-01", "psm-02", "psm-03", "psm-04")
NARASUMBER = ("nar-balai", "nar-bbppks-1", "nar-bbppks-2", "nar-dinsos")


def seed_001_campaign(**changes: object) -> dict[str, object]:
    return {
        "name": "Penyuluhan Sosial Penumbuhan WKSBM 2019",
        "topic": "penumbuhan WKSBM",
        "region_code": "34.03",
        "start_date": "2019-08-08",
        "end_date": "2019-08-15",
        "desa_codes": list(SEED_001_DESA),
        "targets": {"new_wksbm": 10, "participants_per_session": 40},
        "max_sessions_per_day": 2,
        "officer_ids": list(OFFICERS),
        "narasumber_ids": list(NARASUMBER),
        "officers_per_session": 2,
        "narasumber_per_session": 3,
        **changes,
    }


ATTENDANCE = {
    "total": 40,
    "by_category": {
        "tokoh_masyarakat": 8,
        "tokoh_agama": 4,
        "perangkat_desa": 6,
        "pendamping_pkh": 4,
        "kader": 10,
        "tksk": 1,
        "psm": 5,
        "lainnya": 2,
    },
}


async def test_seed_001_planned_scheduled_held_and_completed(outreach: Outreach) -> None:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    planned = await outreach.client.post("/campaigns", json=seed_001_campaign(), headers=auth())
    assert planned.status_code == 201, planned.text
    campaign = planned.json()
    assert campaign["status"] == "planned" and campaign["desa_codes"] == list(SEED_001_DESA)

    scheduled = await outreach.client.post(f"/campaigns/{campaign['id']}/schedule", headers=auth())
    assert scheduled.status_code == 201, scheduled.text
    sessions = scheduled.json()["items"]
    assert len(sessions) == 10
    assert Counter(s["starts_at"][:10] for s in sessions) == {
        d: 2 for d in ("2019-08-08", "2019-08-09", "2019-08-10", "2019-08-12", "2019-08-13")
    }
    assert all(len(s["narasumber_ids"]) == 3 and s["expected_participants"] == 40 for s in sessions)

    seen = await outreach.events({"campaign_planned": 1, "session_scheduled": 10})
    invitation = next(e for e in seen if e["event_type"] == "session_scheduled")
    for field in ("venue", "region_code", "starts_at", "ends_at", "officer_ids", "narasumber_ids"):
        assert invitation["payload"][field], field
    assert invitation["payload"]["venue"].startswith("Balai Desa ")
    assert invitation["region_code"] == invitation["payload"]["region_code"]

    # Scheduling again places nothing: every desa already has its session.
    again = await outreach.client.post(f"/campaigns/{campaign['id']}/schedule", headers=auth())
    assert again.json()["total"] == 0

    cancelled, *held = sessions
    response = await outreach.client.post(
        f"/sessions/{cancelled['id']}/cancel", json={"reason": "banjir"}, headers=auth()
    )
    assert response.json()["status"] == "cancelled"
    for session in held:
        report = {
            "held_on": session["starts_at"][:10],
            "attendance": ATTENDANCE,
            "narasumber_present_ids": session["narasumber_ids"][:2],
            "summary": "Peserta sepakat membentuk WKSBM.",
        }
        answered = await outreach.client.post(f"/sessions/{session['id']}/report", json=report, headers=auth())
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "held"

    seen = await outreach.events({"penyuluhan_held": 9, "session_cancelled": 1, "campaign_completed": 1})
    completed = [e for e in seen if e["event_type"] == "campaign_completed"]
    assert len(completed) == 1
    totals = completed[0]["payload"]
    assert totals["reason"] == "all_sessions_done"
    assert (totals["sessions_planned"], totals["sessions_held"], totals["sessions_cancelled"]) == (10, 9, 1)
    assert totals["participants_reached"] == 360
    assert totals["participants_by_category"]["kader"] == 90
    assert len(totals["per_desa"]) == 9 and cancelled["region_code"] not in totals["per_desa"]
    assert totals["targets"]["new_wksbm"] == 10

    shown = (await outreach.client.get(f"/campaigns/{campaign['id']}", headers=auth())).json()
    assert shown["status"] == "completed" and shown["totals"]["sessions_held"] == 9
    # A completed campaign takes no more sessions.
    late = await outreach.client.post(f"/campaigns/{campaign['id']}/schedule", headers=auth())
    assert late.status_code == 409 and late.json()["detail"]["rule"] == "campaign_open"

    listed = await outreach.client.get(
        "/sessions", params={"campaign_id": campaign["id"], "status": "held"}, headers=auth()
    )
    assert listed.json()["total"] == 9


async def test_an_impossible_schedule_is_a_422_with_the_numbers_and_creates_nothing(outreach: Outreach) -> None:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    short = seed_001_campaign(end_date="2019-08-10")
    campaign = (await outreach.client.post("/campaigns", json=short, headers=auth())).json()
    answered = await outreach.client.post(f"/campaigns/{campaign['id']}/schedule", headers=auth())
    assert answered.status_code == 422
    detail = answered.json()["detail"]
    assert "too few days" in detail["message"]
    assert (detail["desa"], detail["usable_days"], detail["capacity"]) == (10, 3, 6)
    assert await outreach.mongo.db[SESSIONS].count_documents({}) == 0


async def test_bad_campaigns_are_refused_with_the_field_named(outreach: Outreach) -> None:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    cases = [
        (seed_001_campaign(end_date="2019-08-01"), 422, "end_date"),
        (seed_001_campaign(region_code="34.03.13.2004"), 422, "region_code"),
        (seed_001_campaign(desa_codes=["34.03.13.9999"]), 422, "desa_codes[0]"),
        (seed_001_campaign(desa_codes=["35.11.01.2001"]), 422, "outside the campaign's region"),
        (seed_001_campaign(officer_ids=["psm-01", "ghost-7"]), 422, "ghost-7"),
        (seed_001_campaign(max_sessions_per_day=0), 422, "max_sessions_per_day"),
        (seed_001_campaign(colour="red"), 422, "colour"),
        (seed_001_campaign(region_code="35.11"), 403, "35.11"),
    ]
    for body, status, named in cases:
        answered = await outreach.client.post("/campaigns", json=body, headers=auth())
        assert answered.status_code == status, (body, answered.text)
        assert named in answered.text, answered.text
    viewer = await outreach.client.post("/campaigns", json=seed_001_campaign(), headers=auth(role="viewer"))
    assert viewer.status_code == 403


async def test_access_is_limited_to_the_callers_region(outreach: Outreach) -> None:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    campaign = (await outreach.client.post("/campaigns", json=seed_001_campaign(), headers=auth())).json()
    bondowoso = auth(region="35.11", sub="op-bdw")
    assert (await outreach.client.get(f"/campaigns/{campaign['id']}", headers=bondowoso)).status_code == 403
    assert (await outreach.client.get("/campaigns", headers=bondowoso)).json() == {"items": [], "total": 0}
    mine = await outreach.client.get("/campaigns", params={"region": "34.03", "status": "planned"}, headers=auth())
    assert mine.json()["total"] == 1
    assert (await outreach.client.get("/campaigns", params={"region": "34.03.13"}, headers=auth())).json()["total"] == 0
    assert (await outreach.client.post(f"/campaigns/{campaign['id']}/schedule", headers=bondowoso)).status_code == 403
    assert (await outreach.client.get("/campaigns/cmp_nope", headers=auth())).status_code == 404
    bad_region = await outreach.client.get("/sessions", params={"region": "Gunungkidul"}, headers=auth())
    assert bad_region.status_code == 422 and "region" in bad_region.text
    assert (await outreach.client.get("/sessions", params={"status": "lost"}, headers=auth())).status_code == 422
    assert (await outreach.client.get("/campaigns", headers={})).status_code == 401


async def test_the_period_end_timer_completes_an_unfinished_campaign_once(outreach: Outreach) -> None:
    # Seed 000: Kecamatan Simpang Teritip, Bangka Barat — Pokja and community regulations against NAPZA.
    await outreach.workers("penyuluh-1", "narasumber-bnn", region="19.05")
    body = {
        "name": "Penyuluhan Pencegahan NAPZA, Pornografi dan PMB",
        "topic": "pembentukan Pokja pencegahan NAPZA, pornografi, PMB",
        "region_code": "19.05.02",
        "start_date": "2019-10-01",
        "end_date": "2019-10-05",
        "desa_codes": ["19.05.02.2001", "19.05.02.2002", "19.05.02.2003"],
        "targets": {"new_pokja": 3},
        "max_sessions_per_day": 1,
        "officer_ids": ["penyuluh-1"],
        "narasumber_ids": ["narasumber-bnn"],
    }
    babel = auth(region="19", sub="op-babel")
    campaign = (await outreach.client.post("/campaigns", json=body, headers=babel)).json()
    sessions = (await outreach.client.post(f"/campaigns/{campaign['id']}/schedule", headers=babel)).json()["items"]
    assert len(sessions) == 3
    first = sessions[0]
    report = {"held_on": first["starts_at"][:10], "attendance": {"total": 25}}
    assert (
        await outreach.client.post(f"/sessions/{first['id']}/report", json=report, headers=babel)
    ).status_code == 200

    assert await outreach.poller(datetime(2019, 10, 5, 16, 59, tzinfo=UTC)).fire_due() == 0
    after_end = outreach.poller(datetime(2019, 10, 5, 17, 0, tzinfo=UTC))  # midnight WIB after 5 October
    assert await after_end.fire_due() == 1
    assert await after_end.fire_due() == 0
    seen = await outreach.events({"campaign_completed": 1})
    completed = next(e for e in seen if e["event_type"] == "campaign_completed")["payload"]
    assert completed["reason"] == "period_ended"
    assert (completed["sessions_planned"], completed["sessions_held"], completed["participants_reached"]) == (3, 1, 25)
    assert date.fromisoformat(campaign["end_date"]) == date(2019, 10, 5)


async def test_a_schedule_preview_plans_what_the_schedule_places_and_stores_nothing(outreach: Outreach) -> None:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    campaign = (await outreach.client.post("/campaigns", json=seed_001_campaign(), headers=auth())).json()
    preview = await outreach.client.post(f"/campaigns/{campaign['id']}/schedule/preview", headers=auth())
    assert preview.status_code == 200, preview.text
    planned = preview.json()["items"]
    assert preview.json()["total"] == len(planned) == 10
    stored = await outreach.client.get("/sessions", params={"campaign_id": campaign["id"]}, headers=auth())
    assert stored.json()["total"] == 0
    assert await outreach.mongo.db[SESSIONS].count_documents({"campaign_id": campaign["id"]}) == 0
    # Confirming places exactly what the preview showed, and only then are the sessions announced.
    placed = (await outreach.client.post(f"/campaigns/{campaign['id']}/schedule", headers=auth())).json()["items"]

    def plan(sessions: list[dict[str, object]]) -> set[tuple[object, ...]]:
        return {(s["region_code"], s["starts_at"], tuple(s["officer_ids"])) for s in sessions}  # type: ignore[arg-type]

    assert plan(placed) == plan(planned)
    seen = await outreach.events({"campaign_planned": 1, "session_scheduled": 10})
    assert sum(e["event_type"] == "session_scheduled" for e in seen) == 10
    # Another region's operator may not preview it.
    outside = await outreach.client.post(
        f"/campaigns/{campaign['id']}/schedule/preview", headers=auth(region="35.11", sub="op-bw")
    )
    assert outside.status_code == 403
