"""Notifikasi: how the pages name rules, webhooks and deliveries, and the bodies their forms send to notify."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pilar_runtime.localtime import abbreviation, zone_of
from services.console.domain.formats import waktu

CHANNEL_NAMES = {"email": "E-mail", "sms": "SMS", "webhook": "Webhook"}
DELIVERY_STATUS_NAMES = {"pending": "Menunggu", "sent": "Terkirim", "failed": "Gagal", "skipped": "Dilewati"}
# The path segment of a switch → the notify action it asks for (method, path suffix).
SWITCHES = {"nonaktifkan": ("POST", "/disable"), "aktifkan": ("POST", "/enable"), "hapus": ("DELETE", "")}
_LIST = re.compile(r"[\s,;]+")


def listed(text: str) -> list[str]:
    """Recipients or event patterns typed one per line or separated by commas."""
    return [part for part in _LIST.split(text.strip()) if part]


def rule_body(form: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_pattern": form.get("event_pattern", "").strip(),
        "region_code": form.get("region_code", "").strip(),
        "channel": form.get("channel", ""),
        "recipients": listed(form.get("recipients", "")),
    }
    for optional in ("template", "description"):
        if form.get(optional, "").strip():
            body[optional] = form[optional].strip()
    return body


def webhook_body(form: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": form.get("url", "").strip(),
        "event_patterns": listed(form.get("event_patterns", "")),
        "region_code": form.get("region_code", "").strip(),
        "secret": form.get("secret", ""),
    }
    if form.get("description", "").strip():
        body["description"] = form["description"].strip()
    return body


def state(record: dict[str, Any]) -> str:
    """A rule's or webhook's state in words."""
    if record.get("deleted_at"):
        return "Dihapus"
    if record.get("active") is False:
        return "Nonaktif"
    return "Dijeda" if record.get("paused") else "Aktif"


def when(moment: str | None, region: str) -> str:
    if not moment:
        return ""
    zone = zone_of(region)
    return waktu(datetime.fromisoformat(moment), zone, abbreviation(zone))


def per_form_field(errors: dict[str, str]) -> dict[str, str]:
    """``recipients.0`` → ``recipients``: the form has one field for the whole list."""
    found: dict[str, str] = {}
    for name, message in errors.items():
        found.setdefault(name.split(".")[0].split("[")[0], message)
    return found
