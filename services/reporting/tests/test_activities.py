"""After formation (seeds 001–003): Gunungkidul's WKSBM are trained and monitored, a Karang Taruna is revitalised;
the summary, the dashboard and the monthly report show the last activities and the dormant institutions."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import openpyxl

from contracts.envelope import Envelope
from pilar_dev.testing import bearer, eventually
from pilar_runtime.localtime import local_today, zone_of
from services.reporting.commands.replays import run_replay
from services.reporting.domain.activities import is_dormant, is_recently_active, months_before
from services.reporting.domain.projection import INSTITUTIONS
from services.reporting.domain.regions import region_name
from services.reporting.migrations import MIGRATIONS, run_migrations
from services.reporting.store import COUNTERS, DORMANT_SHOWN, EVENTS, event_document, view
from services.reporting.tests.conftest import ADMIN, Publish, Reporting, fed
from services.reporting.tests.scenario import DESA, KEC_WONOSARI, at, envelope

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
BONDOWOSO = bearer("district_operator", "35.11", sub="op-bdw")
BONDOWOSO_DESA = "35.11.01.2001"
BOARD = [{"role": "ketua", "name": "Ketua"}, {"role": "sekretaris", "name": "Sekretaris"}]


def registered(ins: str, kind: str, name: str, desa: str, status: str, day: date) -> Envelope:
    payload = {"institution_id": ins, "kind": kind, "name": name, "region_code": desa, "status": status}
    return envelope("institution_registered", payload, region=desa, aggregate=ins, version=1, at=at(day))


def formed(ins: str, name: str, desa: str, day: date) -> Envelope:
    payload = {
        "institution_id": ins,
        "kind": "WKSBM",
        "name": name,
        "region_code": desa,
        "formed_on": day.isoformat(),
        "board": BOARD,
    }
    return envelope("WKSBM_formed", payload, region=desa, aggregate=ins, version=2, at=at(day))


def activity(ins: str, kind: str, desa: str, version: int, activity_kind: str, day: date, n: int) -> Envelope:
    payload: dict[str, Any] = {
        "activity_id": f"act_{ins}_{version}",
        "institution_id": ins,
        "kind": kind,
        "name": f"Lembaga {ins}",
        "region_code": desa,
        "activity_kind": activity_kind,
        "held_on": day.isoformat(),
        "participants": n,
        "notes": "Pelatihan pengurus",
    }
    return envelope(
        "institution_activity_recorded", payload, region=desa, aggregate=ins, version=version, at=at(day, 10)
    )


def after_formation(today: date) -> list[Envelope]:
    """Two WKSBM formed in August 2019: one trained a month ago, one never again; a Karang Taruna revitalised in
    January 2020 and quiet since; a WKSBM still initiated (not formed: never dormant)."""
    recent = today - timedelta(days=30)
    return [
        registered("ins_wksbm_a", "WKSBM", "WKSBM Kampung Sejahtera", DESA[0], "initiated", date(2019, 8, 1)),
        formed("ins_wksbm_a", "WKSBM Kampung Sejahtera", DESA[0], date(2019, 8, 9)),
        activity("ins_wksbm_a", "WKSBM", DESA[0], 3, "pelatihan", recent, 12),
        registered("ins_wksbm_b", "WKSBM", "WKSBM Ngudi Rukun", DESA[1], "initiated", date(2019, 8, 1)),
        formed("ins_wksbm_b", "WKSBM Ngudi Rukun", DESA[1], date(2019, 8, 10)),
        registered("ins_kt_c", "KARANG_TARUNA", "Karang Taruna Tunas Muda", DESA[2], "active", date(2019, 3, 1)),
        activity("ins_kt_c", "KARANG_TARUNA", DESA[2], 2, "revitalisasi", date(2020, 1, 15), 30),
        registered("ins_wksbm_d", "WKSBM", "WKSBM Rintisan", DESA[3], "initiated", date(2019, 3, 1)),
    ]


async def test_the_summary_shows_activities_and_dormant_institutions(reporting: Reporting, publish: Publish) -> None:
    today = local_today(zone_of("34.03"))
    events = after_formation(today)
    await fed(reporting, publish, events + events[2:3])  # an activity delivered twice counts once

    district = await reporting.get("/summary", GUNUNGKIDUL)
    activities = district["activities"]
    assert activities["by_kind"] == {"pelatihan": 1, "revitalisasi": 1}
    assert activities["by_month"] == {(today - timedelta(days=30)).isoformat()[:7]: 1, "2020-01": 1}
    assert activities["cutoff"] == months_before(today).isoformat()
    assert activities["active_last_6_months"] == 1
    assert activities["dormant"] == 2
    dormant = activities["dormant_institutions"]
    assert [d["institution_id"] for d in dormant] == ["ins_wksbm_b", "ins_kt_c"]  # the quietest first
    assert dormant[0]["last_activity_on"] is None and dormant[0]["quiet_since"] == "2019-08-10"
    assert dormant[1]["last_activity_on"] == "2020-01-15" and dormant[1]["last_activity_kind"] == "revitalisasi"

    kecamatan = await reporting.get("/summary", GUNUNGKIDUL, region=KEC_WONOSARI)
    assert kecamatan["activities"]["dormant"] == 2
    bondowoso = await reporting.get("/summary", BONDOWOSO)
    assert bondowoso["activities"]["dormant"] == 0 and bondowoso["activities"]["by_kind"] == {}

    history = await reporting.get("/institutions/ins_kt_c/history", GUNUNGKIDUL)
    assert [e["label"] for e in history["items"]] == ["Lembaga didaftarkan", "Kegiatan lembaga dicatat"]

    page = await reporting.http.get("/dashboard", headers={"Authorization": GUNUNGKIDUL["Authorization"]})
    assert page.status_code == 200, page.text
    assert "Lembaga tidur (tanpa kegiatan lebih dari 6 bulan):\n    <strong>2</strong>" in page.text
    assert 'data-id="ins_kt_c"' in page.text and "Revitalisasi" in page.text
    assert 'data-id="ins_wksbm_a"' not in page.text


async def test_the_monthly_report_lists_the_months_activities_and_the_dormant_count(
    reporting: Reporting, publish: Publish
) -> None:
    lks = registered("ins_lks_e", "LKS", "LKS Sejahtera", DESA[4], "active", date(2019, 1, 5))
    await fed(reporting, publish, [*after_formation(date(2020, 2, 20)), lks])
    body = {
        "kind": "monthly_district",
        "region_code": "34.03",
        "period_start": "2020-01-01",
        "period_end": "2020-01-31",
    }
    created = await reporting.http.post("/reports", json=body, headers=GUNUNGKIDUL)
    assert created.status_code == 202, created.text
    report_id = created.json()["id"]

    async def ready() -> bool:
        response = await reporting.http.get(f"/reports/{report_id}", headers=GUNUNGKIDUL)
        return response.json()["status"] == "done"

    await eventually(ready, timeout=60)
    download = await reporting.http.get(
        f"/reports/{report_id}/download", params={"format": "xlsx"}, headers=GUNUNGKIDUL
    )
    assert download.status_code == 200, download.text
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    rows = [list(r) for r in book["Kegiatan lembaga"].iter_rows(values_only=True)]
    assert rows[1:] == [
        ["2020-01-15", "Karang Taruna Tunas Muda", "Karang Taruna", region_name(DESA[2]), "Revitalisasi", 30],
        ["2020-01-21", "WKSBM Kampung Sejahtera", "WKSBM", region_name(DESA[0]), "Pelatihan", 12],
    ]
    # At the end of January 2020 only the LKS, registered in January 2019 and quiet since, is dormant.
    dormant = [list(r) for r in book["Lembaga tidur"].iter_rows(values_only=True)]
    assert dormant[1:] == [["LKS Sejahtera", "LKS", region_name(DESA[4]), "Belum ada", "-"]]


async def test_a_wksbm_entered_years_after_its_formation_is_dormant_and_the_migration_mends_the_old_rule(
    reporting: Reporting, publish: Publish
) -> None:
    """Registration is when the office typed the record in, not a sign of life: a WKSBM formed in 2019 and entered
    today is dormant at once; records kept by the earlier rule (counted alive from their entry) are mended."""
    today = local_today(zone_of("34.03"))
    late = [
        registered("ins_late", "WKSBM", "WKSBM Sido Rukun", DESA[4], "initiated", today),
        envelope(
            "WKSBM_formed",
            {**formed("ins_late", "WKSBM Sido Rukun", DESA[4], date(2019, 8, 12)).payload},
            region=DESA[4],
            aggregate="ins_late",
            version=2,
            at=at(today),
        ),
    ]
    await fed(reporting, publish, late)
    dormant = (await reporting.get("/summary", GUNUNGKIDUL))["activities"]["dormant_institutions"]
    assert [(d["institution_id"], d["quiet_since"]) for d in dormant] == [("ins_late", "2019-08-12")]

    db = reporting.mongo.db
    await db.institutions.update_one({"_id": "ins_late"}, {"$set": {"quiet_since": today.isoformat()}})
    assert (await reporting.get("/summary", GUNUNGKIDUL))["activities"]["dormant_institutions"] == []  # the old rule
    await db[MIGRATIONS].delete_many({})
    await run_migrations(db)
    dormant = (await reporting.get("/summary", GUNUNGKIDUL))["activities"]["dormant_institutions"]
    assert [(d["institution_id"], d["quiet_since"]) for d in dormant] == [("ins_late", "2019-08-12")]


async def test_the_summary_counts_from_the_rollups_what_the_institutions_say_at_every_level(
    reporting: Reporting, publish: Publish
) -> None:
    """The dormant and recently active institutions are counted from the roll-ups' day counters and only the
    quietest are read: at the nation, a province and a district, live and replayed, the figures and the list are
    those of the institutions themselves — more dormant than the list shows, inactive ones among them, several
    quiet since the same day."""
    today = local_today(zone_of("34.03"))
    events = []
    for i in range(90):
        desa = DESA[i % 10] if i % 3 else BONDOWOSO_DESA
        ins = f"ins_q{i:02d}"
        status = "inactive" if i % 7 == 0 else "active"
        events.append(registered(ins, "LKS", f"LKS {i}", desa, status, date(2019, 1, 1 + i % 5)))
        if i % 4 == 0:
            events.append(activity(ins, "LKS", desa, 2, "monev", today - timedelta(days=2 * i), 10))
    await fed(reporting, publish, events)

    async def as_the_institutions_say() -> None:
        institutions = await (await view(reporting.mongo.db, INSTITUTIONS)).find().to_list(None)
        nation = await reporting.get("/summary")
        for region, token in (("", None), ("35", None), ("34.03", GUNUNGKIDUL)):
            here = [i for i in institutions if not region or region in i["regions"]]
            dormant = sorted((i for i in here if is_dormant(i, today)), key=lambda i: (i["quiet_since"], i["_id"]))
            got = (await reporting.get("/summary", token, region=region) if region else nation)["activities"]
            assert got["dormant"] == len(dormant)
            assert got["active_last_6_months"] == sum(is_recently_active(i, today) for i in here)
            assert [d["institution_id"] for d in got["dormant_institutions"]] == [i["_id"] for i in dormant][
                :DORMANT_SHOWN
            ]
        assert nation["activities"]["dormant"] > DORMANT_SHOWN  # the list shows only the quietest
        children = {c["region_code"]: c["dormant"] for c in nation["children"]}
        assert children["34"] + children["35"] == nation["activities"]["dormant"]

    await as_the_institutions_say()
    assert (await reporting.http.post("/admin/replay", headers=ADMIN)).status_code == 202

    async def replayed() -> bool:
        return bool((await reporting.get("/admin/replay"))["status"] == "done")

    await eventually(replayed, timeout=60)
    await as_the_institutions_say()


async def test_the_first_start_of_this_release_replays_a_store_whose_rollups_lack_the_day_counters(
    reporting: Reporting,
) -> None:
    """Events stored by an earlier release, whose roll-ups have no counters by day of the last sign of life: the
    first start claims a replay, once, and the summary counts the dormant institutions after it."""
    today = local_today(zone_of("34.03"))
    stored = [event_document(e, e.occurred_at) for e in after_formation(today)]
    db = reporting.mongo.db
    for seq, doc in enumerate(stored, start=1):
        doc["_id"] = seq
    await db[EVENTS].insert_many(stored)
    await db[COUNTERS].update_one({"_id": EVENTS}, {"$set": {"seq": len(stored)}}, upsert=True)
    assert (await reporting.get("/summary", GUNUNGKIDUL))["activities"]["dormant"] == 0

    await db[MIGRATIONS].delete_many({})
    assert await run_migrations(db)
    assert not await run_migrations(db)  # once
    await run_replay(reporting.mongo, 1000, {})
    assert (await reporting.get("/summary", GUNUNGKIDUL))["activities"]["dormant"] == 2
