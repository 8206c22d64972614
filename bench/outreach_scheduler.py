"""Auto-scheduler benchmark: ≥ 500 sessions, 50 officers, 100 narasumber over 60 days (DESIGN §10, issue 4).

    python -m bench.outreach_scheduler [--desa 520] [--officers 50] [--narasumber 100] [--days 60] [--per-day 13]

1. The pure scheduler (services/outreach/domain/scheduler.py): time to plan, then every planned session is
   re-checked against all the others with the rule functions — the number of violations must be 0.
2. The same plan through the running service: ``POST /campaigns/{id}/schedule`` on uvicorn with the real
   Mongo-wire server and RabbitMQ (sessions stored, one ``session_scheduled`` each in the outbox, all published),
   against the raw baseline: one pymongo ``insert_many`` of the very session documents the service stored.
Needs RabbitMQ at AMQP_URL; uses MONGODB_URL or starts a throw-away SecantusDB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

import httpx

from bench.support import drop_bench_state, mongo_server, outbox_drained, raw_insert_seconds
from pilar_dev.testing import DEFAULT_AMQP_URL, TEST_JWKS, RunningApp, bearer, new_namespace
from pilar_runtime.logs import configure_logging
from pilar_runtime.mongo import Mongo
from pilar_runtime.regions import children
from services.outreach.app import build
from services.outreach.domain.rules import Booking, CampaignTerms, violations
from services.outreach.domain.scheduler import ScheduleRequest, auto_schedule, usable_days
from services.outreach.settings import OutreachSettings
from services.outreach.store import SESSIONS, WORKERS

ACEH_BESAR = "11.06"  # 604 gampong: the kabupaten with enough desa for one 500+ session campaign
START = date(2025, 3, 3)


def desa_of(region: str, count: int) -> list[str]:
    found = [d.code for kecamatan in children(region) for d in children(kecamatan.code)]
    if len(found) < count:
        raise SystemExit(f"{region} has only {len(found)} desa")
    return found[:count]


def recheck(bookings: list[Booking], campaign: CampaignTerms) -> int:
    """Every rule, for every session, against every other session that shares its day (others cannot clash)."""
    by_day: dict[date, list[Booking]] = defaultdict(list)
    for b in bookings:
        by_day[b.day].append(b)
    return sum(len(violations(b, campaign, by_day[b.day])) for b in bookings)


def pure(request: ScheduleRequest) -> list[Booking]:
    # The `holidays` package computes a year's (lunar) holidays on first use; a running service has them cached.
    started = time.perf_counter()
    days = usable_days(request.campaign)
    calendar = time.perf_counter() - started
    started = time.perf_counter()
    plan = auto_schedule(request)
    planned = time.perf_counter() - started
    bookings = [p.booking(f"s{i}", request.campaign.campaign_id) for i, p in enumerate(plan)]
    started = time.perf_counter()
    broken = recheck(bookings, request.campaign)
    checked = time.perf_counter() - started
    load = Counter(person for b in bookings for person in b.people)
    officers = [load[o] for o in request.officer_ids]
    narasumber = [load[n] for n in request.narasumber_ids]
    print(
        f"campaign: {len(request.desa_codes)} desa of {request.campaign.region_code}, "
        f"{(request.campaign.end_date - request.campaign.start_date).days + 1} days ({len(days)} usable: "
        f"no Sundays, public holidays or cuti bersama), max {request.campaign.max_sessions_per_day}/day, "
        f"{len(request.officer_ids)} officers ({request.officers_per_session}/session), "
        f"{len(request.narasumber_ids)} narasumber ({request.narasumber_per_session}/session)"
    )
    print(f"holiday calendar, first use of the year: {calendar * 1000:.1f} ms")
    print(f"pure scheduler: {len(plan)} sessions planned in {planned * 1000:.1f} ms ({len(plan) / planned:,.0f}/s)")
    print(f"rule re-check of every session against the others: {checked * 1000:.1f} ms, violations: {broken}")
    spread = f"per officer {min(officers)}–{max(officers)}, per narasumber {min(narasumber)}–{max(narasumber)}"
    print(f"fairness: sessions {spread}")
    assert broken == 0, "the scheduler produced a plan that breaks a rule"
    return bookings


async def through_the_service(request: ScheduleRequest, mongodb_url: str, amqp_url: str) -> None:
    namespace = new_namespace("bench")
    settings = OutreachSettings.model_validate(
        {"amqp_url": amqp_url, "mongodb_url": mongodb_url, "namespace": namespace, "jwks": TEST_JWKS}
    )
    auth = bearer("district_operator", request.campaign.region_code, sub="bench")
    mongo = Mongo(mongodb_url, settings.database)
    people = [*request.officer_ids, *request.narasumber_ids]
    await mongo.db[WORKERS].insert_many(
        [{"_id": p, "role": "PSM", "name": p, "region_code": ACEH_BESAR, "active": True, "version": 1} for p in people]
    )
    body = {
        "name": "Penyuluhan Sosial Penumbuhan WKSBM se-Kabupaten",
        "topic": "penumbuhan WKSBM",
        "region_code": request.campaign.region_code,
        "start_date": request.campaign.start_date.isoformat(),
        "end_date": request.campaign.end_date.isoformat(),
        "desa_codes": list(request.desa_codes),
        "targets": {"new_wksbm": len(request.desa_codes), "participants_per_session": 40},
        "max_sessions_per_day": request.campaign.max_sessions_per_day,
        "officer_ids": list(request.officer_ids),
        "narasumber_ids": list(request.narasumber_ids),
        "officers_per_session": request.officers_per_session,
        "narasumber_per_session": request.narasumber_per_session,
    }
    try:
        async with RunningApp(build(settings)) as running, httpx.AsyncClient(base_url=running.url, timeout=300) as c:
            campaign = (await c.post("/campaigns", json=body, headers=auth)).raise_for_status().json()
            started = time.perf_counter()
            answer = (await c.post(f"/campaigns/{campaign['id']}/schedule", headers=auth)).raise_for_status().json()
            stored = time.perf_counter() - started
            await outbox_drained(mongo, poll=0.02)
            published = time.perf_counter() - started
        sessions = await mongo.db[SESSIONS].find().to_list()
        raw_seconds = await raw_insert_seconds(mongo, sessions)
    finally:
        await drop_bench_state(mongo, amqp_url, namespace)
    n = answer["total"]
    print(
        f"service: POST /campaigns/{{id}}/schedule created {n} sessions (+ {n} events in the outbox) in {stored:.3f} s"
    )
    print(f"service: … and every session_scheduled published to RabbitMQ after {published:.3f} s")
    print(f"raw pymongo insert_many of the same {len(sessions)} session documents: {raw_seconds:.3f} s")
    print(
        f"ratio service / raw: {stored / raw_seconds:.1f}x the time (with publishing: {published / raw_seconds:.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--desa", type=int, default=520)
    parser.add_argument("--officers", type=int, default=50)
    parser.add_argument("--narasumber", type=int, default=100)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=13)
    parser.add_argument("--pure-only", action="store_true", help="skip the run through the service")
    args = parser.parse_args()
    request = ScheduleRequest(
        campaign=CampaignTerms("cmp-bench", ACEH_BESAR, START, START + timedelta(days=args.days - 1), args.per_day),
        desa_codes=tuple(desa_of(ACEH_BESAR, args.desa)),
        officer_ids=tuple(f"petugas-{i:03d}" for i in range(args.officers)),
        narasumber_ids=tuple(f"narasumber-{i:03d}" for i in range(args.narasumber)),
        officers_per_session=1,
        narasumber_per_session=3,
    )
    pure(request)
    if args.pure_only:
        return
    configure_logging("outreach", level="WARNING")
    with mongo_server() as mongodb_url:
        asyncio.run(through_the_service(request, mongodb_url, os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)))


if __name__ == "__main__":
    main()
