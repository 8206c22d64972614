"""Finding 2 (registry): a formation may cite only a campaign or session whose region holds the institution, so no
other region's institution can be counted in a campaign's progress — and reporting never counts one anyway.

The registry learns outreach's campaigns and sessions from the bus (campaign_planned, session_scheduled); a
Gunungkidul (34.03) WKSBM citing Bondowoso's (35.11) campaign or session gets 422, as does a campaign the registry
has not learnt (yet). A WKSBM_formed that does cite another region's campaign (emitted before this fix, or forged)
is not counted in that campaign's progress.
"""

from __future__ import annotations

from datetime import date

from pilar_dev.testing import eventually
from services.registry.tests.conftest import GUNUNGKIDUL, KAMPUNG, SUCOLOR, Registry, board, registry  # noqa: F401
from services.reporting.tests.conftest import ADMIN, Publish, Reporting, fed, publish, reporting  # noqa: F401
from services.reporting.tests.scenario import at, envelope

BDW_CAMPAIGN, BDW_SESSION = "cmp_bdw_formation", "ses_bdw_formation"
GK_CAMPAIGN, GK_SESSION = "cmp_gk_formation", "ses_gk_formation"


async def _initiated_wksbm(service: Registry) -> str:
    member = await service.created(
        "/institutions",
        {"kind": "PRANATA_SOSIAL", "name": "Kelompok Arisan Kampung", "region_code": KAMPUNG, "status": "active"},
    )
    wksbm = await service.created(
        "/institutions",
        {
            "kind": "WKSBM",
            "name": "WKSBM Kampung Sejahtera",
            "region_code": KAMPUNG,
            "board": board(),
            "member_ids": [member["id"]],
        },
    )
    return str(wksbm["id"])


async def test_a_formation_citing_another_regions_campaign_or_session_is_refused(
    registry: Registry,  # noqa: F811 (the fixture)
    reporting: Reporting,  # noqa: F811
) -> None:
    await registry.outreach_planned(BDW_CAMPAIGN, "35.11", {BDW_SESSION: SUCOLOR})
    await registry.outreach_planned(GK_CAMPAIGN, "34.03", {GK_SESSION: KAMPUNG})
    wksbm = await _initiated_wksbm(registry)
    path = f"/institutions/{wksbm}/formation"
    refused = [
        ({"formed_on": "2019-08-15", "campaign_id": BDW_CAMPAIGN}, "campaign_id", "outside the region"),
        ({"formed_on": "2019-08-15", "session_id": BDW_SESSION}, "session_id", "outside the region"),
        (
            {"formed_on": "2019-08-15", "campaign_id": GK_CAMPAIGN, "session_id": BDW_SESSION},
            "session_id",
            "outside the region",
        ),
        ({"formed_on": "2019-08-15", "campaign_id": "cmp_never_planned"}, "campaign_id", "not known yet"),
        ({"formed_on": "2019-08-15", "session_id": "ses_never_scheduled"}, "session_id", "not known yet"),
    ]
    for body, field, reason in refused:
        response = await registry.post(path, body)
        assert response.status_code == 422, (body, response.status_code, response.text)
        detail = response.json()["detail"]
        assert detail["field"] == field and reason in detail["message"], (body, detail)
        assert "35.11" not in response.text  # another region's codes are never named
    stored = (await registry.client.get(f"/institutions/{wksbm}", headers=GUNUNGKIDUL)).json()
    assert stored["status"] == "initiated" and stored["formation"] is None

    # Its own campaign and session: formed, and counted in that campaign's progress.
    formed = await registry.post(
        path, {"formed_on": "2019-08-15", "campaign_id": GK_CAMPAIGN, "session_id": GK_SESSION}
    )
    assert formed.status_code == 200, formed.text

    async def counted() -> bool:
        response = await reporting.http.get(f"/campaigns/{GK_CAMPAIGN}/progress", headers=ADMIN)
        return response.status_code == 200 and response.json()["targets"]["new_wksbm"]["institution_ids"] == [wksbm]

    await eventually(counted, timeout=30, what="the WKSBM counted in its own campaign's progress")
    progress = (await reporting.http.get(f"/campaigns/{BDW_CAMPAIGN}/progress", headers=ADMIN)).json()
    assert progress["targets"]["new_wksbm"]["achieved"] == 0


async def test_reporting_never_counts_an_institution_formed_outside_the_campaigns_region(
    reporting: Reporting,  # noqa: F811 (the fixture)
    publish: Publish,  # noqa: F811
) -> None:
    """A WKSBM_formed in Gunungkidul that cites Bondowoso's campaign (as the registry emitted before this fix, or a
    forgery) is stored, but Bondowoso's progress does not count it — whatever order the events arrive in."""
    planned = envelope(
        "campaign_planned",
        {
            "campaign_id": BDW_CAMPAIGN,
            "name": "FGD PPKS Bondowoso",
            "topic": "PPKS",
            "region_code": "35.11",
            "start_date": "2020-11-20",
            "end_date": "2020-12-10",
            "desa_codes": [SUCOLOR],
            "targets": {"new_wksbm": 1},
            "max_sessions_per_day": 2,
        },
        region="35.11",
        aggregate=BDW_CAMPAIGN,
        version=1,
        at=at(date(2020, 11, 2)),
    )
    formed = envelope(
        "WKSBM_formed",
        {
            "institution_id": "ins_gk_citing_bdw",
            "kind": "WKSBM",
            "name": "WKSBM Kampung",
            "region_code": KAMPUNG,
            "formed_on": "2020-11-30",
            "board": [{"role": "ketua", "name": "Sutrisno"}],
            "member_ids": ["ins_member"],
            "campaign_id": BDW_CAMPAIGN,
        },
        region=KAMPUNG,
        aggregate="ins_gk_citing_bdw",
        version=2,
        at=at(date(2020, 11, 30)),
    )
    await fed(reporting, publish, [formed, planned])  # the formation first: the order does not matter
    progress = (await reporting.http.get(f"/campaigns/{BDW_CAMPAIGN}/progress", headers=ADMIN)).json()
    assert progress["targets"]["new_wksbm"] == {"target": 1, "achieved": 0, "met": False, "institution_ids": []}
