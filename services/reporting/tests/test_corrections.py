"""Corrections in outreach as reporting sees them: an amended Gunungkidul report moves the roll-ups and the
campaign's progress by the difference (the totals after it equal the totals of the amended facts, whatever the
arrival order) and revises the campaign report already generated; a changed or cancelled campaign and a dropped
follow-up are projected."""

from __future__ import annotations

import io
import random
from datetime import date
from typing import Any

import aio_pika
import openpyxl

from contracts.envelope import Envelope
from pilar_dev.testing import Tap, bearer
from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import CAMPAIGNS, FOLLOWUPS, SESSIONS
from services.reporting.tests.conftest import Publish, Reporting, fed
from services.reporting.tests.scenario import CAMPAIGN, DESA, at, envelope, scenario
from services.reporting.tests.test_domain import live
from services.reporting.tests.test_reports import _done, _download, _rows

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
AMENDED = "ses_03"  # held in DESA[2] on 9 August 2019, reported with 40 participants
REASON = "daftar hadir dihitung ulang: 5 kader terlewat"
CORRECTED = {"tokoh masyarakat": 10, "tokoh agama": 8, "perangkat desa": 12, "kader": 15}


def _held(events: list[Envelope]) -> Envelope:
    return next(e for e in events if e.event_type == "penyuluhan_held" and e.aggregate_id == AMENDED)


def amendment(events: list[Envelope]) -> Envelope:
    """outreach's session_report_amended: the whole corrected report (45 came, not 40; one more pilot desa)."""
    held = _held(events)
    payload = {
        **held.payload,
        "attendance": {"total": 45, "by_category": CORRECTED},
        "pilot_desa_codes": [DESA[2]],
        "reason": REASON,
        "amended_by": "op-gk-2",
    }
    return envelope(
        "session_report_amended",
        payload,
        region=DESA[2],
        aggregate=AMENDED,
        version=held.aggregate_version + 1,
        at=at(date(2019, 8, 20)),
    )


def as_if_reported_right(events: list[Envelope]) -> list[Envelope]:
    """The same history with the corrected facts reported in the first place."""
    held = _held(events)
    right = held.model_copy(
        update={
            "payload": {
                **held.payload,
                "attendance": {"total": 45, "by_category": CORRECTED},
                "pilot_desa_codes": [DESA[2]],
            }
        }
    )
    return [right if e.event_id == held.event_id else e for e in events]


def _without_event_counts(rollups: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {r: {k: v for k, v in c.items() if not k.startswith("events|")} for r, c in rollups.items()}


def test_an_amended_report_moves_the_rollups_to_the_totals_of_the_amended_facts_in_any_order() -> None:
    events = scenario()
    corrected = amendment(events)
    _, expected = live([Fact.of(e) for e in as_if_reported_right(events)])
    for seed in range(5):
        arrival = [*events, corrected]
        random.Random(seed).shuffle(arrival)
        states, rollups = live([Fact.of(e) for e in arrival + arrival[:3]])
        assert _without_event_counts(rollups) == _without_event_counts(expected), seed
        session = states[SESSIONS][AMENDED]
        assert (session["participants"], session["by_category"]["kader"]) == (45, 15)
        assert session["amendment"]["reason"] == REASON and session["pilot_desa_codes"] == [DESA[2]]
    # The district moved by the difference: five more participants, five more kader.
    _, before = live([Fact.of(e) for e in events])
    assert rollups["34.03"]["participants|total"] - before["34.03"]["participants|total"] == 5
    assert rollups[DESA[2]]["participants|category|kader"] == 15


def _campaign_changes() -> list[Envelope]:
    planned = next(e for e in scenario() if e.event_type == "campaign_planned")
    updated = {
        **planned.payload,
        "end_date": "2019-08-20",
        "targets": {"new_wksbm": 12, "participants_per_session": 40},
        "changed": ["end_date", "targets"],
        "updated_by": "op-gk-2",
    }
    cancelled = {
        "campaign_id": "cmp_bantul",
        "name": "Penyuluhan Bantul",
        "region_code": "34.02",
        "reason": "anggaran dialihkan",
        "cancelled_by": "op-bantul",
        "cancelled_session_ids": [],
    }
    followup = {
        "followup_id": "fup_2",
        "session_id": "ses_fgd",
        "action": "Susun rencana monev",
        "owner_id": "wrk_tksk9",
        "due_on": "2020-12-20",
        "reason": "notulen dikoreksi",
    }
    return [
        envelope("campaign_updated", updated, region="34.03", aggregate=CAMPAIGN, version=2, at=at(date(2019, 8, 5))),
        envelope(
            "campaign_cancelled", cancelled, region="34.02", aggregate="cmp_bantul", version=2, at=at(date(2019, 8, 5))
        ),
        envelope(
            "followup_cancelled", followup, region="35.11", aggregate="fup_2", version=7, at=at(date(2020, 12, 1))
        ),
    ]


def test_a_changed_or_cancelled_campaign_and_a_dropped_follow_up_are_projected() -> None:
    changes = _campaign_changes()
    states, rollups = live([Fact.of(e) for e in [*changes, *scenario()]])
    campaign = states[CAMPAIGNS][CAMPAIGN]
    assert (campaign["end_date"], campaign["targets"]["new_wksbm"], campaign["updated_by"]) == (
        "2019-08-20",
        12,
        "op-gk-2",
    )
    # The completion (a later version) still wins over the update, whatever arrived first.
    assert campaign["status"] == "completed"
    cancelled = states[CAMPAIGNS]["cmp_bantul"]
    assert (cancelled["status"], cancelled["cancel_reason"], cancelled["name"]) == (
        "cancelled",
        "anggaran dialihkan",
        "Penyuluhan Bantul",
    )
    assert rollups["34.02"]["campaigns|cancelled"] == 1
    dropped = states[FOLLOWUPS]["fup_2"]
    assert (dropped["status"], dropped["cancel_reason"]) == ("cancelled", "notulen dikoreksi")
    assert rollups["35.11"]["followups|cancelled"] == 1


async def test_an_amended_report_revises_the_generated_campaign_report(
    reporting: Reporting, publish: Publish, amqp: aio_pika.abc.AbstractConnection, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace, "reporting.report_generated")
    events = scenario()
    completion = [e for e in events if e.event_type == "campaign_completed"]
    await fed(reporting, publish, [e for e in events if e.event_type != "campaign_completed"])
    await fed(reporting, publish, completion)
    report_id = f"rpt_campaign_{CAMPAIGN}"
    first = await _done(reporting, report_id)
    assert not first.get("revisions")
    progress = await reporting.get(f"/campaigns/{CAMPAIGN}/progress", GUNUNGKIDUL)
    assert progress["participants"]["total"] == 400

    corrected = amendment(events)
    await fed(reporting, publish, [corrected])

    def twice(seen: list[dict[str, Any]]) -> bool:
        return sum(e["payload"]["report_id"] == report_id for e in seen) >= 2

    seen = await tap.collect(twice, timeout=60)
    again = [e for e in seen if e["payload"]["report_id"] == report_id][-1]
    assert again["causation_id"] == str(corrected.event_id) and again["aggregate_version"] == 3
    revised = await _done(reporting, report_id)
    assert [(r["reason"], r["event_id"]) for r in revised["revisions"]] == [(REASON, str(corrected.event_id))]
    note = f"Laporan ini telah direvisi pada 20 Agustus 2019. Perubahan: {REASON} (20 Agustus 2019)."
    assert revised["revised"] is True and revised["revision_note"] == note

    progress = await reporting.get(f"/campaigns/{CAMPAIGN}/progress", GUNUNGKIDUL)
    assert progress["participants"]["total"] == 405 and progress["participants"]["by_category"]["kader"] == 105
    summary = await reporting.get("/summary", GUNUNGKIDUL, region="34.03")
    assert summary["participants"]["total"] == 405

    book = openpyxl.load_workbook(io.BytesIO(await _download(reporting, report_id, "xlsx", GUNUNGKIDUL)))
    rows = _rows(book["Ringkasan"])
    assert book["Ringkasan"]["A6"].value == note
    assert ["Peserta", 405] in rows
    sessions = {r[0]: r for r in _rows(book["Sesi"])[1:]}
    assert sessions[DESA[2]][5] == 45
    text = (await _download(reporting, report_id, "csv", GUNUNGKIDUL)).decode()
    assert "Laporan ini telah direvisi" in text
