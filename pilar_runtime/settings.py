"""Settings base: one env prefix per service (``REGISTRY_PORT``), plus the few names the whole stack shares
(``AMQP_URL``, ``MONGODB_URL``, ``PILAR_JWT_SECRET``, ``PILAR_NAMESPACE``, ``PILAR_BROKER_USERS``)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pilar_runtime.auth import TokenLimits
from pilar_runtime.brokerusers import producer_users

MIN_SECRET_BYTES = 32


class RefusedSettings(RuntimeError):
    """A setting the service cannot run with: it refuses to start, saying which and why."""


class InsecureSettings(RefusedSettings):
    """A setting that must not reach production: the service refuses to start."""


def shared(name: str, prefix: str = "") -> AliasChoices:
    """Read a shared setting from ``<PREFIX>NAME`` first (per service), then ``NAME``."""
    return AliasChoices(f"{prefix}{name}", name) if prefix else AliasChoices(name)


class ServiceSettings(BaseSettings):
    """What every service needs. Subclasses set ``service`` and ``model_config``'s ``env_prefix``."""

    model_config = SettingsConfigDict(env_prefix="PILAR_", populate_by_name=True, extra="ignore")

    service: str = "pilar"
    amqp_url: str = Field("amqp://guest:guest@127.0.0.1:5672/", validation_alias=shared("AMQP_URL"))
    mongodb_url: str = Field("mongodb://127.0.0.1:27017/?replicaSet=rs0", validation_alias=shared("MONGODB_URL"))
    mongodb_database: str | None = Field(None, description="defaults to the namespaced service name")
    # No default: a service without a secret of its deployment's refuses to start (`pilar up` makes one per checkout).
    jwt_secret: SecretStr | None = Field(None, validation_alias=shared("PILAR_JWT_SECRET"))
    # Explicit development mode (`pilar up` sets it): a short secret is let through, with a warning.
    dev_mode: bool = Field(False, validation_alias=shared("PILAR_DEV_MODE"))
    # The longest a token may live (exp - iat); integration tokens (`pilar token --ttl 30d`) get their own cap.
    token_max_hours: float = Field(12.0, gt=0, validation_alias=shared("PILAR_TOKEN_MAX_HOURS"))
    integration_token_max_days: float = Field(90.0, gt=0, validation_alias=shared("PILAR_INTEGRATION_TOKEN_MAX_DAYS"))
    # Prefix of every exchange, queue and database name: isolates test runs and parallel stacks on one broker.
    namespace: str = Field("", validation_alias=shared("PILAR_NAMESPACE"))
    # The broker user each producer publishes as, e.g. {"registry": "pilar-registry", ...}; consumers refuse an
    # event whose AMQP user_id is not its producer's. Empty: the whole stack runs as this service's AMQP_URL user.
    broker_users: dict[str, str] = Field(default_factory=dict, validation_alias=shared("PILAR_BROKER_USERS"))
    # Inside a container this must be 0.0.0.0 (compose sets PILAR_HOST); locally only loopback listens.
    host: str = Field("127.0.0.1", validation_alias=shared("PILAR_HOST"))
    port: int = 8000
    log_format: str = Field("auto", validation_alias=shared("PILAR_LOG_FORMAT"))
    log_level: str = Field("INFO", validation_alias=shared("PILAR_LOG_LEVEL"))
    # Deliveries of one message before the broker dead-letters it (quorum `x-delivery-limit`).
    delivery_limit: int = 5
    # Deliveries waiting are handled together, at most ``batch_size`` in one transaction (1: each on its own, up
    # to ``prefetch`` at once). Prefetch twice the batch, so the next batch gathers while one is written.
    prefetch: int = 64
    batch_size: int = 32
    relay_batch: int = 200
    relay_poll_seconds: float = 0.5
    timer_poll_seconds: float = 1.0
    lease_seconds: float = 30.0
    # Published outbox documents are deleted this long after publishing (unpublished ones never).
    outbox_retention_days: float = 7.0
    max_body_bytes: int = 1_048_576
    # /docs, /redoc and /openapi.json map every endpoint: served only when enabled (`pilar up` does).
    public_docs: bool = Field(False, validation_alias=shared("PILAR_PUBLIC_DOCS"))
    # /metrics: with a token set, only to `Authorization: Bearer <token>`; without one, only to loopback clients.
    metrics_token: SecretStr | None = Field(None, validation_alias=shared("PILAR_METRICS_TOKEN"))
    public_url: str | None = None

    @model_validator(mode="after")
    def _broker_users_complete(self) -> ServiceSettings:
        self.producer_users()  # a service with a map that can't be right refuses to start
        return self

    def producer_users(self) -> dict[str, str]:
        return producer_users(self.amqp_url, self.broker_users, self.service)

    @property
    def token_limits(self) -> TokenLimits:
        return TokenLimits(timedelta(hours=self.token_max_hours), timedelta(days=self.integration_token_max_days))

    def weak_secret(self) -> str | None:
        """Why the JWT secret is unfit for anything but development, or None when it is fine."""
        if len(self.secret().encode()) < MIN_SECRET_BYTES:
            return f"PILAR_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes"
        return None

    def secret(self) -> str:
        return self.jwt_secret.get_secret_value() if self.jwt_secret else ""

    def refuse_unsafe(self) -> None:
        """Raise InsecureSettings (never echoing the secret) without a secret, or with a short one outside explicit
        development mode."""
        if self.jwt_secret is None:
            raise InsecureSettings(
                "PILAR_JWT_SECRET is unset: set it to a random value of at least "
                f"{MIN_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)"
            )
        reason = self.weak_secret()
        if reason and not self.dev_mode:
            raise InsecureSettings(
                f"{reason}: set it to a random value of at least {MIN_SECRET_BYTES} bytes "
                "(e.g. `openssl rand -base64 48`), or PILAR_DEV_MODE=1 for a local development stack"
            )

    @property
    def database(self) -> str:
        base = self.mongodb_database or self.service
        return f"{self.namespace}_{base}".replace(".", "_") if self.namespace else base
