"""The observability profile's files: Prometheus' scrape configuration and alerts, Grafana's provisioning and
dashboard, and how compose wires them. That the queries name metrics the services really expose is checked
against live scrapes in tests/e2e/test_stack.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.observability import ROOT, alert_rules, dashboard, dashboard_expressions, selectors
from tests.deploy.test_compose import APP_PORTS, compose, required_variable, services

DURATION = re.compile(r"\d+[smhd]")
# What the operators asked to be told about, by the alert that tells them.
REQUIRED_ALERTS = {
    "PilarServiceDown": "up",
    "PilarDeadLetterQueueNotEmpty": "pilar_dlq_depth",
    "PilarOutboxStuck": "pilar_outbox_oldest_age_seconds",
    "PilarDeliveriesFailing": "pilar_delivery_attempts_total",
}


def _yaml(path: str) -> Any:
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


def _balanced(expr: str) -> bool:
    depth = 0
    for char in re.sub(r'"(?:[^"\\]|\\.)*"', "", expr):
        depth += {"(": 1, ")": -1, "{": 1, "}": -1, "[": 1, "]": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def test_every_alert_is_complete_and_well_formed() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert DURATION.fullmatch(rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert _balanced(rule["expr"]) and selectors(rule["expr"]), rule["alert"]


def test_the_alerts_an_operator_needs_are_there() -> None:
    by_name = {rule["alert"]: rule for rule in alert_rules()}
    for alert, metric in REQUIRED_ALERTS.items():
        assert metric in {name for name, _ in selectors(by_name[alert]["expr"])}, alert
    assert re.search(r"pilar_outbox_oldest_age_seconds\)\s*>\s*60\b", by_name["PilarOutboxStuck"]["expr"])
    assert re.search(r"pilar_dlq_depth\)\s*>\s*0\b", by_name["PilarDeadLetterQueueNotEmpty"]["expr"])


def test_prometheus_scrapes_the_four_services_with_the_metrics_token_and_loads_the_alerts() -> None:
    config = _yaml("deploy/prometheus/prometheus.yml")
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "pilar" and job["metrics_path"] == "/metrics"
    targets = {target for static in job["static_configs"] for target in static["targets"]}
    assert targets == {f"{name}:{port}" for name, port in APP_PORTS.items()}
    assert job["authorization"] == {"type": "Bearer", "credentials_file": "/etc/prometheus/metrics-token"}
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    for rule in alert_rules():
        if "up" in {name for name, _ in selectors(rule["expr"])}:
            assert 'job="pilar"' in rule["expr"]


def test_the_dashboard_reads_the_provisioned_prometheus() -> None:
    datasources = _yaml("deploy/grafana/provisioning/datasources/prometheus.yml")["datasources"]
    (prometheus,) = datasources
    assert prometheus["type"] == "prometheus" and prometheus["url"] == "http://prometheus:9090"
    board = dashboard()
    assert board["uid"] and board["title"] and board["panels"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == prometheus["uid"], panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert _balanced(target["expr"]) and selectors(target["expr"]), panel["title"]
    provider = _yaml("deploy/grafana/provisioning/dashboards/pilar.yml")["providers"][0]
    assert provider["type"] == "file"
    mounts = {m["source"]: m["target"] for m in services()["grafana"]["configs"]}
    assert Path(mounts["grafana-dashboard-pilar"]).parent == Path(provider["options"]["path"])


def test_the_dashboard_shows_what_the_alerts_watch() -> None:
    shown = {name for expr in dashboard_expressions() for name, _ in selectors(expr)}
    assert set(REQUIRED_ALERTS.values()) <= shown


@pytest.mark.parametrize("name", ["prometheus", "grafana"])
def test_the_observability_profile_runs_on_loopback_with_its_files(name: str) -> None:
    service = services()[name]
    assert service["profiles"] == ["observability"]
    assert all(str(port).startswith("127.0.0.1:") for port in service["ports"])
    configs = compose()["configs"]
    for mount in service["configs"]:
        source = configs[mount["source"]]
        if "file" in source:
            assert (ROOT / source["file"]).is_file(), source["file"]


def test_prometheus_is_given_the_token_the_services_require() -> None:
    mounts = {m["source"]: m["target"] for m in services()["prometheus"]["configs"]}
    config = _yaml("deploy/prometheus/prometheus.yml")
    token = [
        source
        for source, target in mounts.items()
        if target == config["scrape_configs"][0]["authorization"]["credentials_file"]
    ]
    assert token and required_variable(compose()["configs"][token[0]]["content"]) == "PILAR_METRICS_TOKEN"
    assert mounts["prometheus-alerts"] == config["rule_files"][0]
    for name in APP_PORTS:
        assert required_variable(services()[name]["environment"]["PILAR_METRICS_TOKEN"]) == "PILAR_METRICS_TOKEN"
    assert required_variable(services()["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]) == "GRAFANA_ADMIN_PASS"
