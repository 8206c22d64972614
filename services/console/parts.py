"""The console's running parts the routes reach: its signing keys, the gateway to the services, the session
timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.console.commands.tokens import Keys
from services.console.domain.sessions import Timeouts
from services.console.gateway import Gateway
from services.console.settings import ConsoleSettings


@dataclass(frozen=True)
class ConsoleParts:
    keys: Keys
    gateway: Gateway
    timeouts: Timeouts

    @classmethod
    def of(cls, settings: ConsoleSettings) -> ConsoleParts:
        urls = {
            "registry": settings.registry_url,
            "outreach": settings.outreach_url,
            "notify": settings.notify_url,
            "reporting": settings.reporting_url,
        }
        keys = Keys.load(settings.signing_key_file, settings.previous_key_files)
        return cls(
            keys=keys,
            gateway=Gateway(
                urls,
                settings.gateway_timeout_seconds,
                timedelta(minutes=settings.access_token_minutes),
                keys.current,
                settings.jwt_issuer,
                settings.jwt_audience,
            ),
            timeouts=Timeouts(
                idle=timedelta(minutes=settings.session_idle_minutes),
                absolute=timedelta(hours=settings.session_absolute_hours),
            ),
        )
