"""A recorded event sequence modelled on the seeds: the Gunungkidul WKSBM outreach of 8–15 August 2019 (seed 001:
10 desa, two locations a day, ~40 participants and 3 narasumber each, target at least 10 new WKSBM) and the
Bondowoso PPKS FGD of 30 November 2020 (seed 004: follow-ups), plus the registry and notify events around them
and one event type reporting does not know."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts.catalogue import EVENT_TYPES
from contracts.envelope import Envelope
from pilar_dev.demo import ATTENDANCE_FGD_004

CAMPAIGN = "cmp_gunungkidul_2019"
KEC_WONOSARI = "34.03.01"
KEC_NGLIPAR = "34.03.02"
DESA = [f"{KEC_WONOSARI}.200{i}" for i in range(1, 6)] + [f"{KEC_NGLIPAR}.200{i}" for i in range(1, 6)]
NARASUMBER = ["wrk_nar1", "wrk_nar2", "wrk_nar3", "wrk_nar4"]
ATTENDANCE = {"tokoh masyarakat": 10, "tokoh agama": 8, "perangkat desa": 12, "kader": 10}
BONDOWOSO = "35.11"
# Seed 004: ten desa chosen as pilot projects towards "Desa Melesat", one in each of ten kecamatan.
PILOT_DESA = [
    "35.11.01.2001",
    "35.11.02.2001",
    "35.11.03.2001",
    "35.11.04.2001",
    "35.11.05.2001",
    "35.11.06.2002",
    "35.11.07.1009",
    "35.11.08.1011",
    "35.11.09.2001",
    "35.11.10.2001",
]
FGD_NARASUMBER = {"wrk_unej": "Budhy Santoso, Ph.D.", "wrk_dprd": "Adi Krisna, SH"}
UNKNOWN_TYPE = "dragon_sighted"

_NS = uuid.UUID("6f0e2c1a-9d7b-4c55-8a51-1f3d5b2e9c00")


def envelope(
    event_type: str,
    payload: dict[str, Any],
    *,
    region: str,
    aggregate: str,
    version: int,
    at: datetime,
    producer: str | None = None,
    name: str | None = None,
) -> Envelope:
    """An event as its producer would have sent it, with an id derived from its content (reproducible)."""
    key = name or f"{event_type}/{aggregate}/{version}"
    return Envelope(
        event_id=uuid.uuid5(_NS, key),
        event_type=event_type,
        occurred_at=at,
        producer=producer or EVENT_TYPES[event_type].producer,
        correlation_id=f"corr-{aggregate}",
        actor="op-gunungkidul",
        region_code=region,
        aggregate_id=aggregate,
        aggregate_version=version,
        payload=payload,
    )


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=7)  # WIB → UTC


def board(desa_index: int) -> list[dict[str, str]]:
    return [
        {"role": "ketua", "name": f"Ketua {desa_index}", "nik": "3403011208800001", "phone": "081200000001"},
        {"role": "sekretaris", "name": f"Sekretaris {desa_index}"},
        {"role": "bendahara", "name": f"Bendahara {desa_index}"},
        {"role": "anggota", "name": f"Anggota {desa_index}"},
    ]


def scenario() -> list[Envelope]:
    events: list[Envelope] = []
    start = date(2019, 8, 8)
    for i, worker in enumerate(NARASUMBER, start=1):
        payload = {"worker_id": worker, "role": "NARASUMBER", "name": f"Narasumber {i}", "region_code": "34.03"}
        events.append(envelope("worker_registered", payload, region="34.03", aggregate=worker, version=1, at=at(start)))
    for worker, role, region in (("wrk_psm1", "PSM", DESA[0]), ("wrk_tksk1", "TKSK", KEC_WONOSARI)):
        payload = {"worker_id": worker, "role": role, "name": f"Pekerja {worker}", "region_code": region}
        events.append(envelope("worker_registered", payload, region=region, aggregate=worker, version=1, at=at(start)))
    events.append(
        envelope(
            "campaign_planned",
            {
                "campaign_id": CAMPAIGN,
                "name": "Penumbuhan WKSBM Gunungkidul 2019",
                "topic": "Penumbuhan WKSBM",
                "region_code": "34.03",
                "start_date": "2019-08-08",
                "end_date": "2019-08-15",
                "desa_codes": DESA,
                "targets": {"new_wksbm": 10, "participants_per_session": 40},
                "max_sessions_per_day": 2,
                "narasumber_ids": NARASUMBER,
            },
            region="34.03",
            aggregate=CAMPAIGN,
            version=1,
            at=at(date(2019, 8, 1)),
        )
    )
    for i, desa in enumerate(DESA):
        day = start + timedelta(days=i // 2)
        session = f"ses_{i + 1:02d}"
        present = [NARASUMBER[(i + k) % 4] for k in range(3)]
        plan = {
            "session_id": session,
            "campaign_id": CAMPAIGN,
            "kind": "penyuluhan",
            "topic": "Penumbuhan WKSBM",
            "region_code": desa,
            "venue": f"Balai Desa {desa}",
            "starts_at": f"{day.isoformat()}T0{1 + 4 * (i % 2)}:00:00Z",
            "ends_at": f"{day.isoformat()}T0{3 + 4 * (i % 2)}:00:00Z",
            "narasumber_ids": present,
            "expected_participants": 40,
        }
        events.append(
            envelope("session_scheduled", plan, region=desa, aggregate=session, version=1, at=at(date(2019, 8, 2)))
        )
        version = 2
        if i == 3:  # moved by a day's hour once: rescheduled before it is held
            moved = {**plan, "previous_starts_at": plan["starts_at"], "previous_ends_at": plan["ends_at"]}
            events.append(
                envelope(
                    "session_rescheduled", moved, region=desa, aggregate=session, version=2, at=at(date(2019, 8, 3))
                )
            )
            version = 3
        held = {
            "session_id": session,
            "campaign_id": CAMPAIGN,
            "kind": "penyuluhan",
            "topic": "Penumbuhan WKSBM",
            "region_code": desa,
            "held_on": day.isoformat(),
            "attendance": {"total": 40, "by_category": ATTENDANCE},
            "narasumber_present_ids": present,
            "summary": "Sosialisasi WKSBM dan pembentukan pengurus",
        }
        events.append(
            envelope("penyuluhan_held", held, region=desa, aggregate=session, version=version, at=at(day, 15))
        )
        institution = f"ins_wksbm_{i + 1:02d}"
        registered = {
            "institution_id": institution,
            "kind": "WKSBM",
            "name": f"WKSBM {desa}",
            "region_code": desa,
            "status": "initiated",
            "board": board(i + 1),
        }
        events.append(
            envelope(
                "institution_registered", registered, region=desa, aggregate=institution, version=1, at=at(day, 16)
            )
        )
        formed = {
            "institution_id": institution,
            "kind": "WKSBM",
            "name": f"WKSBM {desa}",
            "region_code": desa,
            "formed_on": day.isoformat(),
            "board": board(i + 1),
            "member_ids": [f"ins_pranata_{i}_{k}" for k in range(3)],
            "session_id": session,
            # Two formations do not cite the campaign: they count by desa and date.
            "campaign_id": CAMPAIGN if i < 8 else None,
        }
        events.append(envelope("WKSBM_formed", formed, region=desa, aggregate=institution, version=2, at=at(day, 17)))
    cancelled = {
        "session_id": "ses_11",
        "campaign_id": CAMPAIGN,
        "kind": "penyuluhan",
        "topic": "Penumbuhan WKSBM",
        "region_code": DESA[9],
        "venue": "Balai Desa cadangan",
        "starts_at": "2019-08-15T07:00:00Z",
        "reason": "hujan lebat",
    }
    events.append(
        envelope(
            "session_scheduled",
            {**cancelled, "ends_at": "2019-08-15T09:00:00Z"},
            region=DESA[9],
            aggregate="ses_11",
            version=1,
            at=at(date(2019, 8, 2)),
        )
    )
    events.append(
        envelope(
            "session_cancelled", cancelled, region=DESA[9], aggregate="ses_11", version=2, at=at(date(2019, 8, 14))
        )
    )
    # Later life of one WKSBM: a new ketua, then inactive.
    changed = {"institution_id": "ins_wksbm_01", "kind": "WKSBM", "board": board(99)}
    events.append(
        envelope("board_changed", changed, region=DESA[0], aggregate="ins_wksbm_01", version=3, at=at(date(2019, 9, 1)))
    )
    status = {"institution_id": "ins_wksbm_01", "kind": "WKSBM", "previous_status": "active", "status": "inactive"}
    events.append(
        envelope(
            "institution_status_changed",
            status,
            region=DESA[0],
            aggregate="ins_wksbm_01",
            version=4,
            at=at(date(2019, 9, 2)),
        )
    )
    regulation = {
        "regulation_id": "reg_01",
        "title": "Kesepakatan warga pencegahan NAPZA dan pornografi",
        "region_code": DESA[0],
        "topics": ["NAPZA", "PORNOGRAFI"],
        "adopted_on": "2019-08-20",
    }
    events.append(
        envelope(
            "community_regulation_adopted",
            regulation,
            region=DESA[0],
            aggregate="reg_01",
            version=1,
            at=at(date(2019, 8, 20)),
        )
    )
    completed = {
        "campaign_id": CAMPAIGN,
        "name": "Penumbuhan WKSBM Gunungkidul 2019",
        "region_code": "34.03",
        "reason": "all_sessions_done",
        "sessions_planned": 11,
        "sessions_held": 10,
        "sessions_cancelled": 1,
        "participants_reached": 400,
        "per_desa": {d: {"sessions_held": 1, "participants": 40} for d in DESA},
    }
    events.append(
        envelope(
            "campaign_completed", completed, region="34.03", aggregate=CAMPAIGN, version=2, at=at(date(2019, 8, 16))
        )
    )
    # Bondowoso FGD (seed 004) with two follow-ups: one done, one overdue.
    fgd_day = date(2020, 11, 30)
    people = [*FGD_NARASUMBER.items(), ("wrk_tksk9", "TKSK Maesan")]
    for worker, name in people:
        payload = {
            "worker_id": worker,
            "role": "TKSK" if worker == "wrk_tksk9" else "NARASUMBER",
            "name": name,
            "region_code": "35.11.01" if worker == "wrk_tksk9" else BONDOWOSO,
        }
        where = payload["region_code"]
        events.append(
            envelope("worker_registered", payload, region=where, aggregate=worker, version=1, at=at(date(2020, 11, 20)))
        )
    planned_fgd = {
        "session_id": "ses_fgd",
        "kind": "FGD",
        "topic": "Penanganan PPKS",
        "region_code": BONDOWOSO,
        "venue": "Ball Room Hotel Ijen View, Bondowoso",
        "starts_at": "2020-11-30T01:00:00Z",
        "ends_at": "2020-11-30T06:00:00Z",
        "narasumber_ids": sorted(FGD_NARASUMBER),
        "expected_participants": 120,
    }
    events.append(
        envelope(
            "session_scheduled",
            planned_fgd,
            region=BONDOWOSO,
            aggregate="ses_fgd",
            version=1,
            at=at(date(2020, 11, 23)),
        )
    )
    followups = [
        {
            "followup_id": "fup_1",
            "action": "Tetapkan 10 desa percontohan",
            "owner_id": "wrk_tksk9",
            "due_on": "2020-12-15",
        },
        {"followup_id": "fup_2", "action": "Susun rencana monev", "owner_id": "wrk_tksk9", "due_on": "2020-12-20"},
    ]
    fgd = {
        "session_id": "ses_fgd",
        "kind": "FGD",
        "topic": "Penanganan PPKS",
        "region_code": BONDOWOSO,
        "held_on": fgd_day.isoformat(),
        "attendance": {"total": 120, "by_category": ATTENDANCE_FGD_004},
        "narasumber_present_ids": sorted(FGD_NARASUMBER),
        "summary": "Strategi penanganan PPKS menuju Desa Melesat; dipilih 10 desa percontohan.",
        "pilot_desa_codes": PILOT_DESA,
        "followups": followups,
        # The daftar hadir; a NIK an older producer might have sent along is never kept.
        "attendees": [
            {"name": "Ahmad Fauzi", "category": "camat", "institution": "Kecamatan Maesan", "nik": "3511010101800001"},
            {
                "name": "Siti Rohmah",
                "category": "kepala_desa",
                "institution": "Desa Sucolor",
                "desa_code": PILOT_DESA[0],
            },
            {"name": "Dwi Prasetyo", "category": "rmb", "institution": "Relawan Muda Bondowoso"},
        ],
    }
    events.append(envelope("FGD_held", fgd, region=BONDOWOSO, aggregate="ses_fgd", version=2, at=at(fgd_day, 14)))
    for n, f in enumerate(followups, start=3):
        assigned = {**f, "session_id": "ses_fgd"}
        events.append(
            envelope(
                "followup_assigned", assigned, region=BONDOWOSO, aggregate="ses_fgd", version=n, at=at(fgd_day, 15)
            )
        )
    done = {"followup_id": "fup_1", "session_id": "ses_fgd", "completed_on": "2020-12-10"}
    events.append(
        envelope(
            "followup_completed", done, region=BONDOWOSO, aggregate="ses_fgd", version=5, at=at(date(2020, 12, 10))
        )
    )
    overdue = {**followups[1], "session_id": "ses_fgd"}
    events.append(
        envelope(
            "followup_overdue",
            overdue,
            region=BONDOWOSO,
            aggregate="ses_fgd",
            version=6,
            at=at(date(2020, 12, 21)),
        )
    )
    for n in range(4):
        failed = n == 3
        note = {
            "delivery_id": f"dlv_{n}",
            "channel": "email" if n % 2 == 0 else "sms",
            "template": "undangan_sesi",
            "source_event_id": str(uuid.uuid5(_NS, f"src{n}")),
            "source_event_type": "session_scheduled",
            "attempts": 5 if failed else 1,
            **({"reason": "SMTP 550"} if failed else {}),
        }
        events.append(
            envelope(
                "notification_failed" if failed else "notification_sent",
                note,
                region=DESA[n],
                aggregate=f"dlv_{n}",
                version=1,
                at=at(date(2019, 8, 5)),
            )
        )
    events.append(
        envelope(
            UNKNOWN_TYPE,
            {"where": DESA[2]},
            region=DESA[2],
            aggregate="x1",
            version=1,
            at=at(date(2019, 8, 9)),
            producer="registry",
        )
    )
    return events
