"""Replay's fold: every stored event, in arrival order, through the same pure functions the live consumer uses, so
the rebuilt state equals the live one. The roll-ups are computed once from the final states (not event by event)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import AGGREGATES, State, apply, contributions, level, safe, scopes, touches


class Rebuild:
    """The projections being rebuilt, in memory."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, State]] = {name: {} for name in AGGREGATES}
        # (region_code, event_type, month, known) → events: expanded to the roll-ups once at the end.
        self.tally: Counter[tuple[str, str, str, bool]] = Counter()

    def add(self, fact: Fact) -> None:
        occurred: datetime = fact.occurred_at
        self.tally[(fact.region_code, fact.event_type, f"{occurred.year:04d}-{occurred.month:02d}", fact.known)] += 1
        for projection, key in touches(fact):
            states = self.states[projection]
            new = apply(projection, key, states.get(key), fact)
            if new is not None:
                states[key] = new

    def rollups(self) -> list[dict[str, Any]]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for projection, states in self.states.items():
            for state in states.values():
                contributed = contributions(projection, state)
                if contributed:
                    for region in scopes(state["region_code"]):
                        counts[region].update(contributed)
        for (region_code, event_type, month, known), n in self.tally.items():
            kind = safe(event_type)
            moved = {"events|total": n, f"events|type|{kind}": n, f"events|month|{month}": n}
            if not known:
                moved[f"events|unknown|{kind}"] = n
            for region in scopes(region_code):
                counts[region].update(moved)
        return [
            {"_id": region, "counts": {k: v for k, v in c.items() if v}, "level": level(region)}
            for region, c in sorted(counts.items())
        ]
