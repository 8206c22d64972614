"""The projections as pure functions: a recorded sequence, duplicates, out-of-order arrival, live = replay."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import (
    AGGREGATES,
    INSTITUTIONS,
    SESSIONS,
    State,
    apply,
    event_contributions,
    rollup_delta,
    scopes,
    touches,
)
from services.reporting.domain.rebuild import Rebuild, rollups
from services.reporting.domain.summary import campaign_progress, summary
from services.reporting.tests.scenario import CAMPAIGN, KEC_WONOSARI, UNKNOWN_TYPE, envelope, scenario


def facts(order: list[int] | None = None) -> list[Fact]:
    found = [Fact.of(e) for e in scenario()]
    return [found[i] for i in order] if order is not None else found


def live(sequence: list[Fact]) -> tuple[dict[str, dict[str, State]], dict[str, dict[str, int]]]:
    """What the live consumer does, event by event: a duplicate (same event_id) is dropped by the store, every
    other fact moves the roll-ups by the difference of contributions."""
    states: dict[str, dict[str, State]] = {}
    rollups: dict[str, Counter[str]] = {}
    seen: set[str] = set()
    for fact in sequence:
        if fact.event_id in seen:
            continue
        seen.add(fact.event_id)
        for projection, key in touches(fact):
            old = states.setdefault(projection, {}).get(key)
            new = apply(projection, key, old, fact)
            if new is None:
                continue
            states[projection][key] = new
            for region, delta in rollup_delta(projection, old, new).items():
                rollups.setdefault(region, Counter()).update(delta)
        for region in scopes(fact.region_code):
            rollups.setdefault(region, Counter()).update(event_contributions(fact))
    return states, {r: {k: v for k, v in c.items() if v} for r, c in rollups.items()}


def rebuilt(sequence: list[Fact]) -> tuple[dict[str, dict[str, State]], dict[str, dict[str, int]]]:
    rebuild = Rebuild()
    seen: set[str] = set()
    for fact in sequence:
        if fact.event_id not in seen:
            seen.add(fact.event_id)
            rebuild.add(fact)
    return {p: s for p, s in rebuild.states.items() if s}, {d["_id"]: d["counts"] for d in rollups(rebuild.settled())}


def test_the_recorded_sequence_rolls_up_desa_to_provinsi() -> None:
    _, rollups = live(facts())
    district = summary("34.03", rollups["34.03"])
    assert district["institutions"] == {"WKSBM": {"active": 9, "inactive": 1}}
    assert district["formations"] == {"WKSBM": {"2019-08": 10}}
    assert district["sessions"] == {"scheduled": 0, "held": 10, "cancelled": 1}
    assert district["participants"]["total"] == 400
    assert district["participants"]["by_category"] == {
        "kader": 100,
        "perangkat desa": 120,
        "tokoh agama": 80,
        "tokoh masyarakat": 100,
    }
    assert district["community_regulations"]["by_topic"] == {"NAPZA": 1, "PORNOGRAFI": 1}
    assert district["workers"] == {"NARASUMBER": 4, "PSM": 1, "TKSK": 1}
    assert district["notifications"]["sent"] == 3 and district["notifications"]["failed"] == 1
    assert district["events"]["unknown"] == {UNKNOWN_TYPE: 1}
    assert district["campaigns"] == {"completed": 1}
    wonosari = summary(KEC_WONOSARI, rollups[KEC_WONOSARI])
    assert wonosari["sessions"]["held"] == 5 and wonosari["participants"]["total"] == 200
    assert summary("34", rollups["34"])["sessions"] == district["sessions"]
    bondowoso = summary("35.11", rollups["35.11"])
    assert bondowoso["followups"] == {"open": 0, "overdue": 1, "completed": 1, "cancelled": 0}
    national = summary("", rollups[""])
    assert national["sessions"]["held"] == 11
    assert national["events"]["total"] == len(scenario())


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_shuffled_and_duplicated_arrival_gives_the_same_state(seed: int) -> None:
    in_order = live(facts())
    rng = random.Random(seed)
    order = list(range(len(scenario())))
    rng.shuffle(order)
    order += rng.sample(order, 15)  # redeliveries
    rng.shuffle(order)
    assert live(facts(order)) == in_order


@pytest.mark.parametrize("parts", [2, 3])
def test_a_fold_in_parts_equals_the_fold_whole(parts: int) -> None:
    sequence = facts()
    whole = Rebuild()
    pieces = [Rebuild(part, parts) for part in range(parts)]
    for fact in sequence:
        whole.add(fact)
        for piece in pieces:
            piece.add(fact)
    for name in AGGREGATES:
        kept = [piece.states[name] for piece in pieces]
        assert sum(len(states) for states in kept) == len(whole.states[name]), name
        assert {k: v for states in kept for k, v in states.items()} == whole.states[name], name
    assert all(any(piece.states.values()) for piece in pieces)  # each part holds a share
    settled: dict[str, Counter[str]] = {}
    for piece in pieces:
        for region, contributed in piece.settled().items():
            settled.setdefault(region, Counter()).update(contributed)
    assert rollups(settled) == rollups(whole.settled())


@pytest.mark.parametrize("seed", [0, 7, 11])
def test_replay_from_the_store_equals_the_live_projection(seed: int) -> None:
    order = list(range(len(scenario())))
    random.Random(seed).shuffle(order)
    sequence = facts(order) + facts(order[:10])
    assert rebuilt(sequence) == live(sequence)


def test_an_older_event_does_not_overwrite_newer_state() -> None:
    base = {"institution_id": "i1", "kind": "WKSBM", "name": "WKSBM Kepek", "region_code": "34.03.01.2002"}
    registered = envelope(
        "institution_registered",
        {**base, "status": "initiated"},
        region="34.03.01.2002",
        aggregate="i1",
        version=1,
        at=scenario()[0].occurred_at,
    )
    dissolved = envelope(
        "institution_status_changed",
        {"institution_id": "i1", "kind": "WKSBM", "previous_status": "active", "status": "dissolved"},
        region="34.03.01.2002",
        aggregate="i1",
        version=3,
        at=scenario()[0].occurred_at,
    )
    state = apply(INSTITUTIONS, "i1", None, Fact.of(dissolved))
    assert state is not None and state["status"] == "dissolved"
    after = apply(INSTITUTIONS, "i1", state, Fact.of(registered))
    assert after is not None
    assert after["status"] == "dissolved"  # the older registration filled the profile, not the status
    assert after["name"] == "WKSBM Kepek" and after["version"] == 3
    assert apply(INSTITUTIONS, "i1", after, Fact.of(registered)) is None  # seen before: no change


def test_a_held_session_stays_held_when_its_schedule_arrives_late() -> None:
    sequence = [Fact.of(e) for e in scenario() if e.aggregate_id == "ses_04"]
    assert [f.event_type for f in sequence] == ["session_scheduled", "session_rescheduled", "penyuluhan_held"]
    state: State | None = None
    for fact in reversed(sequence):
        state = apply(SESSIONS, "ses_04", state, fact) or state
    assert state is not None
    assert state["status"] == "held" and state["participants"] == 40 and state["venue"].startswith("Balai Desa")


def test_unknown_event_types_are_counted_apart_and_touch_no_projection() -> None:
    unknown = next(Fact.of(e) for e in scenario() if e.event_type == UNKNOWN_TYPE)
    assert touches(unknown) == []
    assert event_contributions(unknown)[f"events|unknown|{UNKNOWN_TYPE}"] == 1


def test_campaign_progress_counts_wksbm_formed_in_its_desa_during_its_period() -> None:
    states, _ = live(facts())
    campaign = states["campaigns"][CAMPAIGN]
    sessions = [s for s in states["sessions"].values() if s.get("campaign_id") == CAMPAIGN]
    late: dict[str, Any] = {
        "_id": "late",
        "kind": "WKSBM",
        "region_code": campaign["desa_codes"][0],
        "formed_on": "2019-09-30",
    }
    elsewhere: dict[str, Any] = {
        "_id": "far",
        "kind": "WKSBM",
        "region_code": "35.11.01.2001",
        "formed_on": "2019-08-10",
    }
    progress = campaign_progress(campaign, sessions, [*states["institutions"].values(), late, elsewhere])
    assert progress["targets"]["new_wksbm"]["target"] == 10
    assert progress["targets"]["new_wksbm"]["achieved"] == 10
    assert progress["targets"]["new_wksbm"]["met"] is True
    assert progress["sessions"] == {"scheduled": 0, "held": 10, "cancelled": 1}
    assert progress["participants"]["total"] == 400
    assert progress["targets"]["participants_per_session"] == {"target": 40, "achieved": 40.0}


def test_an_event_on_a_utc_evening_counts_in_its_regions_next_local_month_live_and_replayed() -> None:
    evening = datetime(2019, 7, 31, 20, tzinfo=UTC)  # 1 August, 03:00 WIB in Gunungkidul; 05:00 WIT in Papua
    worker = {"worker_id": "w1", "role": "PSM", "name": "PSM", "region_code": "34.03"}
    facts = [
        Fact.of(envelope("worker_registered", worker, region="34.03", aggregate="w1", version=1, at=evening)),
        Fact.of(
            envelope("dragon_sighted", {}, region="94.71", aggregate="x1", version=1, at=evening, producer="outreach")
        ),
    ]
    states, rollups = live(facts)
    assert rollups["34.03"]["events|month|2019-08"] == rollups["94"]["events|month|2019-08"] == 1
    assert "events|month|2019-07" not in rollups[""]
    assert rebuilt(facts) == (states, rollups)
