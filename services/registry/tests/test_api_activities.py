"""Activities after formation (seeds 001–003): a WKSBM's board is trained, it is accompanied and monitored."""

from __future__ import annotations

from services.registry.tests.conftest import BANGKA_BARAT, GUNUNGKIDUL, KAMPUNG, VIEWER, Registry, board


async def test_a_wksbm_in_desa_kampung_records_its_pelatihan_and_monev(registry: Registry) -> None:
    wksbm = await registry.created(
        "/institutions",
        {"kind": "WKSBM", "name": "WKSBM Kampung Sejahtera", "region_code": KAMPUNG, "board": board()},
    )
    path = f"/institutions/{wksbm['id']}/activities"
    training = await registry.created(
        path,
        {"kind": "pelatihan", "date": "2019-09-10", "participants": 12, "notes": "Pelatihan pengurus WKSBM"},
    )
    assert training["kind"] == "pelatihan"
    assert training["institution_id"] == wksbm["id"]
    assert training["region_code"] == KAMPUNG
    assert training["recorded_by"] == "op-gunungkidul"
    await registry.created(path, {"kind": "monev", "date": "2019-12-02", "participants": 5})

    recorded = await registry.events(2, "institution_activity_recorded")
    first = recorded[0]
    assert first["aggregate_id"] == wksbm["id"]
    assert first["aggregate_version"] == 2  # a step in the institution's own history
    assert first["region_code"] == KAMPUNG
    assert first["payload"]["activity_kind"] == "pelatihan"
    assert first["payload"]["held_on"] == "2019-09-10"
    assert first["payload"]["participants"] == 12
    assert first["payload"]["kind"] == "WKSBM"
    assert "nik" not in str(first["payload"]).lower()
    assert recorded[1]["aggregate_version"] == 3

    listed = await registry.client.get(path, headers=VIEWER)
    assert listed.status_code == 200
    assert [a["kind"] for a in listed.json()["items"]] == ["monev", "pelatihan"]  # newest first
    assert listed.json()["total"] == 2
    shown = await registry.client.get(f"/institutions/{wksbm['id']}", headers=GUNUNGKIDUL)
    assert shown.json()["version"] == 3


async def test_activities_are_written_by_writers_of_the_region_with_valid_facts(registry: Registry) -> None:
    wksbm = await registry.created(
        "/institutions",
        {"kind": "WKSBM", "name": "WKSBM Kampung Rukun", "region_code": KAMPUNG, "board": board()},
    )
    path = f"/institutions/{wksbm['id']}/activities"
    valid = {"kind": "pendampingan", "date": "2020-01-15", "participants": 8}
    assert (await registry.post(path, valid, BANGKA_BARAT)).status_code == 403
    assert (await registry.client.get(path, headers=BANGKA_BARAT)).status_code == 403
    assert (await registry.post(path, valid, VIEWER)).status_code == 403
    assert (await registry.post("/institutions/ins_unknown/activities", valid)).status_code == 404
    for bad in (
        {**valid, "kind": "arisan"},
        {**valid, "date": "2999-01-01"},
        {**valid, "participants": -1},
        {**valid, "nik": "3403130101800001"},
    ):
        answer = await registry.post(path, bad)
        assert answer.status_code == 422, bad
    dissolved = await registry.client.patch(
        f"/institutions/{wksbm['id']}", json={"status": "dissolved"}, headers=GUNUNGKIDUL
    )
    assert dissolved.status_code == 200, dissolved.text
    refused = await registry.post(path, valid)
    assert refused.status_code == 409
    assert refused.json()["detail"]["rule"] == "institution_dissolved"
