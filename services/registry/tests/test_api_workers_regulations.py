"""Workers and community regulations over HTTP, each write observed on the exchange."""

from __future__ import annotations

from pilar_dev.testing import bearer
from services.registry.tests.conftest import (
    BANGKA_BARAT,
    GUNUNGKIDUL,
    KAMPUNG,
    NGAWEN,
    PELANGAS,
    Registry,
    board,
)

NIK_SITI = "3403135208900001"


async def test_workers_are_registered_and_updated(registry: Registry) -> None:
    tksk = await registry.created(
        "/workers",
        {"role": "TKSK", "name": "Siti Rahayu", "region_code": "340313", "nik": NIK_SITI, "phone": "0812-2700-3333"},
    )
    assert (tksk["region_code"], tksk["phone"], tksk["active"]) == (NGAWEN, "081227003333", True)
    (registered,) = await registry.events(1, "worker_registered")
    assert registered["payload"] == {
        "worker_id": tksk["id"],
        "role": "TKSK",
        "name": "Siti Rahayu",
        "region_code": NGAWEN,
        "phone": "081227003333",
        "email": None,
        "active": True,
    }
    assert (registered["actor"], registered["region_code"], registered["aggregate_version"]) == (
        "op-gunungkidul",
        NGAWEN,
        1,
    )

    same_nik = await registry.post(
        "/workers", {"role": "PSM", "name": "Siti R.", "region_code": KAMPUNG, "nik": NIK_SITI}
    )
    assert same_nik.status_code == 409
    assert "NIK" in same_nik.json()["detail"]
    wrong_level = await registry.post("/workers", {"role": "TKSK", "name": "Budi", "region_code": KAMPUNG})
    assert wrong_level.status_code == 422
    assert "34.03.13.2004 is a desa, a kecamatan is expected" in wrong_level.text
    bad_nik = await registry.post(
        "/workers", {"role": "PSM", "name": "Budi", "region_code": KAMPUNG, "nik": "3403131308851"}
    )
    assert bad_nik.status_code == 422
    assert "nik" in bad_nik.text
    bad_role = await registry.post("/workers", {"role": "LURAH", "name": "Budi", "region_code": KAMPUNG})
    assert bad_role.status_code == 422

    path = f"/workers/{tksk['id']}"
    updated = await registry.client.patch(
        path, json={"email": "siti.rahayu@dinsos.gunungkidulkab.go.id", "phone": None}, headers=GUNUNGKIDUL
    )
    assert updated.status_code == 200, updated.text
    (event,) = await registry.events(1, "worker_updated")
    assert event["payload"]["email"] == "siti.rahayu@dinsos.gunungkidulkab.go.id"
    assert event["payload"]["phone"] is None
    assert event["aggregate_version"] == 2
    moved_badly = await registry.client.patch(path, json={"region_code": KAMPUNG}, headers=GUNUNGKIDUL)
    assert moved_badly.status_code == 422
    assert "a kecamatan is expected" in moved_badly.json()["detail"]
    psm = await registry.client.patch(path, json={"role": "PSM", "region_code": KAMPUNG}, headers=GUNUNGKIDUL)
    assert psm.json()["region_code"] == KAMPUNG
    stored = (await registry.client.get(path, headers=GUNUNGKIDUL)).json()
    assert (stored["role"], stored["nik"], stored["version"]) == ("PSM", NIK_SITI, 3)
    listed = (await registry.client.get("/workers?role=PSM&active=true", headers=GUNUNGKIDUL)).json()
    assert [w["id"] for w in listed["items"]] == [tksk["id"]]
    assert (await registry.client.get("/workers?role=TKSK", headers=GUNUNGKIDUL)).json()["total"] == 0


async def test_a_village_adopts_a_community_regulation_drafted_by_its_pokja(registry: Registry) -> None:
    pokja = await registry.created(
        "/institutions",
        {
            "kind": "POKJA",
            "name": "Pokja Pencegahan NAPZA, Pornografi dan PMB Desa Pelangas",
            "region_code": PELANGAS,
            "board": board(),
            "issues": ["NAPZA", "PORNOGRAFI", "PMB"],
        },
        headers=BANGKA_BARAT,
    )
    body = {
        "region_code": "1905022001",
        "title": "Kesepakatan warga Desa Pelangas tentang pencegahan NAPZA, pornografi dan PMB",
        "topics": ["napza", "PORNOGRAFI", "pmb"],
        "adopted_on": "2019-10-12",
        "pokja_id": pokja["id"],
    }
    regulation = await registry.created("/community-regulations", body, headers=BANGKA_BARAT)
    (event,) = await registry.events(1, "community_regulation_adopted")
    assert event["payload"]["topics"] == ["NAPZA", "PORNOGRAFI", "PMB"]
    assert event["payload"]["pokja_id"] == pokja["id"]
    assert event["payload"]["adopted_on"] == "2019-10-12"
    assert (event["region_code"], event["actor"], event["aggregate_id"]) == (
        PELANGAS,
        "op-bangka-barat",
        regulation["id"],
    )

    kundi = await registry.post(
        "/community-regulations", {**body, "region_code": "19.05.02.2002"}, headers=BANGKA_BARAT
    )
    assert kundi.status_code == 422
    assert "not in 19.05.02.2002" in kundi.json()["detail"]
    kecamatan = await registry.post("/community-regulations", {**body, "region_code": "19.05.02"}, headers=BANGKA_BARAT)
    assert kecamatan.status_code == 422
    outside = await registry.post("/community-regulations", body, headers=GUNUNGKIDUL)
    assert outside.status_code == 403

    found = (await registry.client.get("/community-regulations?topic=pmb", headers=BANGKA_BARAT)).json()
    assert [r["id"] for r in found["items"]] == [regulation["id"]]
    assert (await registry.client.get("/community-regulations?topic=PENIPUAN", headers=BANGKA_BARAT)).json()[
        "total"
    ] == 0
    assert (await registry.client.get("/community-regulations", headers=GUNUNGKIDUL)).json()["total"] == 0
    one = await registry.client.get(f"/community-regulations/{regulation['id']}", headers=BANGKA_BARAT)
    assert one.json()["title"].startswith("Kesepakatan warga")


async def test_a_narasumber_may_come_from_the_province_and_other_roles_may_not(registry: Registry) -> None:
    province = bearer("province_operator", "34", sub="op-diy")
    speaker = await registry.created(
        "/workers", {"role": "NARASUMBER", "name": "Dr. Wahyu", "region_code": "34"}, headers=province
    )
    assert speaker["region_code"] == "34"
    psm = await registry.post("/workers", {"role": "PSM", "name": "Budi", "region_code": "34"}, headers=province)
    assert psm.status_code == 422
