"""A district's month ends at its own local midnight: an event at 00:30 WITA on 1 September belongs to September
in Bali and to August in Gunungkidul (23:30 WIB), and each zone's month-end timer orders its own districts' reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from contracts.envelope import Envelope
from pilar_dev.testing import eventually
from pilar_runtime.localtime import WIT, WITA, month_end
from services.reporting.domain.facts import Fact
from services.reporting.domain.months import month_of, month_timer_key, reports_due, zone_name
from services.reporting.domain.projection import event_contributions
from services.reporting.reports.campaign import local_day
from services.reporting.tests.conftest import Publish, Reporting, fed
from services.reporting.tests.scenario import envelope

MIDNIGHT_IN_BALI = datetime(2019, 8, 31, 16, 30, tzinfo=UTC)  # 00:30 WITA on 1 September, 23:30 WIB on 31 August


def test_a_month_is_the_districts_local_month() -> None:
    assert month_of(MIDNIGHT_IN_BALI) == date(2019, 8, 1)
    assert month_of(MIDNIGHT_IN_BALI, WITA) == date(2019, 9, 1)
    assert month_of(MIDNIGHT_IN_BALI, WIT) == date(2019, 9, 1)
    grace = timedelta(minutes=15)
    august = date(2019, 8, 1)
    assert reports_due(august, datetime(2019, 8, 10, tzinfo=UTC), grace, WIT) == month_end(august, WIT) + grace
    assert month_end(august, WIT) == datetime(2019, 8, 31, 15, 0, tzinfo=UTC)
    assert [zone_name(d) for d in ("34.03", "51.02", "94.01")] == ["WIB", "WITA", "WIT"]
    assert month_timer_key("2019-09", "WIB") == "2019-09"  # the key every month's timer had before zones
    assert month_timer_key("2019-09", "WITA") == "2019-09|WITA"


def _worker_event(district: str, desa: str) -> Envelope:
    return envelope(
        "worker_registered",
        {"worker_id": f"wrk_{district}", "role": "PSM", "name": "Pekerja", "region_code": desa},
        region=desa,
        aggregate=f"wrk_{district}",
        version=1,
        at=MIDNIGHT_IN_BALI,
    )


def test_events_are_counted_in_the_month_of_their_regions_local_time() -> None:
    bali = event_contributions(Fact.of(_worker_event("51.02", "51.02.01.2001")))
    java = event_contributions(Fact.of(_worker_event("34.03", "34.03.13.2004")))
    assert bali["events|month|2019-09"] == 1 and "events|month|2019-08" not in bali
    assert java["events|month|2019-08"] == 1 and "events|month|2019-09" not in java


def test_a_campaign_report_dates_a_planned_session_by_its_local_day() -> None:
    late = {"starts_at": "2019-08-07T16:30:00+00:00", "region_code": "51.02.01.2001"}
    assert local_day(late) == "2019-08-08"  # 00:30 WITA
    assert local_day({**late, "region_code": "34.03.13.2004"}) == "2019-08-07"  # 23:30 WIB
    assert local_day({"starts_at": "None", "region_code": "34.03"}) == ""


async def test_each_zone_orders_its_own_districts_reports_at_its_month_end(
    reporting: Reporting, publish: Publish
) -> None:
    events = [_worker_event("51.02", "51.02.01.2001"), _worker_event("34.03", "34.03.13.2004")]
    await fed(reporting, publish, events)
    db = reporting.mongo.db
    activity = sorted((d["district"], d["month"]) for d in await db.district_activity.find({}).to_list(None))
    assert activity == [("34.03", "2019-08"), ("51.02", "2019-09")]
    timers = {t["key"]: t["data"] async for t in db.timers.find({"kind": "monthly_district"})}
    assert timers == {
        "2019-08": {"month": "2019-08", "zone": "WIB"},
        "2019-09|WITA": {"month": "2019-09", "zone": "WITA"},
    }

    async def built() -> bool:
        return await db.reports.count_documents({"status": "done"}) == 2

    await eventually(built, timeout=60)
    assert sorted(await db.reports.distinct("_id")) == ["rpt_monthly_34.03_2019-08", "rpt_monthly_51.02_2019-09"]
