from pydantic_settings import SettingsConfigDict

from pilar_runtime.settings import SignedLinkSettings
from services.reporting.reports.letterhead import Letterhead, read_logo


class ReportingSettings(SignedLinkSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", populate_by_name=True, extra="ignore")

    service: str = "reporting"
    port: int = 8004
    # Every event moves the same sequence and roll-up documents, so concurrent transactions would only conflict
    # and retry: events are handled one batch at a time instead, each batch (what arrived while the previous one
    # was being written, at most ``batch_size``) in one transaction with its writes made in bulk (bench/e2e.py).
    prefetch: int = 128
    batch_size: int = 64
    # How often the report worker looks for pending jobs when nothing woke it.
    report_poll_seconds: float = 2.0
    # Events read and applied per batch when rebuilding the projections.
    replay_batch: int = 5000
    # Monthly reports wait this long after month end (or after the last event of a past month) for stragglers.
    monthly_report_grace_seconds: float = 900.0
    # POST /reports per caller (token `sub`) and minute, counted per replica.
    reports_per_minute: int = 10
    # The kop of every report (office in capitals, address, an optional PNG/JPEG logo of at most 1 MiB: a logo
    # that cannot be read stops the service at start-up) and its signature block. The office is also who the
    # narratives say held the activities; the signature's place is the city, else the report's kabupaten/kota.
    letterhead_office: str = "Dinas Sosial"
    letterhead_address: str = ""
    letterhead_logo_path: str | None = None
    letterhead_city: str = ""
    signature_jabatan: str = "Kepala Dinas Sosial"
    signature_nama: str = ""
    signature_nip: str = ""

    def letterhead(self) -> Letterhead:
        """The letterhead with its logo read and checked (LetterheadError when it cannot be used)."""
        return Letterhead(
            office=self.letterhead_office,
            address=self.letterhead_address,
            logo=read_logo(self.letterhead_logo_path),
            city=self.letterhead_city,
            jabatan=self.signature_jabatan,
            nama=self.signature_nama,
            nip=self.signature_nip,
        )
