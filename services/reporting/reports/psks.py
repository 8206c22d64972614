"""The PSKS handover: institutions formed in the period in the region, with their complete kepengurusan.

Names and roles only: NIK and phone numbers stay in the registry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from services.reporting.reports.boards import FORMED_COLUMNS, board_complete, board_others, formed_order, formed_row
from services.reporting.reports.labels import institution_status, jenis
from services.reporting.reports.model import (
    Cell,
    Chart,
    Doc,
    RegionName,
    Report,
    Table,
    between,
    lies_in,
    period_label,
    yes_no,
)
from services.reporting.reports.narrative.region import HandoverFacts, psks_narrative
from services.reporting.reports.prose import district, wilayah

COLUMNS = [*FORMED_COLUMNS, "Pengurus lain", "Status", "Kepengurusan lengkap"]


def formed_in(institutions: Iterable[Doc], region_code: str, start: date, end: date) -> list[Doc]:
    """The institutions of the region formed in the period, in formation order."""
    return sorted(
        (
            i
            for i in institutions
            if lies_in(i, region_code) and i.get("formed_on") and between(i["formed_on"], start, end)
        ),
        key=formed_order,
    )


def handover_row(institution: Doc, name_of: RegionName) -> list[Cell]:
    board = institution.get("board", [])
    return [
        *formed_row(institution, name_of),
        board_others(board),
        institution_status(institution.get("status")),
        yes_no(board_complete(board)),
    ]


def psks_handover(region_code: str, start: date, end: date, institutions: Iterable[Doc], name_of: RegionName) -> Report:
    formed = formed_in(institutions, region_code, start, end)
    by_kind = Counter(jenis(i.get("kind")) for i in formed)
    kinds = sorted(by_kind)
    return Report(
        kind="psks_handover",
        title=f"Serah Terima Data PSKS: {name_of(region_code)}",
        region_code=region_code,
        period_start=start,
        period_end=end,
        as_of=max((str(i.get("formed_on")) for i in formed), default=end.isoformat()),
        meta=[
            ("Wilayah", f"{region_code} {name_of(region_code)}"),
            ("Periode", period_label(start, end)),
            ("Lembaga terbentuk", len(formed)),
        ],
        narrative=psks_narrative(
            HandoverFacts(
                region=wilayah(region_code, name_of),
                start=start,
                end=end,
                formed_by_kind={kind: by_kind[kind] for kind in kinds},
                complete_boards=sum(1 for i in formed if board_complete(i.get("board", []))),
            )
        ),
        district=district(region_code, name_of),
        tables=[Table("Lembaga", COLUMNS, [handover_row(i, name_of) for i in formed])],
        chart=Chart("Lembaga terbentuk per jenis", kinds, {"Lembaga": [by_kind[k] for k in kinds]}),
    )
