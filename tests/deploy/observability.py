"""The queries of deploy/prometheus/alerts.yml and the Grafana dashboard, and the metrics and labels they use."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "pilar.json"
# Series Prometheus makes itself for every target, not exposed by a service.
SCRAPE_SERIES = {"up"}

_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_SELECTOR = re.compile(r"\b(pilar_\w+|up)\b(?:\{([^}]*)\})?")
_MATCHER = re.compile(r"(\w+)\s*(?:=~|!~|!=|=)")


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return result


def dashboard_expressions() -> list[str]:
    return [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """Each series selector in a PromQL expression: the metric's name and the label names it matches on."""
    found = []
    for match in _SELECTOR.finditer(expr):
        matchers = _QUOTED.sub('""', match.group(2) or "")
        found.append((match.group(1), set(_MATCHER.findall(matchers))))
    return found
