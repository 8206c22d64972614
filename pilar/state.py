"""The local state folder (``.pilar/`` by default): embedded database, logs, caught mail, the local stack's token
signing key (the console's) and report link secret, the first admin's one-time password until it is shown."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pilar_runtime.keys import SigningKey

SERVICES = {"registry": 8001, "outreach": 8002, "notify": 8003, "reporting": 8004, "console": 8000}


def state_dir() -> Path:
    path = Path(os.environ.get("PILAR_STATE_DIR", ".pilar"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    path = state_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def mail_dir() -> Path:
    path = state_dir() / "mail"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _private_file(path: Path, content: bytes) -> None:
    """Created readable by its owner only from the first byte (no window in which others could read it)."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(content)


def signing_key_file() -> Path:
    """The console's token signing key (Ed25519, PEM): CONSOLE_SIGNING_KEY_FILE, or the local stack's, made once per
    checkout in the state folder (``.pilar/``, which git and the image ignore). `pilar token` and the operator
    commands sign with it as the console does."""
    given = os.environ.get("CONSOLE_SIGNING_KEY_FILE")
    if given:
        return Path(given)
    path = state_dir() / "signing-key.pem"
    if not path.exists():
        _private_file(path, SigningKey.generate().pem())
    return path


def signing_key() -> SigningKey:
    return SigningKey.load(signing_key_file())


def link_secret() -> str:
    """PILAR_LINK_SECRET, or a random secret made once for this checkout's local stack (report links)."""
    given = os.environ.get("PILAR_LINK_SECRET")
    if given:
        return given
    path = state_dir() / "link-secret"
    if not path.exists():
        _private_file(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def first_password_file() -> Path:
    """Where the console leaves the first admin's one-time password for `pilar up` to show once and delete."""
    return state_dir() / "first-admin-password"


def amqp_url() -> str:
    return os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def broker_users() -> dict[str, str]:
    """Each service's broker user: PILAR_BROKER_USERS, or the users `pilar up` made; empty when all are one."""
    given = os.environ.get("PILAR_BROKER_USERS")
    if given:
        return dict(json.loads(given))
    path = state_dir() / "broker-users.json"
    return dict(json.loads(path.read_text())) if path.exists() else {}


def keep_broker_users(users: dict[str, str]) -> None:
    """What `pilar up` made, for the commands run beside it (`pilar dlq redrive`). Names only, no passwords."""
    (state_dir() / "broker-users.json").write_text(json.dumps(users))


def keep_service_urls(urls: dict[str, str]) -> None:
    """Where `pilar up` serves each service, for the commands run beside it in another shell."""
    (state_dir() / "services.json").write_text(json.dumps(urls))


def service_url(service: str) -> str:
    """PILAR_<SERVICE>_URL, else where the running `pilar up` serves it, else the default port."""
    given = os.environ.get(f"PILAR_{service.upper()}_URL")
    if given:
        return given
    path = state_dir() / "services.json"
    kept = dict(json.loads(path.read_text())) if path.exists() else {}
    return str(kept.get(service) or f"http://127.0.0.1:{SERVICES[service]}")
