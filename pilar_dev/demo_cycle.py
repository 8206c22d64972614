"""The demo's turns of the programme cycle after the seeds' programmes: the handover e-mails arriving at the Seksi
PSKS, after-care of formed institutions (activities, the dormant count) and a cuti bersama met by hand and by the
auto-scheduler."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from typing import Any

from pilar import state
from pilar_dev.demo_client import MAIL_DOMAIN, Api, DemoError, children, console, plan, schedule, workers
from pilar_dev.mailcatcher import list_mail
from pilar_runtime.localtime import hari_tanggal, local_date
from services.outreach.domain.calendar import cuti_bersama_name, holiday_name

PSKS = f"seksi.psks@{MAIL_DOMAIN}"
# Seed 003's after-care for two of the WKSBM formed in Gunungkidul: (kind, participants, notes).
ACTIVITIES = [
    ("pelatihan", 25, "Pelatihan pengurus WKSBM: administrasi dan pendataan PMKS"),
    ("pendampingan", 12, "Pendampingan penyusunan rencana kegiatan WKSBM"),
]


async def handover_arrived(api: Api) -> int:
    """The Seksi PSKS's handover e-mails, one per institution formed in DIY, as notify sent them and the mail
    catcher holds them."""
    console.rule("Serah terima ke Seksi PSKS · e-mail terkirim")
    registered = (await api.call("registry", "GET", "/institutions", params={"region": "34", "limit": 500}))["items"]
    formed = sum(1 for institution in registered if institution.get("formation"))
    sent: list[dict[str, Any]] = []

    async def arrived() -> bool:
        nonlocal sent
        found = await api.call("notify", "GET", "/deliveries", params={"recipient": PSKS, "limit": 500})
        sent = [d for d in found["items"] if d["status"] == "sent"]
        return len(sent) >= formed

    await api.until("the handover e-mails to the Seksi PSKS", arrived)
    notices = ", ".join(sorted({d["notice"] for d in sent}))
    console.print(f"{len(sent)} handover e-mails sent to {PSKS} ({notices})")
    caught = [m for m in list_mail(state.mail_dir()) if m.to == PSKS]
    if caught:
        console.print(f"in the mail catcher: «{' '.join(caught[0].subject.split())}» … (`pilar mail` lists them)")
    return len(sent)


@dataclass(frozen=True)
class Aftercare:
    trained: list[str]
    dormant: str  # the Karang Taruna entered from the archive


async def after_formation(api: Api, today: date) -> Aftercare:
    """Seed 003: formed institutions are trained and accompanied afterwards. Two Gunungkidul WKSBM get a pelatihan
    and a pendampingan; reporting counts them, and the institutions quiet for six months (dormant, lembaga tidur)."""
    console.rule("Setelah pembentukan · pelatihan dan pendampingan WKSBM, Gunungkidul")
    found = await api.call("registry", "GET", "/institutions", params={"kind": "WKSBM", "region": "34.03"})
    wksbm = sorted(found["items"], key=lambda i: (i["formation"]["formed_on"], i["name"]))[: len(ACTIVITIES)]
    for institution, (kind, participants, notes) in zip(wksbm, ACTIVITIES, strict=True):
        held_on = min(today, date.fromisoformat(institution["formation"]["formed_on"]) + timedelta(days=7))
        activity = {"kind": kind, "date": held_on.isoformat(), "participants": participants, "notes": notes}
        await api.call("registry", "POST", f"/institutions/{institution['id']}/activities", json=activity)
        console.print(f"{institution['name']}: {kind} on {held_on}, {participants} participants")
    archived = await karang_taruna_from_the_archive(api, today, wksbm[0]["region_code"])
    activities: dict[str, Any] = {}

    async def counted() -> bool:
        nonlocal activities
        activities = (await api.call("reporting", "GET", "/summary?region=34.03"))["activities"]
        return sum(activities["by_kind"].values()) >= len(ACTIVITIES) and activities["dormant"] >= 1

    await api.until("reporting to count the activities", counted)
    return Aftercare([i["id"] for i in wksbm], archived)


async def karang_taruna_from_the_archive(api: Api, today: date, desa: str) -> str:
    """A Karang Taruna formed two years ago and entered only now from the office's paper files: with nothing
    recorded since, it is dormant (lembaga tidur) — a candidate for revitalisation."""
    formed_on = today.replace(year=today.year - 2, day=min(today.day, 28))
    board = [{"role": "ketua", "name": "Bagus Santoso"}, {"role": "sekretaris", "name": "Rina Lestari"},
             {"role": "bendahara", "name": "Joko Prasetyo"}]  # fmt: skip
    body = {"kind": "KARANG_TARUNA", "name": "Karang Taruna Tunas Harapan", "region_code": desa, "board": board}
    karang_taruna = await api.call("registry", "POST", "/institutions", json=body)
    await api.call(
        "registry", "POST", f"/institutions/{karang_taruna['id']}/formation", json={"formed_on": str(formed_on)}
    )
    console.print(f"{body['name']}: formed on {formed_on}, entered today from the archive, no activity since")
    return str(karang_taruna["id"])


def print_activities(activities: dict[str, Any]) -> None:
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(activities["by_kind"].items()))
    console.print(
        f"Gunungkidul's summary: activities {kinds}; active in the last six months: "
        f"{activities['active_last_6_months']}; dormant (quiet since before {activities['cutoff']}): "
        f"{activities['dormant']}"
    )
    for quiet in activities["dormant_institutions"]:
        console.print(f"  dormant: {quiet['name']}, quiet since {quiet['quiet_since']}", highlight=False)


async def _semin_desa(api: Api) -> dict[str, str]:
    """Four desa of Kecamatan Semin, Gunungkidul, beside seed 001's Rejosari."""
    semin = next(r["code"] for r in await children(api, "34.03") if r["name"].lower() == "semin")
    listed = [r for r in await children(api, semin) if r["name"].lower() != "rejosari"]
    return {r["code"]: r["name"] for r in listed[:4]}


@dataclass(frozen=True)
class CutiBersama:
    day: date
    name: str
    campaign_id: str
    placed_by_hand: str


def next_cuti_bersama(today: date) -> tuple[date, str]:
    """The next collective leave day after today in the calendar outreach follows, else the latest one before."""
    ahead = (today + timedelta(days=n) for n in range(1, 367))
    behind = (today - timedelta(days=n) for n in range(367))
    for day in chain(ahead, behind):
        name = cuti_bersama_name(day)
        if name:
            return day, name
    raise DemoError("no cuti bersama within a year of today in the calendar")


async def cuti_bersama(api: Api, today: date) -> CutiBersama:
    """Revitalisation of Karang Taruna in four desa of Semin, from the next cuti bersama day: the office places one
    session on that day by hand — allowed, with a warning —, the auto-scheduler leaves the day out for the rest."""
    day, leave = next_cuti_bersama(today)
    console.rule(f"Cuti bersama · {hari_tanggal(day)} ({leave})")
    desa = await _semin_desa(api)
    officers = await workers(api, [("PENYULUH_SOSIAL", f"Penyuluh Semin {n}", "34.03") for n in "AB"])
    narasumber = await workers(api, [("NARASUMBER", f"Narasumber Karang Taruna {n}", "34") for n in "AB"])
    campaign_id = await plan(
        api,
        {
            "name": "Penyuluhan Sosial Revitalisasi Karang Taruna",
            "topic": "Revitalisasi Karang Taruna",
            "region_code": "34.03",
            "start_date": day.isoformat(),
            "end_date": (day + timedelta(days=10)).isoformat(),
            "desa_codes": list(desa),
            "targets": {"participants_per_session": 30},
            "max_sessions_per_day": 2,
            "officer_ids": officers,
            "narasumber_ids": narasumber,
        },
    )
    first, first_name = next(iter(desa.items()))
    by_hand = await api.call(
        "outreach",
        "POST",
        "/sessions",
        json={
            "kind": "penyuluhan",
            "campaign_id": campaign_id,
            "region_code": first,
            "venue": f"Balai Desa {first_name}",
            "starts_at": f"{day.isoformat()}T09:00:00",
            "ends_at": f"{day.isoformat()}T12:00:00",
            "officer_ids": officers[:1],
            "narasumber_ids": narasumber[:1],
        },
    )
    warned = "; ".join(w["message"] for w in by_hand.get("warnings") or []) or "none"
    console.print(f"placed by hand in Desa {first_name} on that day: accepted, with a warning: {warned}")
    auto = await schedule(api, campaign_id)
    days = Counter(local_date(datetime.fromisoformat(s["starts_at"])) for s in auto)
    placed = " · ".join(f"{hari_tanggal(d)} ({n})" for d, n in sorted(days.items()))
    console.print(f"auto-scheduled the other {len(auto)} desa: {placed}")
    for skipped in (day + timedelta(days=n) for n in range((max(days) - day).days)):
        if skipped not in days:
            console.print(f"  left out: {hari_tanggal(skipped)} ({_unusable(skipped)})")
    return CutiBersama(day, leave, campaign_id, by_hand["id"])


def _unusable(day: date) -> str:
    """Why the auto-scheduler uses no session on that day (outreach's README, *Auto-scheduler*)."""
    leave = cuti_bersama_name(day)
    if leave:
        return f"cuti bersama: {leave}"
    holiday = holiday_name(day)
    if holiday:
        return f"public holiday: {holiday}"
    return "Sunday" if day.weekday() == 6 else "no session needed"
