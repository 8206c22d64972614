"""Rules: which notices, for which region subtree, go to whom, by which channel, with which template.

A recipient is either a role derived from the notice (`officers`, `narasumber`, `followup_owner`,
`campaign_owner`) or a fixed address fitting the channel: an e-mail address, a phone number (SMS), or the id of
a registered webhook (`wh_…`, webhook channel: the signed JSON envelope is sent, so no template).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pilar_runtime.regions import in_region
from services.notify.domain.context import SAMPLE_FACTS, notice_context
from services.notify.domain.kinds import NOTICE_KINDS, ROLES, matches, matching_kinds, validate_pattern
from services.notify.domain.render import TemplateProblem, render

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?\d{8,15}$")
WEBHOOK_ID = re.compile(r"^wh_[0-9a-f]{20}$")
CHANNELS = ("email", "webhook", "sms")


class InvalidRule(ValueError):
    """The message names the field at fault."""


@dataclass(frozen=True)
class Rule:
    id: str
    event_pattern: str
    region_code: str  # "" = every region (shipped defaults)
    channel: str
    recipients: tuple[str, ...]
    template: str | None = None

    def applies(self, subject: str, region_code: str) -> bool:
        return matches(self.event_pattern, subject) and in_region(region_code, self.region_code)

    @property
    def roles(self) -> list[str]:
        return [r for r in self.recipients if r in ROLES]

    @property
    def addresses(self) -> list[str]:
        return [r for r in self.recipients if r not in ROLES]

    @classmethod
    def of(cls, document: dict[str, Any]) -> Rule:
        return cls(
            id=str(document["_id"]),
            event_pattern=document["event_pattern"],
            region_code=document["region_code"],
            channel=document["channel"],
            recipients=tuple(document["recipients"]),
            template=document.get("template"),
        )


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s.()-]", "", value)


def check_rule(rule: Rule) -> None:
    """Raise InvalidRule unless the rule can work: pattern, channel, recipients, and a template that renders."""
    try:
        validate_pattern(rule.event_pattern)
    except ValueError as exc:
        raise InvalidRule(str(exc)) from exc
    if rule.channel not in CHANNELS:
        raise InvalidRule(f"channel {rule.channel!r} is unknown; use one of {', '.join(CHANNELS)}")
    if not rule.recipients:
        raise InvalidRule("recipients: give at least one role or address")
    kinds = matching_kinds(rule.event_pattern)
    for recipient in rule.recipients:
        _check_recipient(rule.channel, recipient, kinds)
    if rule.channel == "webhook":
        if rule.template is not None:
            raise InvalidRule("template: a webhook receives the signed JSON envelope; it takes no template")
        return
    for kind in kinds:
        context = notice_context(kind, SAMPLE_FACTS[kind], public_base_url="https://pilar.example", penerima="Contoh")
        try:
            render(rule.channel, kind, context, rule.template)
        except TemplateProblem as exc:
            raise InvalidRule(f"template does not render for {kind}: {exc}") from exc


def _check_recipient(channel: str, recipient: str, kinds: Sequence[str]) -> None:
    if recipient in ROLES:
        if channel == "webhook":
            raise InvalidRule(f"recipients: role {recipient!r} has no webhook; name registered webhook ids (wh_…)")
        lacking = [k for k in kinds if recipient not in NOTICE_KINDS[k]]
        if lacking:
            raise InvalidRule(f"recipients: role {recipient!r} cannot be derived from {', '.join(lacking)}")
        return
    valid = {
        "email": EMAIL.match(recipient),
        "sms": PHONE.match(normalize_phone(recipient)),
        "webhook": WEBHOOK_ID.match(recipient),
    }[channel]
    if not valid:
        expected = {"email": "an e-mail address", "sms": "a phone number", "webhook": "a webhook id (wh_…)"}[channel]
        raise InvalidRule(f"recipients: {recipient!r} is neither a role ({', '.join(sorted(ROLES))}) nor {expected}")


def default_rules(*, sms_enabled: bool) -> list[Rule]:
    """Shipped behaviour: everyone a session or a follow-up names hears about it by e-mail, and by SMS when the
    gateway is configured and they have a phone. Campaign and report notices need a rule of their own."""
    plans = [
        ("default-session", "outreach.session_*", ("officers", "narasumber")),
        ("default-followup", "outreach.followup_*", ("followup_owner",)),
    ]
    channels = ["email", "sms"] if sms_enabled else ["email"]
    return [
        Rule(id=f"{name}-{channel}", event_pattern=pattern, region_code="", channel=channel, recipients=roles)
        for name, pattern, roles in plans
        for channel in channels
    ]


def role_members(role: str, facts: dict[str, Any]) -> list[str]:
    """Ids of the people a role names in a notice's facts."""
    found: Iterable[Any] = {
        "officers": facts.get("officer_ids") or [],
        "narasumber": facts.get("narasumber_ids") or [],
        "followup_owner": [facts["owner_id"]] if facts.get("owner_id") else [],
        "campaign_owner": [facts["campaign_owner"]] if facts.get("campaign_owner") else [],
    }.get(role, [])
    return [str(x) for x in found]
