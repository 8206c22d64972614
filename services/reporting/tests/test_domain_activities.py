"""The dormant rule, pure: active institutions quiet for more than six calendar months."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from services.reporting.domain.activities import (
    dormant_count,
    is_dormant,
    is_recently_active,
    months_before,
    quiet_since,
    quietest_days_end,
    recently_active_count,
)
from services.reporting.domain.facts import Fact
from services.reporting.tests.scenario import DESA
from services.reporting.tests.test_activities import activity, after_formation, formed, registered
from services.reporting.tests.test_domain import live, rebuilt

TODAY = date(2020, 8, 31)


def wksbm(**fields: str) -> dict[str, str]:
    return {"status": "active", "formed_on": "2019-08-10", **fields}


def test_six_calendar_months_back_keeps_the_day_or_the_months_last() -> None:
    assert months_before(date(2020, 8, 15)) == date(2020, 2, 15)
    assert months_before(TODAY) == date(2020, 2, 29)  # leap year: no 31 February
    assert months_before(date(2020, 3, 31)) == date(2019, 9, 30)
    assert months_before(date(2020, 1, 10)) == date(2019, 7, 10)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_the_cutoff_lies_between_181_and_184_days_back(day: date) -> None:
    back = (day - months_before(day)).days
    assert 181 <= back <= 184
    assert (months_before(day).year * 12 + months_before(day).month) == day.year * 12 + day.month - 6


def test_the_last_sign_of_life_is_the_later_of_activity_and_formation_and_else_registration() -> None:
    assert quiet_since({"registered_on": "2019-03-01"}) == "2019-03-01"
    assert quiet_since(wksbm(registered_on="2019-03-01")) == "2019-08-10"
    # Entered years after its formation: the entry is no sign of life, the institution is dormant.
    assert quiet_since(wksbm(registered_on="2026-11-30")) == "2019-08-10"
    assert is_dormant(wksbm(registered_on="2026-11-30"), date(2026, 12, 1))
    assert quiet_since(wksbm(last_activity_on="2020-01-15")) == "2020-01-15"
    assert quiet_since({}) is None


def test_a_formed_wksbm_without_activity_for_six_months_is_dormant() -> None:
    cutoff = months_before(TODAY)
    assert is_dormant(wksbm(), TODAY)
    assert is_dormant(wksbm(last_activity_on=(cutoff - timedelta(days=1)).isoformat()), TODAY)
    assert not is_dormant(wksbm(last_activity_on=cutoff.isoformat()), TODAY)  # exactly six months: not yet
    assert not is_dormant(wksbm(last_activity_on="2020-08-01"), TODAY)
    assert not is_dormant(wksbm(), date(2019, 12, 1))  # formed less than six months before


def test_only_active_institutions_can_be_dormant() -> None:
    for status in ("initiated", "inactive", "dissolved"):
        assert not is_dormant(wksbm(status=status), TODAY)
    assert not is_dormant({"status": "active"}, TODAY)  # no date known: no claim


def test_recently_active_means_an_activity_since_the_cutoff() -> None:
    assert is_recently_active(wksbm(last_activity_on="2020-02-29"), TODAY)
    assert not is_recently_active(wksbm(last_activity_on="2020-02-28"), TODAY)
    assert not is_recently_active(wksbm(), TODAY)  # a formation is no activity


@given(st.permutations(range(5)))
def test_the_projection_keeps_the_latest_activity_whatever_the_arrival_order(order: list[int]) -> None:
    facts = [Fact.of(e) for e in after_formation(TODAY)[:3]]
    late = activity("ins_wksbm_a", "WKSBM", DESA[0], 4, "monev", date(2019, 12, 1), 5)  # entered late, held earlier
    sequence = [*facts, Fact.of(late), facts[2]]  # and one delivered twice
    states, counts = live([sequence[i] for i in order])
    state = states["institutions"]["ins_wksbm_a"]
    assert state["last_activity_on"] == (TODAY - timedelta(days=30)).isoformat()
    assert state["last_activity_kind"] == "pelatihan"
    assert state["quiet_since"] == state["last_activity_on"]
    assert counts["34.03"]["activities|kind|monev"] == 1 and counts["34.03"]["activities|kind|pelatihan"] == 1
    assert counts["34.03"]["activities|month|2019-12"] == 1


def quiet_wksbm(ins: str, desa: str, formed_on: date, status: str = "active") -> list[Fact]:
    return [
        Fact.of(registered(ins, "WKSBM", f"WKSBM {ins}", desa, status, date(2019, 1, 2))),
        Fact.of(formed(ins, f"WKSBM {ins}", desa, formed_on)),
    ]


@given(st.permutations(range(8)), st.dates(date(2019, 6, 1), date(2021, 6, 1)))
@example(list(range(8)), date(2020, 3, 1))  # the cut-off is a formation day: not dormant yet
@example(list(range(8)), date(2020, 9, 3))  # the cut-off is an activity day: recently active still
def test_the_rollups_count_dormant_and_recent_institutions_as_their_states_do(order: list[int], today: date) -> None:
    """The summary counts from a region's roll-up (per-day counters) what the rule says of each institution's state,
    as of any day, live and replayed alike."""
    facts = [Fact.of(e) for e in after_formation(date(2020, 8, 31))]
    facts += quiet_wksbm("ins_e", DESA[4], date(2019, 9, 1)) + quiet_wksbm("ins_f", DESA[5], date(2019, 9, 1))
    facts += [Fact.of(activity("ins_e", "WKSBM", DESA[4], 3, "monev", date(2020, 3, 3), 9))]
    sequence = [facts[i] for i in order] + [f for i, f in enumerate(facts) if i not in order]
    cutoff = months_before(today)
    for states, counts in (live(sequence), rebuilt(sequence)):
        institutions = states["institutions"].values()
        for region in ("", "34", "34.03", DESA[4]):
            here = [s for s in institutions if region in ("", *s["regions"])]
            assert dormant_count(counts.get(region, {}), cutoff) == sum(is_dormant(s, today) for s in here)
            assert recently_active_count(counts.get(region, {}), cutoff) == sum(
                is_recently_active(s, today) for s in here
            )


def test_the_quietest_dormant_institutions_are_found_up_to_the_day_their_count_reaches_the_page() -> None:
    counts = {"quiet_since|2019-01-01": 2, "quiet_since|2019-02-01": 3, "quiet_since|2019-03-01": 1}
    counts |= {"last_activity|2018-12-01": 7, "institutions|WKSBM|active": 6}
    assert quietest_days_end(counts, date(2019, 6, 1), 2) == "2019-01-01"
    assert quietest_days_end(counts, date(2019, 6, 1), 4) == "2019-02-01"  # ties of the last day included
    assert quietest_days_end(counts, date(2019, 6, 1), 50) == "2019-03-01"
    assert quietest_days_end(counts, date(2019, 2, 1), 50) == "2019-01-01"  # only those quiet since before it
    assert quietest_days_end(counts, date(2019, 1, 1), 50) is None
    assert quietest_days_end({}, date(2019, 6, 1), 50) is None
    assert dormant_count(counts, date(2019, 2, 15)) == 5 and recently_active_count(counts, date(2018, 12, 1)) == 7
