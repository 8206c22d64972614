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


_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created")}


def exposed(text: str) -> dict[str, set[str]]:
    """Every name a query may use (a counter's ``_total``, a histogram's ``_bucket``…, also for a family with no
    sample yet), each with the label names its samples carry so far."""
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for suffix in _SUFFIXES.get(family.type, ("",)):
            names.setdefault(family.name + suffix, set())
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


def value(page: Samples, name: str, **labels: str) -> float:
    """The sample's value, 0 when it is not there yet (a counter child not touched so far)."""
    return page.get((name, frozenset(labels.items())), 0.0)
