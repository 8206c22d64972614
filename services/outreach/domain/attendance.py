"""Who came to a held session: the participant categories of the Dinas Sosial (the contracts' table, which reporting
labels too) and the arithmetic they must obey."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.events.common import ParticipantCategory

CATEGORIES: tuple[str, ...] = tuple(c.value for c in ParticipantCategory)


def attendance_problem(total: int, by_category: Mapping[str, int]) -> str | None:
    """Why the numbers do not add up, or None. An empty breakdown means the categories were not counted."""
    if total < 0:
        return f"attendance.total must not be negative ({total})"
    for category, count in by_category.items():
        if category not in CATEGORIES:
            known = ", ".join(CATEGORIES)
            return f"attendance.by_category.{category} is not a participant category ({known})"
        if count < 0:
            return f"attendance.by_category.{category} must not be negative ({count})"
    if by_category and sum(by_category.values()) != total:
        return f"attendance.by_category adds up to {sum(by_category.values())}, attendance.total says {total}"
    return None
