"""The notices notify can send, named `<producer>.<kind>` like the routing keys rules are written against.

Most are events on the bus; two are derived by notify itself from timers: a session reminder (H-3, H-1) and
a follow-up that is due tomorrow. A rule's pattern `outreach.session_*` therefore covers reminders too.
The formation of a WKSBM, Pokja or Karang Taruna (`registry.*_formed`) is the handover to the Seksi PSKS/TKSM:
a rule addresses it to that section's e-mail, or to the people of the session and campaign that led to it.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

# Notice kind → the roles that can be derived from it (people named by the event).
NOTICE_KINDS: dict[str, frozenset[str]] = {
    "outreach.session_scheduled": frozenset({"officers", "narasumber", "campaign_owner"}),
    "outreach.session_reminder": frozenset({"officers", "narasumber", "campaign_owner"}),
    "outreach.session_rescheduled": frozenset({"officers", "narasumber", "campaign_owner"}),
    "outreach.session_cancelled": frozenset({"officers", "narasumber", "campaign_owner"}),
    "outreach.followup_assigned": frozenset({"followup_owner", "campaign_owner"}),
    "outreach.followup_due": frozenset({"followup_owner", "campaign_owner"}),
    "outreach.followup_overdue": frozenset({"followup_owner", "campaign_owner"}),
    "outreach.campaign_planned": frozenset({"officers", "narasumber", "campaign_owner"}),
    "outreach.campaign_completed": frozenset({"officers", "narasumber", "campaign_owner"}),
    "reporting.report_generated": frozenset({"campaign_owner"}),
    # `officers` are those of the session the formation cites; `campaign_owner` the owner of the campaign it cites.
    "registry.WKSBM_formed": frozenset({"officers", "campaign_owner"}),
    "registry.Pokja_formed": frozenset({"officers", "campaign_owner"}),
    "registry.KarangTaruna_formed": frozenset({"officers", "campaign_owner"}),
}
FORMED = frozenset(kind for kind in NOTICE_KINDS if kind.endswith("_formed"))
ROLES = frozenset().union(*NOTICE_KINDS.values())

_PATTERN = re.compile(r"^[A-Za-z*?]+\.[A-Za-z0-9_*?]+$")


class InvalidPattern(ValueError):
    pass


def kind_name(subject: str) -> str:
    """`outreach.session_reminder` → `session_reminder` (the template's name)."""
    return subject.split(".", 1)[1]


def matches(pattern: str, subject: str) -> bool:
    return fnmatchcase(subject, pattern)


def validate_pattern(pattern: str, *, notices_only: bool = True) -> str:
    """The pattern, if it is a glob over `<producer>.<event_type>` (and, for rules, matches some notice)."""
    if not _PATTERN.match(pattern):
        raise InvalidPattern(
            f"event_pattern {pattern!r} must look like `<producer>.<event_type>` with * or ? globs, "
            "e.g. `outreach.session_*`"
        )
    if notices_only and not matching_kinds(pattern):
        raise InvalidPattern(
            f"event_pattern {pattern!r} matches no notice notify sends; known: {', '.join(sorted(NOTICE_KINDS))}"
        )
    return pattern


def matching_kinds(pattern: str) -> list[str]:
    return [kind for kind in NOTICE_KINDS if matches(pattern, kind)]
