from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pilar_runtime.settings import ServiceSettings, shared


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", populate_by_name=True, extra="ignore")

    service: str = "console"
    port: int = 8000
    # The Ed25519 key (PEM, PKCS#8) that signs access tokens; keys rotated out but still trusted, comma-separated.
    signing_key_file: Path | None = None
    previous_key_files: str = ""
    access_token_minutes: float = Field(10.0, gt=0, le=60)
    jwt_issuer: str = Field("pilar-console", validation_alias=shared("PILAR_JWT_ISSUER"))
    jwt_audience: str = Field("pilar", validation_alias=shared("PILAR_JWT_AUDIENCE"))
    # First run: the admin created when no account exists, and the file (0600) its one-time password goes to.
    first_admin_email: str = "admin@dinsos.example"
    first_password_file: Path = Path("first-admin-password")
    session_idle_minutes: float = Field(30.0, gt=0)
    session_absolute_hours: float = Field(12.0, gt=0)
    # Sign-in attempts per client address and minute (counted per replica).
    login_per_minute: int = Field(10, gt=0)
    # The Secure cookie flag: None follows the request (https → Secure); behind a TLS proxy set it to true.
    cookie_secure: bool | None = None
    # The services the pages call with the signed-in user's token.
    registry_url: str = "http://127.0.0.1:8001"
    outreach_url: str = "http://127.0.0.1:8002"
    notify_url: str = "http://127.0.0.1:8003"
    reporting_url: str = "http://127.0.0.1:8004"
    gateway_timeout_seconds: float = Field(10.0, gt=0)
    # Sign-in through an OpenID Connect provider (e.g. Keycloak) instead of, or beside, passwords: its issuer URL,
    # this console's client there, and where the ID token carries role and region (dotted paths; roles mapped
    # through PILAR_OIDC_ROLE_MAP as the services do).
    oidc_signin_issuer: str | None = Field(None, validation_alias="CONSOLE_OIDC_ISSUER")
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_signin_role_claim: str = Field("role", validation_alias="CONSOLE_OIDC_ROLE_CLAIM")
    oidc_signin_region_claim: str = Field("region", validation_alias="CONSOLE_OIDC_REGION_CLAIM")
