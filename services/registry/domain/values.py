"""Value checks shared by institutions, workers and import rows: NIK, phone, e-mail, topics, dates; and the clock
dates are checked and changes recorded against.

Messages never repeat the value itself: NIKs, phones and e-mails are personal data.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from pilar_runtime.localtime import WIT, local_today
from pilar_runtime.regions import validate_nik

_PHONE = re.compile(r"^\+?\d{8,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_TOPIC = re.compile(r"^[A-Z0-9_]{1,50}$")

# Topics the seeds name; others are accepted as long as they are short codes.
KNOWN_TOPICS = ("NAPZA", "PORNOGRAFI", "PMB")


def _nik(value: str) -> str:
    return validate_nik(value.strip())


def _phone(value: str) -> str:
    compact = _PHONE_SEPARATORS.sub("", value)
    if not _PHONE.match(compact):
        raise ValueError("phone must be 8 to 15 digits, optionally starting with +")
    return compact


def _email(value: str) -> str:
    if not _EMAIL.match(value.strip()):
        raise ValueError("email is not a valid e-mail address")
    return value.strip().lower()


def _topic(value: object) -> object:
    if isinstance(value, str):
        return re.sub(r"[\s\-]+", "_", value.strip()).upper()
    return value


def _check_topic(value: str) -> str:
    if not _TOPIC.match(value):
        raise ValueError(f"topic {value!r} must be a short code such as {', '.join(KNOWN_TOPICS)}")
    return value


def now() -> datetime:
    """The time a change is recorded at (stored in UTC)."""
    return datetime.now(UTC)


def today() -> date:
    """Today somewhere in Indonesia: WIT (UTC+9) is a day ahead of UTC for nine hours."""
    return local_today(WIT)


def _not_future(value: date) -> date:
    if value > today():
        raise ValueError(f"date {value.isoformat()} is in the future")
    return value


Nik = Annotated[str, AfterValidator(_nik)]
Phone = Annotated[str, Field(max_length=40), AfterValidator(_phone)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
Topic = Annotated[str, BeforeValidator(_topic), AfterValidator(_check_topic)]
PastDate = Annotated[date, AfterValidator(_not_future)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Ref = Annotated[str, Field(min_length=1, max_length=100)]
