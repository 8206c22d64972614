"""Replay's fold: every stored event, in arrival order, through the same pure functions the live consumer uses, so
the rebuilt state equals the live one. The roll-ups are computed once from the final states (not event by event):
summed per region an aggregate lives in, then carried up to every level above it.

A large store is folded in parts, to bound the memory the states take: part ``p`` of ``n`` keeps only the records
whose key hashes to ``p`` (a record's state depends on its own events alone), and the events are read once per part.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import (
    AGGREGATES,
    State,
    apply,
    contributions,
    event_month,
    level,
    safe,
    scopes,
    touches,
)

Settled = dict[str, Counter[str]]  # region → what lives right there (not yet carried up)


def part_of(key: str, parts: int) -> int:
    return zlib.crc32(key.encode()) % parts


class Rebuild:
    """The projections being rebuilt, in memory: all of them, or part ``part`` of ``parts``."""

    def __init__(self, part: int = 0, parts: int = 1) -> None:
        self.part, self.parts = part, parts
        self.states: dict[str, dict[str, State]] = {name: {} for name in AGGREGATES}
        # (region_code, event_type, month, known) → events: expanded to the roll-ups once at the end; the first
        # part counts them, as every part reads every event.
        self.tally: Counter[tuple[str, str, str, bool]] = Counter()

    def add(self, fact: Fact) -> None:
        if self.part == 0:
            self.tally[(fact.region_code, fact.event_type, event_month(fact), fact.known)] += 1
        for projection, key in touches(fact):
            if self.parts > 1 and part_of(key, self.parts) != self.part:
                continue
            states = self.states[projection]
            new = apply(projection, key, states.get(key), fact)
            if new is not None:
                states[key] = new

    def settled(self) -> Settled:
        """This part's contributions to the roll-ups, by the region they live in."""
        here: Settled = defaultdict(Counter)
        for projection, states in self.states.items():
            for state in states.values():
                contributed = contributions(projection, state)
                if contributed:
                    here[state["region_code"]].update(contributed)
        for (region_code, event_type, month, known), n in self.tally.items():
            kind = safe(event_type)
            moved = {"events|total": n, f"events|type|{kind}": n, f"events|month|{month}": n}
            if not known:
                moved[f"events|unknown|{kind}"] = n
            here[region_code].update(moved)
        return here


def rollups(settled: Mapping[str, Counter[str]]) -> list[dict[str, Any]]:
    """The roll-up documents: the contributions carried up to every level above the region they live in."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for place, contributed in settled.items():
        for region in scopes(place):
            counts[region].update(contributed)
    return [
        {"_id": region, "counts": {k: v for k, v in c.items() if v}, "level": level(region)}
        for region, c in sorted(counts.items())
    ]
