"""Settings base: one env prefix per service (``REGISTRY_PORT``), plus the few names the whole stack shares
(``AMQP_URL``, ``MONGODB_URL``, ``PILAR_JWKS_URL`` / ``PILAR_JWKS``, ``PILAR_NAMESPACE``, ``PILAR_BROKER_USERS``)."""

from __future__ import annotations

import json
from datetime import timedelta

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.topology import SHARDS
from pilar_runtime.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, Issuer, Role, TokenLimits, TokenVerifier
from pilar_runtime.brokeraddresses import broker_addresses
from pilar_runtime.brokerusers import producer_users
from pilar_runtime.keys import ALGORITHM
from pilar_runtime.tokenkeys import DiscoveredKeys, KeySource, RemoteKeys, StaticKeys, UnusableKeySet, public_keys

MIN_SECRET_BYTES = 32
# What an OpenID Connect provider may sign with: asymmetric algorithms only, each checked against its key's type.
OIDC_ALGORITHMS = frozenset({"EdDSA", "ES256", "RS256"})


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
    # One broker, or a cluster's nodes comma-separated: the connection fails over between them by itself.
    amqp_url: str = Field("amqp://guest:guest@127.0.0.1:5672/", validation_alias=shared("AMQP_URL"))
    mongodb_url: str = Field("mongodb://127.0.0.1:27017/?replicaSet=rs0", validation_alias=shared("MONGODB_URL"))
    mongodb_database: str | None = Field(None, description="defaults to the namespaced service name")
    # The console's tokens: what they must name as issuer and audience, and its public keys, fetched from its
    # /.well-known/jwks.json (cached; fetched again on an unknown key, at most every refetch seconds) or given inline
    # as a JWK Set. No private key and no shared secret: a service verifies tokens and cannot mint one.
    jwt_issuer: str = Field(DEFAULT_ISSUER, validation_alias=shared("PILAR_JWT_ISSUER"))
    jwt_audience: str = Field(DEFAULT_AUDIENCE, validation_alias=shared("PILAR_JWT_AUDIENCE"))
    jwks_url: str | None = Field(None, validation_alias=shared("PILAR_JWKS_URL"))
    jwks: str | None = Field(None, validation_alias=shared("PILAR_JWKS"))
    jwks_cache_seconds: float = Field(300.0, gt=0, validation_alias=shared("PILAR_JWKS_CACHE_SECONDS"))
    jwks_refetch_seconds: float = Field(10.0, ge=0, validation_alias=shared("PILAR_JWKS_REFETCH_SECONDS"))
    # An external OpenID Connect provider (e.g. Keycloak) whose tokens are trusted too: keys from its discovery
    # document; role and region read at dotted paths into its claims; a provider's role names mapped to Pilar's.
    oidc_issuer: str | None = Field(None, validation_alias=shared("PILAR_OIDC_ISSUER"))
    oidc_audience: str | None = Field(None, validation_alias=shared("PILAR_OIDC_AUDIENCE"))
    oidc_role_claim: str = Field("role", validation_alias=shared("PILAR_OIDC_ROLE_CLAIM"))
    oidc_region_claim: str = Field("region", validation_alias=shared("PILAR_OIDC_REGION_CLAIM"))
    oidc_role_map: dict[str, Role] = Field(default_factory=dict, validation_alias=shared("PILAR_OIDC_ROLE_MAP"))
    # Explicit development mode (`pilar up` sets it): a short link secret is let through, with a warning.
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
    # Partitions of the service's events (1: one queue): with several, its replicas share them out and never
    # consume the same aggregate's events at once (pilar_runtime.partitions). Every replica runs with the same
    # number; change it with the service stopped. Reporting numbers its events per partition (see its README).
    partitions: int = Field(1, ge=1, le=SHARDS)
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

    @field_validator("amqp_url")
    @classmethod
    def _broker_addresses_agree(cls, amqp_url: str) -> str:
        broker_addresses(amqp_url)  # every address an AMQP URL, all logging in as one user to one vhost
        return amqp_url

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
        """Why a secret of this service is unfit for anything but development, or None (services with secrets say)."""
        return None

    def refuse_unsafe(self) -> None:
        """Raise RefusedSettings when no token can be verified, or a secret is unfit outside development mode."""
        if not (self.jwks_url or self.jwks or self.oidc_issuer):
            raise RefusedSettings(
                "no token keys: set PILAR_JWKS_URL to the console's /.well-known/jwks.json (or PILAR_JWKS to its "
                "JWK Set, or PILAR_OIDC_ISSUER to an OpenID Connect provider)"
            )
        if self.jwks_url and self.jwks:
            raise RefusedSettings("PILAR_JWKS_URL and PILAR_JWKS are both set: keep one")
        for name, url in (("PILAR_JWKS_URL", self.jwks_url), ("PILAR_OIDC_ISSUER", self.oidc_issuer)):
            if url is not None and not url.startswith(("https://", "http://")):
                raise RefusedSettings(f"{name} must be an http(s) URL")
        if self.oidc_issuer == self.jwt_issuer:
            raise RefusedSettings("PILAR_OIDC_ISSUER must differ from PILAR_JWT_ISSUER (the console's tokens)")
        reason = self.weak_secret()
        if reason and not self.dev_mode:
            raise InsecureSettings(
                f"{reason}: set it to a random value of at least {MIN_SECRET_BYTES} bytes "
                "(e.g. `openssl rand -base64 48`), or PILAR_DEV_MODE=1 for a local development stack"
            )

    def token_verifier(self) -> TokenVerifier:
        """The issuers this service trusts, with where their keys come from (RefusedSettings for an unusable set)."""
        issuers: list[Issuer] = []
        console_keys = self._console_keys()
        if console_keys is not None:
            issuers.append(Issuer(self.jwt_issuer, self.jwt_audience, console_keys))
        if self.oidc_issuer:
            keys = DiscoveredKeys(self.oidc_issuer, OIDC_ALGORITHMS, self.jwks_cache_seconds, self.jwks_refetch_seconds)
            issuers.append(
                Issuer(
                    self.oidc_issuer,
                    self.oidc_audience or self.jwt_audience,
                    keys,
                    OIDC_ALGORITHMS,
                    role_claim=self.oidc_role_claim,
                    region_claim=self.oidc_region_claim,
                    role_map={name: role.value for name, role in self.oidc_role_map.items()},
                )
            )
        return TokenVerifier({issuer.name: issuer for issuer in issuers}, self.token_limits)

    def _console_keys(self) -> KeySource | None:
        if self.jwks_url:
            return RemoteKeys(self.jwks_url, {ALGORITHM}, self.jwks_cache_seconds, self.jwks_refetch_seconds)
        if not self.jwks:
            return None
        try:
            keys = public_keys(json.loads(self.jwks), {ALGORITHM})
        except (ValueError, UnusableKeySet) as exc:
            reason = str(exc) if isinstance(exc, UnusableKeySet) else "not JSON"
            raise RefusedSettings(f"PILAR_JWKS cannot be used: {reason}") from None
        if not keys:
            raise RefusedSettings(f"PILAR_JWKS holds no {ALGORITHM} signing key with a kid")
        return StaticKeys(keys)

    @property
    def database(self) -> str:
        base = self.mongodb_database or self.service
        return f"{self.namespace}_{base}".replace(".", "_") if self.namespace else base


class SignedLinkSettings(ServiceSettings):
    """A service that signs (notify) or checks (reporting) report links (`pilar_runtime.links`)."""

    # Unset: report e-mails carry plain links (opened with a bearer token), and no link token opens anything.
    link_secret: SecretStr | None = Field(None, validation_alias=shared("PILAR_LINK_SECRET"))

    def link_key(self) -> str:
        return self.link_secret.get_secret_value() if self.link_secret else ""

    def weak_secret(self) -> str | None:
        if self.link_secret is not None and len(self.link_key().encode()) < MIN_SECRET_BYTES:
            return f"PILAR_LINK_SECRET is shorter than {MIN_SECRET_BYTES} bytes"
        return None
