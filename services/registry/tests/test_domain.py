"""Pure rules of the registry: names, kepengurusan, formation, status, region levels, values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from contracts.events.common import BoardMember
from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.personal import PERSONAL_KEYS
from pilar_runtime.regions import RegionError
from services.registry.domain.institutions import (
    BoardReplacement,
    Cited,
    Formation,
    InstitutionChanges,
    InstitutionRegistration,
    MemberView,
    check_citations,
    check_formation,
    check_members,
    check_status_change,
    formed_event_type,
    missing_roles,
    name_key,
    new_institution,
)
from services.registry.domain.places import institution_region, worker_region
from services.registry.domain.privacy import MASKS, masked
from services.registry.domain.regulations import RegulationAdoption, check_pokja
from services.registry.domain.workers import WorkerChanges, WorkerRegistration, apply_changes, with_nik_key

KAMPUNG = "34.03.13.2004"  # Desa Kampung, Kecamatan Ngawen, Kabupaten Gunungkidul (seed 001)
BEJI = "34.03.13.2005"
NIK_SITI = "3403135208900001"  # registered in Ngawen, born 12-08-1990 (female: day + 40)

FULL_BOARD = [
    BoardMember(role="ketua", name="Sutrisno"),
    BoardMember(role="sekretaris", name="Wahyuni"),
    BoardMember(role="bendahara", name="Sri Lestari"),
]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("WKSBM Desa Kampung", "wksbm  kampung"),
        ("WKSBM Kampung Sejahtera", "Wahana Kesejahteraan Sosial Berbasis Masyarakat Kampung-Sejahtera"),
        ("Karang Taruna Tunas Muda", "KT. Tunas Muda"),
        ("Karang Taruna Unit Tunas Muda", "karang taruna tunas muda"),
        ("Pokja Desa Pelangas", "POKJA PELANGAS"),
        ("Lumbung Désa Ngudi Rejeki", "lumbung desa ngudi rejeki"),
    ],
)
def test_names_that_mean_the_same_body_have_one_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_names_that_differ_keep_apart_and_a_bare_prefix_is_kept() -> None:
    assert name_key("WKSBM Kampung") != name_key("WKSBM Beji")
    assert name_key("Karang Taruna") == "karang taruna"
    assert name_key("Kelompok Arisan Mawar") != name_key("Arisan Mawar")


def test_a_complete_board_has_ketua_sekretaris_and_bendahara() -> None:
    assert missing_roles(FULL_BOARD) == []
    assert missing_roles(FULL_BOARD[:1]) == ["sekretaris", "bendahara"]
    assert missing_roles([]) == ["ketua", "sekretaris", "bendahara"]


def test_board_roles_are_normalised_and_a_second_ketua_is_refused() -> None:
    board = BoardReplacement.model_validate({"board": [{"role": "  Wakil   KETUA ", "name": "Budi"}]}).board
    assert board[0].role == "wakil ketua"
    with pytest.raises(ValidationError, match="more than one ketua"):
        BoardReplacement.model_validate({"board": [{"role": "ketua", "name": "A"}, {"role": "Ketua", "name": "B"}]})


def test_formation_needs_an_initiated_institution_a_full_board_and_for_a_wksbm_members() -> None:
    check_formation("WKSBM", "initiated", FULL_BOARD, ["ins_1"])
    check_formation("LKS", "initiated", FULL_BOARD, [])
    with pytest.raises(Conflict, match="only an initiated"):
        check_formation("WKSBM", "active", FULL_BOARD, ["ins_1"])
    with pytest.raises(Unprocessable) as missing:
        check_formation("WKSBM", "initiated", FULL_BOARD[:1], [])
    detail = missing.value.detail
    assert detail["missing_roles"] == ["sekretaris", "bendahara"]
    assert "member institution" in detail["message"]


def test_members_must_exist_be_alive_and_lie_in_the_wksbm_desa() -> None:
    arisan = MemberView("ins_a", "PRANATA_SOSIAL", KAMPUNG, "active")
    check_members("ins_w", "WKSBM", KAMPUNG, {"ins_a": arisan})
    cases: dict[str, dict[str, MemberView | None]] = {
        "does not exist": {"ins_x": None},
        "itself": {"ins_w": MemberView("ins_w", "WKSBM", KAMPUNG, "initiated")},
        "dissolved": {"ins_d": MemberView("ins_d", "PRANATA_SOSIAL", KAMPUNG, "dissolved")},
        "is a WKSBM": {"ins_o": MemberView("ins_o", "WKSBM", KAMPUNG, "active")},
        "not in the WKSBM's desa": {"ins_b": MemberView("ins_b", "PRANATA_SOSIAL", BEJI, "active")},
    }
    for expected, members in cases.items():
        with pytest.raises(Unprocessable, match=expected):
            check_members("ins_w", "WKSBM", KAMPUNG, members)
    # Only a WKSBM needs its members in its own desa.
    check_members("ins_l", "LKS", "34.03.13", {"ins_b": MemberView("ins_b", "PRANATA_SOSIAL", BEJI, "active")})


def test_formed_event_by_kind() -> None:
    assert formed_event_type("WKSBM") == "WKSBM_formed"
    assert formed_event_type("POKJA") == "Pokja_formed"
    assert formed_event_type("KARANG_TARUNA") == "KarangTaruna_formed"
    assert formed_event_type("LKS") is None


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("active", "inactive", True),
        ("inactive", "active", True),
        ("active", "dissolved", True),
        ("initiated", "dissolved", True),
        ("initiated", "active", False),
        ("dissolved", "active", False),
        ("initiated", "inactive", False),
    ],
)
def test_status_changes(current: str, new: str, allowed: bool) -> None:
    if allowed:
        check_status_change(current, new)
    else:
        with pytest.raises(Conflict, match=f"from {current} to {new}"):
            check_status_change(current, new)


def test_region_levels_follow_the_kind() -> None:
    assert institution_region("WKSBM", "3403132004") == KAMPUNG
    assert institution_region("LKS", "34.03.13") == "34.03.13"
    with pytest.raises(RegionError, match=r"34\.03\.13 is a kecamatan, a desa is expected"):
        institution_region("WKSBM", "34.03.13")
    with pytest.raises(RegionError, match=r"99\.99\.99\.9999 does not exist"):
        institution_region("WKSBM", "99.99.99.9999")
    assert worker_region("TKSK", "34.03.13") == "34.03.13"
    with pytest.raises(RegionError, match="a kecamatan is expected"):
        worker_region("TKSK", KAMPUNG)
    assert worker_region("PENYULUH_SOSIAL", "34.03") == "34.03"


def test_registration_normalises_and_validates() -> None:
    command = InstitutionRegistration.model_validate(
        {
            "kind": "POKJA",
            "name": "Pokja Pencegahan NAPZA Desa Pelangas",
            "region_code": "1905022001",
            "issues": ["napza", "Pornografi", "PMB", "NAPZA"],
            "board": [{"role": "Ketua", "name": "Rusli", "phone": "0812-7000-1234"}],
        }
    )
    assert command.region_code == "19.05.02.2001"
    assert command.issues == ["NAPZA", "PORNOGRAFI", "PMB"]
    assert command.board[0].phone == "081270001234"
    document = new_institution(command, "ins_1", "op", datetime(2026, 1, 1, tzinfo=UTC))
    assert document["_dup_key"] == "POKJA|19.05.02.2001|pencegahan napza desa pelangas"
    assert document["status"] == "initiated"
    deliberate = command.model_copy(update={"allow_duplicate": True})
    assert "_dup_key" not in new_institution(deliberate, "ins_2", "op", document["created_at"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "DESA", "name": "x", "region_code": KAMPUNG}, "kind"),
        ({"kind": "WKSBM", "name": "", "region_code": KAMPUNG}, "name"),
        ({"kind": "WKSBM", "name": "x", "region_code": "34.03"}, "region_code"),
        ({"kind": "WKSBM", "name": "x", "region_code": KAMPUNG, "status": "dissolved"}, "status"),
        ({"kind": "WKSBM", "name": "x", "region_code": KAMPUNG, "color": "red"}, "color"),
        (
            {
                "kind": "WKSBM",
                "name": "x",
                "region_code": KAMPUNG,
                "board": [{"role": "ketua", "name": "A", "nik": "1"}],
            },
            "nik",
        ),
        (
            {
                "kind": "WKSBM",
                "name": "x",
                "region_code": KAMPUNG,
                "legal_basis": {"sk_number": "1", "sk_date": "2999-01-01"},
            },
            "sk_date",
        ),
    ],
)
def test_bad_registrations_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        InstitutionRegistration.model_validate(body)
    assert field in str(error.value)


def test_changes_need_something_and_refuse_nulls_for_required_fields() -> None:
    with pytest.raises(ValidationError, match="nothing to change"):
        InstitutionChanges.model_validate({})
    with pytest.raises(ValidationError, match="name cannot be null"):
        InstitutionChanges.model_validate({"name": None})
    assert InstitutionChanges.model_validate({"address": None}).given() == {"address": None}


def test_formation_dates_cannot_be_in_the_future() -> None:
    assert Formation.model_validate({"formed_on": "2019-08-15", "session_id": "ses_1"}).formed_on == date(2019, 8, 15)
    with pytest.raises(ValidationError, match="in the future"):
        Formation.model_validate({"formed_on": (date.today() + timedelta(days=5)).isoformat()})


def test_workers_validate_nik_phone_email_and_region() -> None:
    worker = WorkerRegistration.model_validate(
        {"role": "TKSK", "name": "Siti", "region_code": "340313", "nik": NIK_SITI, "email": " Siti@Example.ID "}
    )
    assert (worker.region_code, worker.email, worker.active) == ("34.03.13", "siti@example.id", True)
    for field, value in [("nik", "3403133208900001"), ("nik", "12345"), ("phone", "12ab"), ("email", "siti@")]:
        with pytest.raises(ValidationError) as error:
            WorkerRegistration.model_validate({"role": "PSM", "name": "x", "region_code": KAMPUNG, field: value})
        assert field in str(error.value)
        assert value not in str(error.value).split("input_value")[0]  # personal data is not echoed


def test_worker_changes_recheck_the_region_against_the_role() -> None:
    current = {"role": "PSM", "name": "Siti", "region_code": KAMPUNG, "active": True}
    assert apply_changes(current, WorkerChanges.model_validate({"active": False}))["active"] is False
    with pytest.raises(RegionError, match="a kecamatan is expected"):
        apply_changes(current, WorkerChanges.model_validate({"role": "TKSK"}))
    assert "_nik_key" not in with_nik_key({**current, "nik": None, "_nik_key": "old"})
    assert with_nik_key({**current, "nik": NIK_SITI})["_nik_key"] == NIK_SITI


def test_regulations_are_adopted_by_a_desa_and_cite_a_pokja_of_that_desa() -> None:
    adoption = RegulationAdoption.model_validate(
        {
            "region_code": "19.05.02.2001",
            "title": "Aturan warga",
            "topics": ["napza", "PMB"],
            "adopted_on": "2020-03-01",
        }
    )
    assert adoption.topics == ["NAPZA", "PMB"]
    with pytest.raises(ValidationError, match="topics"):
        RegulationAdoption.model_validate({**adoption.model_dump(mode="json"), "topics": []})
    with pytest.raises(ValidationError, match="a desa is expected"):
        RegulationAdoption.model_validate({**adoption.model_dump(mode="json"), "region_code": "19.05.02"})
    check_pokja("ins_p", MemberView("ins_p", "POKJA", "19.05.02.2001", "active"), "19.05.02.2001")
    with pytest.raises(Unprocessable, match="not a POKJA"):
        check_pokja("ins_w", MemberView("ins_w", "WKSBM", "19.05.02.2001", "active"), "19.05.02.2001")
    with pytest.raises(Unprocessable, match="does not exist"):
        check_pokja("ins_x", None, "19.05.02.2001")
    with pytest.raises(Unprocessable, match="lies in"):
        check_pokja("ins_p", MemberView("ins_p", "POKJA", "19.05.02.2002", "active"), "19.05.02.2001")


KAMPUNG = "34.03.13.2004"
GK_CAMPAIGN = Cited("cmp_gk", "34.03")
BDW_CAMPAIGN = Cited("cmp_bdw", "35.11")
GK_SESSION = Cited("ses_gk", KAMPUNG, "cmp_gk")
BDW_SESSION = Cited("ses_bdw", "35.11.01.2001", "cmp_bdw")
OTHER_DESA_SESSION = Cited("ses_beji", "34.03.13.2005", "cmp_gk")


@pytest.mark.parametrize(
    ("campaign", "session", "problem"),
    [
        (GK_CAMPAIGN, GK_SESSION, None),
        (Cited("cmp_ngawen", "34.03.13"), None, None),  # a kecamatan campaign holds its desa
        (None, GK_SESSION, None),
        (BDW_CAMPAIGN, None, "campaign_id: 34.03.13.2004 lies outside the region of campaign cmp_bdw"),
        (None, BDW_SESSION, "session_id: 34.03.13.2004 lies outside the region of session ses_bdw"),
        (None, OTHER_DESA_SESSION, "session_id: 34.03.13.2004 lies outside the region of session ses_beji"),
        (GK_CAMPAIGN, Cited("ses_x", KAMPUNG, "cmp_other"), "not a session of the cited campaign"),
        (Cited("cmp_gk", ""), None, "not known yet"),  # not learnt: given as unknown below
    ],
)
def test_a_formation_cites_only_outreach_of_its_own_region(
    campaign: Cited | None, session: Cited | None, problem: str | None
) -> None:
    formation = Formation(
        formed_on=date(2019, 8, 15),
        campaign_id=campaign.id if campaign else None,
        session_id=session.id if session else None,
    )
    known_campaign = campaign if campaign and campaign.region_code else None
    if problem is None:
        check_citations(KAMPUNG, formation, known_campaign, session)
        return
    with pytest.raises(Unprocessable) as refused:
        check_citations(KAMPUNG, formation, known_campaign, session)
    assert problem in refused.value.detail["message"]
    assert "35.11" not in refused.value.detail["message"]


def test_every_kind_of_personal_data_has_its_mask() -> None:
    # pilar_runtime.personal names what is personal (logs and events drop it); reads mask each kind.
    assert MASKS.keys() == PERSONAL_KEYS
    assert masked({"nik": "3403011203850002", "phone": "081234567111", "name": "Sri"}) == {
        "nik": "3403**********02",
        "phone": "*********111",
        "name": "Sri",
    }
