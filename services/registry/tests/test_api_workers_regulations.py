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


async def test_a_regulation_is_corrected_then_revoked_and_stays_on_record(registry: Registry) -> None:
    """Seed 000: Desa Pelangas' agreement on NAPZA, pornography and PMB, entered with a wrong date and topic, then
    replaced by a Peraturan Desa and revoked."""
    body = {
        "region_code": PELANGAS,
        "title": "Kesepakatan warga Desa Pelangas tentang pencegahan NAPZA",
        "topics": ["NAPZA"],
        "adopted_on": "2019-10-21",
    }
    regulation = await registry.created("/community-regulations", body, headers=BANGKA_BARAT)
    path = f"/community-regulations/{regulation['id']}"

    corrected = await registry.client.patch(
        path,
        json={"adopted_on": "2019-10-12", "topics": ["napza", "pmb"], "title": body["title"], "reason": "salah ketik"},
        headers=BANGKA_BARAT,
    )
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["adopted_on"], corrected.json()["topics"]) == ("2019-10-12", ["NAPZA", "PMB"])
    assert (corrected.json()["version"], corrected.json()["updated_by"]) == (2, "op-bangka-barat")
    (amended,) = await registry.events(1, "community_regulation_amended")
    assert amended["payload"]["changed_fields"] == ["adopted_on", "topics"]  # the unchanged title is no correction
    assert amended["payload"]["reason"] == "salah ketik"
    assert (amended["actor"], amended["aggregate_version"], amended["region_code"]) == ("op-bangka-barat", 2, PELANGAS)

    same = await registry.client.patch(path, json={"adopted_on": "2019-10-12"}, headers=BANGKA_BARAT)
    assert same.json()["version"] == 2  # nothing changed: no new version
    nothing = await registry.client.patch(path, json={"reason": "tanpa perubahan"}, headers=BANGKA_BARAT)
    assert nothing.status_code == 422
    null_title = await registry.client.patch(path, json={"title": None}, headers=BANGKA_BARAT)
    assert null_title.status_code == 422
    moved = await registry.client.patch(path, json={"region_code": "19.05.02.2002"}, headers=BANGKA_BARAT)
    assert moved.status_code == 422  # a regulation of another desa is another regulation
    outside = await registry.client.patch(path, json={"title": "x"}, headers=GUNUNGKIDUL)
    assert outside.status_code == 403
    viewer = bearer("viewer", "19.05", sub="viewer-bangka-barat")
    assert (await registry.client.patch(path, json={"title": "x"}, headers=viewer)).status_code == 403

    revoke = f"{path}/revoke"
    early = await registry.post(revoke, {"revoked_on": "2019-10-01", "reason": "diganti"}, headers=BANGKA_BARAT)
    assert early.status_code == 422
    assert early.json()["field"] == "revoked_on"
    assert (await registry.post(revoke, {"revoked_on": "2020-03-02"}, headers=BANGKA_BARAT)).status_code == 422
    assert (
        await registry.post(revoke, {"revoked_on": "2020-03-02", "reason": "x"}, headers=GUNUNGKIDUL)
    ).status_code == 403
    revoked = await registry.post(
        revoke,
        {"revoked_on": "2020-03-02", "reason": "Diganti Peraturan Desa Pelangas Nomor 2 Tahun 2020"},
        headers=BANGKA_BARAT,
    )
    assert revoked.status_code == 200, revoked.text
    (event,) = await registry.events(1, "community_regulation_revoked")
    assert event["payload"]["revoked_on"] == "2020-03-02"
    assert event["payload"]["reason"].startswith("Diganti Peraturan Desa")
    assert (event["payload"]["topics"], event["aggregate_version"], event["actor"]) == (
        ["NAPZA", "PMB"],
        3,
        "op-bangka-barat",
    )

    kept = (await registry.client.get(path, headers=BANGKA_BARAT)).json()
    assert kept["status"] == "revoked"
    assert (kept["revocation"]["revoked_on"], kept["revocation"]["revoked_by"]) == ("2020-03-02", "op-bangka-barat")
    again = await registry.post(revoke, {"revoked_on": "2020-03-03", "reason": "lagi"}, headers=BANGKA_BARAT)
    assert (again.status_code, again.json()["rule"]) == (409, "regulation_revoked")
    late_fix = await registry.client.patch(path, json={"title": "Judul baru"}, headers=BANGKA_BARAT)
    assert (late_fix.status_code, late_fix.json()["rule"]) == (409, "regulation_revoked")

    in_force = await registry.client.get("/community-regulations?status=in_force", headers=BANGKA_BARAT)
    assert in_force.json()["total"] == 0
    listed = await registry.client.get("/community-regulations?status=revoked", headers=BANGKA_BARAT)
    assert [r["id"] for r in listed.json()["items"]] == [regulation["id"]]
