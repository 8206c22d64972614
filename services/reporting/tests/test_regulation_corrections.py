"""Corrected and revoked community regulations in the projection and the roll-ups: a revoked regulation is on
record but no longer in force, whatever order the events arrive in."""

from __future__ import annotations

import random
from datetime import date

import pytest

from contracts.envelope import Envelope
from pilar_dev.testing import bearer, eventually
from services.reporting.domain.facts import Fact
from services.reporting.domain.summary import summary
from services.reporting.tests.conftest import Publish, Reporting, fed
from services.reporting.tests.scenario import at, envelope
from services.reporting.tests.test_domain import live

PELANGAS = "19.05.02.2001"  # Desa Pelangas, Simpang Teritip, Bangka Barat (seed 000)
KUNDI = "19.05.02.2002"
BANGKA_BARAT = bearer("district_operator", "19.05", sub="op-bangka-barat")


def _state(regulation_id: str, region: str, title: str, topics: list[str], adopted_on: str) -> dict[str, object]:
    return {
        "regulation_id": regulation_id,
        "title": title,
        "region_code": region,
        "topics": topics,
        "adopted_on": adopted_on,
    }


def history() -> list[Envelope]:
    """Pelangas adopts an agreement (entered with a wrong date and one topic), corrects it, and revokes it when a
    Peraturan Desa replaces it; Kundi adopts one that stays in force."""
    first = _state("reg_pelangas", PELANGAS, "Kesepakatan warga Desa Pelangas", ["NAPZA"], "2019-10-21")
    fixed = {**first, "adopted_on": "2019-10-12", "topics": ["NAPZA", "PMB"]}
    kundi = _state("reg_kundi", KUNDI, "Kesepakatan warga Desa Kundi", ["PORNOGRAFI"], "2019-11-02")
    return [
        envelope("community_regulation_adopted", first, region=PELANGAS, aggregate="reg_pelangas", version=1,
                 at=at(date(2019, 10, 21))),
        envelope("community_regulation_amended", {**fixed, "changed_fields": ["adopted_on", "topics"],
                 "reason": "salah ketik"}, region=PELANGAS, aggregate="reg_pelangas", version=2,
                 at=at(date(2019, 10, 22))),
        envelope("community_regulation_revoked", {**fixed, "revoked_on": "2020-03-02",
                 "reason": "Diganti Peraturan Desa Pelangas Nomor 2 Tahun 2020"}, region=PELANGAS,
                 aggregate="reg_pelangas", version=3, at=at(date(2020, 3, 2))),
        envelope("community_regulation_adopted", kundi, region=KUNDI, aggregate="reg_kundi", version=1,
                 at=at(date(2019, 11, 2))),
    ]  # fmt: skip


def test_a_correction_moves_the_counts_and_a_revocation_takes_the_regulation_out_of_force() -> None:
    events = [Fact.of(e) for e in history()]
    _, after_correction = live(events[:2])
    corrected = summary("19.05", after_correction["19.05"])["community_regulations"]
    assert corrected == {"total": 1, "by_topic": {"NAPZA": 1, "PMB": 1}, "by_month": {"2019-10": 1}, "revoked": 0}

    states, rollups = live(events)
    regulations = summary("19.05", rollups["19.05"])["community_regulations"]
    assert regulations == {"total": 1, "by_topic": {"PORNOGRAFI": 1}, "by_month": {"2019-11": 1}, "revoked": 1}
    pelangas = states["regulations"]["reg_pelangas"]
    assert (pelangas["status"], pelangas["revoked_on"], pelangas["adopted_on"]) == (
        "revoked",
        "2020-03-02",
        "2019-10-12",
    )
    assert states["regulations"]["reg_kundi"]["status"] == "in_force"
    desa = summary(PELANGAS, rollups[PELANGAS])["community_regulations"]
    assert (desa["total"], desa["revoked"]) == (0, 1)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_any_arrival_order_ends_in_the_same_state(seed: int) -> None:
    events = [Fact.of(e) for e in history()]
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    in_order, shuffled_result = live(events), live(shuffled + shuffled[:2])
    assert shuffled_result[1] == in_order[1]
    assert shuffled_result[0]["regulations"] == in_order[0]["regulations"]


async def test_the_district_summary_counts_only_regulations_in_force(reporting: Reporting, publish: Publish) -> None:
    await fed(reporting, publish, history())

    async def counted() -> bool:
        found = await reporting.get("/summary", BANGKA_BARAT)
        return bool(found["community_regulations"]["revoked"] == 1)

    await eventually(counted, timeout=30)
    district = await reporting.get("/summary", BANGKA_BARAT)
    assert district["community_regulations"] == {
        "total": 1,
        "by_topic": {"PORNOGRAFI": 1},
        "by_month": {"2019-11": 1},
        "revoked": 1,
    }
