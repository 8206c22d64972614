"""The registry export for the Seksi PSKS/TKSM (seed 001): every institution of a region with its status, SK, board
and member institutions, and the workers by role — built from the projections, names and roles only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

import openpyxl

from contracts.envelope import Envelope
from pilar_dev.testing import bearer, eventually
from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import INSTITUTIONS, WORKERS, apply
from services.reporting.reports.model import Report
from services.reporting.reports.registry_export import RegistryExport
from services.reporting.tests.conftest import ADMIN, Publish, Reporting, fed
from services.reporting.tests.scenario import at, envelope

WONOSARI = "34.03.01"
KEPEK = "34.03.01.2001"
PULUTAN = "34.03.01.2002"
NGLIPAR_DESA = "34.03.02.2001"
BONDOWOSO_DESA = "35.11.01.2001"
DAY = date(2019, 8, 20)
GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
BOARD = [
    {"role": "bendahara", "name": "Tri Hartini"},
    {"role": "ketua", "name": "Suparno", "nik": "3403011208800001", "phone": "081200000001"},
    {"role": "sekretaris", "name": "Wulandari"},
    {"role": "anggota", "name": "Sukardi"},
]


def institution(ident: str, kind: str, name: str, desa: str, **more: Any) -> Envelope:
    payload = {"institution_id": ident, "kind": kind, "name": name, "region_code": desa, "status": "active", **more}
    return envelope("institution_registered", payload, region=desa, aggregate=ident, version=1, at=at(DAY, 8))


def worker(ident: str, role: str, name: str, region: str, *, active: bool = True) -> Envelope:
    payload = {"worker_id": ident, "role": role, "name": name, "region_code": region, "active": active,
               "phone": "081311112222", "email": f"{ident}@example.id"}  # fmt: skip
    return envelope("worker_registered", payload, region=region, aggregate=ident, version=1, at=at(DAY, 7))


def registry() -> list[Envelope]:
    """A WKSBM of Desa Kepek with its SK, board and three pranata sosial; a Karang Taruna elsewhere in the
    kecamatan; one institution of Nglipar and one of Bondowoso (outside the export); workers by role."""
    wksbm = "ins_wksbm_kepek"
    members = ["ins_arisan", "ins_lumbung", "ins_sinoman"]
    events = [
        institution("ins_arisan", "PRANATA_SOSIAL", "Arisan Dasa Wisma", KEPEK),
        institution("ins_lumbung", "PRANATA_SOSIAL", "Lumbung Desa Kepek", KEPEK),
        institution("ins_sinoman", "PRANATA_SOSIAL", "Sinoman Kepek", KEPEK),
        institution(
            wksbm,
            "WKSBM",
            "WKSBM Kepek Sejahtera",
            KEPEK,
            status="initiated",
            address="Balai Desa Kepek",
            legal_basis={"sk_number": "188/12/KPTS/2019", "sk_date": "2019-08-22"},
            board=BOARD,
            member_ids=members,
        ),
        envelope(
            "WKSBM_formed",
            {
                "institution_id": wksbm,
                "kind": "WKSBM",
                "name": "WKSBM Kepek Sejahtera",
                "region_code": KEPEK,
                "formed_on": "2019-08-20",
                "board": BOARD,
                "member_ids": members,
            },
            region=KEPEK,
            aggregate=wksbm,
            version=2,
            at=at(DAY, 10),
        ),
        institution(
            "ins_kt_pulutan",
            "KARANG_TARUNA",
            "Karang Taruna Tunas Harapan",
            PULUTAN,
            board=[{"role": "ketua", "name": "Bayu"}],
        ),
        institution("ins_wksbm_nglipar", "WKSBM", "WKSBM Nglipar", NGLIPAR_DESA),
        institution("ins_lks_bondowoso", "LKS", "LKS Bondowoso", BONDOWOSO_DESA),
        worker("wrk_psm_1", "PSM", "Sri Lestari", KEPEK),
        worker("wrk_psm_2", "PSM", "Budi Santoso", PULUTAN, active=False),
        worker("wrk_tksk", "TKSK", "Agus Widodo", WONOSARI),
        worker("wrk_tksk_nglipar", "TKSK", "Hadi", "34.03.02"),
    ]
    return events


async def _done(reporting: Reporting, report_id: str) -> dict[str, Any]:
    async def done() -> bool:
        return (await reporting.get(f"/reports/{report_id}"))["status"] == "done"

    await eventually(done, timeout=60)
    return dict(await reporting.get(f"/reports/{report_id}"))


def registry_export(
    region: str, institutions: Iterable[dict[str, Any]], workers: Iterable[dict[str, Any]], name_of: Any, as_of: str
) -> Report:
    """The export of these records, fed to it one at a time as the worker feeds it from the projections."""
    export = RegistryExport(region, name_of)
    for institution in institutions:
        export.add_institution(institution)
    for worker in workers:
        export.add_worker(worker)
    return export.report(as_of)


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_export_is_built_from_the_projections_and_keeps_to_its_region() -> None:
    states: dict[tuple[str, str], dict[str, Any]] = {}
    for event in registry():
        fact = Fact.of(event)
        projection = INSTITUTIONS if "institution_id" in fact.payload else WORKERS
        key = str(fact.payload.get("institution_id") or fact.payload["worker_id"])
        states[projection, key] = apply(projection, key, states.get((projection, key)), fact) or states[projection, key]
    institutions = [s for (p, _), s in states.items() if p == INSTITUTIONS]
    workers = [s for (p, _), s in states.items() if p == WORKERS]
    report = registry_export(WONOSARI, institutions, workers, lambda code: f"nama {code}", "2019-08-20T03:00:00+00:00")

    tables = {t.name: t for t in report.tables}
    names = [row[1] for row in tables["Lembaga"].rows]
    assert names == [
        "Karang Taruna Tunas Harapan", "Arisan Dasa Wisma", "Lumbung Desa Kepek", "Sinoman Kepek",
        "WKSBM Kepek Sejahtera",
    ]  # fmt: skip
    wksbm = dict(zip(tables["Lembaga"].columns, tables["Lembaga"].rows[-1], strict=True))
    assert wksbm["Status"] == "Aktif" and wksbm["Tanggal terbentuk"] == "2019-08-20"
    assert (wksbm["Nomor SK"], wksbm["Tanggal SK"]) == ("188/12/KPTS/2019", "2019-08-22")
    assert (wksbm["Ketua"], wksbm["Sekretaris"], wksbm["Bendahara"]) == ("Suparno", "Wulandari", "Tri Hartini")
    assert wksbm["Kepengurusan lengkap"] == "Ya" and wksbm["Jumlah lembaga anggota"] == 3
    assert wksbm["Lembaga anggota"] == "Arisan Dasa Wisma; Lumbung Desa Kepek; Sinoman Kepek"
    assert [r[3:] for r in tables["Pengurus"].rows if r[0] == "WKSBM Kepek Sejahtera"] == [
        ["Ketua", "Suparno"], ["Sekretaris", "Wulandari"], ["Bendahara", "Tri Hartini"], ["Anggota", "Sukardi"],
    ]  # fmt: skip
    assert tables["Pekerja per peran"].rows == [["PSM", 1, 1], ["TKSK", 1, 0]]
    assert [r[:2] + r[4:] for r in tables["Pekerja"].rows] == [
        ["PSM", "Sri Lestari", "Ya"], ["PSM", "Budi Santoso", "Tidak"], ["TKSK", "Agus Widodo", "Ya"],
    ]  # fmt: skip
    assert dict(report.meta)["Lembaga WKSBM"] == 1 and dict(report.meta)["Pekerja aktif"] == 2
    text = str(report)
    for personal in ("3403011208800001", "081200000001", "081311112222", "@example.id", "Bondowoso", "Nglipar"):
        assert personal not in text


async def test_registry_export_through_the_api_in_xlsx_and_csv(reporting: Reporting, publish: Publish) -> None:
    await fed(reporting, publish, registry())
    body = {"kind": "registry_export", "region_code": WONOSARI}
    created = await reporting.http.post("/reports", json=body, headers=GUNUNGKIDUL)
    assert created.status_code == 202, created.text
    report_id = created.json()["id"]

    report = await _done(reporting, report_id)
    assert report["title"] == "Ekspor Data Registri: Wonosari" and report["period_start"] is None

    async def download(fmt: str) -> bytes:
        answer = await reporting.http.get(f"/reports/{report_id}/download", params={"format": fmt}, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        return answer.content

    book = openpyxl.load_workbook(io.BytesIO(await download("xlsx")))
    assert book.sheetnames[:6] == [
        "Ringkasan",
        "Lembaga",
        "Pengurus",
        "Lembaga anggota",
        "Pekerja per peran",
        "Pekerja",
    ]
    institutions = _rows(book["Lembaga"])
    assert institutions[0][:6] == ["Jenis", "Nama", "Kode wilayah", "Desa/Kelurahan", "Alamat", "Status"]
    assert [r[1] for r in institutions[1:]][-1] == "WKSBM Kepek Sejahtera"
    assert institutions[-1][6:8] == ["188/12/KPTS/2019", "2019-08-22"]
    assert _rows(book["Pekerja per peran"])[1:] == [["PSM", 1, 1], ["TKSK", 1, 0]]
    lines = list(csv.reader(io.StringIO((await download("csv")).decode())))
    assert ["# Lembaga anggota"] in lines
    assert any(line[:2] == ["Karang Taruna", "Karang Taruna Tunas Harapan"] for line in lines)
    everything = (await download("csv")).decode() + str(institutions)
    for outside in ("Bondowoso", "WKSBM Nglipar", "Hadi", "3403011208800001", "081311112222"):
        assert outside not in everything

    # Bad requests: a period, a missing region, a region outside the caller's.
    refused = [
        ({**body, "period_start": "2019-08-01", "period_end": "2019-08-31"}, GUNUNGKIDUL, 422),
        ({"kind": "registry_export"}, GUNUNGKIDUL, 422),
        ({"kind": "registry_export", "region_code": "35.11"}, GUNUNGKIDUL, 403),
    ]
    for request, headers, status in refused:
        answer = await reporting.http.post("/reports", json=request, headers=headers)
        assert answer.status_code == status, (request, answer.text)

    # A region the registry holds nothing of gives an empty export, not a failure.
    empty = await reporting.http.post("/reports", json={"kind": "registry_export", "region_code": "52"}, headers=ADMIN)
    assert empty.status_code == 202, empty.text
    assert (await _done(reporting, empty.json()["id"]))["title"] == "Ekspor Data Registri: Nusa Tenggara Barat"
