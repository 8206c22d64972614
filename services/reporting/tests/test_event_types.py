"""Every event type of the catalogue is projected by reporting or deliberately not; a renamed institution shows
under its new name in the projections and in the reports built afterwards."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from contracts.catalogue import EVENT_TYPES
from contracts.envelope import Envelope
from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import INSTITUTIONS, NOT_PROJECTED, PROJECTED, touches
from services.reporting.domain.regions import region_name
from services.reporting.reports.psks import psks_handover
from services.reporting.tests.scenario import DESA, at, envelope, scenario
from services.reporting.tests.test_domain import live

RENAMED = "ins_wksbm_06"  # registered (v1) and formed (v2) in Nglipar, 34.03.02.2001
NEW_NAME = "WKSBM Mekar Sari"


def test_every_event_type_is_projected_or_deliberately_not() -> None:
    projected = set().union(*PROJECTED.values())
    assert not projected & set(NOT_PROJECTED), "an event type is both projected and listed as not projected"
    neither = set(EVENT_TYPES) - projected - set(NOT_PROJECTED)
    assert not neither, f"add these event types to a projection or to NOT_PROJECTED with the reason: {neither}"
    assert not (projected | set(NOT_PROJECTED)) - set(EVENT_TYPES), "a type the catalogue does not hold"
    assert all(reason.strip() for reason in NOT_PROJECTED.values())


def test_every_projected_event_type_of_the_scenario_touches_its_projection() -> None:
    for event in [*scenario(), renamed()]:
        fact = Fact.of(event)
        wanted = {name for name, types in PROJECTED.items() if fact.event_type in types}
        assert {projection for projection, _ in touches(fact)} <= wanted | {"followups"}, fact.event_type
        if fact.event_type in PROJECTED[INSTITUTIONS]:
            assert touches(fact) == [(INSTITUTIONS, fact.payload["institution_id"])]


def renamed(version: int = 3) -> Envelope:
    """registry's institution_updated: the institution's whole current state, under a new name."""
    payload: dict[str, Any] = {
        "institution_id": RENAMED,
        "kind": "WKSBM",
        "name": NEW_NAME,
        "region_code": DESA[5],
        "address": "Jl. Baru 1",
        "status": "active",
        "board": [
            {"role": "ketua", "name": "Ketua Baru"},
            {"role": "sekretaris", "name": "Sekretaris 6"},
            {"role": "bendahara", "name": "Bendahara 6"},
        ],
        "member_ids": ["ins_pranata_5_0", "ins_pranata_5_1"],
        "issues": ["NAPZA"],
    }
    return envelope(
        "institution_updated", payload, region=DESA[5], aggregate=RENAMED, version=version, at=at(date(2019, 9, 3))
    )


def test_a_rename_shows_in_the_institutions_projection_whatever_the_arrival_order() -> None:
    events = [*scenario(), renamed()]
    for seed in range(5):
        random.Random(seed).shuffle(events)
        states, rollups = live([Fact.of(e) for e in events])
        state = states[INSTITUTIONS][RENAMED]
        assert state["name"] == NEW_NAME and state["address"] == "Jl. Baru 1" and state["issues"] == ["NAPZA"]
        assert state["board"][0] == {"role": "ketua", "name": "Ketua Baru"} and state["member_count"] == 2
        assert state["formed_on"] == "2019-08-10" and state["status"] == "active"  # the formation stays
        assert rollups["34.03.02"]["institutions|WKSBM|active"] == 5


def test_an_older_update_does_not_undo_a_newer_state() -> None:
    states, _ = live([Fact.of(e) for e in [*scenario(), renamed(version=1)]])
    assert states[INSTITUTIONS][RENAMED]["name"] == f"WKSBM {DESA[5]}"


def test_a_report_built_after_a_rename_shows_the_new_name() -> None:
    states, _ = live([Fact.of(e) for e in [*scenario(), renamed()]])
    report = psks_handover("34.03.02", date(2019, 8, 1), date(2019, 8, 31), states[INSTITUTIONS].values(), region_name)
    names = [row[1] for row in report.tables[0].rows]
    assert NEW_NAME in names and f"WKSBM {DESA[5]}" not in names
