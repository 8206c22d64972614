"""Small builders for runtime tests."""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.events.registry import WorkerRegistered
from pilar_runtime.events import new_event


def worker_event(worker_id: str = "w-1", version: int = 1, name: str = "Sri Lestari") -> Envelope:
    return new_event(
        "worker_registered",
        WorkerRegistered(worker_id=worker_id, role="PSM", name=name, region_code="34.03.13"),
        actor="tester",
        region_code="34.03.13",
        aggregate_id=worker_id,
        aggregate_version=version,
    )
