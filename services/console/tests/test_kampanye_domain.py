"""The pure parts of Kampanye, Sesi and Tindak lanjut: the desa picker, the calendar grid, the forms as API bodies
and a service's field names as the form's."""

from __future__ import annotations

from datetime import date

import pytest

from services.console.domain.kampanye import (
    MOVE_FIELDS,
    FormInvalid,
    calendar,
    campaign_body,
    desa_of,
    kecamatan_of,
    move_body,
    on_fields,
    report_body,
    report_fields,
)


def test_the_picker_offers_the_kecamatan_of_the_users_kabupaten_and_only_desa_inside_it() -> None:
    ((kabupaten, kecamatan),) = kecamatan_of("34.03")
    assert kabupaten == "Kabupaten Gunungkidul" and "Ngawen" in [k.name for k in kecamatan]
    ((ngawen, desa),) = desa_of(["34.03.13", "35.11.01", "34.03.13"], "34.03")  # Bondowoso's is left out
    assert ngawen.name == "Ngawen" and "Kampung" in [d.name for d in desa]
    assert len(kecamatan_of("34")) == 5  # a province operator: the kecamatan of each kabupaten


def test_a_week_runs_monday_to_sunday_and_a_month_fills_whole_weeks() -> None:
    week = calendar("minggu", date(2019, 8, 8))
    assert [d.day for d in week.weeks[0]][::6] == [date(2019, 8, 5), date(2019, 8, 11)]
    assert week.previous == date(2019, 7, 29) and week.weeks[0][3].label == "Kamis, 8 Agustus"
    month = calendar("bulan", date(2019, 8, 8))
    assert month.title == "Agustus 2019" and month.first == date(2019, 7, 29) and month.last == date(2019, 9, 1)
    assert not month.weeks[0][0].inside and month.weeks[0][3].inside and month.next == date(2019, 9, 1)


def test_the_plan_form_becomes_a_campaign_in_the_kabupaten_of_its_desa() -> None:
    form = {"name": "WKSBM", "topic": "t", "start_date": "2019-08-08", "end_date": "2019-08-15"}
    form |= {"max_sessions_per_day": "2", "officers_per_session": "1", "narasumber_per_session": "1"}
    body = campaign_body({**form, "new_wksbm": "2"}, {"desa_codes": ["34.03.13.2004"], "officer_ids": ["w1"]})
    assert body["region_code"] == "34.03" and body["targets"] == {"new_wksbm": 2}
    with pytest.raises(FormInvalid) as refused:
        campaign_body({**form, "max_sessions_per_day": "-1"}, {})
    assert set(refused.value.errors) == {"desa_codes", "max_sessions_per_day"}


def test_a_report_must_add_up_and_a_followup_needs_action_owner_and_date() -> None:
    form = {"held_on": "2019-08-08", "jumlah_kader": "10", "jumlah_psm": "5", "total": "15", "summary": "ok"}
    body = report_body({**form, "tindakan_1": "SK", "pemilik_1": "w1", "tenggat_1": "2019-08-30"}, {})
    assert body["attendance"] == {"total": 15, "by_category": {"kader": 10, "psm": 5}}
    assert body["outcomes"]["followups"] == [{"action": "SK", "owner_id": "w1", "due_on": "2019-08-30"}]
    with pytest.raises(FormInvalid) as refused:
        report_body({**form, "total": "16", "tindakan_2": "Rapat"}, {})
    assert refused.value.errors["total"] == "Jumlah menurut kategori (15) tidak sama dengan jumlah peserta (16)."
    assert set(refused.value.errors) == {"total", "pemilik_2", "tenggat_2"}


def test_a_services_field_names_become_the_forms_and_the_rest_stands_above_it() -> None:
    moved = on_fields({"": "libur", "ends_at": "x", "venue": "y"}, MOVE_FIELDS)
    assert moved == {"tanggal": "libur", "selesai": "x", "": "y"}
    assert report_fields({"outcomes.followups.1.owner_id": "a", "attendance.total": "b", "": "c"}) == {
        "pemilik_2": "a",
        "total": "b",
        "": "c",
    }
    assert move_body({"tanggal": "2019-08-12", "mulai": "09:00", "selesai": "12:00"}) == {
        "starts_at": "2019-08-12T09:00",
        "ends_at": "2019-08-12T12:00",
    }
