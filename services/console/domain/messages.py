"""A service's problem answer (RFC 9457: ``message``, ``field``, ``errors``, ``rule``) as Indonesian messages
next to the form fields they concern; never raw JSON. Common rules have their own words; anything else falls back
to the service's message."""

from __future__ import annotations

import re
from typing import Any

GENERAL = ""  # the key of what concerns the whole form

BY_STATUS = {
    401: "Sesi Anda telah berakhir. Silakan masuk kembali.",
    403: "Data ini berada di luar wilayah atau kewenangan Anda.",
    404: "Data tidak ditemukan.",
    413: "Berkas atau isian terlalu besar.",
    429: "Terlalu banyak permintaan. Coba lagi sebentar lagi.",
    503: "Layanan sedang tidak tersedia. Coba lagi sebentar lagi.",
}
BY_RULE = {
    "double_booking": "Petugas atau narasumber sudah memiliki sesi pada waktu tersebut.",
    "sessions_per_day": "Jumlah sesi kampanye pada hari itu sudah mencapai batas.",
    "public_holiday": "Tanggal tersebut hari libur nasional.",
    "cuti_bersama": "Tanggal tersebut cuti bersama.",
    "outside_period": "Tanggal berada di luar periode kampanye.",
    "duplicate": "Data yang sama sudah terdaftar.",
    # outreach's scheduling rules and states (a session moved, placed or reported)
    "no_double_booking": "Petugas atau narasumber sudah memiliki sesi lain pada waktu tersebut.",
    "max_sessions_per_day": "Jumlah sesi kampanye pada hari itu sudah mencapai batas per hari.",
    "no_public_holiday": "Tanggal tersebut hari libur nasional; pilih hari lain.",
    "inside_campaign_period": "Tanggal berada di luar periode kampanye.",
    "desa_in_campaign_region": "Desa tidak berada di wilayah kampanye.",
    "people_in_region": "Petugas, narasumber, atau penanggung jawab tidak bertugas di wilayah ini.",
    "auto_schedule": "Jadwal tidak dapat disusun: hari kerja, petugas, atau narasumber tidak cukup untuk semua desa.",
    "session_cancelled": "Sesi ini sudah dibatalkan.",
    "session_held": "Sesi ini sudah terlaksana dan tidak dapat diubah.",
    "session_scheduled": "Sesi ini belum dilaporkan terlaksana.",
    "session_already_reported": "Laporan sesi ini sudah ada.",
    "session_changed": "Sesi diubah orang lain sementara itu; muat ulang lalu coba lagi.",
    "campaign_open": "Kampanye ini sudah selesai atau dibatalkan.",
    "campaign_changed": "Kampanye diubah orang lain sementara itu; muat ulang lalu coba lagi.",
    "followup_open": "Tindak lanjut ini sudah selesai atau dibatalkan.",
}
BY_TYPE = {
    "missing": "Wajib diisi.",
    "string_too_short": "Isian terlalu pendek.",
    "string_too_long": "Isian terlalu panjang.",
    "int_parsing": "Harus berupa bilangan bulat.",
    "float_parsing": "Harus berupa angka.",
    "greater_than_equal": "Nilai terlalu kecil.",
    "less_than_equal": "Nilai terlalu besar.",
    "date_from_datetime_parsing": "Tanggal tidak valid.",
    "date_parsing": "Tanggal tidak valid.",
    "datetime_parsing": "Waktu tidak valid.",
    "datetime_from_date_parsing": "Waktu tidak valid.",
    "enum": "Pilihan tidak dikenal.",
    "literal_error": "Pilihan tidak dikenal.",
}
_UNKNOWN_REGION = re.compile(r"region code .* does not exist|is not a Kemendagri code")
_NOT_ASSIGNED = re.compile(r"not assigned to session")
UNAVAILABLE = BY_STATUS[503]


def _field(loc: list[Any]) -> str:
    # ["body", "region_code"] → "region_code"; the first part says where (body, query), not which field
    return ".".join(str(part) for part in loc[1:]) if len(loc) > 1 else GENERAL


def _words(message: str) -> str:
    if _UNKNOWN_REGION.search(message):
        return "Kode wilayah tidak ada dalam referensi Kemendagri."
    if _NOT_ASSIGNED.search(message):
        return "Narasumber ini tidak ditugaskan pada sesi tersebut."
    return message


def field_errors(status: int, problem: dict[str, Any]) -> dict[str, str]:
    """Field name → Indonesian message for a service's error answer (``""``: the form as a whole)."""
    if status >= 500 and status != 503:
        return {GENERAL: UNAVAILABLE}
    found: dict[str, str] = {}
    for issue in problem.get("errors") or []:
        if isinstance(issue, dict):
            where = _field(list(issue.get("loc") or []))
            found.setdefault(where, BY_TYPE.get(str(issue.get("type")), _words(str(issue.get("msg", "")))))
    if found:
        return found
    message = str(problem.get("message") or "")
    words = BY_RULE.get(str(problem.get("rule"))) or BY_STATUS.get(status) or _words(message) or "Permintaan ditolak."
    return {str(problem.get("field") or GENERAL): words}
