"""The office's letterhead (kop surat) and signature block, as a deployment configures them: every report's PDF
opens with the kop and ends with the signature, its XLSX carries the kop in the first rows.

A logo that cannot be used is a start-up error, not a report without it: the office notices at once instead of
finding it missing on a letter already sent.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.utils import ImageReader

from pilar_runtime.localtime import tanggal
from pilar_runtime.settings import RefusedSettings

MAX_LOGO_BYTES = 1_048_576
# PNG and JPEG announce themselves in their first bytes; anything else is refused.
LOGO_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
DISTRICT_WORDS = ("Kabupaten ", "Kota ")


class LetterheadError(RefusedSettings):
    """A letterhead setting the service cannot use: it refuses to start."""


@dataclass(frozen=True)
class Letterhead:
    office: str = "Dinas Sosial"  # in the kop in capitals; also who the narratives say organised the activity
    address: str = ""
    logo: bytes | None = None  # PNG or JPEG
    city: str = ""  # where the signature is made; the report's kabupaten/kota when empty
    jabatan: str = "Kepala Dinas Sosial"
    nama: str = ""
    nip: str = ""

    def logo_size(self) -> tuple[int, int]:
        """The logo's width and height in pixels ((0, 0) without one)."""
        return ImageReader(io.BytesIO(self.logo)).getSize() if self.logo else (0, 0)

    def place_and_date(self, district: str, day: date) -> str:
        """``Wonosari, 16 Agustus 2019``: the configured city, else the report's kabupaten/kota by its name."""
        town = next((district.removeprefix(w) for w in DISTRICT_WORDS if district.startswith(w)), district)
        place = self.city or town
        return f"{place}, {tanggal(day)}" if place else tanggal(day)


DEFAULT_LETTERHEAD = Letterhead()


def read_logo(path: str | None) -> bytes | None:
    """The logo's bytes, checked: a PNG or JPEG file of at most 1 MiB. None when no path is configured."""
    if not path:
        return None
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_LOGO_BYTES:
            raise LetterheadError(f"REPORTING_LETTERHEAD_LOGO_PATH: {file} is {size} bytes, more than {MAX_LOGO_BYTES}")
        data = file.read_bytes()
    except OSError as exc:
        raise LetterheadError(f"REPORTING_LETTERHEAD_LOGO_PATH: cannot read {file} ({exc.strerror})") from None
    if not data.startswith(LOGO_SIGNATURES):
        raise LetterheadError(f"REPORTING_LETTERHEAD_LOGO_PATH: {file} is neither a PNG nor a JPEG image")
    try:
        ImageReader(io.BytesIO(data)).getSize()
    except Exception:  # whatever the image library finds wrong, the file is unusable
        raise LetterheadError(f"REPORTING_LETTERHEAD_LOGO_PATH: {file} is not a readable image") from None
    return data
