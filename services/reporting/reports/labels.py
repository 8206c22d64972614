"""How the reports name every status and kind: one table per record, Indonesian, for every file a person reads.

The projections keep the stable codes the events carry (``held``, ``completed``, …); a report never shows them.
Institution kinds, institution statuses and worker roles are named beside their enums (contracts).
"""

from __future__ import annotations

from collections.abc import Mapping

from contracts.events.common import INSTITUTION_KIND_LABELS, INSTITUTION_STATUS_LABELS, WORKER_ROLE_LABELS

SESSION_STATUS_LABELS = {"scheduled": "Terjadwal", "held": "Terlaksana", "cancelled": "Dibatalkan"}
CAMPAIGN_STATUS_LABELS = {"planned": "Direncanakan", "completed": "Selesai", "cancelled": "Dibatalkan"}
FOLLOWUP_STATUS_LABELS = {
    "open": "Berjalan",
    "overdue": "Terlambat",
    "completed": "Selesai",
    "cancelled": "Dibatalkan",
}


def _named(table: Mapping[str, str], code: object) -> str:
    """The label of a code; "-" for none, and a code the table does not know as it came."""
    return "-" if code in (None, "") else table.get(str(code), str(code))


def session_status(code: object) -> str:
    return _named(SESSION_STATUS_LABELS, code)


def campaign_status(code: object) -> str:
    return _named(CAMPAIGN_STATUS_LABELS, code)


def followup_status(code: object) -> str:
    return _named(FOLLOWUP_STATUS_LABELS, code)


def jenis(kind: object) -> str:
    """An institution's kind: "WKSBM", "Karang Taruna", "Pokja", …"""
    return _named(INSTITUTION_KIND_LABELS, kind)


def institution_status(code: object) -> str:
    return _named(INSTITUTION_STATUS_LABELS, code)


def peran(role: object) -> str:
    """A worker's role: "Penyuluh Sosial", "Pendamping PKH", …"""
    return _named(WORKER_ROLE_LABELS, role)
