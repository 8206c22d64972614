from pydantic_settings import SettingsConfigDict

from pilar_runtime.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", populate_by_name=True, extra="ignore")

    service: str = "reporting"
    port: int = 8004
    # One event at a time: every event moves the same roll-up and sequence documents, so concurrent handlers only
    # conflict and retry (measured: 5 events/s at 32 in flight, 20 events/s at 1, bench/e2e.py). More throughput
    # comes from replicas of other services, not from concurrency here.
    prefetch: int = 1
    # How often the report worker looks for pending jobs when nothing woke it.
    report_poll_seconds: float = 2.0
    # Events read and applied per batch when rebuilding the projections.
    replay_batch: int = 5000
    # Monthly reports wait this long after month end (or after the last event of a past month) for stragglers.
    monthly_report_grace_seconds: float = 900.0
