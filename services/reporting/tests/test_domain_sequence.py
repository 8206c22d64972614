"""The event store's sequence numbers with partitions (pure): unique, above the horizon once given, all found."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.topology import SHARDS
from services.reporting.domain.sequence import Counters, number

PARTITIONS = 4
# A run of commits: each names how many events of each partition it numbers, or a tick of one partition.
commits = st.lists(
    st.one_of(
        st.dictionaries(st.integers(0, PARTITIONS - 1), st.integers(1, 5), min_size=1),
        st.integers(0, PARTITIONS - 1),  # a tick: an idle partition moved up to the highest
    ),
    max_size=30,
)


def committed(legacy: int, run: list[dict[int, int] | int]) -> list[tuple[Counters, list[int]]]:
    """Apply the run one commit after another; returns the counters before each and the numbers it gave."""
    counters = Counters(legacy, PARTITIONS, {p: legacy // SHARDS + 1 for p in range(PARTITIONS)})
    out = []
    for commit in run:
        tops = dict(counters.tops)
        given: list[int] = []
        if isinstance(commit, int):
            tops[commit] = max(tops[commit], counters.start())
        else:
            numbered = counters.numbered(commit)
            for p, numbers in numbered.items():
                given += numbers
                tops[p] = counters.start() + len(numbers)
        out.append((counters, given))
        counters = Counters(legacy, PARTITIONS, tops)
    out.append((counters, []))
    return out


@given(st.integers(0, 10_000), commits)
def test_numbers_are_unique_and_above_every_number_of_the_single_counter(legacy: int, run: list) -> None:
    given_numbers = [n for _, numbers in committed(legacy, run) for n in numbers]
    assert len(given_numbers) == len(set(given_numbers))
    assert all(n > legacy for n in given_numbers)


@given(st.integers(0, 10_000), commits)
def test_a_number_is_never_given_at_or_below_a_horizon_read_before(legacy: int, run: list) -> None:
    steps = committed(legacy, run)
    for i, (counters, _) in enumerate(steps):
        later = [n for _, numbers in steps[i:] for n in numbers]
        assert all(n > counters.horizon() for n in later)


@settings(deadline=None)
@given(st.integers(0, 300), commits, st.integers(0, 3000), st.integers(1, 50))
def test_looking_up_by_number_finds_every_event_after_a_cursor_page_by_page(
    legacy: int, run: list, cursor: int, limit: int
) -> None:
    steps = committed(legacy, run)
    final = steps[-1][0]
    stored = {*range(1, legacy + 1), *(n for _, numbers in steps for n in numbers)}
    seen: list[int] = []
    after = cursor
    while True:
        page = final.after(after, limit)
        if not page:
            break
        assert page == sorted(page) and page[0] > after
        seen += [n for n in page if n in stored]
        after = page[-1]
    assert seen == sorted(n for n in stored if n > cursor)


def test_one_partition_keeps_the_single_gap_free_counter() -> None:
    counters = Counters(legacy=41)
    assert not counters.partitioned and counters.horizon() == 41
    assert counters.after(38, 10) == [39, 40, 41]
    assert counters.partition("ins_1") == 0


def test_an_idle_partition_holds_the_horizon_until_it_is_moved_up() -> None:
    counters = Counters(legacy=0, partitions=2, tops={0: 10, 1: 3})
    assert counters.horizon() == number(1, 3)
    assert Counters(0, 2, {0: 10, 1: 10}).horizon() == number(0, 10)
