"""Operasi: each service's status (`GET /admin/status`) and reporting's replay, as the admin's page shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SERVICES = {"registry": "Registri", "outreach": "Penjangkauan", "notify": "Notifikasi", "reporting": "Pelaporan"}
REPLAY_NAMES = {"idle": "Belum pernah", "running": "Sedang berjalan", "done": "Selesai", "failed": "Gagal"}


@dataclass(frozen=True)
class ServiceLine:
    service: str
    name: str
    answered: bool
    ready: bool = False
    broker: bool = False
    mongo: bool = False
    waiting: int | None = None
    in_flight: int | None = None
    dead_letters: int | None = None
    outbox: int | None = None
    timers: int | None = None
    notice: str = ""


def service_line(service: str, status: dict[str, Any] | None, notice: str = "") -> ServiceLine:
    """A service's status in the page's terms; ``None`` with the notice of a service that did not answer."""
    if status is None:
        return ServiceLine(service, SERVICES[service], answered=False, notice=notice)
    queue = status.get("queue") or {}
    outbox = status.get("outbox") or {}
    return ServiceLine(
        service,
        SERVICES[service],
        answered=True,
        ready=bool(status.get("ready")),
        broker=bool(status.get("broker")),
        mongo=bool(status.get("mongo")),
        waiting=queue.get("waiting"),
        in_flight=queue.get("in_flight"),
        dead_letters=queue.get("dead_letters"),
        outbox=outbox.get("backlog"),
        timers=status.get("pending_timers"),
    )
