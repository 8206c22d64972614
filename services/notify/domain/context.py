"""What a template sees: the facts of a notice in the users' words (what, where, when in local time, who).

Facts are the event's payload as JSON (plus `stage` for a reminder); the context names them in Indonesian and
formats dates the way a letter from the Dinas would, in the zone of the session's region: "Senin, 12 Agustus 2019
pukul 09.00 WIB" in Gunungkidul, "… pukul 09.00 WITA" in Bali, "… WIT" in Papua.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from contracts.events.common import INSTITUTION_KIND_LABELS
from pilar_runtime.links import with_token
from pilar_runtime.localtime import WIB, abbreviation, hari_tanggal, zone_of
from pilar_runtime.regions import RegionError, lookup
from services.notify.domain.kinds import kind_name


def tanggal(value: date | str | None) -> str:
    if value is None:
        return "-"
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return hari_tanggal(day)


def _local(value: datetime | str, zone: tzinfo) -> datetime:
    return (datetime.fromisoformat(value) if isinstance(value, str) else value).astimezone(zone)


def waktu(value: datetime | str, zone: tzinfo = WIB) -> str:
    """A day and a time in ``zone``, named: "Kamis, 8 Agustus 2019 pukul 09.00 WITA"."""
    moment = _local(value, zone)
    return f"{tanggal(moment.date())} pukul {moment:%H.%M} {abbreviation(zone)}"


def jam(value: datetime | str, zone: tzinfo = WIB) -> str:
    return f"{_local(value, zone):%H.%M} {abbreviation(zone)}"


def wilayah(code: str) -> dict[str, str]:
    """Names of a region and its parents; the code itself when the reference does not know it."""
    try:
        region = lookup(code)
    except RegionError:
        region = None
    if region is None:
        return {"kode": code, "nama": code, "lengkap": code}
    return {"kode": code, "nama": region.name, "lengkap": region.path}


def _session(facts: dict[str, Any]) -> dict[str, Any]:
    place = wilayah(facts["region_code"])
    zone = zone_of(facts["region_code"])
    sesi = {
        "id": facts["session_id"],
        "jenis": "FGD" if facts["kind"] == "FGD" else "Penyuluhan Sosial",
        "topik": facts["topic"],
        "tempat": facts["venue"],
        "desa": place["nama"],
        "wilayah": place["lengkap"],
        "mulai": waktu(facts["starts_at"], zone),
        "selesai": jam(facts["ends_at"], zone) if facts.get("ends_at") else "selesai",
        "alasan": facts.get("reason") or "-",
        "tahap": facts.get("stage", ""),
    }
    if facts.get("previous_starts_at"):
        sesi["mulai_sebelumnya"] = waktu(facts["previous_starts_at"], zone)
    return sesi


def _followup(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": facts["followup_id"],
        "aksi": facts["action"],
        "batas": tanggal(facts["due_on"]),
        "sesi_id": facts["session_id"],
    }


def _campaign(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": facts["campaign_id"],
        "nama": facts["name"],
        "topik": facts.get("topic", "-"),
        "wilayah": wilayah(facts["region_code"])["lengkap"],
        "mulai": tanggal(facts.get("start_date")),
        "selesai": tanggal(facts.get("end_date")),
        "sesi_terlaksana": facts.get("sessions_held", 0),
        "sesi_direncanakan": facts.get("sessions_planned", 0),
        "sesi_dibatalkan": facts.get("sessions_cancelled", 0),
        "peserta": facts.get("participants_reached", 0),
    }


def _report(facts: dict[str, Any], public_base_url: str, link_token: str | None) -> dict[str, Any]:
    start, end = facts.get("period_start"), facts.get("period_end")
    return {
        "id": facts["report_id"],
        "judul": facts["title"],
        "jenis": facts["kind"],
        "wilayah": wilayah(facts["region_code"])["lengkap"],
        "periode": f"{tanggal(start)} s.d. {tanggal(end)}" if start and end else "-",
        "format": ", ".join(f.upper() for f in facts.get("formats", [])),
        "tautan": public_base_url.rstrip("/") + "/" + _signed(str(facts["download_path"]).lstrip("/"), link_token),
    }


def _signed(path: str, link_token: str | None) -> str:
    """The download path carrying its signed link token, so the link opens where the mail is read, without a
    bearer token (`pilar_runtime.links`)."""
    return with_token(path, link_token) if link_token else path


_BOARD_ORDER = ("ketua", "wakil_ketua", "sekretaris", "bendahara")


def jabatan(role: str) -> str:
    """`wakil_ketua` → "Wakil Ketua"."""
    return " ".join(word.capitalize() for word in str(role).replace("_", " ").split())


def pengurus(board: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The kepengurusan as a letter lists it: ketua, sekretaris, bendahara first, then the other seats as given.
    Names and roles only, whatever else an old event's seat carries."""

    def rank(seat: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        role = str(seat[1].get("role", "")).lower()
        return (_BOARD_ORDER.index(role) if role in _BOARD_ORDER else len(_BOARD_ORDER), seat[0])

    return [
        {"jabatan": jabatan(seat["role"]), "nama": str(seat["name"])} for _, seat in sorted(enumerate(board), key=rank)
    ]


def _institution(facts: dict[str, Any]) -> dict[str, Any]:
    place = wilayah(facts["region_code"])
    return {
        "id": facts["institution_id"],
        "jenis": INSTITUTION_KIND_LABELS.get(str(facts["kind"]), str(facts["kind"])),
        "nama": facts["name"],
        "desa": place["nama"],
        "wilayah": place["lengkap"],
        "terbentuk": tanggal(facts["formed_on"]),
        "pengurus": pengurus(facts["board"]),
        "jumlah_anggota": len(facts.get("member_ids") or []),
    }


def notice_context(
    subject: str, facts: dict[str, Any], *, public_base_url: str, penerima: str, link_token: str | None = None
) -> dict[str, Any]:
    """The template context of one notice; KeyError names a fact the event lacks. `link_token` signs a report's
    download link."""
    kind = kind_name(subject)
    context: dict[str, Any] = {"jenis_pemberitahuan": kind, "penerima": penerima}
    if kind.startswith("session_"):
        context["sesi"] = _session(facts)
    elif kind.startswith("followup_"):
        context["tindak_lanjut"] = _followup(facts)
    elif kind.startswith("campaign_"):
        context["kampanye"] = _campaign(facts)
    elif kind == "report_generated":
        context["laporan"] = _report(facts, public_base_url, link_token)
    elif kind.endswith("_formed"):
        context["lembaga"] = _institution(facts)
    return context


_SESSION = {
    "session_id": "ses_contoh",
    "campaign_id": "cmp_contoh",
    "kind": "penyuluhan",
    "topic": "Pembentukan WKSBM",
    "region_code": "34.03.13.2004",
    "venue": "Balai Desa",
    "starts_at": "2019-08-08T02:00:00+00:00",
    "ends_at": "2019-08-08T05:00:00+00:00",
    "officer_ids": ["wrk_petugas"],
    "narasumber_ids": ["wrk_narasumber"],
}
_FOLLOWUP = {
    "followup_id": "fu_contoh",
    "session_id": "ses_contoh",
    "campaign_id": "cmp_contoh",
    "action": "Menyusun SK kepengurusan WKSBM",
    "owner_id": "wrk_petugas",
    "due_on": "2019-08-30",
}
_CAMPAIGN = {
    "campaign_id": "cmp_contoh",
    "name": "Penumbuhan WKSBM Gunungkidul 2019",
    "topic": "WKSBM",
    "region_code": "34.03",
    "start_date": "2019-08-08",
    "end_date": "2019-08-15",
    "desa_codes": ["34.03.13.2004"],
    "max_sessions_per_day": 2,
    "owner": "op-contoh",
    "reason": "all_sessions_done",
    "sessions_planned": 10,
    "sessions_held": 10,
    "sessions_cancelled": 0,
    "participants_reached": 400,
}
# Seed 001: one of the ten WKSBM of Gunungkidul, formed after the penyuluhan in Desa Kampung.
_FORMED = {
    "institution_id": "ins_contoh",
    "kind": "WKSBM",
    "name": "WKSBM Kampung Sejahtera",
    "region_code": "34.03.13.2004",
    "formed_on": "2019-08-20",
    "board": [
        {"role": "ketua", "name": "Suparno"},
        {"role": "sekretaris", "name": "Wulandari"},
        {"role": "bendahara", "name": "Tri Hartini"},
        {"role": "anggota", "name": "Sukardi"},
    ],
    "member_ids": ["ins_arisan", "ins_kube"],
    "session_id": "ses_contoh",
    "campaign_id": "cmp_contoh",
    "officer_ids": ["wrk_petugas"],
    "campaign_owner": "op-contoh",
}
# A sample of every notice's facts: a rule's template must render against its kinds' samples to be accepted.
SAMPLE_FACTS: dict[str, dict[str, Any]] = {
    "outreach.session_scheduled": _SESSION,
    "outreach.session_reminder": {**_SESSION, "stage": "H-1"},
    "outreach.session_rescheduled": {
        **_SESSION,
        "previous_starts_at": "2019-08-07T02:00:00+00:00",
        "previous_ends_at": "2019-08-07T05:00:00+00:00",
    },
    "outreach.session_cancelled": {**_SESSION, "reason": "Narasumber berhalangan"},
    "outreach.followup_assigned": _FOLLOWUP,
    "outreach.followup_due": _FOLLOWUP,
    "outreach.followup_overdue": _FOLLOWUP,
    "outreach.campaign_planned": _CAMPAIGN,
    "outreach.campaign_completed": _CAMPAIGN,
    "reporting.report_generated": {
        "report_id": "rpt_contoh",
        "kind": "campaign",
        "region_code": "34.03",
        "period_start": "2019-08-08",
        "period_end": "2019-08-15",
        "formats": ["xlsx", "pdf"],
        "title": "Laporan Penumbuhan WKSBM",
        "download_path": "/reports/rpt_contoh/download",
    },
    "registry.WKSBM_formed": _FORMED,
    "registry.Pokja_formed": {**_FORMED, "kind": "POKJA", "name": "Pokja Desa Kampung"},
    "registry.KarangTaruna_formed": {**_FORMED, "kind": "KARANG_TARUNA", "name": "Karang Taruna Tunas Muda"},
}
