"""Operasi: each service's status (`GET /admin/status`), its dead letters and reporting's replay, as the admin's page
shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pilar_runtime.localtime import WIB, abbreviation
from services.console.domain.formats import angka, waktu

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


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    event_type: str
    reason: str
    when: str


@dataclass(frozen=True)
class DeadLetterList:
    """A service's dead letters as the page lists them (``GET /admin/dead-letters``): type, reason and when."""

    service: str
    name: str
    waiting: int
    letters: list[DeadLetter]


def dead_letter_list(service: str, found: dict[str, Any]) -> DeadLetterList:
    letters = [
        DeadLetter(
            message_id=line.get("message_id") or "",
            event_type=line.get("event_type") or "tidak diketahui",
            reason=line.get("reason") or "tidak diketahui",
            when=_when(line.get("dead_lettered_at")),
        )
        for line in found.get("items") or []
    ]
    return DeadLetterList(service, SERVICES[service], int(found.get("waiting") or 0), letters)


def _when(moment: str | None) -> str:
    if not moment:
        return "—"
    return waktu(datetime.fromisoformat(moment), WIB, abbreviation(WIB))  # operators work from the centre: WIB


def redrive_outcome(service: str, counts: dict[str, str]) -> str | None:
    """What a redrive did, in words (``handled``, ``failed``, ``not_found`` come back through the page's address)."""
    if service not in SERVICES or not all(counts.get(k, "").isdigit() for k in ("handled", "failed", "not_found")):
        return None
    handled, failed, missing = (angka(int(counts[k])) for k in ("handled", "failed", "not_found"))
    words = f"Surat mati {SERVICES[service]} dikirim ulang: {handled} berhasil diproses, {failed} gagal lagi"
    words += " (tetap di DLQ dengan alasan barunya)"
    if counts["not_found"] != "0":
        words += f", {missing} tidak ditemukan lagi"
    return words + "."
