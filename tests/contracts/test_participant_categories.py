"""The participant categories: one table, every category labelled in Indonesian, older spellings still named."""

from __future__ import annotations

from contracts.events.common import (
    PARTICIPANT_CATEGORY_LABELS,
    ParticipantCategory,
    participant_category_label,
    participant_category_order,
)


def test_every_category_has_an_indonesian_label_and_seed_004_groups_are_categories() -> None:
    assert set(PARTICIPANT_CATEGORY_LABELS) == set(ParticipantCategory)
    seed_004 = ["forkopimda", "dprd", "camat", "kepala_desa", "tagana", "sakti_peksos", "ormas", "rmb"]
    assert [participant_category_label(c) for c in seed_004] == [
        "Forkopimda",
        "DPRD",
        "Camat",
        "Kepala desa",
        "Tagana",
        "Sakti Peksos",
        "Ormas",
        "RMB (Relawan Muda Bondowoso)",
    ]


def test_labels_read_older_spellings_and_keep_unknown_categories_as_they_came() -> None:
    assert participant_category_label("tokoh masyarakat") == "Tokoh masyarakat"
    assert participant_category_label("Pendamping PKH") == "Pendamping PKH"
    assert participant_category_label("wartawan") == "wartawan"
    ordered = sorted(["wartawan", "lainnya", "rmb", "kader", "tokoh agama"], key=participant_category_order)
    assert ordered == ["tokoh agama", "kader", "rmb", "lainnya", "wartawan"]
