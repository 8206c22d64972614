"""The event store's sequence numbers: the feed's cursor and the order a replay reads.

With one partition (the default) the numbers are gap-free, from one counter every transaction moves. With several,
replicas must not share a counter, so each partition counts its own ``k`` and an event's number is
``k × SHARDS + partition`` (unique, and roughly in arrival order: a transaction numbers its events from the highest
``k`` of any partition). Partitions commit independently, so a reader sees a number only up to the *horizon*: the
smallest number any partition may still commit below, which is its counter's last number. Everything at or below
the horizon is committed, in every partition; an idle partition's counter is moved up by its owner (the tick).

Numbers from before partitions (the single counter's ``legacy`` value) stay below every partitioned one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts.topology import SHARDS, partition_of


def number(partition: int, k: int) -> int:
    return k * SHARDS + partition


@dataclass(frozen=True)
class Counters:
    """The sequence counters as stored: the single counter, the partitions in use and each one's last ``k``."""

    legacy: int = 0
    partitions: int = 1
    tops: Mapping[int, int] = field(default_factory=dict)

    @property
    def partitioned(self) -> bool:
        return self.partitions > 1

    def start(self) -> int:
        """The ``k`` a partition without a counter starts from: above every number given so far."""
        return max([*self.tops.values(), self.legacy // SHARDS + 1])

    def partition(self, aggregate_id: str) -> int:
        return partition_of(aggregate_id, self.partitions) if self.partitioned else 0

    def horizon(self) -> int:
        """The highest number at or below which every event is committed."""
        if not self.partitioned:
            return self.legacy
        # A partition without a counter yet numbers from the highest when it first commits: above all of this.
        floor = self.legacy // SHARDS
        return min(number(p, self.tops.get(p, floor)) for p in range(self.partitions))

    def numbered(self, counts: Mapping[int, int]) -> dict[int, list[int]]:
        """Numbers for ``counts[p]`` new events of each partition p in one transaction (partitioned only)."""
        first = self.start()
        return {p: [number(p, first + i) for i in range(1, n + 1)] for p, n in counts.items() if n}

    def after(self, after: int, limit: int | None = None) -> list[int]:
        """The numbers above ``after`` that may hold a committed event, up to each partition's counter — the
        smallest ``limit`` of them, or all. Events are looked up by number: a list of ids every server answers by
        the index, where some scan the whole store for a range."""
        span = limit if limit is not None else self.legacy + max(self.tops.values(), default=0) + 1
        found = list(range(after + 1, min(self.legacy, after + span) + 1))
        for p, top in self.tops.items():
            first = max(self.legacy // SHARDS + 1, (after - p) // SHARDS + 1)
            found += [number(p, k) for k in range(first, min(top, first + span - 1) + 1)]
        return sorted(found)[:limit]
