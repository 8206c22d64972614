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
# A request's consistency rules (a model validator's "Value error, …", which names no field): the field and the words.
BY_VALUE_RULE = [
    (re.compile(r"campaign_id is required"), "campaign_id", "Pilih kampanye."),
    (
        re.compile(r"region_code, period_start and period_end are required"),
        "period_start",
        "Wilayah, tanggal mulai dan tanggal akhir wajib diisi.",
    ),
    (re.compile(r"region_code is required"), "region_code", "Wajib diisi."),
    (
        re.compile(r"period_end .* is before period_start"),
        "period_end",
        "Tanggal akhir tidak boleh sebelum tanggal mulai.",
    ),
    (re.compile(r"takes no period"), "period_start", "Laporan ini tidak memakai periode; kosongkan tanggal."),
    (re.compile(r"kind .* is unknown"), "kind", "Pilihan tidak dikenal."),
]
# A refusal whose message starts with the field it concerns ("url: …"), in words per field (notify's rules and
# webhooks): the English detail stays in the service's log.
BY_FIELD = {
    "url": "URL webhook tidak dapat dipakai: harus http(s), tanpa kredensial, ke alamat yang diizinkan "
    "dan dapat dihubungi.",
    "secret": "Rahasia minimal 16 karakter.",
    "event_patterns": "Pola peristiwa tidak dikenal.",
    "event_pattern": "Pola peristiwa tidak dikenal.",
    "recipients": "Penerima tidak sesuai: sebutkan peran atau alamat yang cocok dengan kanal "
    "(webhook: id wh_… di wilayah Anda).",
    "template": "Templat tidak dapat dipakai untuk aturan ini.",
    "channel": "Kanal ini tidak tersedia.",
}
_UNKNOWN_REGION = re.compile(r"region code .* does not exist|is not a Kemendagri code")
# The services' messages for rules without a rule name, in the words of the pages (first match wins).
BY_MESSAGE = [
    (re.compile(r"NIK is not valid"), "NIK tidak valid (16 angka dengan kode wilayah dan tanggal lahir yang benar)."),
    (re.compile(r"phone must be"), "Nomor telepon harus 8–15 angka."),
    (re.compile(r"email is not a valid"), "Alamat e-mail tidak valid."),
    (re.compile(r"another worker is registered with this NIK"), "NIK ini sudah terdaftar untuk petugas lain."),
    (re.compile(r"already exists in this region"), "Lembaga sejenis dengan nama ini sudah terdaftar di desa ini."),
    (re.compile(r"board has more than one"), "Ketua, sekretaris, dan bendahara masing-masing hanya satu."),
    (re.compile(r"board is incomplete"), "Kepengurusan belum lengkap: ketua, sekretaris, dan bendahara wajib ada."),
    (re.compile(r"needs at least one member"), "WKSBM memerlukan sedikitnya satu lembaga anggota di desanya."),
    (
        re.compile(r"member_ids:"),
        "Lembaga anggota harus lembaga yang ada, bukan WKSBM, tidak bubar, di desa yang sama.",
    ),
    (re.compile(r"only an initiated institution|formed meanwhile"), "Hanya lembaga rintisan yang dapat ditumbuhkan."),
    (re.compile(r"is not known yet"), "Kampanye atau sesi ini belum dikenal registri. Coba lagi sebentar lagi."),
    (re.compile(r"outside the region of"), "Kampanye atau sesi ini bukan milik wilayah lembaga."),
    (re.compile(r"not a session of the cited campaign"), "Sesi ini bukan bagian dari kampanye yang dipilih."),
    (re.compile(r"cannot go from|can no longer change"), "Perubahan status ini tidak diperbolehkan."),
    (re.compile(r"is in the future"), "Tanggal tidak boleh di masa depan."),
    (re.compile(r"is expected here"), "Kode wilayah tidak pada tingkat yang sesuai."),
    (re.compile(r"not assigned to session"), "Narasumber ini tidak ditugaskan pada sesi tersebut."),
]
UNAVAILABLE = BY_STATUS[503]


def _field(loc: list[Any]) -> str:
    # ["body", "region_code"] → "region_code"; the first part says where (body, query), not which field
    return ".".join(str(part) for part in loc[1:]) if len(loc) > 1 else GENERAL


def in_words(message: str) -> str:
    """A service's English message in the pages' words, when the table knows it."""
    if _UNKNOWN_REGION.search(message):
        return "Kode wilayah tidak ada dalam referensi Kemendagri."
    return next((words for pattern, words in BY_MESSAGE if pattern.search(message)), message)


def field_errors(status: int, problem: dict[str, Any]) -> dict[str, str]:
    """Field name → Indonesian message for a service's error answer (``""``: the form as a whole)."""
    if status >= 500 and status != 503:
        return {GENERAL: UNAVAILABLE}
    found: dict[str, str] = {}
    for issue in problem.get("errors") or []:
        if isinstance(issue, dict):
            where = _field(list(issue.get("loc") or []))
            rule = next((r for r in BY_VALUE_RULE if r[0].search(str(issue.get("msg", "")))), None)
            if rule is not None:
                found.setdefault(rule[1], rule[2])
                continue
            found.setdefault(where, BY_TYPE.get(str(issue.get("type")), in_words(str(issue.get("msg", "")))))
    if found:
        return found
    message = str(problem.get("message") or "")
    words = (
        BY_RULE.get(str(problem.get("rule")))
        or BY_STATUS.get(status)
        or (BY_FIELD.get(str(problem.get("field"))) if status == 422 and not _UNKNOWN_REGION.search(message) else None)
        or in_words(message)
        or "Permintaan ditolak."
    )
    return {str(problem.get("field") or GENERAL): words}
