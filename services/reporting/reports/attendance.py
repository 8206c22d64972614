"""Attendance as the reports and the dashboard show it: each category under its Indonesian label (the contracts'
table), in the table's order."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.events.common import participant_category_label, participant_category_order
from services.reporting.reports.model import Cell


def attendance_rows(by_category: Mapping[str, int]) -> list[list[Cell]]:
    """``[[label, participants], …]``; categories without participants are left out."""
    return [
        [participant_category_label(category), int(by_category[category])]
        for category in sorted(by_category, key=participant_category_order)
        if by_category[category]
    ]
