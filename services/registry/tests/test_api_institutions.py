"""Institutions over HTTP against the real broker and Mongo-wire server: every write is seen on the exchange."""

from __future__ import annotations

from services.registry.tests.conftest import (
    ADMIN,
    BEJI,
    GUNUNGKIDUL,
    KAMPUNG,
    NGAWEN,
    VIEWER,
    Registry,
    board,
)


async def test_the_penumbuhan_of_a_wksbm_in_desa_kampung(registry: Registry) -> None:
    await registry.outreach_planned("cmp_gk_2019", "34.03", {"ses_kampung_1": KAMPUNG})
    arisan = await registry.created(
        "/institutions",
        {"kind": "PRANATA_SOSIAL", "name": "Kelompok Arisan Dusun Kampung", "region_code": KAMPUNG, "status": "active"},
    )
    lumbung = await registry.created(
        "/institutions",
        {
            "kind": "PRANATA_SOSIAL",
            "name": "Lumbung Desa Ngudi Rejeki",
            "region_code": "3403132004",
            "status": "active",
        },
    )
    assert lumbung["region_code"] == KAMPUNG
    wksbm = await registry.created(
        "/institutions",
        {
            "kind": "WKSBM",
            "name": "WKSBM Kampung Sejahtera",
            "region_code": KAMPUNG,
            "address": "Balai Desa Kampung, Ngawen",
            "board": board(complete=False),
            "member_ids": [arisan["id"], lumbung["id"]],
        },
    )
    assert wksbm["status"] == "initiated"
    registered = await registry.events(3, "institution_registered")
    assert registered[2]["payload"]["member_ids"] == [arisan["id"], lumbung["id"]]
    assert registered[2]["actor"] == "op-gunungkidul"
    assert registered[2]["region_code"] == KAMPUNG
    assert registered[2]["aggregate_version"] == 1
    assert registered[2]["producer"] == "registry"

    path = f"/institutions/{wksbm['id']}"
    formation = {"formed_on": "2019-08-15", "session_id": "ses_kampung_1", "campaign_id": "cmp_gk_2019"}
    incomplete = await registry.post(f"{path}/formation", formation)
    assert incomplete.status_code == 422
    assert incomplete.json()["detail"]["missing_roles"] == ["sekretaris", "bendahara"]
    assert "sekretaris, bendahara" in incomplete.json()["detail"]["message"]

    boarded = await registry.client.put(f"{path}/board", json={"board": board()}, headers=GUNUNGKIDUL)
    assert boarded.status_code == 200, boarded.text
    (changed,) = await registry.events(1, "board_changed")
    assert [seat["role"] for seat in changed["payload"]["board"]] == ["ketua", "sekretaris", "bendahara"]
    assert changed["aggregate_version"] == 2

    formed = await registry.post(f"{path}/formation", formation)
    assert formed.status_code == 200, formed.text
    assert formed.json()["status"] == "active"
    (event,) = await registry.events(1, "WKSBM_formed")
    assert event["aggregate_id"] == wksbm["id"]
    assert event["aggregate_version"] == 3
    assert event["actor"] == "op-gunungkidul"
    assert event["region_code"] == KAMPUNG
    payload = event["payload"]
    assert payload["formed_on"] == "2019-08-15"
    assert payload["session_id"] == "ses_kampung_1"
    assert payload["campaign_id"] == "cmp_gk_2019"
    assert payload["member_ids"] == [arisan["id"], lumbung["id"]]
    assert len(payload["board"]) == 3

    again = await registry.post(f"{path}/formation", formation)
    assert again.status_code == 409
    assert "only an initiated" in again.json()["detail"]
    stored = (await registry.client.get(path, headers=GUNUNGKIDUL)).json()
    assert stored["status"] == "active"
    assert stored["formation"]["session_id"] == "ses_kampung_1"
    assert stored["version"] == 3


async def test_formation_rules_for_members_and_for_other_kinds(registry: Registry) -> None:
    beji_arisan = await registry.created(
        "/institutions", {"kind": "PRANATA_SOSIAL", "name": "Sinoman Beji", "region_code": BEJI, "status": "active"}
    )
    lonely = await registry.created(
        "/institutions", {"kind": "WKSBM", "name": "WKSBM Kampung", "region_code": KAMPUNG, "board": board()}
    )
    no_members = await registry.post(f"/institutions/{lonely['id']}/formation", {"formed_on": "2019-08-15"})
    assert no_members.status_code == 422
    assert "at least one member institution" in no_members.json()["detail"]["message"]

    elsewhere = await registry.client.patch(
        f"/institutions/{lonely['id']}", json={"member_ids": [beji_arisan["id"]]}, headers=GUNUNGKIDUL
    )
    assert elsewhere.status_code == 422
    assert f"not in the WKSBM's desa {KAMPUNG}" in elsewhere.json()["detail"]["message"]
    unknown = await registry.post(
        "/institutions",
        {"kind": "WKSBM", "name": "WKSBM Beji", "region_code": BEJI, "member_ids": ["ins_nope"]},
    )
    assert unknown.status_code == 422
    assert "ins_nope does not exist" in unknown.json()["detail"]["message"]

    lks = await registry.created(
        "/institutions", {"kind": "LKS", "name": "LKS Anak Ngawen", "region_code": NGAWEN, "board": board()}
    )
    assert (await registry.post(f"/institutions/{lks['id']}/formation", {"formed_on": "2020-01-10"})).status_code == 200
    (status,) = await registry.events(1, "institution_status_changed")
    assert status["payload"] == {
        "institution_id": lks["id"],
        "kind": "LKS",
        "previous_status": "initiated",
        "status": "active",
    }
    taruna = await registry.created(
        "/institutions",
        {"kind": "KARANG_TARUNA", "name": "Karang Taruna Tunas Muda", "region_code": BEJI, "board": board()},
    )
    assert (
        await registry.post(f"/institutions/{taruna['id']}/formation", {"formed_on": "2020-02-01"})
    ).status_code == 200
    (formed,) = await registry.events(1, "KarangTaruna_formed")
    assert formed["payload"]["institution_id"] == taruna["id"]


async def test_duplicates_are_refused_with_the_existing_id_unless_deliberate(registry: Registry) -> None:
    first = await registry.created(
        "/institutions", {"kind": "WKSBM", "name": "WKSBM Desa Kampung", "region_code": KAMPUNG}
    )
    same = {"kind": "WKSBM", "name": "wksbm  KAMPUNG.", "region_code": "3403132004"}
    duplicate = await registry.post("/institutions", same)
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"]["existing_id"] == first["id"]
    assert "allow_duplicate" in duplicate.json()["detail"]["message"]
    deliberate = await registry.post("/institutions", {**same, "allow_duplicate": True})
    assert deliberate.status_code == 201
    assert (await registry.post("/institutions", {**same, "region_code": BEJI})).status_code == 201
    assert (await registry.post("/institutions", {**same, "kind": "POKJA"})).status_code == 201
    # Renaming into an existing name is a duplicate too; dissolving frees the name.
    other = await registry.created(
        "/institutions", {"kind": "WKSBM", "name": "WKSBM Sido Rukun", "region_code": KAMPUNG}
    )
    rename = await registry.client.patch(
        f"/institutions/{other['id']}", json={"name": "WKSBM Kampung"}, headers=GUNUNGKIDUL
    )
    assert rename.status_code == 409
    for institution in (first, deliberate.json()):
        dissolved = await registry.client.patch(
            f"/institutions/{institution['id']}", json={"status": "dissolved"}, headers=GUNUNGKIDUL
        )
        assert dissolved.status_code == 200, dissolved.text
    assert (await registry.post("/institutions", same)).status_code == 201


async def test_changes_and_status_emit_their_events(registry: Registry) -> None:
    pokja = await registry.created(
        "/institutions",
        {"kind": "POKJA", "name": "Pokja Kampung", "region_code": KAMPUNG, "board": board(), "issues": ["napza"]},
    )
    path = f"/institutions/{pokja['id']}"
    assert (await registry.client.patch(path, json={"status": "active"}, headers=GUNUNGKIDUL)).status_code == 409
    assert (await registry.post(f"{path}/formation", {"formed_on": "2021-05-01"})).status_code == 200
    changed = await registry.client.patch(
        path,
        json={
            "address": "Dusun Kampung RT 02",
            "issues": ["NAPZA", "PMB"],
            "legal_basis": {"sk_number": "12/2021", "sk_date": "2021-05-03"},
        },
        headers=GUNUNGKIDUL,
    )
    assert changed.status_code == 200, changed.text
    inactive = await registry.client.patch(path, json={"status": "inactive"}, headers=GUNUNGKIDUL)
    assert inactive.json()["status"] == "inactive"
    seen = await registry.tap.collect(lambda s: sum(e["event_type"] == "institution_status_changed" for e in s) >= 1)
    types = [e["event_type"] for e in seen]
    assert types == ["institution_registered", "Pokja_formed", "institution_updated", "institution_status_changed"]
    assert [e["aggregate_version"] for e in seen] == [1, 2, 3, 4]
    updated = seen[2]["payload"]
    assert updated["issues"] == ["NAPZA", "PMB"]
    assert updated["legal_basis"] == {"sk_number": "12/2021", "sk_date": "2021-05-03"}
    assert seen[3]["payload"]["previous_status"] == "active"

    both = await registry.client.patch(path, json={"status": "active", "address": "Balai Desa"}, headers=GUNUNGKIDUL)
    assert (both.json()["status"], both.json()["version"]) == ("active", 6)
    seen = await registry.tap.collect(lambda s: len(s) >= 2)
    assert [(e["event_type"], e["aggregate_version"]) for e in seen] == [
        ("institution_updated", 5),
        ("institution_status_changed", 6),
    ]
    assert seen[0]["payload"]["status"] == "inactive"  # the fields change first, then the status
    unchanged = await registry.client.patch(path, json={"status": "active"}, headers=GUNUNGKIDUL)
    assert unchanged.json()["version"] == 6
    assert (await registry.client.patch(path, json={"status": "dissolved"}, headers=GUNUNGKIDUL)).status_code == 200
    after = await registry.client.put(f"{path}/board", json={"board": board()}, headers=GUNUNGKIDUL)
    assert after.status_code == 409
    assert "dissolved" in after.json()["detail"]


async def test_lists_filter_by_kind_status_region_and_text(registry: Registry) -> None:
    await registry.created("/institutions", {"kind": "WKSBM", "name": "WKSBM Kampung", "region_code": KAMPUNG})
    await registry.created("/institutions", {"kind": "WKSBM", "name": "WKSBM Beji", "region_code": BEJI})
    await registry.created(
        "/institutions", {"kind": "PRANATA_SOSIAL", "name": "KUBE Sido Makmur", "region_code": BEJI, "status": "active"}
    )

    async def ids(query: str) -> list[str]:
        response = await registry.client.get(f"/institutions?{query}", headers=VIEWER)
        assert response.status_code == 200, response.text
        return [i["name"] for i in response.json()["items"]]

    assert await ids("kind=WKSBM") == ["WKSBM Kampung", "WKSBM Beji"]
    assert await ids(f"region={BEJI}") == ["WKSBM Beji", "KUBE Sido Makmur"]
    assert await ids("status=active") == ["KUBE Sido Makmur"]
    assert await ids("q=sido") == ["KUBE Sido Makmur"]
    assert await ids("limit=1&offset=1") == ["WKSBM Beji"]
    page = (await registry.client.get("/institutions?limit=1", headers=ADMIN)).json()
    assert page["total"] == 3
    assert (await registry.client.get("/institutions?kind=DESA", headers=VIEWER)).status_code == 422
