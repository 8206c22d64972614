"""Corrections on the real broker and Mongo: a Gunungkidul report amended, seed 004's FGD follow-ups changed by
an amendment, seed 001's campaign changed under its sessions' rules, and a campaign cancelled with its sessions."""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime
from typing import Any

import pytest

from services.outreach import store
from services.outreach.store import FOLLOWUPS
from services.outreach.tests.conftest import Outreach, auth
from services.outreach.tests.test_api_campaigns import ATTENDANCE, NARASUMBER, OFFICERS, seed_001_campaign
from services.outreach.tests.test_api_sessions import fgd_004, penyuluhan

GUNUNGKIDUL = auth()


async def _scheduled_campaign(outreach: Outreach, **changes: object) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    campaign = (await outreach.client.post("/campaigns", json=seed_001_campaign(**changes), headers=GUNUNGKIDUL)).json()
    scheduled = await outreach.client.post(f"/campaigns/{campaign['id']}/schedule", headers=GUNUNGKIDUL)
    assert scheduled.status_code == 201, scheduled.text
    return campaign, sorted(scheduled.json()["items"], key=lambda s: (s["starts_at"], s["region_code"]))


def _report(session: dict[str, Any], **changes: object) -> dict[str, Any]:
    return {
        "held_on": session["starts_at"][:10],
        "attendance": ATTENDANCE,
        "narasumber_present_ids": session["narasumber_ids"][:2],
        "summary": "Peserta sepakat membentuk WKSBM.",
        **changes,
    }


async def test_a_gunungkidul_report_is_amended_with_its_reason_and_only_when_held(outreach: Outreach) -> None:
    _, (first, second, *_) = await _scheduled_campaign(outreach)
    scheduled_only = await outreach.client.put(
        f"/sessions/{second['id']}/report", json={**_report(second), "reason": "salah hitung"}, headers=GUNUNGKIDUL
    )
    assert scheduled_only.status_code == 409 and scheduled_only.json()["detail"]["rule"] == "session_scheduled"

    held = await outreach.client.post(f"/sessions/{first['id']}/report", json=_report(first), headers=GUNUNGKIDUL)
    assert held.status_code == 200, held.text
    # The daftar hadir was counted again: 45 came, five more kader than first reported.
    by_category: dict[str, int] = {**ATTENDANCE["by_category"], "kader": 15}  # type: ignore[dict-item]
    corrected = {"total": 45, "by_category": by_category}
    body = {**_report(first, attendance=corrected), "reason": "daftar hadir dihitung ulang: 5 kader terlewat"}

    bad = [
        ({k: v for k, v in body.items() if k != "reason"}, "reason"),
        ({**body, "reason": ""}, "reason"),
        ({**body, "attendance": {"total": 45, "by_category": {"kader": 40}}}, "adds up to 40"),
        ({**body, "narasumber_present_ids": ["nar-x"]}, "nar-x"),
        ({**body, "held_on": "2999-01-01"}, "future"),
    ]
    for wrong, named in bad:
        answered = await outreach.client.put(f"/sessions/{first['id']}/report", json=wrong, headers=GUNUNGKIDUL)
        assert answered.status_code == 422, (named, answered.text)
        assert named in answered.text
    elsewhere = await outreach.client.put(
        f"/sessions/{first['id']}/report", json=body, headers=auth(region="35.11", sub="op-bdw")
    )
    assert elsewhere.status_code == 403
    viewer = await outreach.client.put(f"/sessions/{first['id']}/report", json=body, headers=auth(role="viewer"))
    assert viewer.status_code == 403

    amended = await outreach.client.put(f"/sessions/{first['id']}/report", json=body, headers=auth(sub="op-gk-2"))
    assert amended.status_code == 200, amended.text
    session = amended.json()
    assert session["status"] == "held" and session["version"] == 3
    assert session["report"]["attendance"] == corrected
    assert session["report"]["reported_by"] == "op-gk"  # the first reporter stays named
    assert session["report"]["amendment"]["amended_by"] == "op-gk-2"
    assert session["updated_by"] == "op-gk-2" and session["updated_at"]

    seen = await outreach.events({"penyuluhan_held": 1, "session_report_amended": 1})
    event = next(e for e in seen if e["event_type"] == "session_report_amended")
    assert (event["actor"], event["aggregate_id"], event["aggregate_version"]) == ("op-gk-2", first["id"], 3)
    payload = event["payload"]
    assert payload["attendance"] == corrected and payload["kind"] == "penyuluhan"
    assert payload["reason"] == "daftar hadir dihitung ulang: 5 kader terlewat"
    assert payload["amended_by"] == "op-gk-2" and payload["held_on"] == first["starts_at"][:10]
    assert payload["campaign_id"] == first["campaign_id"]

    cancelled = await outreach.client.post(f"/sessions/{second['id']}/cancel", json={}, headers=GUNUNGKIDUL)
    assert cancelled.status_code == 200
    after_cancel = await outreach.client.put(
        f"/sessions/{second['id']}/report", json={**_report(second), "reason": "x"}, headers=GUNUNGKIDUL
    )
    assert after_cancel.status_code == 409 and after_cancel.json()["detail"]["rule"] == "session_cancelled"


async def test_an_amended_fgd_report_keeps_assigns_and_cancels_follow_ups(outreach: Outreach) -> None:
    bondowoso = auth(region="35.11", sub="op-bdw")
    await outreach.workers(
        "kasi-kesos", "nar-unej", "nar-dprd", "tksk-maesan", "psm-tamanan", "psm-wringin", region="35.11"
    )
    fgd = (await outreach.client.post("/sessions", json=fgd_004(), headers=bondowoso)).json()
    mapping = {"action": "Pemetaan aset 10 desa pilot", "owner_id": "tksk-maesan", "due_on": "2020-12-31"}
    monev = {"action": "Monev desa pilot triwulan I", "owner_id": "psm-tamanan", "due_on": "2021-03-31"}
    perdes = {"action": "Rancangan perdes desa melesat", "owner_id": "psm-tamanan", "due_on": "2021-02-28"}
    report = {
        "held_on": "2020-11-30",
        "attendance": {"total": 120},
        "narasumber_present_ids": ["nar-unej", "nar-dprd"],
        "summary": "Disepakati 10 desa pilot menuju Desa Melesat.",
        "outcomes": {"pilot_desa_codes": ["35.11.01.2001"], "followups": [mapping, monev, perdes]},
    }
    held = await outreach.client.post(f"/sessions/{fgd['id']}/report", json=report, headers=bondowoso)
    assert held.status_code == 200, held.text
    listed = (await outreach.client.get("/followups", params={"session_id": fgd["id"]}, headers=bondowoso)).json()
    ids = {f["action"]: f["id"] for f in listed["items"]}
    done = await outreach.client.post(f"/followups/{ids[perdes['action']]}/complete", headers=bondowoso)
    assert done.status_code == 200

    # The notulen corrected: the monev goes to another PSM (a new follow-up, the old one cancelled), the mapping
    # stays, the completed perdes is no longer listed but stays done, and a new action is added.
    moved_monev = {**monev, "owner_id": "psm-wringin"}
    sosialisasi = {"action": "Sosialisasi hasil FGD ke kecamatan", "owner_id": "tksk-maesan", "due_on": "2021-01-15"}
    ghost = {**sosialisasi, "owner_id": "ghost"}
    pilots = ["35.11.01.2001", "35.11.01.2002"]
    amendment: dict[str, Any] = {**report, "reason": "notulen dikoreksi"}
    refused = await outreach.client.put(
        f"/sessions/{fgd['id']}/report",
        json={**amendment, "outcomes": {"followups": [mapping, ghost]}},
        headers=bondowoso,
    )
    assert refused.status_code == 422 and "outcomes.followups[1].owner_id" in refused.text
    amendment["outcomes"] = {"pilot_desa_codes": pilots, "followups": [mapping, moved_monev, sosialisasi]}
    amended = await outreach.client.put(f"/sessions/{fgd['id']}/report", json=amendment, headers=bondowoso)
    assert amended.status_code == 200, amended.text

    seen = await outreach.events({"session_report_amended": 1, "followup_cancelled": 1, "followup_assigned": 5})
    event = next(e for e in seen if e["event_type"] == "session_report_amended")["payload"]
    assert event["pilot_desa_codes"] == ["35.11.01.2001", "35.11.01.2002"]
    listed_after = [(f["action"], f["owner_id"]) for f in event["followups"]]
    assert listed_after == [
        (mapping["action"], "tksk-maesan"),
        (perdes["action"], "psm-tamanan"),  # completed: stays
        (monev["action"], "psm-wringin"),
        (sosialisasi["action"], "tksk-maesan"),
    ]
    assert event["followups"][0]["followup_id"] == ids[mapping["action"]]
    dropped = next(e for e in seen if e["event_type"] == "followup_cancelled")
    assert dropped["payload"]["followup_id"] == ids[monev["action"]]
    assert dropped["payload"]["reason"] == "notulen dikoreksi" and dropped["aggregate_version"] == 2

    states = {
        (f["action"], f["owner_id"]): f["status"]
        for f in (await outreach.client.get("/followups", params={"session_id": fgd["id"]}, headers=bondowoso)).json()[
            "items"
        ]
    }
    assert states == {
        (mapping["action"], "tksk-maesan"): "open",
        (monev["action"], "psm-tamanan"): "cancelled",
        (perdes["action"], "psm-tamanan"): "done",
        (monev["action"], "psm-wringin"): "open",
        (sosialisasi["action"], "tksk-maesan"): "open",
    }
    cancelled_id = ids[monev["action"]]
    twice = await outreach.client.post(f"/followups/{cancelled_id}/complete", headers=bondowoso)
    assert twice.status_code == 409 and "cancelled" in twice.text
    # The cancelled follow-up's timer was cancelled: only the three open ones go overdue.
    assert await outreach.poller(datetime(2021, 6, 1, tzinfo=UTC)).fire_due() == 3
    overdue = await outreach.mongo.db[FOLLOWUPS].count_documents({"session_id": fgd["id"], "overdue": True})
    assert overdue == 3


async def test_a_planned_campaign_changes_only_within_its_sessions_rules(outreach: Outreach) -> None:
    campaign, sessions = await _scheduled_campaign(outreach)
    path = f"/campaigns/{campaign['id']}"
    on_day = {d: {s["id"] for s in sessions if s["starts_at"][:10] == d} for d in ("2019-08-08", "2019-08-13")}
    first_desa = campaign["desa_codes"][0]
    in_first_desa = {s["id"] for s in sessions if s["region_code"] == first_desa}

    cases: list[tuple[dict[str, object], int, str, set[str] | None]] = [
        ({"end_date": "2019-08-12"}, 409, "inside_campaign_period", on_day["2019-08-13"]),
        ({"start_date": "2019-08-09"}, 409, "inside_campaign_period", on_day["2019-08-08"]),
        ({"max_sessions_per_day": 1}, 409, "max_sessions_per_day", on_day["2019-08-08"]),
        ({"desa_codes": campaign["desa_codes"][1:]}, 409, "campaign_desa_has_session", in_first_desa),
        ({"desa_codes": ["35.11.01.2001"]}, 422, "outside the campaign's region", None),
        ({"end_date": "2019-08-01"}, 422, "end_date", None),
        ({"officer_ids": ["psm-01", "ghost-7"]}, 422, "ghost-7", None),
        ({"region_code": "34.03.13"}, 422, "region_code", None),
    ]
    for body, status, named, conflicting in cases:
        answered = await outreach.client.patch(path, json=body, headers=GUNUNGKIDUL)
        assert answered.status_code == status, (body, answered.text)
        assert named in answered.text, answered.text
        if conflicting:
            assert answered.json()["detail"]["conflicting_session_id"] in conflicting
    bondowoso = auth(region="35.11", sub="op-bdw")
    assert (await outreach.client.patch(path, json={"end_date": "2019-08-20"}, headers=bondowoso)).status_code == 403
    assert (await outreach.client.post(f"{path}/cancel", json={"reason": "x"}, headers=bondowoso)).status_code == 403
    assert (
        await outreach.client.patch(path, json={"end_date": "2019-08-20"}, headers=auth(role="viewer"))
    ).status_code == 403
    # Bondowoso's people are not Gunungkidul's to add to a pool.
    await outreach.workers("nar-bdw", region="35.11")
    foreign = await outreach.client.patch(path, json={"narasumber_ids": [*NARASUMBER, "nar-bdw"]}, headers=GUNUNGKIDUL)
    assert foreign.status_code == 409 and foreign.json()["detail"]["rule"] == "people_in_region"
    assert "35.11" not in foreign.text
    unchanged = (await outreach.client.get(path, headers=GUNUNGKIDUL)).json()
    assert (unchanged["version"], unchanged["status"], unchanged["end_date"]) == (1, "planned", "2019-08-15")

    await outreach.workers("psm-05")
    change = {
        "end_date": "2019-08-20",
        "desa_codes": [*campaign["desa_codes"], "34.03.13.2001"],
        "targets": {"new_wksbm": 11, "participants_per_session": 40},
        "officer_ids": [*OFFICERS, "psm-05"],
    }
    changed = await outreach.client.patch(path, json=change, headers=auth(sub="op-gk-2"))
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["end_date"], after["targets"]["new_wksbm"], after["version"]) == ("2019-08-20", 11, 2)
    assert after["updated_by"] == "op-gk-2" and after["status"] == "planned"
    same = await outreach.client.patch(path, json={"end_date": "2019-08-20"}, headers=GUNUNGKIDUL)
    assert same.json()["version"] == 2  # nothing changed, nothing emitted

    seen = await outreach.events({"campaign_updated": 1})
    updated = next(e for e in seen if e["event_type"] == "campaign_updated")
    assert updated["actor"] == "op-gk-2" and updated["aggregate_version"] == 2
    assert updated["payload"]["changed"] == ["desa_codes", "end_date", "officer_ids", "targets"]
    assert updated["payload"]["end_date"] == "2019-08-20" and len(updated["payload"]["desa_codes"]) == 11
    assert updated["payload"]["owner"] == "op-gk" and updated["payload"]["updated_by"] == "op-gk-2"

    # The new desa is scheduled within the new period; the period-end timer moved to the new last day.
    more = await outreach.client.post(f"{path}/schedule", headers=GUNUNGKIDUL)
    assert more.json()["total"] == 1 and more.json()["items"][0]["region_code"] == "34.03.13.2001"
    assert await outreach.poller(datetime(2019, 8, 15, 17, 0, tzinfo=UTC)).fire_due() == 0
    assert await outreach.poller(datetime(2019, 8, 20, 17, 0, tzinfo=UTC)).fire_due() == 1
    completed = await outreach.client.patch(path, json={"end_date": "2019-08-21"}, headers=GUNUNGKIDUL)
    assert completed.status_code == 409 and completed.json()["detail"]["rule"] == "campaign_open"


async def test_a_cancelled_campaign_cancels_its_open_sessions_and_never_completes(outreach: Outreach) -> None:
    campaign, sessions = await _scheduled_campaign(outreach)
    path = f"/campaigns/{campaign['id']}"
    first, *rest = sessions
    held = await outreach.client.post(f"/sessions/{first['id']}/report", json=_report(first), headers=GUNUNGKIDUL)
    assert held.status_code == 200

    no_reason = await outreach.client.post(f"{path}/cancel", json={}, headers=GUNUNGKIDUL)
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    viewer = await outreach.client.post(f"{path}/cancel", json={"reason": "x"}, headers=auth(role="viewer"))
    assert viewer.status_code == 403
    answered = await outreach.client.post(
        f"{path}/cancel", json={"reason": "anggaran dialihkan untuk penanganan bencana"}, headers=GUNUNGKIDUL
    )
    assert answered.status_code == 200, answered.text
    cancelled = answered.json()
    assert (cancelled["status"], cancelled["cancelled_by"], cancelled["version"]) == ("cancelled", "op-gk", 2)
    assert cancelled["cancel_reason"] == "anggaran dialihkan untuk penanganan bencana"

    seen = await outreach.events({"campaign_cancelled": 1, "session_cancelled": len(rest)})
    event = next(e for e in seen if e["event_type"] == "campaign_cancelled")["payload"]
    assert sorted(event["cancelled_session_ids"]) == sorted(s["id"] for s in rest)
    notices = [e["payload"] for e in seen if e["event_type"] == "session_cancelled"]
    assert all(n["reason"].startswith("kampanye dibatalkan: anggaran") and n["officer_ids"] for n in notices)

    listed = await outreach.client.get("/sessions", params={"campaign_id": campaign["id"]}, headers=GUNUNGKIDUL)
    statuses = {s["id"]: s["status"] for s in listed.json()["items"]}
    assert statuses[first["id"]] == "held" and {statuses[s["id"]] for s in rest} == {"cancelled"}
    assert (await outreach.client.get("/campaigns", params={"status": "cancelled"}, headers=GUNUNGKIDUL)).json()[
        "total"
    ] == 1

    again = await outreach.client.post(f"{path}/cancel", json={"reason": "x"}, headers=GUNUNGKIDUL)
    assert again.status_code == 409 and again.json()["detail"]["rule"] == "campaign_open"
    for refused in (
        await outreach.client.post(f"{path}/schedule", headers=GUNUNGKIDUL),
        await outreach.client.patch(path, json={"end_date": "2019-08-20"}, headers=GUNUNGKIDUL),
        await outreach.client.post(
            "/sessions",
            json={
                **fgd_004(),
                "campaign_id": campaign["id"],
                "region_code": "34.03.13",
                "officer_ids": ["psm-01"],
                "narasumber_ids": [],
            },
            headers=GUNUNGKIDUL,
        ),
    ):
        assert refused.status_code == 409 and refused.json()["detail"]["rule"] == "campaign_open", refused.text
    # Its period-end timer was cancelled: a cancelled campaign never completes; its held report can still be fixed.
    assert await outreach.poller(datetime(2019, 8, 16, tzinfo=UTC)).fire_due() == 0
    fixed = await outreach.client.put(
        f"/sessions/{first['id']}/report",
        json={**_report(first), "reason": "ringkasan dilengkapi"},
        headers=GUNUNGKIDUL,
    )
    assert fixed.status_code == 200


async def test_a_campaign_change_and_a_placement_at_once_never_leave_a_session_outside_the_period(
    outreach: Outreach, monkeypatch: pytest.MonkeyPatch
) -> None:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    campaign = (await outreach.client.post("/campaigns", json=seed_001_campaign(), headers=GUNUNGKIDUL)).json()
    path = f"/campaigns/{campaign['id']}"
    read_sessions, read_bookings = store.campaign_sessions, store.bookings_around

    async def slow(read: Any, *args: Any, **kwargs: Any) -> Any:
        found = await read(*args, **kwargs)
        await asyncio.sleep(0.3)  # both requests have read before either writes
        return found

    monkeypatch.setattr(store, "campaign_sessions", functools.partial(slow, read_sessions))
    monkeypatch.setattr(store, "bookings_around", functools.partial(slow, read_bookings))
    late = {**penyuluhan(campaign["id"]), "starts_at": "2019-08-14T09:00:00", "ends_at": "2019-08-14T12:00:00"}
    shorten, place = await asyncio.gather(
        outreach.client.patch(path, json={"end_date": "2019-08-12"}, headers=GUNUNGKIDUL),
        outreach.client.post("/sessions", json=late, headers=GUNUNGKIDUL),
    )
    assert sorted((shorten.status_code, place.status_code)) in ([200, 409], [201, 409]), (shorten.text, place.text)
    loser = shorten if shorten.status_code == 409 else place
    assert loser.json()["detail"]["rule"] in ("inside_campaign_period", "campaign_changed")
    sessions = (
        await outreach.client.get("/sessions", params={"campaign_id": campaign["id"]}, headers=GUNUNGKIDUL)
    ).json()
    end = (await outreach.client.get(path, headers=GUNUNGKIDUL)).json()["end_date"]
    assert all(s["starts_at"][:10] <= end for s in sessions["items"])
