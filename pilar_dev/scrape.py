"""Reading a /metrics page the way Prometheus does, for tests that check what an operator can alert on."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample on the page by (name, labels)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def families(text: str) -> set[str]:
    """The metric names on the page, with the names of their samples (``_total``, ``_bucket``, ``_count``…)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(s.name for s in family.samples)
    return names


def value(page: Samples, name: str, **labels: str) -> float:
    """The sample's value, 0 when it is not there yet (a counter child not touched so far)."""
    return page.get((name, frozenset(labels.items())), 0.0)
