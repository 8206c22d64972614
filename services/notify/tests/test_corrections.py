"""Corrections in outreach as notify follows them: the campaign copy takes a campaign's new plan and its
cancellation; a follow-up an amended report dropped gets no due notice."""

from __future__ import annotations

from datetime import date, timedelta

from contracts.events.outreach import CampaignCancelled, CampaignPlanned, CampaignUpdated, FollowupCancelled
from pilar_dev.testing import eventually
from services.notify.store import CAMPAIGNS, FOLLOWUPS
from services.notify.tests.conftest import Notify
from services.notify.tests.support import OFFICER, event, followup

PLAN = {
    "campaign_id": "cmp_gk_2019",
    "name": "Penyuluhan Sosial Penumbuhan WKSBM 2019",
    "topic": "penumbuhan WKSBM",
    "region_code": "34.03",
    "start_date": date(2019, 8, 8),
    "end_date": date(2019, 8, 15),
    "desa_codes": ["34.03.13.2004"],
    "max_sessions_per_day": 2,
    "officer_ids": [OFFICER],
    "owner": "op-gk",
}


async def test_the_campaign_copy_follows_its_change_and_cancellation(notify: Notify) -> None:
    db = notify.mongo.db
    await notify.publish(event("campaign_planned", CampaignPlanned(**PLAN), aggregate_id="cmp_gk_2019", region="34.03"))
    changed = CampaignUpdated(**{**PLAN, "end_date": date(2019, 8, 20)}, changed=["end_date"], updated_by="op-gk-2")
    await notify.publish(event("campaign_updated", changed, aggregate_id="cmp_gk_2019", version=2, region="34.03"))

    async def updated() -> bool:
        copy = await db[CAMPAIGNS].find_one({"_id": "cmp_gk_2019"})
        return copy is not None and copy["version"] == 2

    await eventually(updated)
    copy = await db[CAMPAIGNS].find_one({"_id": "cmp_gk_2019"})
    assert copy is not None
    assert (copy["end_date"], copy["owner"]) == ("2019-08-20", "op-gk")  # the planner still owns its notices

    # A late redelivery of the plan does not undo the change.
    await notify.publish(event("campaign_planned", CampaignPlanned(**PLAN), aggregate_id="cmp_gk_2019", region="34.03"))
    cancelled = CampaignCancelled(
        campaign_id="cmp_gk_2019",
        name="Penyuluhan Sosial Penumbuhan WKSBM 2019",
        region_code="34.03",
        reason="anggaran dialihkan",
        cancelled_by="op-gk",
    )
    await notify.publish(event("campaign_cancelled", cancelled, aggregate_id="cmp_gk_2019", version=3, region="34.03"))

    async def cancelled_copy() -> bool:
        copy = await db[CAMPAIGNS].find_one({"_id": "cmp_gk_2019"})
        return copy is not None and copy.get("status") == "cancelled"

    await eventually(cancelled_copy)
    copy = await db[CAMPAIGNS].find_one({"_id": "cmp_gk_2019"})
    assert copy is not None
    assert (copy["end_date"], copy["cancel_reason"], copy["version"]) == ("2019-08-20", "anggaran dialihkan", 3)


async def test_a_dropped_follow_up_gets_no_due_notice(notify: Notify) -> None:
    due_on = (notify.clock() + timedelta(days=10)).date()
    await notify.publish(followup("fup_monev", due_on))

    async def timer_set() -> bool:
        return await notify.mongo.db.timers.count_documents({"key": "fup_monev", "status": "pending"}) == 1

    await eventually(timer_set)
    dropped = FollowupCancelled(
        followup_id="fup_monev",
        session_id="ses_1",
        action="Menyusun SK kepengurusan WKSBM",
        owner_id=OFFICER,
        due_on=due_on,
        reason="notulen dikoreksi",
    )
    await notify.publish(event("followup_cancelled", dropped, aggregate_id="fup_monev", version=2))

    async def closed() -> bool:
        copy = await notify.mongo.db[FOLLOWUPS].find_one({"_id": "fup_monev"})
        return copy is not None and copy.get("status") == "cancelled"

    await eventually(closed)
    assert await notify.mongo.db.timers.count_documents({"key": "fup_monev", "status": "pending"}) == 0
    notify.clock.set(notify.clock() + timedelta(days=10))
    await notify.fire_timers()
    assert not [d for d in await notify.deliveries() if "followup_due" in str(d.get("subject", ""))]
