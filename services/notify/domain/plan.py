"""Who receives a notice, at which address, by which channel: rules × facts × contacts → planned deliveries.

Deliveries are keyed (event_id, recipient, channel): two rules naming the same person on the same channel
give one delivery.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pilar_runtime.regions import in_region
from services.notify.domain.kinds import matches
from services.notify.domain.rules import Rule, normalize_phone, role_members


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    email: str | None
    phone: str | None
    active: bool = True
    region_code: str = ""  # where the worker serves; unknown ("") shows the address to admins only

    def address(self, channel: str) -> str | None:
        if not self.active:
            return None
        if channel == "email":
            return self.email
        if channel == "sms":
            return normalize_phone(self.phone) if self.phone else None
        return None


@dataclass(frozen=True)
class Planned:
    channel: str
    recipient: str  # the address: e-mail, phone, or webhook URL
    recipient_id: str  # the worker id, "fixed", or the webhook id
    recipient_region: str  # whose address it is: the worker's region, or the rule's / webhook's for theirs
    recipient_name: str
    rule_id: str
    template: str | None


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    event_patterns: tuple[str, ...]
    region_code: str

    def wants(self, routing_key: str, region_code: str) -> bool:
        return in_region(region_code, self.region_code) and any(matches(p, routing_key) for p in self.event_patterns)


def plan_notices(
    subject: str,
    region_code: str,
    facts: dict[str, Any],
    rules: Sequence[Rule],
    contacts: Mapping[str, Contact],
    webhooks: Mapping[str, Webhook],
) -> tuple[list[Planned], list[str]]:
    """The deliveries of one notice, and the ids of people named but unreachable on a channel (no contact)."""
    planned: dict[tuple[str, str], Planned] = {}
    unreachable: list[str] = []
    for rule in rules:
        if not rule.applies(subject, region_code):
            continue
        for role in rule.roles:
            for person in role_members(role, facts):
                contact = contacts.get(person)
                address = contact.address(rule.channel) if contact else None
                if contact is None or address is None:
                    unreachable.append(person)
                    continue
                key = (rule.channel, address)
                planned.setdefault(
                    key,
                    Planned(rule.channel, address, person, contact.region_code, contact.name, rule.id, rule.template),
                )
        for address in rule.addresses:
            if rule.channel == "webhook":
                hook = webhooks.get(address)
                if hook is None or not in_region(region_code, hook.region_code):
                    unreachable.append(address)
                    continue
                planned.setdefault(
                    ("webhook", hook.url), Planned("webhook", hook.url, hook.id, hook.region_code, "", rule.id, None)
                )
                continue
            value = normalize_phone(address) if rule.channel == "sms" else address
            fixed = Planned(rule.channel, value, "fixed", rule.region_code, "", rule.id, rule.template)
            planned.setdefault((rule.channel, value), fixed)
    return list(planned.values()), sorted(set(unreachable))


def plan_webhooks(routing_key: str, region_code: str, webhooks: Sequence[Webhook]) -> list[Planned]:
    """Registered webhooks that want this bus event (any event, not only notices)."""
    return [
        Planned("webhook", hook.url, hook.id, hook.region_code, "", f"webhook:{hook.id}", None)
        for hook in webhooks
        if hook.wants(routing_key, region_code)
    ]
