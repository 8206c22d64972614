"""The narratives reports open with (pure): seed 001's Gunungkidul campaign told from its facts as the office told
it, seed 004's FGD, the Indonesian phrasing they share, and no English status word in any report of any kind."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.domain.facts import Fact
from services.reporting.domain.regions import region_name
from services.reporting.reports.fgd import fgd_minutes
from services.reporting.reports.monthly import monthly_district
from services.reporting.reports.narrative.campaign import CampaignFacts, Place, Target, Visit, campaign_narrative
from services.reporting.reports.narrative.fgd import FgdFacts, FollowupFact, fgd_narrative
from services.reporting.reports.prose import angka, daftar, kalimat, rentang
from services.reporting.reports.psks import psks_handover
from services.reporting.tests.scenario import scenario
from services.reporting.tests.test_domain import live
from services.reporting.tests.test_fgd_minutes import _minutes, _states
from services.reporting.tests.test_indonesian import english_words
from services.reporting.tests.test_registry_export import registry_export

GUNUNGKIDUL = "Kabupaten Gunungkidul"
# Seed 001: "Desa Kampung, Kecamatan Ngawen; Desa Rejosari, Kecamatan Semin; Desa Salam, Kecamatan Patuk; Desa
# Pengkok; Kecamatan Patuk …; Desa Nglindur dan Desa Jerukwudel, Kecamatan Girisubo serta desa Grogol dan desa
# Pampang di Kecamatan Paliyan" — two a day from 8 to 15 August 2019.
SEED_001_DESA = [
    ("Kampung", "Ngawen"),
    ("Rejosari", "Semin"),
    ("Salam", "Patuk"),
    ("Pengkok", "Patuk"),
    ("Wareng", "Wonosari"),
    ("Candirejo", "Semanu"),
    ("Nglindur", "Girisubo"),
    ("Jerukwudel", "Girisubo"),
    ("Grogol", "Paliyan"),
    ("Pampang", "Paliyan"),
]
SEED_001_DAYS = [date(2019, 8, d) for d in (8, 8, 9, 9, 12, 12, 13, 13, 15, 15)]
# "tokoh masyarakat, tokoh agama, perangkat desa, pendamping PKH, kader-kader …, TKSK, PSM": 40 at each location.
PER_LOCATION = {"tokoh_masyarakat": 8, "tokoh_agama": 6, "perangkat_desa": 6, "pendamping_pkh": 4, "kader": 8}
PER_LOCATION |= {"tksk": 2, "psm": 6}


def seed_001(formed: int = 10, complete: int = 10) -> CampaignFacts:
    visits = [
        Visit(Place(f"Desa {desa}", f"Kecamatan {kec}", GUNUNGKIDUL), day, "held", participants=40, narasumber=3)
        for (desa, kec), day in zip(SEED_001_DESA, SEED_001_DAYS, strict=True)
    ]
    return CampaignFacts(
        organiser="Seksi Penyuluhan Sosial Dinas Sosial Daerah Istimewa Yogyakarta",
        name="Penyuluhan Sosial Tingkat Desa WKSBM 2019",
        topic="Penumbuhan WKSBM",
        status="completed",
        start=date(2019, 8, 8),
        end=date(2019, 8, 15),
        visits=visits,
        by_category={k: 10 * n for k, n in PER_LOCATION.items()},
        narasumber=["Kristianto", "Nuryuwono", "Prih Wardoyo", "Suprapti"],
        targets=[Target("WKSBM", 10, formed, complete), Target("Pokja", None, 0)],
    )


def test_the_gunungkidul_campaign_is_told_as_the_office_told_it() -> None:
    where, who, results = campaign_narrative(seed_001())
    assert where.startswith(
        "Seksi Penyuluhan Sosial Dinas Sosial Daerah Istimewa Yogyakarta melaksanakan penyuluhan sosial tingkat desa "
        "“Penyuluhan Sosial Tingkat Desa WKSBM 2019” dengan topik Penumbuhan WKSBM. "
    )
    assert (
        "Pelaksanaannya di 10 lokasi, semuanya ada di Kabupaten Gunungkidul mulai tanggal 8 Agustus sampai dengan "
        "tanggal 15 Agustus 2019. Dalam 1 hari dilaksanakan 2 lokasi. "
    ) in where
    assert where.endswith(
        "Lokasi penyuluhan adalah Desa Kampung, Kecamatan Ngawen; Desa Rejosari, Kecamatan Semin; Desa Salam dan "
        "Desa Pengkok, Kecamatan Patuk; Desa Wareng, Kecamatan Wonosari; Desa Candirejo, Kecamatan Semanu; Desa "
        "Nglindur dan Desa Jerukwudel, Kecamatan Girisubo serta Desa Grogol dan Desa Pampang, Kecamatan Paliyan."
    )
    assert who == (
        "Jumlah peserta yang hadir di setiap lokasi sebanyak 40 orang, seluruhnya 400 orang, terdiri dari tokoh "
        "masyarakat 80 orang, tokoh agama 60 orang, perangkat desa 60 orang, Pendamping PKH 40 orang, kader 80 orang, "
        "TKSK 20 orang dan PSM 60 orang. Narasumber di setiap lokasi sebanyak 3 orang dari 4 orang, yaitu Kristianto, "
        "Nuryuwono, Prih Wardoyo dan Suprapti."
    )
    assert results == (
        "Sasaran minimal 10 WKSBM baru tercapai: setelah dilaksanakan penyuluhan sebanyak 10 WKSBM baru terbentuk, "
        "dengan kepengurusan yang lengkap. Kampanye ini telah selesai."
    )


def test_a_target_missed_a_board_incomplete_a_cancellation_and_two_districts_are_said_so() -> None:
    facts = seed_001(formed=7, complete=6)
    elsewhere = Visit(
        Place("Desa Sucolor", "Kecamatan Maesan", "Kabupaten Bondowoso"), date(2019, 8, 16), "held", 40, 3
    )
    cancelled = Visit(Place("Desa Kampung", "Kecamatan Ngawen", GUNUNGKIDUL), date(2019, 8, 14), "cancelled")
    facts = CampaignFacts(**{**facts.__dict__, "visits": [*facts.visits, elsewhere, cancelled], "status": "planned"})
    where, _, results = campaign_narrative(facts)
    assert "Pelaksanaannya di 11 lokasi, tersebar di 2 kabupaten/kota (Kabupaten Bondowoso dan Kabupaten " in where
    assert "Dalam 1 hari dilaksanakan paling banyak 2 lokasi." in where
    assert "Desa Sucolor, Kecamatan Maesan, Kabupaten Bondowoso." in where
    assert "Sebanyak 1 sesi dibatalkan, yaitu di Desa Kampung (14 Agustus 2019)." in where
    assert results == (
        "Sasaran minimal 10 WKSBM baru belum tercapai: sampai laporan ini dibuat sebanyak 7 WKSBM baru terbentuk, "
        "6 di antaranya dengan kepengurusan yang lengkap. Kampanye ini masih berjalan."
    )


def test_the_bondowoso_fgd_is_told_with_its_follow_ups() -> None:
    report = _minutes(_states())
    opening, attendance, outcome, followups = report.narrative
    assert opening == (
        "Kegiatan Forum Group Diskusi (FGD) dengan tema Penanganan PPKS dilaksanakan di Ball Room Hotel Ijen View, "
        "Bondowoso, Kabupaten Bondowoso pada hari Senin, tanggal 30 November 2020. Acara tersebut digelar oleh Dinas "
        "Sosial."
    )
    assert attendance.startswith("Kegiatan dihadiri oleh 120 orang, terdiri dari Pendamping PKH 37 orang, ")
    assert attendance.endswith("Narasumber dalam acara tersebut adalah Adi Krisna, SH dan Budhy Santoso, Ph.D.")
    assert "Ditetapkan 10 desa percontohan, yaitu Desa Sucolor, " in outcome and "Kelurahan Curahdami" in outcome
    assert followups == (
        "Disepakati 2 tindak lanjut: 1 selesai dan 1 terlambat. Tindak lanjut yang melewati batas waktu: Susun "
        "rencana monev (penanggung jawab TKSK Maesan, batas waktu 20 Desember 2020)."
    )


def test_an_fgd_without_follow_ups_says_so() -> None:
    facts_of = _states()
    bare = {**facts_of["sessions"]["ses_fgd"], "summary": "", "pilot_desa_codes": []}
    told = fgd_minutes(bare, [], facts_of["workers"], region_name).narrative
    assert told[-1] == "Tidak ada tindak lanjut yang dicatat." and len(told) == 3


def test_numbers_lists_periods_and_sentences_read_in_indonesian() -> None:
    assert (angka(7), angka(1234), angka(1234567)) == ("7", "1.234", "1.234.567")
    assert (daftar([]), daftar(["A"]), daftar(["A", "B"]), daftar(["A", "B", "C"])) == (
        "",
        "A",
        "A dan B",
        "A, B dan C",
    )
    assert (
        rentang(date(2019, 8, 8), date(2019, 8, 15)) == "mulai tanggal 8 Agustus sampai dengan tanggal 15 Agustus 2019"
    )
    assert rentang(date(2019, 8, 8), date(2019, 8, 8)) == "pada tanggal 8 Agustus 2019"
    assert rentang(date(2019, 12, 30), date(2020, 1, 2)) == (
        "mulai tanggal 30 Desember 2019 sampai dengan tanggal 2 Januari 2020"
    )
    assert rentang(date(2020, 2, 1), date(2020, 2, 29)) == "selama bulan Februari 2020"
    assert (kalimat("Budhy Santoso, Ph.D."), kalimat("Adi Krisna, SH")) == ("Budhy Santoso, Ph.D.", "Adi Krisna, SH.")


STATUSES = st.sampled_from(["held", "scheduled", "cancelled"])


@st.composite
def campaigns(draw: st.DrawFn) -> CampaignFacts:
    start = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 1, 1)))
    visits = [
        Visit(
            Place(f"Desa D{draw(st.integers(0, 5))}", f"Kecamatan K{draw(st.integers(0, 2))}", "Kabupaten X"),
            start + timedelta(days=draw(st.integers(0, 6))),
            draw(STATUSES),
            participants=draw(st.integers(0, 2000)),
            narasumber=draw(st.integers(0, 4)),
        )
        for _ in range(draw(st.integers(0, 8)))
    ]
    target = draw(st.none() | st.integers(0, 20))
    achieved = draw(st.integers(0, 20))
    return CampaignFacts(
        organiser="Dinas Sosial",
        name="Kampanye",
        topic="Topik",
        status=draw(st.sampled_from(["planned", "completed", "cancelled"])),
        start=start,
        end=start + timedelta(days=6),
        visits=visits,
        by_category=draw(st.dictionaries(st.sampled_from(list(PER_LOCATION)), st.integers(0, 500))),
        narasumber=draw(st.lists(st.sampled_from(["A", "B", "C"]), unique=True)),
        targets=[Target("WKSBM", target, achieved, draw(st.integers(0, achieved)))],
        per_session_target=draw(st.none() | st.integers(1, 60)),
    )


@given(campaigns())
def test_any_campaign_is_told_the_same_way_twice_in_indonesian_only(facts: CampaignFacts) -> None:
    told = campaign_narrative(facts)
    assert told == campaign_narrative(facts) and told and all(p.strip() for p in told)
    assert not english_words(" ".join(told))


def test_followups_of_every_state_are_counted_in_indonesian() -> None:
    states = ["open", "overdue", "completed", "cancelled"]
    facts = FgdFacts(
        organiser="Dinas Sosial",
        topic="T",
        venue="",
        district="",
        day=date(2020, 11, 30),
        participants=1234,
        by_category={},
        narasumber=[],
        summary="",
        pilot_desa=[],
        followups=[FollowupFact(f"Aksi {s}", "Pak A", date(2020, 12, 1), s) for s in states],
    )
    opening, came, followups = fgd_narrative(facts)
    assert "dilaksanakan pada hari Senin, tanggal 30 November 2020" in opening
    assert came == "Kegiatan dihadiri oleh 1.234 orang."
    assert followups.startswith("Disepakati 4 tindak lanjut: 1 selesai, 1 berjalan, 1 terlambat dan 1 dibatalkan.")


def test_the_region_reports_tell_their_month_their_handover_and_their_registry() -> None:
    states, _ = live([Fact.of(e) for e in scenario()])
    institutions = list(states["institutions"].values())
    august = (date(2019, 8, 1), date(2019, 8, 31))
    sessions, regulations = states["sessions"].values(), states["regulations"].values()
    monthly = monthly_district("34.03", *august, sessions, institutions, regulations, region_name, institutions)
    assert monthly.narrative == [
        "Selama bulan Agustus 2019, di Kabupaten Gunungkidul dilaksanakan 10 sesi (10 penyuluhan) di 2 kecamatan, "
        "yaitu Kecamatan Wonosari dan Kecamatan Nglipar, dengan peserta seluruhnya 400 orang.",
        "Lembaga baru yang terbentuk sebanyak 10 (10 WKSBM). Peraturan masyarakat yang disepakati sebanyak 1.",
        "Tidak ada kegiatan lembaga yang tercatat; tidak ada lembaga yang tidak berkegiatan lebih dari 6 bulan.",
    ]
    handover = psks_handover("34.03.02", *august, institutions, region_name)
    assert handover.narrative[0] == (
        "Data Potensi dan Sumber Kesejahteraan Sosial (PSKS) yang diserahterimakan memuat lembaga yang terbentuk di "
        "Kecamatan Nglipar selama bulan Agustus 2019: sebanyak 5 lembaga (5 WKSBM), semuanya dengan kepengurusan "
        "yang lengkap (ketua, sekretaris dan bendahara)."
    )
    assert psks_handover("34.03.02", date(2020, 1, 1), date(2020, 1, 15), institutions, region_name).narrative == [
        "Di Kecamatan Nglipar tidak ada lembaga yang terbentuk mulai tanggal 1 Januari sampai dengan tanggal 15 "
        "Januari 2020."
    ]
    # 18:00 UTC on 20 August is already 21 August in Gunungkidul (WIB): the registry is told as of the local day.
    workers = states["workers"].values()
    registry = registry_export("34.03", institutions, workers, region_name, "2019-08-20T18:00:00+00:00")
    assert registry.narrative == [
        "Per tanggal 21 Agustus 2019, registri Kabupaten Gunungkidul mencatat 10 lembaga (10 WKSBM), 9 di antaranya "
        "aktif dan 10 dengan kepengurusan yang lengkap. Pekerja sosial yang aktif sebanyak 6 orang (4 Narasumber, "
        "1 PSM dan 1 TKSK)."
    ]
    assert dict(registry.meta)["Per tanggal"] == "2019-08-21"
