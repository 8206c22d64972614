"""`pilar demo`: the seeds' three programmes loaded into a running stack through the public HTTP APIs only.

- seed 001: the WKSBM-formation campaign in ten desa of Kabupaten Gunungkidul — auto-scheduled two locations a
  day, about 40 participants and 3 narasumber each, held, and ten WKSBM formed with complete boards;
- seed 000: the Pokja / community-regulation outreach in Kecamatan Simpang Teritip, Bangka Barat (NAPZA,
  pornografi, PMB);
- seed 004: the FGD on PPKS handling in Bondowoso, attended by the groups the seed names (Forkopimda, DPRD, camat,
  kepala desa, Tagana, Sakti Peksos, ormas, RMB, …), with its ten pilot desa and follow-ups (tindak lanjut); its
  minutes (berita acara), built by reporting, are printed at the end;
- the handover to the Seksi PSKS (seed 001): a rule sends every formation in DIY to the section's address, and
  a small FGD in a Bali desa, scheduled at 09:00 local time, is announced "pukul 09.00 WITA".

Then a correction: one Gunungkidul session's report is amended, and the campaign report is regenerated, revised.

The programmes are moved to the weeks around today, so their sessions can be held (reported) now and the
campaigns complete by themselves when their last session is reported.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from rich.console import Console

from pilar import state
from pilar_dev.mailcatcher import list_mail
from pilar_runtime.auth import issue_token
from pilar_runtime.localtime import WITA, local_date, local_today

console = Console()
ATTENDANCE_40 = {
    "tokoh_masyarakat": 8,
    "tokoh_agama": 5,
    "perangkat_desa": 6,
    "pendamping_pkh": 4,
    "kader": 8,
    "tksk": 2,
    "psm": 7,
}
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


ALREADY_LOADED = (
    "The scenario is loaded already (its institutions exist). To load it afresh, stop `pilar up`, remove its state "
    "directory (.pilar, or PILAR_STATE_DIR) and start it again."
)


class DemoError(RuntimeError):
    pass


@dataclass
class Api:
    """One authorised client per service; every call checks its answer and says what failed."""

    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    @classmethod
    def open(cls) -> Api:
        token = issue_token(state.jwt_secret(), sub="demo-operator", role="admin", region="")
        headers = {"Authorization": f"Bearer {token}", "X-Correlation-ID": "pilar-demo"}
        return cls(
            {s: httpx.AsyncClient(base_url=state.service_url(s), headers=headers, timeout=60) for s in state.SERVICES}
        )

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def call(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.clients[service].request(method, path, **kwargs)
        if response.status_code >= 400:
            problem = f"{service} {method} {path} → {response.status_code}: {response.text[:500]}"
            if response.status_code == 409:
                problem += f"\n{ALREADY_LOADED}"
            raise DemoError(problem)
        return response.json()

    async def until(self, what: str, check: Callable[[], Awaitable[bool]], timeout: float = 90) -> None:
        """Wait for the event-driven part (other services catching up) to show, with a clear failure."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise DemoError(f"timed out waiting for {what}")
            await asyncio.sleep(0.5)


async def _children(api: Api, parent: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await api.call("registry", "GET", f"/regions?parent={parent}"))["items"]
    return items


async def _desa_by_name(api: Api, kabupaten: str, wanted: list[tuple[str, str]]) -> dict[str, str]:
    """Desa code → name for (desa, kecamatan) names, looked up in the registry's region reference."""
    kecamatan = {r["name"].lower(): r["code"] for r in await _children(api, kabupaten)}
    found = {}
    for desa, kec in wanted:
        children = await _children(api, kecamatan[kec.lower()])
        found[next(r["code"] for r in children if r["name"].lower() == desa.lower())] = desa
    return found


async def _workers(api: Api, specs: list[tuple[str, str, str]]) -> list[str]:
    ids = []
    for role, name, region in specs:
        email = name.lower().replace(" ", ".").replace(",", "") + "@dinsos.example.id"
        body = {"role": role, "name": name, "region_code": region, "email": email, "active": True}
        ids.append((await api.call("registry", "POST", "/workers", json=body))["id"])
    return ids


async def _plan_and_schedule(api: Api, campaign: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    # Outreach learns about workers from registry's events: retry while its copy catches up.
    planned: dict[str, Any] = {}

    async def planned_ok() -> bool:
        nonlocal planned
        response = await api.clients["outreach"].post("/campaigns", json=campaign)
        if response.status_code == 422 and "worker" in response.text:
            return False
        if response.status_code >= 400:
            raise DemoError(f"outreach POST /campaigns → {response.status_code}: {response.text[:500]}")
        planned = response.json()
        return True

    await api.until("outreach to know the campaign's workers", planned_ok)
    sessions = (await api.call("outreach", "POST", f"/campaigns/{planned['id']}/schedule"))["items"]
    return planned["id"], sessions


async def _form(api: Api, institution_id: str, formation: dict[str, Any]) -> None:
    # Registry learns campaigns and sessions from outreach's events: retry while its reference catches up.
    async def formed() -> bool:
        response = await api.clients["registry"].post(f"/institutions/{institution_id}/formation", json=formation)
        if response.status_code == 422 and "not known yet" in response.text:
            return False
        if response.status_code >= 400:
            raise DemoError(
                f"registry POST /institutions/{institution_id}/formation → {response.status_code}: "
                f"{response.text[:500]}"
            )
        return True

    await api.until("registry to know the campaign and its sessions", formed)


def _board(names: tuple[str, str, str]) -> list[dict[str, str]]:
    """A complete kepengurusan: ketua, sekretaris, bendahara."""
    return [
        {"role": role, "name": name} for role, name in zip(("ketua", "sekretaris", "bendahara"), names, strict=True)
    ]


async def _hold(
    api: Api, session: dict[str, Any], summary: str, attendance: dict[str, int] = ATTENDANCE_40, **outcomes: Any
) -> None:
    held_on = local_date(datetime.fromisoformat(session["starts_at"]))
    report = {
        "held_on": held_on.isoformat(),
        "attendance": {"total": sum(attendance.values()), "by_category": attendance},
        "narasumber_present_ids": session["narasumber_ids"],
        "summary": summary,
        "outcomes": outcomes,
    }
    await api.call("outreach", "POST", f"/sessions/{session['id']}/report", json=report)


async def gunungkidul(api: Api, today: date) -> str:
    console.rule("Seed 001 · penumbuhan WKSBM di 10 desa, Kabupaten Gunungkidul (34.03)")
    desa = await _desa_by_name(
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
    officers = await _workers(api, [("PENYULUH_SOSIAL", f"Penyuluh Sosial {n}", "34.03") for n in "ABCD"])
    narasumber = await _workers(
        api,
        [
            ("NARASUMBER", n, "34.03")
            for n in ("Nuryuwono", "Suprapti", "Kristianto", "Prih Wardoyo", "Budhi Wibowo", "Sri Mulyani")
        ],
    )
    console.print(f"registered {len(officers)} penyuluh and {len(narasumber)} narasumber")
    campaign_id, sessions = await _plan_and_schedule(
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
                "board": _board(names),
            },
        )
        await _form(
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
        await _hold(api, session, "Penyuluhan tentang penumbuhan WKSBM; peserta sepakat membentuk WKSBM desa.")
    console.print(f"held {len(sessions)} sessions (40 participants, 3 narasumber each); 10 WKSBM formed")
    return campaign_id


async def simpang_teritip(api: Api, today: date) -> str:
    console.rule("Seed 000 · Pokja & Community Regulation, Kecamatan Simpang Teritip, Bangka Barat (19.05.02)")
    desa = {r["code"]: r["name"] for r in (await _children(api, "19.05.02"))[:4]}
    officers = await _workers(api, [("PENYULUH_SOSIAL", f"Penyuluh Bangka Barat {n}", "19.05") for n in "AB"])
    narasumber = await _workers(api, [("NARASUMBER", f"Narasumber BNN {n}", "19.05") for n in "AB"])
    campaign_id, sessions = await _plan_and_schedule(
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
                "board": _board(names),
            },
        )
        held_on = local_date(datetime.fromisoformat(session["starts_at"])).isoformat()
        await _form(api, pokja["id"], {"formed_on": held_on, "session_id": session["id"], "campaign_id": campaign_id})
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
        await _hold(api, session, "Sosialisasi bahaya NAPZA, pornografi dan PMB; desa membentuk Pokja.")
    console.print(f"campaign {campaign_id}: {len(sessions)} sessions held, {len(sessions)} Pokja and regulations")
    return campaign_id


async def bondowoso(api: Api, today: date) -> str:
    console.rule("Seed 004 · FGD penanganan PPKS, Kabupaten Bondowoso (35.11)")
    officers = await _workers(api, [("PENYULUH_SOSIAL", "Penyuluh Bondowoso", "35.11")])
    narasumber = await _workers(api, [("NARASUMBER", "Narasumber Dinsos Jatim", "35.11")])
    owners = await _workers(api, [("TKSK", f"TKSK Bondowoso {n}", "35.11.01") for n in "AB"])
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

    async def scheduled() -> bool:
        response = await api.clients["outreach"].post("/sessions", json=body)
        if response.status_code == 422 and "worker" in response.text:
            return False
        if response.status_code >= 400:
            raise DemoError(f"outreach POST /sessions → {response.status_code}: {response.text[:500]}")
        body["id"] = response.json()["id"]
        return True

    await api.until("outreach to know the FGD's workers", scheduled)
    pilots = [(await _children(api, kec["code"]))[0]["code"] for kec in (await _children(api, "35.11"))[:10]]
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
    session = {"id": body["id"], "starts_at": f"{held.isoformat()}T09:00:00+07:00", "narasumber_ids": narasumber}
    await _hold(
        api,
        session,
        "FGD penanganan PPKS: dipilih 10 desa percontohan dan disepakati tindak lanjut.",
        attendance=ATTENDANCE_FGD_004,
        pilot_desa_codes=pilots,
        followups=followups,
    )
    console.print(f"FGD {body['id']} held: {len(pilots)} pilot desa, {len(followups)} follow-ups (one already due)")
    return str(body["id"])


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
    console.print(f"report {report_id} regenerated: «Laporan ini telah direvisi …» ({reason})")


async def handover_and_wita(api: Api) -> None:
    """The Seksi PSKS learns of every formation in DIY by e-mail (its ten WKSBM follow); a small FGD in Desa
    Bajera, Tabanan, Bali at "09:00" is at 09:00 WITA, and its invitation says so."""
    console.rule("Serah terima ke Seksi PSKS · FGD di Bali pukul 09.00 WITA")
    psks = "seksi.psks@dinsos.example.id"
    rule = {"event_pattern": "registry.*_formed", "region_code": "34", "channel": "email", "recipients": [psks],
            "description": "Serah terima data lembaga terbentuk ke Seksi PSKS/TKSM"}  # fmt: skip
    await api.call("notify", "POST", "/rules", json=rule)
    console.print(f"rule: WKSBM, Pokja and Karang Taruna formed in DIY (34) → {psks}")
    bajera = next(iter(await _desa_by_name(api, "51.02", [("Bajera", "Selemadeg")])))
    officers = await _workers(api, [("PENYULUH_SOSIAL", "Penyuluh Tabanan", "51.02")])
    narasumber = await _workers(api, [("NARASUMBER", "Narasumber Dinsos Bali", "51.02")])
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

    officer_email = "penyuluh.tabanan@dinsos.example.id"

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


async def run_demo() -> int:
    api = Api.open()
    today = local_today()
    try:
        for service in state.SERVICES:

            async def ready(service: str = service) -> bool:
                try:
                    return (await api.clients[service].get("/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            url = state.service_url(service)
            await api.until(f"{service} at {url} (is `pilar up` running?)", ready, timeout=60)
        scenario = await load_scenario(api, today)
        await amend_gunungkidul_report(api, scenario.gunungkidul_campaign)
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
        await bondowoso_minutes(api, scenario.bondowoso_fgd)
        deliveries = await api.call("notify", "GET", "/deliveries?limit=1")
        console.print(f"notify: {deliveries['total']} deliveries recorded; `pilar mail` lists the caught e-mails")
        token = issue_token(state.jwt_secret(), sub="demo-viewer", role="viewer", region="34.03")
        console.print(f"Gunungkidul's dashboard: {state.service_url('reporting')}/dashboard?token={token}")
        return 0
    except DemoError as exc:
        console.print(f"[bold red]{exc}")
        return 1
    finally:
        await api.close()
