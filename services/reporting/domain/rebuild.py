"""Replay's fold: every stored event, in arrival order, through the same pure functions the live consumer uses, so
the rebuilt state equals the live one. The roll-ups are computed once from the final states (not event by event):
summed per region an aggregate lives in, then carried up to every level above it."""

from __future__ import annotations

from collections import Counter, defaultdict
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


class Rebuild:
    """The projections being rebuilt, in memory."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, State]] = {name: {} for name in AGGREGATES}
        # (region_code, event_type, month, known) → events: expanded to the roll-ups once at the end.
        self.tally: Counter[tuple[str, str, str, bool]] = Counter()

    def add(self, fact: Fact) -> None:
        self.tally[(fact.region_code, fact.event_type, event_month(fact), fact.known)] += 1
        for projection, key in touches(fact):
            states = self.states[projection]
            new = apply(projection, key, states.get(key), fact)
            if new is not None:
                states[key] = new

    def rollups(self) -> list[dict[str, Any]]:
        here: dict[str, Counter[str]] = defaultdict(Counter)  # region → what lives right there
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
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for place, contributed in here.items():
            for region in scopes(place):
                counts[region].update(contributed)
        return [
            {"_id": region, "counts": {k: v for k, v in c.items() if v}, "level": level(region)}
            for region, c in sorted(counts.items())
        ]
