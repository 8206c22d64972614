"""`pilar up` brings the four services and the console up healthy against the local RabbitMQ and an embedded
SecantusDB, hands over the first admin's one-time password once, and Ctrl-C stops every process it started."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import httpx
import pytest

from contracts import topology
from pilar_dev.devstack import free_port
from pilar_dev.testing import delete_namespace, new_namespace
from pilar_dev.up import service_amqp_urls
from pilar_runtime.auth import issue_token
from pilar_runtime.brokerusers import Rabbitmqctl
from pilar_runtime.keys import SigningKey

SERVICES = ("registry", "outreach", "notify", "reporting", "console")


async def test_pilar_up_runs_the_whole_system_and_stops_cleanly(amqp_url: str, tmp_path: Path) -> None:
    namespace = new_namespace("up")
    ports = {service: free_port() for service in SERVICES}
    env = {
        **os.environ,
        "AMQP_URL": amqp_url,
        "PILAR_NAMESPACE": namespace,
        "PILAR_STATE_DIR": str(tmp_path),
        "PILAR_MONGO_PORT": str(free_port()),
        "PILAR_SMTP_PORT": str(free_port()),
    }
    env.pop("MONGODB_URL", None)  # the embedded SecantusDB is what this test is about
    env.pop("NOTIFY_SMTP_HOST", None)
    env.pop("CONSOLE_SIGNING_KEY_FILE", None)
    for service, port in ports.items():
        env[f"{service.upper()}_PORT"] = str(port)
        env[f"PILAR_{service.upper()}_URL"] = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pilar",
        "up",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            for _ in range(240):
                try:
                    answers = [await client.get(f"http://127.0.0.1:{p}/readyz") for p in ports.values()]
                    if all(a.status_code == 200 for a in answers):
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
            for port in ports.values():
                assert (await client.get(f"http://127.0.0.1:{port}/readyz")).json()["mongo"] is True
            # The services trust the state folder's signing key (the one `pilar token` signs with), and no other.
            status = f"http://127.0.0.1:{ports['registry']}/admin/status"
            for key, answer in ((SigningKey.load(tmp_path / "signing-key.pem"), 200), (SigningKey.generate(), 401)):
                token = issue_token(key, sub="ops", role="admin")
                assert (await client.get(status, headers={"Authorization": f"Bearer {token}"})).status_code == answer
        assert (tmp_path / "mongo").is_dir()  # the embedded database keeps its data in the state folder
        for private in ("signing-key.pem", "link-secret"):
            assert (tmp_path / private).stat().st_mode & 0o777 == 0o600
    finally:
        process.send_signal(signal.SIGINT)
        stderr = await asyncio.wait_for(process.communicate(), timeout=90)
        await delete_namespace(amqp_url, namespace)
        output = stderr[1].decode()
        said = " ".join(output.split())  # the console wraps long lines
        users = [topology.namespaced(f"pilar-{service}", namespace) for service in SERVICES]
        made_users = f"broker users {', '.join(users)}:" in said
        for user in users if made_users else []:  # the broker keeps users between runs
            Rabbitmqctl().delete_user(user)
    assert process.returncode == 0, output[-2000:]
    # Each service ran as its own broker user, or pilar up said why it could not make them.
    assert made_users or "broker users: every service runs as" in said, output[-2000:]
    logs = {p.stem for p in (tmp_path / "logs").glob("*.log")}
    assert set(SERVICES) <= logs
    # The first admin's one-time password was shown once, then its file deleted; no log holds it.
    shown = re.search(r"as admin@dinsos\.example with the one-time password (\S+)", said)
    assert shown, said[-2000:]
    assert not (tmp_path / "first-admin-password").exists()
    assert all(shown.group(1) not in p.read_text() for p in (tmp_path / "logs").glob("*.log"))


def test_where_rabbitmqctl_may_not_make_users_every_service_runs_as_amqp_urls_user_and_pilar_up_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    url = "amqp://guest:guest@127.0.0.1:5672/"
    assert service_amqp_urls(url, "") == dict.fromkeys(SERVICES, url)
    said = " ".join(capsys.readouterr().err.split())
    assert "every service runs as 'guest'" in said and "rabbitmqctl is not on PATH" in said
