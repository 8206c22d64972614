"""Reporting's HTTP API: summary, campaign progress, event feed, reports, replay, dashboard."""
