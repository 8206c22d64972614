"""Finding 7 (imports): a row's error must not reveal, from a NIK, the id of a worker outside the caller's region."""

from __future__ import annotations

from services.registry.tests.conftest import BONDOWOSO, GUNUNGKIDUL, NGAWEN, Registry, registry

__all__ = ["registry"]  # the registry's own running-service fixture

NIK = "3403135208900001"


async def test_a_duplicate_nik_from_another_region_names_no_record(registry: Registry) -> None:
    theirs = await registry.created(
        "/workers", {"role": "TKSK", "name": "Siti", "region_code": "35.11.01", "nik": NIK}, BONDOWOSO
    )
    csv = f"role,name,region_code,nik\nPSM,Siti R.,{NGAWEN},{NIK}\n".encode()
    response = await registry.client.post(
        "/imports", files={"file": ("psks.csv", csv)}, data={"kind": "workers"}, headers=GUNUNGKIDUL
    )
    assert response.status_code == 202, response.text
    job = await registry.finished_import(response.json()["id"])
    assert [(e["row"], e["field"]) for e in job["errors"]] == [(2, "nik")]
    message = job["errors"][0]["message"]
    assert theirs["id"] not in message and "35.11" not in message
    assert "wrk_" not in message, message


async def test_a_duplicate_nik_in_the_callers_region_still_names_the_worker(registry: Registry) -> None:
    ours = await registry.created("/workers", {"role": "PSM", "name": "Siti", "region_code": NGAWEN, "nik": NIK})
    csv = f"role,name,region_code,nik\nPSM,Siti R.,{NGAWEN},{NIK}\n".encode()
    response = await registry.client.post(
        "/imports", files={"file": ("psks.csv", csv)}, data={"kind": "workers"}, headers=GUNUNGKIDUL
    )
    job = await registry.finished_import(response.json()["id"])
    assert ours["id"] in job["errors"][0]["message"]
