"""A generated report revised: facts that change it after it was built (a session reported after its campaign
completed, an amended session report) make a new version that says it was revised, when and why.

A job keeps its ``revisions`` (``at``: the revising event's time, ``reason``, ``event_id``); the report built from
it carries ``revised`` and a ``revision_note`` its renderers print.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from pilar_runtime.localtime import local_date, tanggal
from services.reporting.domain.reports import ANOTHER_VERSION


def revised_job(job: Mapping[str, Any], reason: str, at: datetime, event_id: str) -> dict[str, Any] | None:
    """The changes that make a report job build a revised version (pending again, lease dropped so a build in
    progress from older facts is not kept); None when there is nothing to revise: a report never generated yet
    (its first build reads the new facts anyway), one that failed or was withdrawn, or a revision already
    recorded for this event."""
    if job.get("withdrawn") or job.get("status") not in ("done", "pending") or job.get("generated_at") is None:
        return None
    revisions = list(job.get("revisions", []))
    if any(r.get("event_id") == event_id for r in revisions):
        return None
    revisions.append({"at": at, "reason": reason, "event_id": event_id})
    revisions.sort(key=lambda r: (r["at"], r["event_id"]))
    return {**ANOTHER_VERSION, "revisions": revisions}


def revision_note(revisions: Sequence[Mapping[str, Any]], zone: tzinfo) -> str | None:
    """``Laporan ini telah direvisi pada <the latest revision's local date>.`` followed by what changed, each
    change with its date; None for a report never revised."""
    if not revisions:
        return None
    ordered = sorted(revisions, key=lambda r: (r["at"], r["event_id"]))
    days = [tanggal(local_date(_utc(r["at"]), zone)) for r in ordered]
    reasons = "; ".join(f"{r['reason']} ({day})" for day, r in zip(days, ordered, strict=True))
    return f"Laporan ini telah direvisi pada {days[-1]}. Perubahan: {reasons}."


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def late_session_reason(session: Mapping[str, Any], place_name: str, after_completion: bool) -> str:
    """Why a campaign report is revised when a session's report arrives after the report was built: told after the
    campaign completed, or told before but received late."""
    held_on = date.fromisoformat(str(session["held_on"])[:10])
    code = session.get("region_code")
    where = f"{place_name} ({code})" if place_name else str(code)
    kind = "FGD" if session.get("kind") == "FGD" else "penyuluhan"
    late = "dilaporkan setelah kampanye selesai" if after_completion else "diterima setelah laporan dibuat"
    return f"sesi {kind} di {where} tanggal {tanggal(held_on)} {late}"
