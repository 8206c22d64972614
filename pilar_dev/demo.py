"""`pilar demo`: the seeds' programmes and a programme cycle's turns, loaded into a running stack through the public
HTTP APIs only, printing what it did.

- the handover to the Seksi PSKS (seed 001): a rule sends every formation in DIY to the section's address, and
  a small FGD in a Bali desa, scheduled at 09:00 local time, is announced "pukul 09.00 WITA";
- seed 001: the WKSBM-formation campaign in ten desa of Kabupaten Gunungkidul — auto-scheduled two locations a
  day, about 40 participants and 3 narasumber each, held, and ten WKSBM formed with complete boards;
- seed 000: the Pokja / community-regulation outreach in Kecamatan Simpang Teritip, Bangka Barat (NAPZA,
  pornografi, PMB);
- seed 004: the FGD on PPKS handling in Bondowoso, attended by the groups the seed names (Forkopimda, DPRD, camat,
  kepala desa, Tagana, Sakti Peksos, ormas, RMB, …), with its ten pilot desa and follow-ups (tindak lanjut);
- a correction: one Gunungkidul session's report is amended, and the campaign report is regenerated, revised;
- after formation (seed 003): a pelatihan and a pendampingan for two Gunungkidul WKSBM, counted by reporting with
  the institutions quiet for six months (dormant, lembaga tidur);
- the handover e-mails arriving at the Seksi PSKS;
- a cuti bersama: a Karang Taruna revitalisation campaign starting on the next collective leave day; a session
  placed on it by hand is answered with a warning, and the auto-scheduler leaves the day out;
- what the system made of it: progress, reports, the Bondowoso FGD minutes (berita acara), notifications.

The programmes are moved to the weeks around today, so their sessions can be held (reported) now and the
campaigns complete by themselves when their last session is reported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from pilar import state
from pilar.operator import signed_token
from pilar_dev.demo_client import (
    Api,
    DemoError,
    board,
    children,
    console,
    desa_by_name,
    email_of,
    form,
    hold,
    plan,
    schedule,
    workers,
)
from pilar_dev.demo_cycle import (
    PSKS,
    Aftercare,
    CutiBersama,
    after_formation,
    cuti_bersama,
    handover_arrived,
    print_activities,
)
from pilar_dev.mailcatcher import list_mail
from pilar_runtime.localtime import WITA, local_date, local_today

# Seed 004's FGD: the groups it names, each counted apart.
ATTENDANCE_FGD_004 = {
    "tksk": 23,
    "pendamping_pkh": 37,
    "forkopimda": 6,
    "dprd": 5,
    "camat": 23,
    "kepala_desa": 10,
    "sakti_peksos": 4,
    "tagana": 4,
    "psm": 3,
    "ormas": 3,
    "rmb": 2,
}
BOARD_NAMES = [
    ("Sutrisno", "Wahyuni", "Sri Lestari"),
    ("Suparjo", "Endang Susilowati", "Tri Handayani"),
    ("Mujiono", "Sumarni", "Rini Astuti"),
    ("Sukardi", "Partini", "Dwi Rahayu"),
    ("Widodo", "Suwarni", "Yuli Astuti"),
    ("Purnomo", "Ngatini", "Siti Aminah"),
    ("Slamet Riyadi", "Tumini", "Ratna Dewi"),
    ("Harjono", "Sukinah", "Eko Prasetyo"),
    ("Wagiman", "Painem", "Nur Hidayati"),
    ("Sarjono", "Marsinah", "Agus Setiawan"),
]


async def gunungkidul(api: Api, today: date) -> str:
    console.rule("Seed 001 · penumbuhan WKSBM di 10 desa, Kabupaten Gunungkidul (34.03)")
    desa = await desa_by_name(
        api,
        "34.03",
        [
            ("Kampung", "Ngawen"),
            ("Rejosari", "Semin"),
            ("Salam", "Patuk"),
            ("Pengkok", "Patuk"),
            ("Wareng", "Wonosari"),
            ("Candirejo", "Semanu"),
            ("Nglindur", "Girisubo"),
            ("Jerukwudel", "Girisubo"),
            ("Grogol", "Paliyan"),
            ("Pampang", "Paliyan"),
        ],
    )
    officers = await workers(api, [("PENYULUH_SOSIAL", f"Penyuluh Sosial {n}", "34.03") for n in "ABCD"])
    narasumber = await workers(
        api,
        [
            ("NARASUMBER", n, "34.03")
            for n in ("Nuryuwono", "Suprapti", "Kristianto", "Prih Wardoyo", "Budhi Wibowo", "Sri Mulyani")
        ],
    )
    console.print(f"registered {len(officers)} penyuluh and {len(narasumber)} narasumber")
    campaign_id = await plan(
        api,
        {
            "name": "Penyuluhan Sosial Penumbuhan WKSBM Tingkat Desa",
            "topic": "Penumbuhan WKSBM",
            "region_code": "34.03",
            "start_date": (today - timedelta(days=14)).isoformat(),
            "end_date": (today + timedelta(days=14)).isoformat(),
            "desa_codes": list(desa),
            "targets": {"new_wksbm": 10, "participants_per_session": 40},
            "max_sessions_per_day": 2,
            "officer_ids": officers,
            "narasumber_ids": narasumber,
            "officers_per_session": 2,
            "narasumber_per_session": 3,
        },
    )
    sessions = await schedule(api, campaign_id)
    console.print(f"campaign {campaign_id}: auto-scheduled {len(sessions)} sessions, two locations a day")
    for session, names in zip(sorted(sessions, key=lambda s: s["starts_at"]), BOARD_NAMES, strict=False):
        place = session["region_code"]
        member = await api.call(
            "registry",
            "POST",
            "/institutions",
            json={
                "kind": "PRANATA_SOSIAL",
                "name": f"Kelompok Arisan Dasawisma {desa[place]}",
                "region_code": place,
                "status": "active",
            },
        )
        wksbm = await api.call(
            "registry",
            "POST",
            "/institutions",
            json={
                "kind": "WKSBM",
                "name": f"WKSBM Desa {desa[place]}",
                "region_code": place,
                "member_ids": [member["id"]],
                "board": board(names),
            },
        )
        await form(
            api,
            wksbm["id"],
            {
                "formed_on": local_date(datetime.fromisoformat(session["starts_at"])).isoformat(),
                "session_id": session["id"],
                "campaign_id": campaign_id,
            },
        )
        # The officers file the session report after the desa has formed its WKSBM, so the campaign (which
        # completes with its last report) counts every WKSBM in its automatic report.
        await hold(api, session, "Penyuluhan tentang penumbuhan WKSBM; peserta sepakat membentuk WKSBM desa.")
    console.print(f"held {len(sessions)} sessions (40 participants, 3 narasumber each); 10 WKSBM formed")
    return campaign_id


async def simpang_teritip(api: Api, today: date) -> str:
    console.rule("Seed 000 · Pokja & Community Regulation, Kecamatan Simpang Teritip, Bangka Barat (19.05.02)")
    desa = {r["code"]: r["name"] for r in (await children(api, "19.05.02"))[:4]}
    officers = await workers(api, [("PENYULUH_SOSIAL", f"Penyuluh Bangka Barat {n}", "19.05") for n in "AB"])
    narasumber = await workers(api, [("NARASUMBER", f"Narasumber BNN {n}", "19.05") for n in "AB"])
    campaign_id = await plan(
        api,
        {
            "name": "Penyuluhan Pembentukan Pokja dan Community Regulation",
            "topic": "Pencegahan NAPZA, pornografi dan PMB",
            "region_code": "19.05.02",
            "start_date": (today - timedelta(days=10)).isoformat(),
            "end_date": (today + timedelta(days=10)).isoformat(),
            "desa_codes": list(desa),
            "targets": {"new_pokja": len(desa), "participants_per_session": 40},
            "max_sessions_per_day": 2,
            "officer_ids": officers,
            "narasumber_ids": narasumber,
            "narasumber_per_session": 1,
        },
    )
    sessions = await schedule(api, campaign_id)
    for session, names in zip(sorted(sessions, key=lambda s: s["starts_at"]), BOARD_NAMES[3:], strict=False):
        place = session["region_code"]
        pokja = await api.call(
            "registry",
            "POST",
            "/institutions",
            json={
                "kind": "POKJA",
                "name": f"Pokja Desa {desa[place]}",
                "region_code": place,
                "issues": ["NAPZA", "PORNOGRAFI", "PMB"],
                "board": board(names),
            },
        )
        held_on = local_date(datetime.fromisoformat(session["starts_at"])).isoformat()
        await form(api, pokja["id"], {"formed_on": held_on, "session_id": session["id"], "campaign_id": campaign_id})
        await api.call(
            "registry",
            "POST",
            "/community-regulations",
            json={
                "region_code": place,
                "title": "Kesepakatan Warga Pencegahan NAPZA, Pornografi dan PMB",
                "topics": ["NAPZA", "PORNOGRAFI", "PMB"],
                "adopted_on": held_on,
                "pokja_id": pokja["id"],
            },
        )
        await hold(api, session, "Sosialisasi bahaya NAPZA, pornografi dan PMB; desa membentuk Pokja.")
    console.print(f"campaign {campaign_id}: {len(sessions)} sessions held, {len(sessions)} Pokja and regulations")
    return campaign_id


async def bondowoso(api: Api, today: date) -> str:
    console.rule("Seed 004 · FGD penanganan PPKS, Kabupaten Bondowoso (35.11)")
    officers = await workers(api, [("PENYULUH_SOSIAL", "Penyuluh Bondowoso", "35.11")])
    narasumber = await workers(api, [("NARASUMBER", "Narasumber Dinsos Jatim", "35.11")])
    owners = await workers(api, [("TKSK", f"TKSK Bondowoso {n}", "35.11.01") for n in "AB"])
    held = today - timedelta(days=3)
    body = {
        "kind": "FGD",
        "topic": "Penanganan PPKS",
        "region_code": "35.11",
        "venue": "Aula Dinas Sosial Bondowoso",
        "starts_at": f"{held.isoformat()}T09:00:00",
        "ends_at": f"{held.isoformat()}T15:00:00",
        "officer_ids": officers,
        "narasumber_ids": narasumber,
        "expected_participants": 40,
    }

    fgd = await api.post_when_known("outreach", "/sessions", body, "outreach to know the FGD's workers")
    pilots = [(await children(api, kec["code"]))[0]["code"] for kec in (await children(api, "35.11"))[:10]]
    followups = [
        {
            "action": "Pendataan PPKS di 10 desa percontohan",
            "owner_id": owners[0],
            "due_on": (today - timedelta(days=1)).isoformat(),
        },
        {
            "action": "Monitoring dan evaluasi pelaksanaan di desa percontohan",
            "owner_id": owners[1],
            "due_on": (today + timedelta(days=30)).isoformat(),
        },
    ]
    await hold(
        api,
        fgd,
        "FGD penanganan PPKS: dipilih 10 desa percontohan dan disepakati tindak lanjut.",
        attendance=ATTENDANCE_FGD_004,
        pilot_desa_codes=pilots,
        followups=followups,
    )
    console.print(f"FGD {fgd['id']} held: {len(pilots)} pilot desa, {len(followups)} follow-ups (one already due)")
    return str(fgd["id"])


async def bondowoso_minutes(api: Api, session_id: str) -> None:
    """Seed 004's FGD minutes (berita acara), as reporting built them on FGD_held, and the district's pilot desa."""
    console.rule("Seed 004 · berita acara FGD Bondowoso (fgd_minutes)")
    report_id = f"rpt_fgd_minutes_{session_id}"

    async def built() -> bool:
        found = await api.clients["reporting"].get(f"/reports/{report_id}")
        return found.status_code == 200 and found.json().get("status") == "done"

    await api.until("reporting's FGD minutes", built, timeout=120)
    response = await api.clients["reporting"].get(f"/reports/{report_id}/download", params={"format": "csv"})
    if response.status_code >= 400:
        raise DemoError(f"reporting GET /reports/{report_id}/download → {response.status_code}: {response.text[:500]}")
    for row in csv.reader(io.StringIO(response.text)):
        if row and row[0].startswith("# "):
            console.print(f"[bold]{row[0][2:]}[/]")
        elif row:
            console.print("  " + " · ".join(row), highlight=False)
    district = await api.call("reporting", "GET", "/summary?region=35.11")
    names = ", ".join(d["name"] for d in district["pilot_desa"])
    console.print(f"pilot desa in Bondowoso's summary and dashboard: {names}")
    console.print(
        f"download: {_downloads(await api.call('reporting', 'GET', f'/reports/{report_id}'))}", soft_wrap=True
    )


async def amend_gunungkidul_report(api: Api, campaign_id: str) -> None:
    """A correction, as offices make them: one Gunungkidul session's daftar hadir is counted again (45 came, not
    40), the report is amended with the reason, and reporting revises the campaign report it had generated."""
    console.rule("Koreksi · laporan sesi Gunungkidul diamandemen")
    held = await api.call("outreach", "GET", f"/sessions?campaign_id={campaign_id}&status=held&limit=1")
    session = held["items"][0]
    report = session["report"]
    by_category = {**report["attendance"]["by_category"], "kader": report["attendance"]["by_category"]["kader"] + 5}
    reason = "daftar hadir dihitung ulang: 5 kader belum tercatat"
    body = {
        "held_on": report["held_on"],
        "attendance": {"total": sum(by_category.values()), "by_category": by_category},
        "narasumber_present_ids": report["narasumber_present_ids"],
        "summary": report["summary"],
        "outcomes": {"pilot_desa_codes": report["pilot_desa_codes"]},
        "reason": reason,
    }
    amended = await api.call("outreach", "PUT", f"/sessions/{session['id']}/report", json=body)
    total = amended["report"]["attendance"]["total"]
    console.print(f"session {session['id']}: {report['attendance']['total']} → {total} participants ({reason})")
    report_id = f"rpt_campaign_{campaign_id}"

    async def revised() -> bool:
        found = await api.clients["reporting"].get(f"/reports/{report_id}")
        return found.status_code == 200 and found.json().get("status") == "done" and bool(found.json().get("revisions"))

    await api.until("the revised campaign report", revised, timeout=120)
    state_now = await api.call("reporting", "GET", f"/reports/{report_id}")
    console.print(f"report {report_id} regenerated, revised: «{state_now['revision_note']}»", highlight=False)
    console.print(f"download: {_downloads(state_now)}", soft_wrap=True)


async def handover_and_wita(api: Api) -> None:
    """The Seksi PSKS learns of every formation in DIY by e-mail (its ten WKSBM follow); a small FGD in Desa
    Bajera, Tabanan, Bali at "09:00" is at 09:00 WITA, and its invitation says so."""
    console.rule("Serah terima ke Seksi PSKS · FGD di Bali pukul 09.00 WITA")
    rule = {"event_pattern": "registry.*_formed", "region_code": "34", "channel": "email", "recipients": [PSKS],
            "description": "Serah terima data lembaga terbentuk ke Seksi PSKS/TKSM"}  # fmt: skip
    await api.call("notify", "POST", "/rules", json=rule)
    console.print(f"rule: WKSBM, Pokja and Karang Taruna formed in DIY (34) → {PSKS}")
    bajera = next(iter(await desa_by_name(api, "51.02", [("Bajera", "Selemadeg")])))
    officers = await workers(api, [("PENYULUH_SOSIAL", "Penyuluh Tabanan", "51.02")])
    narasumber = await workers(api, [("NARASUMBER", "Narasumber Dinsos Bali", "51.02")])
    day = local_today(WITA) + timedelta(days=7)
    body: dict[str, Any] = {"kind": "FGD", "topic": "Penguatan Karang Taruna", "region_code": bajera,
                            "venue": "Balai Desa Bajera", "officer_ids": officers, "narasumber_ids": narasumber,
                            "expected_participants": 15}  # fmt: skip

    async def scheduled() -> bool:
        nonlocal day
        body.update(starts_at=f"{day.isoformat()}T09:00:00", ends_at=f"{day.isoformat()}T12:00:00")  # no offset
        response = await api.clients["outreach"].post("/sessions", json=body)
        if response.status_code == 422 and "worker" in response.text:
            return False
        if response.status_code == 409 and "no_public_holiday" in response.text:
            day += timedelta(days=1)
            return False
        if response.status_code >= 400:
            raise DemoError(f"outreach POST /sessions → {response.status_code}: {response.text[:500]}")
        body["starts_at"] = response.json()["starts_at"]
        return True

    await api.until("outreach to know the Bali FGD's workers", scheduled)
    console.print(f"FGD in Desa Bajera at 09:00 local time: stored as {body['starts_at']} (UTC)")

    officer_email = email_of("Penyuluh Tabanan")

    async def invited() -> bool:
        sent = await api.call("notify", "GET", "/deliveries", params={"recipient": officer_email, "status": "sent"})
        return bool(sent["total"])

    await api.until("the Bali FGD's invitation", invited, timeout=60)
    subject = "Undangan FGD: Penguatan Karang Taruna"
    caught = [m.body() for m in list_mail(state.mail_dir()) if subject in " ".join(m.subject.split())]
    when = [line.strip() for body in caught for line in body.splitlines() if "Waktu" in line]
    console.print(f"invitation sent to the officer: {when[0] if when else '`pilar mail` shows it'}")


@dataclass(frozen=True)
class Scenario:
    gunungkidul_campaign: str
    simpang_teritip_campaign: str
    bondowoso_fgd: str


async def load_scenario(api: Api, today: date) -> Scenario:
    """The three programmes, then a wait for reporting's automatic report of each completed campaign."""
    await handover_and_wita(api)
    scenario = Scenario(await gunungkidul(api, today), await simpang_teritip(api, today), await bondowoso(api, today))

    async def campaign_reports_done() -> bool:
        for campaign in (scenario.gunungkidul_campaign, scenario.simpang_teritip_campaign):
            found = await api.clients["reporting"].get(f"/reports/rpt_campaign_{campaign}")
            if found.status_code != 200 or found.json().get("status") != "done":
                return False
        return True

    await api.until("reporting's automatic campaign reports", campaign_reports_done, timeout=120)
    return scenario


@dataclass(frozen=True)
class Played:
    scenario: Scenario
    aftercare: Aftercare
    cuti_bersama: CutiBersama
    handovers: int


async def play(api: Api, today: date) -> Played:
    """The whole cycle: the programmes, a correction, after-care, a cuti bersama, and what the system made of it."""
    scenario = await load_scenario(api, today)
    await amend_gunungkidul_report(api, scenario.gunungkidul_campaign)
    aftercare = await after_formation(api, today)
    handovers = await handover_arrived(api)
    leave = await cuti_bersama(api, today)
    await what_the_system_made_of_it(api, scenario)
    await bondowoso_minutes(api, scenario.bondowoso_fgd)
    deliveries = await api.call("notify", "GET", "/deliveries?limit=1")
    console.print(f"notify: {deliveries['total']} deliveries recorded; `pilar mail` lists the caught e-mails")
    token = signed_token("demo-viewer", role="viewer", region="34.03", ttl=timedelta(hours=12))
    # Links unbroken by the terminal's width, to be copied whole.
    console.print(f"Gunungkidul's dashboard: {state.service_url('reporting')}/dashboard?token={token}", soft_wrap=True)
    return Played(scenario, aftercare, leave, handovers)


async def what_the_system_made_of_it(api: Api, scenario: Scenario) -> None:
    console.rule("What the system made of it")
    for name, campaign in (
        ("Gunungkidul", scenario.gunungkidul_campaign),
        ("Simpang Teritip", scenario.simpang_teritip_campaign),
    ):
        progress = await api.call("reporting", "GET", f"/campaigns/{campaign}/progress")
        console.print(f"[bold]{name}[/] campaign progress:")
        console.print_json(data=progress.get("targets", progress))
    for report in (await api.call("reporting", "GET", "/reports"))["items"]:
        console.print(f"report {report['id']}: {report.get('kind')} {report.get('status', '')}")
    print_activities((await api.call("reporting", "GET", "/summary?region=34.03"))["activities"])


def _downloads(report: dict[str, Any]) -> str:
    links = " · ".join(f"{state.service_url('reporting')}{path}" for path in (report.get("downloads") or {}).values())
    return f"{links} (with a token from `pilar token`)"


async def run_demo() -> int:
    api = Api.open()
    try:
        for service in state.SERVICES:

            async def ready(service: str = service) -> bool:
                try:
                    return (await api.clients[service].get("/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            url = state.service_url(service)
            await api.until(f"{service} at {url} (is `pilar up` running?)", ready, timeout=60)
        await play(api, local_today())
        return 0
    except DemoError as exc:
        console.print(f"[bold red]{exc}")
        return 1
    finally:
        await api.close()
