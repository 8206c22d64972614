"""Sessions on the real broker and Mongo: rules as 409s, bad input as 422s, moves, cancels, the FGD of seed 004
with its follow-ups fired overdue by the timer, and the local copy of registry's workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pilar_dev.demo import ATTENDANCE_FGD_004
from pilar_dev.testing import eventually
from services.outreach import store
from services.outreach.domain.rules import Booking
from services.outreach.store import FOLLOWUPS, WORKERS
from services.outreach.tests.conftest import Outreach, auth
from services.outreach.tests.test_api_campaigns import NARASUMBER, OFFICERS, seed_001_campaign

KAMPUNG, SALAM, PENGKOK = "34.03.13.2004", "34.03.04.2005", "34.03.04.2003"


def penyuluhan(campaign_id: str | None, **changes: object) -> dict[str, object]:
    return {
        "kind": "penyuluhan",
        "campaign_id": campaign_id,
        "region_code": KAMPUNG,
        "venue": "Balai Desa Kampung",
        "starts_at": "2019-08-08T09:00:00",  # no offset: WIB, the zone of Gunungkidul
        "ends_at": "2019-08-08T12:00:00+07:00",
        "officer_ids": ["psm-01"],
        "narasumber_ids": ["nar-balai"],
        **changes,
    }


async def _campaign(outreach: Outreach) -> str:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    campaign = await outreach.client.post("/campaigns", json=seed_001_campaign(), headers=auth())
    return str(campaign.json()["id"])


async def _post(client: httpx.AsyncClient, body: dict[str, object]) -> httpx.Response:
    return await client.post("/sessions", json=body, headers=auth())


async def test_each_rule_is_a_409_naming_the_rule_and_the_conflicting_session(outreach: Outreach) -> None:
    campaign_id = await _campaign(outreach)
    first = await _post(outreach.client, penyuluhan(campaign_id))
    assert first.status_code == 201, first.text
    session = first.json()
    assert session["starts_at"].startswith("2019-08-08T02:00:00")  # 09:00 WIB stored as UTC
    assert session["expected_participants"] == 40  # the campaign's target per session

    cases: list[tuple[dict[str, object], str, str | None]] = [
        # Same officer, overlapping time, another desa.
        (
            penyuluhan(campaign_id, region_code=SALAM, starts_at="2019-08-08T11:00:00", ends_at="2019-08-08T13:00:00"),
            "no_double_booking",
            session["id"],
        ),
        # The same narasumber, now as an officer: still one person in two places.
        (
            penyuluhan(campaign_id, region_code=SALAM, officer_ids=["nar-balai"], narasumber_ids=["nar-dinsos"]),
            "no_double_booking",
            session["id"],
        ),
        (
            penyuluhan(campaign_id, starts_at="2019-08-11T09:00:00", ends_at="2019-08-11T12:00:00"),
            "no_public_holiday",
            None,
        ),
        (
            penyuluhan(campaign_id, starts_at="2019-08-16T09:00:00", ends_at="2019-08-16T12:00:00"),
            "inside_campaign_period",
            None,
        ),
        (penyuluhan(campaign_id, region_code="35.11.01.2001"), "desa_in_campaign_region", None),
    ]
    for body, rule, conflicting in cases:
        answered = await _post(outreach.client, body)
        if rule == "desa_in_campaign_region":
            assert answered.status_code == 403  # the operator's own scope is checked first
            continue
        assert answered.status_code == 409, answered.text
        assert answered.json()["detail"]["rule"] == rule
        assert answered.json()["detail"]["conflicting_session_id"] == conflicting
        assert answered.json()["detail"]["message"]

    # A province operator may place it, but the desa still lies outside the campaign's Gunungkidul.
    province = auth(region="", role="admin", sub="admin")
    outside = await outreach.client.post(
        "/sessions", json=penyuluhan(campaign_id, region_code="35.11.01.2001"), headers=province
    )
    assert outside.status_code == 409 and outside.json()["detail"]["rule"] == "desa_in_campaign_region"

    second = await _post(
        outreach.client,
        penyuluhan(campaign_id, region_code=SALAM, officer_ids=["psm-02"], narasumber_ids=["nar-dinsos"]),
    )
    assert second.status_code == 201
    third = await _post(
        outreach.client,
        penyuluhan(campaign_id, region_code=PENGKOK, officer_ids=["psm-03"], narasumber_ids=["nar-bbppks-1"]),
    )
    assert third.status_code == 409
    assert third.json()["detail"]["rule"] == "max_sessions_per_day"
    assert third.json()["detail"]["conflicting_session_id"] in (session["id"], second.json()["id"])


async def test_bad_session_input_is_a_422_naming_the_problem(outreach: Outreach) -> None:
    campaign_id = await _campaign(outreach)
    cases = [
        (penyuluhan(campaign_id, ends_at="2019-08-08T08:00:00"), "ends_at"),
        (penyuluhan(campaign_id, region_code="34.03.13.9999"), "34.03.13.9999"),
        (penyuluhan(campaign_id, region_code="34.03.13"), "desa"),
        (penyuluhan(campaign_id, officer_ids=["ghost-1"]), "ghost-1"),
        (penyuluhan(campaign_id, narasumber_ids=["ghost-2"]), "ghost-2"),
        (penyuluhan(campaign_id, starts_at="tomorrow"), "starts_at"),
        (penyuluhan(campaign_id, expected_by_category={"kader": -1}), "kader"),
        (penyuluhan(campaign_id, expected_participants=5, expected_by_category={"kader": 4}), "adds up to 4"),
        (penyuluhan(None, topic=None), "topic"),
        (penyuluhan(campaign_id, kind="webinar"), "kind"),
    ]
    for body, named in cases:
        answered = await _post(outreach.client, body)
        assert answered.status_code == 422, (body, answered.text)
        assert named in answered.text, answered.text
    assert (await _post(outreach.client, penyuluhan("cmp_nope"))).status_code == 404


async def test_moving_and_cancelling_a_session(outreach: Outreach) -> None:
    campaign_id = await _campaign(outreach)
    session = (await _post(outreach.client, penyuluhan(campaign_id))).json()
    other = (
        await _post(
            outreach.client,
            penyuluhan(
                campaign_id,
                region_code=SALAM,
                officer_ids=["psm-02"],
                starts_at="2019-08-09T09:00:00",
                ends_at="2019-08-09T12:00:00",
            ),
        )
    ).json()

    clash = await outreach.client.patch(
        f"/sessions/{session['id']}",
        json={"starts_at": "2019-08-09T10:00:00", "ends_at": "2019-08-09T11:00:00"},
        headers=auth(),
    )
    assert clash.status_code == 409
    assert clash.json()["detail"] == {
        "rule": "no_double_booking",
        "message": clash.json()["detail"]["message"],
        "conflicting_session_id": other["id"],
    }
    backwards = await outreach.client.patch(
        f"/sessions/{session['id']}", json={"ends_at": "2019-08-08T08:00:00+07:00"}, headers=auth()
    )
    assert backwards.status_code == 422

    moved = await outreach.client.patch(
        f"/sessions/{session['id']}",
        json={"starts_at": "2019-08-12T13:00:00", "ends_at": "2019-08-12T16:00:00", "venue": "Masjid Desa Kampung"},
        headers=auth(),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == 2
    seen = await outreach.events({"session_rescheduled": 1})
    rescheduled = next(e for e in seen if e["event_type"] == "session_rescheduled")
    assert rescheduled["payload"]["previous_starts_at"].startswith("2019-08-08T02:00")
    assert rescheduled["payload"]["starts_at"].startswith("2019-08-12T06:00")
    assert rescheduled["aggregate_version"] == 2

    cancelled = await outreach.client.post(
        f"/sessions/{session['id']}/cancel", json={"reason": "hujan"}, headers=auth()
    )
    assert cancelled.json()["status"] == "cancelled"
    seen = await outreach.events({"session_cancelled": 1})
    notice = next(e for e in seen if e["event_type"] == "session_cancelled")["payload"]
    assert notice["reason"] == "hujan" and notice["officer_ids"] == ["psm-01"] and notice["venue"]
    again = await outreach.client.post(f"/sessions/{session['id']}/cancel", headers=auth())
    assert again.status_code == 409 and again.json()["detail"]["rule"] == "session_cancelled"
    report = {"held_on": "2019-08-12", "attendance": {"total": 1}}
    reported = await outreach.client.post(f"/sessions/{session['id']}/report", json=report, headers=auth())
    assert reported.status_code == 409 and reported.json()["detail"]["rule"] == "session_cancelled"
    frozen = await outreach.client.patch(f"/sessions/{session['id']}", json={"venue": "x"}, headers=auth())
    assert frozen.status_code == 409
    # The cancelled session frees its people: the same slot can be taken again.
    retaken = await _post(
        outreach.client, penyuluhan(campaign_id, starts_at="2019-08-12T13:00:00", ends_at="2019-08-12T16:00:00")
    )
    assert retaken.status_code == 201


BONDOWOSO_PILOTS = [f"35.11.01.20{n:02d}" for n in range(1, 11)]


def fgd_004() -> dict[str, Any]:
    return {
        "kind": "FGD",
        "topic": "Strategi penanganan PPKS menuju Desa Melesat",
        "region_code": "35.11",
        "venue": "Ball Room Hotel Ijen View, Bondowoso",
        "starts_at": "2020-11-30T08:00:00+07:00",
        "ends_at": "2020-11-30T13:00:00+07:00",
        "officer_ids": ["kasi-kesos"],
        "narasumber_ids": ["nar-unej", "nar-dprd"],
        "expected_by_category": {"tksk": 23, "pendamping_pkh": 40, "camat": 23, "kepala_desa": 30, "forkopimda": 17},
    }


async def test_fgd_004_report_followups_overdue_by_timer_and_completion(outreach: Outreach) -> None:
    bondowoso = auth(region="35.11", sub="op-bdw")
    await outreach.workers("kasi-kesos", "nar-unej", "nar-dprd", "tksk-maesan", "psm-tamanan", region="35.11")
    created = await outreach.client.post("/sessions", json=fgd_004(), headers=bondowoso)
    assert created.status_code == 201, created.text
    fgd = created.json()
    assert fgd["expected_participants"] == 133

    report = {
        "held_on": "2020-11-30",
        "attendance": {
            "total": 120,
            # Seed 004's groups, each counted apart (none of them falls into "lainnya").
            "by_category": ATTENDANCE_FGD_004,
        },
        "narasumber_present_ids": ["nar-unej", "nar-dprd"],
        # The daftar hadir, as far as it was typed in: names, category, institution, desa; never a NIK.
        "attendees": [
            {"name": "Ahmad Fauzi", "category": "camat", "institution": "Kecamatan Maesan"},
            {
                "name": "Siti Rohmah",
                "category": "kepala_desa",
                "institution": "Desa Sucolor",
                "desa_code": "3511012001",
            },
            {"name": "Dwi Prasetyo", "category": "rmb", "institution": "Relawan Muda Bondowoso"},
        ],
        "summary": "Disepakati 10 desa pilot menuju Desa Melesat; perlu tindak lanjut dan monev.",
        "outcomes": {
            "pilot_desa_codes": BONDOWOSO_PILOTS,
            "followups": [
                {"action": "Pemetaan aset 10 desa pilot", "owner_id": "tksk-maesan", "due_on": "2020-12-31"},
                {"action": "Monev desa pilot triwulan I", "owner_id": "psm-tamanan", "due_on": "2021-03-31"},
            ],
        },
    }
    bad = [
        ({**report, "attendance": {"total": 120, "by_category": {"tksk": 100}}}, "adds up to 100"),
        ({**report, "attendance": {"total": -1}}, "total"),
        ({**report, "attendance": {"total": 1, "by_category": {"wartawan": 1}}}, "wartawan"),
        ({**report, "narasumber_present_ids": ["nar-unej", "nar-x"]}, "nar-x"),
        ({**report, "outcomes": {"pilot_desa_codes": ["35.11.01.9999"]}}, "pilot_desa_codes[0]"),
        (
            {**report, "outcomes": {"followups": [{"action": "a", "owner_id": "ghost", "due_on": "2020-12-01"}]}},
            "followups[0].owner_id",
        ),
        (
            {**report, "outcomes": {"followups": [{"action": "a", "owner_id": "psm-tamanan", "due_on": "2020-11-01"}]}},
            "due_on",
        ),
        ({**report, "held_on": "2999-01-01"}, "future"),
        ({**report, "attendees": [{"name": "A", "category": "camat", "nik": "3511010101800001"}]}, "nik"),
        ({**report, "attendees": [{"name": "A", "category": "wartawan"}]}, "attendees"),
        (
            {**report, "attendees": [{"name": "A", "category": "camat", "desa_code": "35.11.01"}]},
            "attendees[0].desa_code",
        ),
        ({**report, "attendance": {"total": 2}}, "attendees: 3 names, attendance.total says 2"),
    ]
    for body, named in bad:
        answered = await outreach.client.post(f"/sessions/{fgd['id']}/report", json=body, headers=bondowoso)
        assert answered.status_code == 422, (named, answered.text)
        assert named in answered.text, answered.text

    held = await outreach.client.post(f"/sessions/{fgd['id']}/report", json=report, headers=bondowoso)
    assert held.status_code == 200, held.text
    twice = await outreach.client.post(f"/sessions/{fgd['id']}/report", json=report, headers=bondowoso)
    assert twice.status_code == 409 and twice.json()["detail"]["rule"] == "session_already_reported"

    seen = await outreach.events({"FGD_held": 1, "followup_assigned": 2})
    fgd_held = next(e for e in seen if e["event_type"] == "FGD_held")["payload"]
    assert fgd_held["pilot_desa_codes"] == BONDOWOSO_PILOTS
    assert fgd_held["attendance"]["by_category"]["pendamping_pkh"] == 37
    assert {k: fgd_held["attendance"]["by_category"][k] for k in ("forkopimda", "dprd", "camat", "rmb")} == {
        "forkopimda": 6,
        "dprd": 5,
        "camat": 23,
        "rmb": 2,
    }
    assert "lainnya" not in fgd_held["attendance"]["by_category"]
    assert fgd_held["attendees"][1] == {
        "name": "Siti Rohmah",
        "category": "kepala_desa",
        "institution": "Desa Sucolor",
        "desa_code": "35.11.01.2001",
    }
    assert [a["name"] for a in fgd_held["attendees"]] == ["Ahmad Fauzi", "Siti Rohmah", "Dwi Prasetyo"]
    shown = (await outreach.client.get(f"/sessions/{fgd['id']}", headers=bondowoso)).json()["report"]
    assert shown["attendees"] == fgd_held["attendees"]
    assert [f["owner_id"] for f in fgd_held["followups"]] == ["tksk-maesan", "psm-tamanan"]
    assigned = [e["payload"] for e in seen if e["event_type"] == "followup_assigned"]
    assert {a["owner_id"] for a in assigned} == {"tksk-maesan", "psm-tamanan"}

    followups = (await outreach.client.get("/followups", params={"session_id": fgd["id"]}, headers=bondowoso)).json()
    assert followups["total"] == 2
    mapping, monev = sorted(followups["items"], key=lambda f: f["due_on"])
    assert (await outreach.client.get("/followups", headers=auth(region="34.03"))).json()["total"] == 0

    done = await outreach.client.post(
        f"/followups/{monev['id']}/complete",
        json={"completed_on": "2021-03-15", "note": "monev selesai"},
        headers=bondowoso,
    )
    assert done.status_code == 200, done.text
    again = await outreach.client.post(f"/followups/{monev['id']}/complete", headers=bondowoso)
    assert again.status_code == 409

    # Midnight WIB after the due date: the open one is overdue, once; the completed one's timer was cancelled.
    assert await outreach.poller(datetime(2020, 12, 31, 16, 59, tzinfo=UTC)).fire_due() == 0
    later = outreach.poller(datetime(2021, 6, 1, tzinfo=UTC))
    assert await later.fire_due() == 1
    assert await later.fire_due() == 0
    seen = await outreach.events({"followup_completed": 1, "followup_overdue": 1})
    overdue = [e["payload"] for e in seen if e["event_type"] == "followup_overdue"]
    assert [(o["followup_id"], o["owner_id"]) for o in overdue] == [(mapping["id"], "tksk-maesan")]
    completed = next(e for e in seen if e["event_type"] == "followup_completed")["payload"]
    assert (completed["owner_id"], completed["completed_on"]) == ("psm-tamanan", "2021-03-15")
    listed = await outreach.client.get("/followups", params={"overdue": "true", "status": "open"}, headers=bondowoso)
    assert [f["id"] for f in listed.json()["items"]] == [mapping["id"]]


async def test_the_workers_copy_is_idempotent_and_never_goes_back_a_version(outreach: Outreach) -> None:
    await outreach.worker("psm-77", version=1)
    await outreach.worker("psm-77", version=3, active=False)
    await outreach.worker("psm-77", version=2, active=True)  # late and older: ignored
    await outreach.worker("psm-77", version=3, active=False)

    async def at_version_3() -> bool:
        worker = await outreach.mongo.db[WORKERS].find_one({"_id": "psm-77"})
        return worker is not None and worker["version"] == 3

    await eventually(at_version_3)
    await outreach.workers("psm-01", "nar-balai")  # later events on the same queue: the older ones were handled
    worker = await outreach.mongo.db[WORKERS].find_one({"_id": "psm-77"})
    assert worker is not None and worker["active"] is False and "phone" not in worker

    standalone = {**fgd_004(), "region_code": "34.03.13.2004", "officer_ids": ["psm-77"], "narasumber_ids": []}
    standalone.pop("expected_by_category")
    refused = await outreach.client.post("/sessions", json=standalone, headers=auth())
    assert refused.status_code == 422 and "psm-77" in refused.json()["detail"]
    standalone["officer_ids"] = ["psm-01"]
    assert (await outreach.client.post("/sessions", json=standalone, headers=auth())).status_code == 201
    assert await outreach.mongo.db[FOLLOWUPS].count_documents({}) == 0


async def test_two_operators_booking_the_same_officer_at_once_get_one_session(
    outreach: Outreach, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign_id = await _campaign(outreach)
    read_bookings = store.bookings_around

    async def slow_read(*args: Any, **kwargs: Any) -> list[Booking]:
        found = await read_bookings(*args, **kwargs)
        await asyncio.sleep(0.3)  # every request has read before any has written
        return found

    monkeypatch.setattr(store, "bookings_around", slow_read)
    bodies = [
        penyuluhan(campaign_id, region_code=desa, narasumber_ids=[narasumber])
        for desa, narasumber in ((KAMPUNG, "nar-balai"), (SALAM, "nar-dinsos"), (PENGKOK, "nar-bbppks-1"))
    ]
    answers = await asyncio.gather(*(_post(outreach.client, body) for body in bodies))
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    winner = next(a.json()["id"] for a in answers if a.status_code == 201)
    assert all(a.json()["detail"]["conflicting_session_id"] == winner for a in answers if a.status_code == 409)
