from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from pilar_runtime.settings import SignedLinkSettings
from services.notify.domain.addresses import Network, parse_networks
from services.notify.domain.timing import DEFAULT_RETRY_SCHEDULE, parse_schedule


class NotifySettings(SignedLinkSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", populate_by_name=True, extra="ignore")

    service: str = "notify"
    port: int = 8003

    # E-mail (SMTP). Locally `pilar up` runs the mail catcher on 1025.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "Dinas Sosial <noreply@pilar.local>"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0

    # SMS / WhatsApp gateway: POST {"to", "message"} as JSON to the URL; `{to}` in the URL is replaced by the number.
    # Unset: SMS is off (no default SMS rule, and an SMS rule is refused with 422).
    sms_gateway_url: str | None = None
    # One header sent with every gateway call, written `Name: value` (e.g. `Authorization: Bearer …`).
    sms_auth_header: SecretStr | None = None

    webhook_timeout_seconds: float = 10.0
    # Refuse a webhook whose host:port does not accept a connection when it is registered.
    webhook_check_reachable: bool = True
    # Webhooks reach public addresses only; these networks (CIDRs, comma-separated) are admitted too, e.g. the
    # district's own `10.20.0.0/16`. `pilar up` admits loopback for local demos.
    webhook_allowed_networks: Annotated[list[Network], NoDecode] = Field(default_factory=list)

    # After a secret rotation the old secret signs beside the new one this long (0: it stops at once).
    webhook_rotation_grace_hours: float = Field(24.0, ge=0)

    # Where people download reports: report_generated.download_path is appended to it.
    public_base_url: str = "http://127.0.0.1:8004"
    # The link in a report-ready e-mail opens that one report without signing in, for this many days.
    report_link_days: float = Field(7.0, gt=0)

    # Retries, every channel: the waits (seconds, comma-separated) after each failed attempt; once they are spent
    # the delivery is failed (notification_failed). The default outlasts a receiver down for a night or a weekend
    # day: 1 min, 5 min, 30 min, 2 h, 6 h, 24 h.
    retry_schedule: Annotated[tuple[float, ...], NoDecode] = DEFAULT_RETRY_SCHEDULE

    # Quiet hours for SMS on the recipient's local clock (WIB, WITA or WIT): held until the end, not dropped. Equal
    # start and end: no quiet hours.
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "06:00"

    # Token bucket per channel and process: sustained messages per second and burst size.
    rate_email_per_second: float = 20.0
    rate_sms_per_second: float = 5.0
    rate_webhook_per_second: float = 200.0
    rate_burst: int = 20

    # The sender loop: how often it looks for due deliveries, how many it sends at once, its lease.
    dispatch_poll_seconds: float = 0.5
    dispatch_batch: int = 50
    dispatch_concurrency: int = 16

    # Ship the default rules (session notices to officers and narasumber, follow-up notices to the owner).
    default_rules: bool = True

    @field_validator("retry_schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Any:
        return parse_schedule(value) if isinstance(value, str) else value

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        return parse_networks(value) if isinstance(value, str) else value
