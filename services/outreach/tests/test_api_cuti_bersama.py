"""Cuti bersama through the API, on the real broker and Mongo: seed 001's Gunungkidul WKSBM campaign held in the
week after Idul Fitri 1446 H (2–4 and 7 April 2025 are cuti bersama). The auto-scheduler avoids the leave days, a
session placed on one is answered with a warning naming the day, and a campaign that blocks them refuses it."""

from __future__ import annotations

from services.outreach.tests.conftest import Outreach, auth
from services.outreach.tests.test_api_campaigns import NARASUMBER, OFFICERS, seed_001_campaign
from services.outreach.tests.test_domain_scheduler import SEED_001_DESA

KAMPUNG = SEED_001_DESA[0]
LEAVE_DAYS = {"2025-04-02", "2025-04-03", "2025-04-04", "2025-04-07"}
WARNING = {
    "rule": "cuti_bersama",
    "message": "Senin, 7 April 2025 adalah hari cuti bersama (Cuti Bersama Hari Raya Idul Fitri)",
}


def after_lebaran(**changes: object) -> dict[str, object]:
    return seed_001_campaign(start_date="2025-03-31", end_date="2025-04-12", **changes)


def penyuluhan(campaign_id: str, day: str, officer: str = "psm-01") -> dict[str, object]:
    return {
        "kind": "penyuluhan",
        "campaign_id": campaign_id,
        "region_code": KAMPUNG,
        "venue": "Balai Desa Kampung",
        "starts_at": f"{day}T09:00:00",
        "ends_at": f"{day}T12:00:00",
        "officer_ids": [officer],
        "narasumber_ids": ["nar-balai"],
    }


async def test_the_auto_scheduler_avoids_cuti_bersama(outreach: Outreach) -> None:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    planned = await outreach.client.post("/campaigns", json=after_lebaran(), headers=auth())
    assert planned.status_code == 201, planned.text
    assert planned.json()["cuti_bersama_blocks"] is False
    scheduled = await outreach.client.post(f"/campaigns/{planned.json()['id']}/schedule", headers=auth())
    assert scheduled.status_code == 201, scheduled.text
    days = {s["starts_at"][:10] for s in scheduled.json()["items"]}
    assert len(scheduled.json()["items"]) == 10
    # 5 April (Saturday) and 8–12 April: no leave day, no holiday (31 March, 1 April), no Sunday.
    assert days == {"2025-04-05", "2025-04-08", "2025-04-09", "2025-04-10", "2025-04-11"}
    assert not days & LEAVE_DAYS
    assert all(s.get("warnings", []) == [] for s in scheduled.json()["items"])


async def test_a_placement_on_cuti_bersama_warns_and_a_blocking_campaign_refuses_it(outreach: Outreach) -> None:
    await outreach.workers(*OFFICERS, *NARASUMBER)
    campaign_id = (await outreach.client.post("/campaigns", json=after_lebaran(), headers=auth())).json()["id"]

    placed = await outreach.client.post("/sessions", json=penyuluhan(campaign_id, "2025-04-07"), headers=auth())
    assert placed.status_code == 201, placed.text
    assert placed.json()["warnings"] == [WARNING]
    session_id = placed.json()["id"]
    read = await outreach.client.get(f"/sessions/{session_id}", headers=auth())
    assert read.json()["warnings"] == [WARNING]

    moved = await outreach.client.patch(
        f"/sessions/{session_id}",
        json={"starts_at": "2025-04-08T09:00:00", "ends_at": "2025-04-08T12:00:00"},
        headers=auth(),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["warnings"] == []

    # The office decides the leave days are not to be worked: from now on they are refused.
    changed = await outreach.client.patch(
        f"/campaigns/{campaign_id}", json={"cuti_bersama_blocks": True}, headers=auth()
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["cuti_bersama_blocks"] is True
    seen = await outreach.events({"campaign_planned": 1, "campaign_updated": 1})
    plan = {e["event_type"]: e["payload"] for e in seen}
    assert plan["campaign_planned"]["cuti_bersama_blocks"] is False
    assert plan["campaign_updated"]["cuti_bersama_blocks"] is True
    assert plan["campaign_updated"]["changed"] == ["cuti_bersama_blocks"]
    refused = await outreach.client.patch(
        f"/sessions/{session_id}",
        json={"starts_at": "2025-04-07T09:00:00", "ends_at": "2025-04-07T12:00:00"},
        headers=auth(),
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "cuti_bersama"
    assert "Senin, 7 April 2025" in refused.json()["message"]

    blocking = await outreach.client.post("/campaigns", json=after_lebaran(cuti_bersama_blocks=True), headers=auth())
    assert blocking.status_code == 201, blocking.text
    refused = await outreach.client.post(
        "/sessions", json=penyuluhan(blocking.json()["id"], "2025-04-07", officer="psm-02"), headers=auth()
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "cuti_bersama"


async def test_a_stand_alone_fgd_on_cuti_bersama_is_placed_with_a_warning(outreach: Outreach) -> None:
    # Bondowoso (35.11), Christmas Eve 2019: a cuti bersama.
    await outreach.workers("psm-bdw", region="35.11")
    fgd = {
        "kind": "FGD",
        "topic": "Penanganan PPKS",
        "region_code": "35.11",
        "venue": "Pendopo Kabupaten Bondowoso",
        "starts_at": "2019-12-24T09:00:00",
        "ends_at": "2019-12-24T12:00:00",
        "officer_ids": ["psm-bdw"],
    }
    placed = await outreach.client.post("/sessions", json=fgd, headers=auth("35.11"))
    assert placed.status_code == 201, placed.text
    assert placed.json()["warnings"] == [
        {
            "rule": "cuti_bersama",
            "message": "Selasa, 24 Desember 2019 adalah hari cuti bersama (Cuti Bersama Hari Raya Natal)",
        }
    ]
