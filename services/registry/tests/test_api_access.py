"""Region scoping (DESIGN §7), the region reference, and bad input answered with 4xx naming the field."""

from __future__ import annotations

from services.registry.tests.conftest import (
    ADMIN,
    BONDOWOSO,
    GUNUNGKIDUL,
    KAMPUNG,
    SUCOLOR,
    VIEWER,
    Registry,
)


async def test_a_gunungkidul_operator_never_sees_bondowoso(registry: Registry) -> None:
    bondowoso = await registry.created(
        "/institutions", {"kind": "LKS", "name": "LKS Harapan Bondowoso", "region_code": SUCOLOR}, headers=BONDOWOSO
    )
    worker = await registry.created(
        "/workers", {"role": "TKSK", "name": "Agus", "region_code": "35.11.01"}, headers=ADMIN
    )
    ours = await registry.created("/institutions", {"kind": "WKSBM", "name": "WKSBM Kampung", "region_code": KAMPUNG})

    assert (await registry.client.get(f"/institutions/{bondowoso['id']}", headers=GUNUNGKIDUL)).status_code == 403
    forbidden = await registry.client.get(f"/workers/{worker['id']}", headers=GUNUNGKIDUL)
    assert forbidden.status_code == 403
    # Asked for by id, a record of another region is refused without saying where it lies.
    assert forbidden.json()["detail"] == f"worker {worker['id']} is outside your region"
    assert "35.11" not in forbidden.text
    listed = (await registry.client.get("/institutions", headers=GUNUNGKIDUL)).json()
    assert [i["id"] for i in listed["items"]] == [ours["id"]]
    assert listed["total"] == 1
    assert (await registry.client.get("/workers", headers=GUNUNGKIDUL)).json()["total"] == 0
    # A list narrowed to a region outside the scope is silently empty, like every list of every service.
    elsewhere = await registry.client.get("/institutions?region=35.11", headers=GUNUNGKIDUL)
    assert elsewhere.status_code == 200
    assert elsewhere.json() == {"items": [], "total": 0}
    for path in ("/workers", "/community-regulations"):
        listed_elsewhere = await registry.client.get(f"{path}?region=35.11.01", headers=GUNUNGKIDUL)
        assert listed_elsewhere.json() == {"items": [], "total": 0}, path
    bad_region = await registry.client.get("/workers?region=34-03", headers=GUNUNGKIDUL)
    assert bad_region.status_code == 422
    assert "34-03" in bad_region.json()["detail"]
    narrower = await registry.client.get(f"/institutions?region={KAMPUNG}", headers=GUNUNGKIDUL)
    assert narrower.json()["total"] == 1
    assert (await registry.client.get("/institutions", headers=ADMIN)).json()["total"] == 2

    write = await registry.post("/institutions", {"kind": "WKSBM", "name": "WKSBM Sucolor", "region_code": SUCOLOR})
    assert write.status_code == 403
    patch = await registry.client.patch(f"/institutions/{bondowoso['id']}", json={"address": "x"}, headers=GUNUNGKIDUL)
    assert patch.status_code == 403
    move = await registry.client.patch(f"/workers/{worker['id']}", json={"active": False}, headers=GUNUNGKIDUL)
    assert move.status_code == 403
    # A member institution in another region is not the caller's to cite.
    cite = await registry.post(
        "/institutions",
        {"kind": "WKSBM", "name": "WKSBM Kampung Baru", "region_code": KAMPUNG, "member_ids": [bondowoso["id"]]},
    )
    assert cite.status_code == 422
    viewer = await registry.post(
        "/institutions", {"kind": "WKSBM", "name": "x", "region_code": KAMPUNG}, headers=VIEWER
    )
    assert viewer.status_code == 403
    assert (await registry.client.get("/institutions")).status_code == 401


async def test_the_region_reference(registry: Registry) -> None:
    kampung = await registry.client.get("/regions/3403132004", headers=VIEWER)
    assert kampung.status_code == 200
    body = kampung.json()
    assert (body["code"], body["name"], body["level"], body["type"]) == (KAMPUNG, "Kampung", "desa", "desa")
    assert [p["code"] for p in body["parents"]] == ["34", "34.03", "34.03.13"]
    assert body["parents"][1]["name"] == "Kabupaten Gunungkidul"
    # Reference data is not region-scoped: a Gunungkidul viewer may read Bondowoso's codes.
    ngawen = (await registry.client.get("/regions?parent=340313", headers=VIEWER)).json()
    assert KAMPUNG in [r["code"] for r in ngawen["items"]]
    assert ngawen["total"] == len(ngawen["items"])
    assert (await registry.client.get("/regions/35.11", headers=VIEWER)).json()["level"] == "kabupaten"
    provinces = (await registry.client.get("/regions", headers=VIEWER)).json()
    assert {"34", "35", "19"} <= {r["code"] for r in provinces["items"]}
    missing = await registry.client.get("/regions/34.03.99.9999", headers=VIEWER)
    assert missing.status_code == 404
    assert "34.03.99.9999" in missing.json()["detail"]
    assert (await registry.client.get("/regions/34-03", headers=VIEWER)).status_code == 422
    assert (await registry.client.get("/regions?parent=99", headers=VIEWER)).status_code == 422
    assert (await registry.client.get("/regions/34")).status_code == 401


async def test_bad_input_is_a_4xx_naming_the_field(registry: Registry) -> None:
    base = {"kind": "WKSBM", "name": "WKSBM Kampung", "region_code": KAMPUNG}

    async def refused(body: dict[str, object], status: int = 422) -> str:
        response = await registry.post("/institutions", body)
        assert response.status_code == status, response.text
        return response.text

    assert "colour" in await refused({**base, "colour": "merah"})
    assert "kind" in await refused({**base, "kind": "PAGUYUBAN"})
    assert "34.03.13 is a kecamatan" in await refused({**base, "region_code": "34.03.13"})
    assert "34.03.13.2999" in await refused({**base, "region_code": "34.03.13.2999"})
    assert "not a Kemendagri code" in await refused({**base, "region_code": "Kampung"})
    text = await refused({**base, "board": [{"role": "ketua", "name": "Sutrisno", "nik": "3403131399850002"}]})
    assert "nik" in text and "3403131399850002" not in text
    assert "status" in await refused({**base, "status": "dissolved"})
    assert "request body larger" in await refused({**base, "address": "x" * 1_100_000}, status=413)
    malformed = await registry.client.post(
        "/institutions", content=b"{nope", headers={**GUNUNGKIDUL, "content-type": "application/json"}
    )
    assert malformed.status_code == 422
    missing = await registry.client.get("/institutions/ins_missing", headers=GUNUNGKIDUL)
    assert missing.status_code == 404
    formation = await registry.post("/institutions/ins_missing/formation", {"formed_on": "2019-08-15"})
    assert formation.status_code == 404
    empty_patch = await registry.client.patch("/workers/wrk_x", json={}, headers=GUNUNGKIDUL)
    assert empty_patch.status_code == 422
