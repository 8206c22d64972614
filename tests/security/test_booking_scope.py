"""Finding 7: a district operator books only people who serve the session's region, and a conflict answer names no
session outside the operator's scope; notify's delivery log shows addresses to writer roles only.

Against the real outreach and notify services (real broker, Mongo-wire server), workers arriving as registry's
events. The operator is Gunungkidul's (34.03); the other office is Bondowoso's (35.11).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from contracts.events.registry import WorkerRegistered
from pilar_dev.testing import bearer, eventually
from services.notify.tests import conftest as notify_fixtures
from services.notify.tests.conftest import Notify
from services.notify.tests.support import NARASUMBER, NARASUMBER_EMAIL, OFFICER, OFFICER_EMAIL, OFFICER_PHONE, event
from services.notify.tests.support import scheduled as session_scheduled
from services.notify.tests.support import worker as registered_worker
from services.outreach.store import WORKERS
from services.outreach.tests import conftest as outreach_fixtures
from services.outreach.tests.conftest import Outreach, auth
from services.outreach.tests.test_domain_scheduler import SEED_001_DESA

# The services' own fixtures: the real apps on the test broker and Mongo-wire server.
outreach = outreach_fixtures.outreach
notify, client, smtp, receiver = (
    notify_fixtures.notify,
    notify_fixtures.client,
    notify_fixtures.smtp,
    notify_fixtures.receiver,
)

KAMPUNG = "34.03.13.2004"  # a desa of Gunungkidul
GK_OFFICER, GK_NARASUMBER, GK_TKSK = "gk-penyuluh", "gk-narasumber", "gk-tksk"
BDW_OFFICER, BDW_NARASUMBER, BDW_TKSK = "bdw-penyuluh", "bdw-narasumber", "bdw-tksk"
PROVINCE_NARASUMBER = "diy-narasumber"  # serves the whole province of DI Yogyakarta (34)
OUTSIDE = "people_in_region"
PROVINCE_DESK = "psks@dinsos.jogjaprov.example.id"  # an address a province rule names


async def _people(outreach: Outreach) -> None:
    await outreach.workers(GK_OFFICER, GK_NARASUMBER, region="34.03")
    await outreach.workers(GK_TKSK, region="34.03.13")
    await outreach.workers(BDW_OFFICER, region="35.11")
    await outreach.workers(BDW_NARASUMBER, BDW_TKSK, region="35.11.01")
    await outreach.workers(PROVINCE_NARASUMBER, region="34")


async def _moved(outreach: Outreach, worker_id: str, region: str) -> None:
    """Registry says the worker now serves ``region`` (a transfer); wait until outreach's copy knows."""
    await outreach.worker(worker_id, version=2, region=region)

    async def copied() -> bool:
        return await outreach.mongo.db[WORKERS].count_documents({"_id": worker_id, "region_code": region}) == 1

    await eventually(copied, what=f"{worker_id} moved to {region}")


def _session(**changes: object) -> dict[str, object]:
    return {
        "kind": "penyuluhan",
        "topic": "Pencegahan NAPZA",
        "region_code": KAMPUNG,
        "venue": "Balai Desa Kampung",
        "starts_at": "2019-08-20T09:00:00",
        "ends_at": "2019-08-20T12:00:00",
        "officer_ids": [GK_OFFICER],
        "narasumber_ids": [GK_NARASUMBER],
        **changes,
    }


def _refused(answer: httpx.Response, worker_id: str) -> None:
    """409 naming the rule and the id the caller gave — nothing about the worker or where they serve."""
    assert answer.status_code == 409, answer.text
    detail = answer.json()["detail"]
    assert detail["rule"] == OUTSIDE, answer.text
    assert worker_id in detail["message"] and "outside the" in detail["message"]
    assert "35.11" not in answer.text and f"Petugas {worker_id}" not in answer.text


async def test_another_regions_people_cannot_be_put_on_a_session(outreach: Outreach) -> None:
    await _people(outreach)
    _refused(
        await outreach.client.post("/sessions", json=_session(officer_ids=[BDW_OFFICER]), headers=auth()), BDW_OFFICER
    )
    as_narasumber = _session(narasumber_ids=[GK_NARASUMBER, BDW_NARASUMBER])
    _refused(await outreach.client.post("/sessions", json=as_narasumber, headers=auth()), BDW_NARASUMBER)
    # An FGD for the whole district: Bondowoso's people are still on another branch.
    fgd = _session(kind="FGD", region_code="34.03", narasumber_ids=[BDW_NARASUMBER])
    _refused(await outreach.client.post("/sessions", json=fgd, headers=auth()), BDW_NARASUMBER)

    # A province narasumber may serve a desa; the kecamatan's TKSK too.
    ours = _session(officer_ids=[GK_OFFICER, GK_TKSK], narasumber_ids=[PROVINCE_NARASUMBER])
    placed = await outreach.client.post("/sessions", json=ours, headers=auth())
    assert placed.status_code == 201, placed.text

    session_id = placed.json()["id"]
    for change, worker_id in (
        ({"officer_ids": [BDW_OFFICER]}, BDW_OFFICER),
        ({"narasumber_ids": [BDW_TKSK]}, BDW_TKSK),
    ):
        _refused(await outreach.client.patch(f"/sessions/{session_id}", json=change, headers=auth()), worker_id)
    kept = (await outreach.client.get(f"/sessions/{session_id}", headers=auth())).json()
    assert kept["officer_ids"] == [GK_OFFICER, GK_TKSK] and kept["version"] == 1


async def test_another_regions_people_cannot_be_follow_up_owners(outreach: Outreach) -> None:
    await _people(outreach)
    fgd = await outreach.client.post("/sessions", json=_session(kind="FGD", region_code="34.03"), headers=auth())
    assert fgd.status_code == 201, fgd.text
    report: dict[str, Any] = {
        "held_on": "2019-08-20",
        "attendance": {"total": 30},
        "outcomes": {"followups": [{"action": "Pendataan PPKS", "owner_id": BDW_TKSK, "due_on": "2019-09-20"}]},
    }
    path = f"/sessions/{fgd.json()['id']}/report"
    _refused(await outreach.client.post(path, json=report, headers=auth()), BDW_TKSK)
    assert (await outreach.client.get("/followups", headers=bearer("viewer", "35.11"))).json()["total"] == 0

    report["outcomes"]["followups"][0]["owner_id"] = GK_TKSK
    held = await outreach.client.post(path, json=report, headers=auth())
    assert held.status_code == 200, held.text


def _campaign(**changes: object) -> dict[str, object]:
    return {
        "name": "Penumbuhan WKSBM",
        "topic": "penumbuhan WKSBM",
        "region_code": "34.03",
        "start_date": "2019-08-08",
        "end_date": "2019-08-15",
        "desa_codes": list(SEED_001_DESA[:2]),
        "max_sessions_per_day": 2,
        "officer_ids": [GK_OFFICER],
        "narasumber_ids": [GK_NARASUMBER],
        **changes,
    }


async def test_another_regions_people_cannot_join_a_campaigns_pools(outreach: Outreach) -> None:
    await _people(outreach)
    pooled = _campaign(officer_ids=[GK_OFFICER, BDW_OFFICER])
    _refused(await outreach.client.post("/campaigns", json=pooled, headers=auth()), BDW_OFFICER)
    pooled = _campaign(narasumber_ids=[BDW_NARASUMBER])
    _refused(await outreach.client.post("/campaigns", json=pooled, headers=auth()), BDW_NARASUMBER)
    planned = await outreach.client.post(
        "/campaigns", json=_campaign(narasumber_ids=[PROVINCE_NARASUMBER]), headers=auth()
    )
    assert planned.status_code == 201, planned.text


async def test_the_auto_scheduler_leaves_out_people_who_moved_to_another_region(outreach: Outreach) -> None:
    await _people(outreach)
    mover = "mv-penyuluh"  # pooled while in Gunungkidul, then transferred to Bondowoso
    await outreach.workers(mover, region="34.03")
    planned = await outreach.client.post("/campaigns", json=_campaign(officer_ids=[GK_OFFICER, mover]), headers=auth())
    assert planned.status_code == 201, planned.text
    await _moved(outreach, mover, "35.11")

    scheduled = await outreach.client.post(f"/campaigns/{planned.json()['id']}/schedule", headers=auth())
    assert scheduled.status_code == 201, scheduled.text
    sessions = scheduled.json()["items"]
    assert len(sessions) == 2
    assert all(s["officer_ids"] == [GK_OFFICER] for s in sessions), sessions

    # With nobody left who serves the region, the scheduler says how many were left out, and books no one.
    await _moved(outreach, GK_NARASUMBER, "35.11")
    again = await outreach.client.post("/campaigns", json=_campaign(officer_ids=[mover]), headers=auth())
    _refused(again, mover)
    alone = await outreach.client.post(
        "/campaigns", json=_campaign(narasumber_ids=[PROVINCE_NARASUMBER]), headers=auth()
    )
    assert alone.status_code == 201, alone.text
    await _moved(outreach, PROVINCE_NARASUMBER, "35")
    impossible = await outreach.client.post(f"/campaigns/{alone.json()['id']}/schedule", headers=auth())
    assert impossible.status_code == 422, impossible.text
    assert impossible.json()["detail"]["workers_outside_region"] == 1


async def test_a_conflict_with_a_session_elsewhere_does_not_reveal_it(outreach: Outreach) -> None:
    await _people(outreach)
    mover = "mv-narasumber"  # booked in Bondowoso, then transferred to Gunungkidul
    await outreach.workers(mover, region="35.11")
    bondowoso = auth(region="35.11", sub="op-bdw")
    theirs = {
        **_session(kind="FGD", region_code="35.11", officer_ids=[BDW_OFFICER], narasumber_ids=[mover]),
        "topic": "Penanganan PPKS Bondowoso",
        "venue": "Aula Dinas Sosial Bondowoso",
    }
    placed = await outreach.client.post("/sessions", json=theirs, headers=bondowoso)
    assert placed.status_code == 201, placed.text
    hidden = placed.json()
    await _moved(outreach, mover, "34.03")
    # Yogyakarta city (34.71) books the province narasumber at the same time.
    yogya = auth(region="34.71", sub="op-ygy")
    await outreach.workers("ygy-penyuluh", region="34.71")
    city = {
        **_session(kind="FGD", region_code="34.71", officer_ids=["ygy-penyuluh"]),
        "narasumber_ids": [PROVINCE_NARASUMBER],
        "venue": "Balai Kota Yogyakarta",
    }
    placed_city = await outreach.client.post("/sessions", json=city, headers=yogya)
    assert placed_city.status_code == 201, placed_city.text

    for person, other in ((mover, hidden), (PROVINCE_NARASUMBER, placed_city.json())):
        clash = _session(narasumber_ids=[person], starts_at="2019-08-20T10:00:00", ends_at="2019-08-20T11:00:00")
        answer = await outreach.client.post("/sessions", json=clash, headers=auth())
        assert answer.status_code == 409, answer.text
        detail = answer.json()["detail"]
        assert detail["rule"] == "no_double_booking" and detail["conflicting_session_id"] is None
        assert person in detail["message"] and "elsewhere" in detail["message"]
        for secret in (other["id"], other["venue"], other["topic"], other["region_code"], other["starts_at"][:16]):
            assert secret not in answer.text, secret

    # Reading it by id: refused, without saying where it is.
    read = await outreach.client.get(f"/sessions/{hidden['id']}", headers=auth())
    assert read.status_code == 403 and "35.11" not in read.text
    listed = await outreach.client.get("/sessions", headers=auth())
    assert hidden["id"] not in listed.text and placed_city.json()["id"] not in listed.text


async def test_delivery_addresses_are_shown_to_writer_roles_only(notify: Notify, client: httpx.AsyncClient) -> None:
    await notify.publish(registered_worker(OFFICER, email=OFFICER_EMAIL, phone=OFFICER_PHONE))
    await notify.publish(registered_worker(NARASUMBER, email=NARASUMBER_EMAIL))

    async def known() -> bool:
        return await notify.mongo.db.contacts.count_documents({}) == 2

    await eventually(known, what="contacts copied")
    await notify.publish(session_scheduled("ses_scope", (notify.clock() + timedelta(days=7)).replace(microsecond=0)))

    async def recorded() -> bool:
        return await notify.mongo.db.deliveries.count_documents({"recipient_id": {"$in": [OFFICER, NARASUMBER]}}) >= 2

    await eventually(recorded, what="deliveries recorded")
    operator = await client.get("/deliveries", headers=bearer("district_operator", "34.03"))
    assert {OFFICER_EMAIL, NARASUMBER_EMAIL} <= {d["recipient"] for d in operator.json()["items"]}

    # A viewer sees the region's deliveries without addresses; an integration only those to its own webhooks: none.
    readers = ("viewer", "integration")
    seen_by = {role: await client.get("/deliveries", headers=bearer(role, "34.03")) for role in readers}
    assert (seen_by["viewer"].json()["total"] >= 2, seen_by["integration"].json()["total"]) == (True, 0)
    for role, seen in seen_by.items():
        assert seen.status_code == 200
        assert all("recipient" not in d for d in seen.json()["items"])
        for contact in (OFFICER_EMAIL, NARASUMBER_EMAIL, OFFICER_PHONE):
            assert contact not in seen.text
        probe = await client.get("/deliveries", params={"recipient": OFFICER_EMAIL}, headers=bearer(role, "34.03"))
        assert probe.status_code == 403 and OFFICER_EMAIL not in probe.text
    assert (await client.get("/deliveries", headers=bearer("district_operator", "35.11"))).json()["total"] == 0


async def test_a_province_narasumbers_address_is_shown_to_writers_of_the_province_only(
    notify: Notify, client: httpx.AsyncClient
) -> None:
    """A province worker may serve a desa session; the desa's district operator sees the delivery, not the address
    registry masks for them. Addresses written into a rule belong to the rule's region."""
    province_worker = WorkerRegistered(
        worker_id=NARASUMBER, role="NARASUMBER", name="Dr. Wening", region_code="34", email=NARASUMBER_EMAIL
    )
    await notify.publish(registered_worker(OFFICER, email=OFFICER_EMAIL, phone=OFFICER_PHONE))
    await notify.publish(event("worker_registered", province_worker, aggregate_id=NARASUMBER, region="34"))
    rule = {"event_pattern": "outreach.session_scheduled", "region_code": "34", "channel": "email",
            "recipients": [PROVINCE_DESK]}  # fmt: skip
    assert (await client.post("/rules", json=rule, headers=bearer("province_operator", "34"))).status_code == 201

    async def known() -> bool:
        return await notify.mongo.db.contacts.count_documents({}) == 2

    await eventually(known, what="contacts copied")
    await notify.publish(session_scheduled("ses_prov", (notify.clock() + timedelta(days=7)).replace(microsecond=0)))

    async def recorded() -> bool:
        return await notify.mongo.db.deliveries.count_documents({}) >= 3

    await eventually(recorded, what="deliveries recorded")

    def addresses(answer: httpx.Response) -> dict[str, str | None]:
        assert answer.status_code == 200, answer.text
        return {d["recipient_id"]: d.get("recipient") for d in answer.json()["items"]}

    district = await client.get("/deliveries", headers=bearer("district_operator", "34.03"))
    shown = addresses(district)
    assert shown[OFFICER] == OFFICER_EMAIL  # a Gunungkidul officer: their own operator sees the address
    assert shown[NARASUMBER] is None and shown["fixed"] is None  # the province's people and desk: masked
    assert NARASUMBER_EMAIL not in district.text and PROVINCE_DESK not in district.text
    lookup = {"recipient": NARASUMBER_EMAIL}
    probe = await client.get("/deliveries", params=lookup, headers=bearer("district_operator", "34.03"))
    assert probe.status_code == 200 and probe.json()["total"] == 0  # no oracle: the address is not theirs to look up

    province = addresses(await client.get("/deliveries", headers=bearer("province_operator", "34")))
    assert province[NARASUMBER] == NARASUMBER_EMAIL and province["fixed"] == PROVINCE_DESK
    assert province[OFFICER] == OFFICER_EMAIL
    assert addresses(await client.get("/deliveries", headers=bearer("admin")))[NARASUMBER] == NARASUMBER_EMAIL
