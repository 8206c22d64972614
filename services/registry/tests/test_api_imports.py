"""Bulk import over HTTP: good rows in (through the outbox), bad rows reported by row and column."""

from __future__ import annotations

from services.registry.tests.conftest import BEJI, BONDOWOSO, GUNUNGKIDUL, KAMPUNG, SUCOLOR, Registry
from services.registry.tests.test_domain_rows import xlsx

HEADER = "kind,name,region_code,address,status,sk_number,sk_date,ketua,ketua_nik,sekretaris,bendahara,issues"
INSTITUTIONS_CSV = f"""{HEADER}
WKSBM,WKSBM Kampung Sejahtera,3403132004,Balai Desa Kampung,initiated,,,Sutrisno,3403131308850002,Wahyuni,Sri Lestari,
PRANATA_SOSIAL,KUBE Sido Makmur,{BEJI},,active,141/2019,2019-08-20,,,,,
POKJA,Pokja Beji,{BEJI},,,,,Rusli,3403139999990001,,,NAPZA;PMB
WKSBM,,{KAMPUNG},,,,,,,,,
WKSBM,WKSBM Sido Rukun,34.03.13,,,,,,,,,
LKS,LKS Harapan,{SUCOLOR},,,,,,,,,
WKSBM,wksbm  kampung sejahtera,{KAMPUNG},,,,,,,,,
WKSBM,WKSBM Desa Tancep,34.03.13.2001,,,,,,,,,
PAGUYUBAN,Paguyuban Tani,{BEJI},,,,,,,,,
"""


async def upload(registry: Registry, kind: str, name: str, content: bytes) -> dict[str, object]:
    response = await registry.client.post(
        "/imports", files={"file": (name, content)}, data={"kind": kind}, headers=GUNUNGKIDUL
    )
    assert response.status_code == 202, response.text
    job: dict[str, object] = response.json()
    return job


async def test_an_institution_import_with_good_and_bad_rows(registry: Registry) -> None:
    tancep = await registry.created(
        "/institutions", {"kind": "WKSBM", "name": "WKSBM Tancep", "region_code": "34.03.13.2001"}
    )
    started = await upload(registry, "institutions", "lembaga.csv", INSTITUTIONS_CSV.encode())
    assert (started["status"], started["total"]) == ("running", 9)
    job = await registry.finished_import(str(started["id"]))
    assert job["status"] == "done"
    assert (job["processed"], job["imported"], job["failed"]) == (9, 2, 7)
    assert (await registry.client.get(f"/imports/{job['id']}", headers=BONDOWOSO)).status_code == 403
    assert (await registry.client.get("/imports", headers=BONDOWOSO)).json()["total"] == 0
    (listed_job,) = (await registry.client.get("/imports", headers=GUNUNGKIDUL)).json()["items"]
    assert (listed_job["id"], listed_job["failed"], "errors" in listed_job) == (job["id"], 7, False)
    errors = {(e["row"], e["field"]) for e in job["errors"]}
    assert errors == {
        (4, "ketua_nik"),
        (5, "name"),
        (6, "region_code"),
        (7, "region_code"),
        (8, "name"),
        (9, "name"),
        (10, "kind"),
    }
    messages = {(e["row"], e["field"]): e["message"] for e in job["errors"]}
    assert "outside your scope" in messages[(7, "region_code")]
    assert "repeats row 2" in messages[(8, "name")]
    assert tancep["id"] in messages[(9, "name")]
    assert "34.03.13 is a kecamatan" in messages[(6, "region_code")]

    registered = await registry.events(3, "institution_registered")
    imported = [e["payload"] for e in registered[1:]]
    assert [(p["kind"], p["name"]) for p in imported] == [
        ("WKSBM", "WKSBM Kampung Sejahtera"),
        ("PRANATA_SOSIAL", "KUBE Sido Makmur"),
    ]
    assert imported[0]["region_code"] == KAMPUNG
    assert [seat["role"] for seat in imported[0]["board"]] == ["ketua", "sekretaris", "bendahara"]
    assert imported[1]["legal_basis"] == {"sk_number": "141/2019", "sk_date": "2019-08-20"}
    assert all(e["actor"] == "op-gunungkidul" and e["aggregate_version"] == 1 for e in registered)
    listed = (await registry.client.get("/institutions", headers=GUNUNGKIDUL)).json()
    assert listed["total"] == 3


async def test_a_worker_import_from_xlsx(registry: Registry) -> None:
    rows: list[list[object]] = [["Role", "Name", "Region Code", "NIK", "Phone", "Email", "Active"]]
    rows += [["PSM", f"Relawan {i}", KAMPUNG, None, f"08122700{i:04d}", None, "ya"] for i in range(40)]
    rows += [["TKSK", "Siti Rahayu", 340313, 3403135208900001, None, "siti@example.id", "tidak"]]
    rows += [["TKSK", "Siti Kembar", "34.03.13", "3403135208900001", None, None, None]]
    rows += [["PSM", "Salah Email", KAMPUNG, None, None, "siti@", None]]
    job = await registry.finished_import(str((await upload(registry, "workers", "psks.xlsx", xlsx(rows)))["id"]))
    assert (job["status"], job["imported"], job["failed"]) == ("done", 41, 2)
    assert [(e["row"], e["field"]) for e in job["errors"]] == [(43, "nik"), (44, "email")]
    events = await registry.events(41, "worker_registered")
    siti = next(e["payload"] for e in events if e["payload"]["name"] == "Siti Rahayu")
    assert (siti["region_code"], siti["active"], siti["email"]) == ("34.03.13", False, "siti@example.id")
    assert "nik" not in siti


async def test_malformed_files_and_bad_uploads_are_refused_at_once(registry: Registry) -> None:
    async def refused(kind: str, content: bytes, status: int = 422) -> str:
        response = await registry.client.post(
            "/imports", files={"file": ("x.csv", content)}, data={"kind": kind}, headers=GUNUNGKIDUL
        )
        assert response.status_code == status, response.text
        return response.text

    assert "missing column(s): role" in await refused("workers", b"nama,name,region_code\nx,y,z\n")
    assert "unknown column(s): nama" in await refused("workers", b"nama,role,name,region_code\nx,y,z,w\n")
    assert "XLSX file cannot be read" in await refused("workers", b"PK\x03\x04garbage")
    assert "neither UTF-8" in await refused("workers", b"\xff\xfe\x00\x00\x01\x02")
    assert "empty" in await refused("institutions", b"")
    assert "kind" in await refused("desa", b"role,name,region_code\nPSM,x,34.03\n")
    assert "request body larger" in await refused("workers", b"x" * (21 * 1024 * 1024), status=413)
    missing_file = await registry.client.post("/imports", data={"kind": "workers"}, headers=GUNUNGKIDUL)
    assert missing_file.status_code == 422
    assert (await registry.client.get("/imports/imp_missing", headers=GUNUNGKIDUL)).status_code == 404
