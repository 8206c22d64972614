"""A record's history: the stored events that shaped an institution, a session, a campaign or a worker, as the
operators read them (oldest first, each with an Indonesian label)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pilar_runtime.personal import without_personal_data
from services.reporting.domain.projection import CAMPAIGNS, INSTITUTIONS, SESSIONS, WORKERS

# The records whose history can be read, by the word a route and an error name them with: their projection.
RECORDS = {"institution": INSTITUTIONS, "session": SESSIONS, "campaign": CAMPAIGNS, "worker": WORKERS}

# What each event means to the Seksi Penyuluhan. A type without a label (newer than this table) shows its name.
LABELS = {
    "institution_registered": "Lembaga didaftarkan",
    "institution_updated": "Data lembaga diubah",
    "WKSBM_formed": "WKSBM dibentuk",
    "Pokja_formed": "Pokja dibentuk",
    "KarangTaruna_formed": "Karang Taruna dibentuk",
    "board_changed": "Kepengurusan diganti",
    "institution_status_changed": "Status lembaga diubah",
    "institution_activity_recorded": "Kegiatan lembaga dicatat",
    "community_regulation_adopted": "Peraturan warga ditetapkan",
    "worker_registered": "Personel didaftarkan",
    "worker_updated": "Data personel diubah",
    "campaign_planned": "Kampanye direncanakan",
    "campaign_updated": "Rencana kampanye diubah",
    "campaign_cancelled": "Kampanye dibatalkan",
    "campaign_completed": "Kampanye selesai",
    "session_scheduled": "Sesi dijadwalkan",
    "session_rescheduled": "Jadwal sesi diubah",
    "session_cancelled": "Sesi dibatalkan",
    "penyuluhan_held": "Penyuluhan dilaksanakan dan dilaporkan",
    "FGD_held": "FGD dilaksanakan dan dilaporkan",
    "session_report_amended": "Laporan sesi dikoreksi",
    "followup_assigned": "Tindak lanjut ditugaskan",
    "followup_completed": "Tindak lanjut selesai",
    "followup_overdue": "Tindak lanjut melewati batas waktu",
    "notification_sent": "Pemberitahuan terkirim",
    "notification_failed": "Pemberitahuan gagal terkirim",
    "report_generated": "Laporan dibuat",
}


def label(event_type: str) -> str:
    return LABELS.get(event_type, event_type)


def history_entry(stored: Mapping[str, Any]) -> dict[str, Any]:
    """One stored event as a history entry. The store keeps no NIK, phone or e-mail; the payload is filtered
    again here, so no history shows a contact whatever wrote the store."""
    return {
        "event_id": stored["event_id"],
        "event_type": stored["event_type"],
        "label": label(stored["event_type"]),
        "occurred_at": stored["occurred_at"],
        "actor": stored.get("actor"),
        "aggregate_version": stored["aggregate_version"],
        "payload": without_personal_data(stored.get("payload")),
    }
