"""`pilar up`: the whole system on one machine, as separate processes, with merged coloured logs.

RabbitMQ comes from AMQP_URL (default local). MongoDB comes from MONGODB_URL or, when unset, an embedded
SecantusDB process with its data in the state folder. A catch-all SMTP server keeps every mail notify sends.
On the local broker each service gets its own broker user when ``rabbitmqctl`` may make them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import httpx
from rich.console import Console
from rich.markup import escape

from contracts import topology
from pilar import state
from pilar.logview import parse_line, render
from pilar_dev.devstack import LocalMongo, port_open
from pilar_runtime.brokerusers import Rabbitmqctl, RabbitmqctlError, broker_user, broker_vhost, with_user
from pilar_runtime.keys import jwks

console = Console(stderr=True)
MONGO_PORT = int(os.environ.get("PILAR_MONGO_PORT", "27217"))
SMTP_PORT = int(os.environ.get("PILAR_SMTP_PORT", "1025"))
# Notify signs report links, reporting checks them; no other service holds the secret.
LINK_SIGNERS = ("notify", "reporting")


class StackError(RuntimeError):
    pass


def check_rabbitmq(url: str) -> None:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5672
    if not port_open(host, port, timeout=2):
        raise StackError(
            f"RabbitMQ is not answering at {host}:{port}.\n"
            "Start one: `rabbitmq-server -detached` (Debian/Ubuntu: `apt-get install rabbitmq-server`),\n"
            "or `docker compose up -d rabbitmq`, or point AMQP_URL at a running broker."
        )


def service_amqp_urls(amqp_url: str, namespace: str) -> dict[str, str]:
    """Each service's AMQP URL: its own broker user on the local broker, made (or given a fresh password) with
    ``rabbitmqctl`` when this machine may; otherwise AMQP_URL's user for all, with a warning."""
    one_user = dict.fromkeys(state.SERVICES, amqp_url)
    if urlparse(amqp_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        console.print("[yellow]broker users: the broker is not on this machine; every service runs as AMQP_URL's user")
        return one_user
    users = {s: (topology.namespaced(f"pilar-{s}", namespace), secrets.token_urlsafe(24)) for s in state.SERVICES}
    operator = broker_user(amqp_url)
    ctl = Rabbitmqctl(broker_vhost(amqp_url))
    try:
        ctl.put_service_users(users, namespace)
        # `pilar dlq redrive` hands a message back with its producer's user_id.
        ctl.add_tags(operator, ["impersonator"])
    except RabbitmqctlError as exc:
        console.print(
            f"[yellow]broker users: every service runs as {operator!r}, so any client with those credentials can "
            f"publish as any service ({escape(str(exc))}; run `pilar up` where rabbitmqctl may reach the node, "
            "e.g. as root)"
        )
        return one_user
    console.print(
        f"[dim]broker users {', '.join(u for u, _ in users.values())}: each publishes only its own routing keys;"
        f" {operator} may redrive dead letters as their producer"
    )
    return {service: with_user(amqp_url, user, password) for service, (user, password) in users.items()}


def served_urls() -> dict[str, str]:
    """Each service's URL: PILAR_<SERVICE>_URL, else the loopback at <SERVICE>_PORT (or its default port)."""
    return {
        service: os.environ.get(f"PILAR_{service.upper()}_URL")
        or f"http://127.0.0.1:{os.environ.get(f'{service.upper()}_PORT', default)}"
        for service, default in state.SERVICES.items()
    }


async def _pump(stream: asyncio.StreamReader, service: str, log_file: Path, verbose: bool) -> None:
    with log_file.open("a", encoding="utf-8") as out:
        while line := await stream.readline():
            text = line.decode("utf-8", "replace")
            record = parse_line(text, service)
            if not text.startswith("{"):  # a line the service printed itself: stamped, so --since may place it
                record.setdefault("timestamp", datetime.now(UTC).isoformat())
            out.write(text if text.startswith("{") else json.dumps(record) + "\n")
            out.flush()
            if verbose or record.get("level") != "debug":
                console.print(render(record), soft_wrap=True)


async def _ready(service: str, timeout: float = 60) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while asyncio.get_running_loop().time() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{state.service_url(service)}/readyz")).status_code == 200:
                    return True
            await asyncio.sleep(0.5)
    return False


def hand_over_first_password() -> None:
    """On the first run the console made an admin: show its one-time password once, then delete the file."""
    path = state.first_password_file()
    if not path.exists():
        return
    email, password = path.read_text().split()
    path.unlink()
    console.print(
        f"[bold]First run:[/] sign in at {state.service_url('console')}/masuk as [bold]{escape(email)}[/] with the "
        f"one-time password [bold]{escape(password)}[/] (shown only now; the console asks for a new one at once)"
    )


async def run_stack(verbose: bool = False) -> int:
    amqp = state.amqp_url()
    check_rabbitmq(amqp)
    state.keep_service_urls(served_urls())
    logs = state.logs_dir()
    mongo: LocalMongo | None = None
    mongodb_url = os.environ.get("MONGODB_URL")
    if not mongodb_url:
        if port_open("127.0.0.1", MONGO_PORT):
            raise StackError(f"port {MONGO_PORT} is taken: set PILAR_MONGO_PORT or MONGODB_URL")
        mongo = LocalMongo(state.state_dir() / "mongo", port=MONGO_PORT, log_file=logs / "mongo.log").start()
        mongodb_url = mongo.url
        console.print(f"[dim]embedded MongoDB-wire server (SecantusDB) on :{MONGO_PORT}, data in {mongo.data_dir}")
    # Broker users the operator set up (PILAR_BROKER_USERS, per-service AMQP URLs) are left as they are.
    if "PILAR_BROKER_USERS" in os.environ:
        amqp_urls, broker_users = dict.fromkeys(state.SERVICES, amqp), os.environ["PILAR_BROKER_USERS"]
    else:
        amqp_urls = service_amqp_urls(amqp, os.environ.get("PILAR_NAMESPACE", ""))
        users = {service: broker_user(url) for service, url in amqp_urls.items()}
        state.keep_broker_users(users)
        broker_users = json.dumps(users)
    env = {
        **os.environ,
        "AMQP_URL": amqp,
        "MONGODB_URL": mongodb_url,
        "PILAR_BROKER_USERS": broker_users,
        # The services verify tokens with the public half of the key `pilar token` signs with.
        "PILAR_JWKS": json.dumps(jwks(state.signing_key())),
        # A local stack: lets a short PILAR_LINK_SECRET through (the generated one is long) and serves /docs.
        "PILAR_DEV_MODE": "1",
        "PILAR_PUBLIC_DOCS": "1",
        "PILAR_LOG_FORMAT": "json",
        "NOTIFY_SMTP_HOST": os.environ.get("NOTIFY_SMTP_HOST", "127.0.0.1"),
        "NOTIFY_SMTP_PORT": os.environ.get("NOTIFY_SMTP_PORT", str(SMTP_PORT)),
        "NOTIFY_PUBLIC_BASE_URL": os.environ.get("NOTIFY_PUBLIC_BASE_URL", state.service_url("reporting")),
        # Local demos point webhooks at receivers on this machine; a deployment admits only its own networks.
        "NOTIFY_WEBHOOK_ALLOWED_NETWORKS": os.environ.get("NOTIFY_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128"),
        "CONSOLE_SIGNING_KEY_FILE": str(state.signing_key_file()),
        "CONSOLE_FIRST_PASSWORD_FILE": str(state.first_password_file()),
        **{f"CONSOLE_{s.upper()}_URL": state.service_url(s) for s in state.SERVICES if s != "console"},
    }
    processes: dict[str, asyncio.subprocess.Process] = {}
    pumps: list[asyncio.Task[None]] = []

    async def spawn(name: str, *args: str, extra: dict[str, str] | None = None) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            env={**env, **(extra or {})},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        processes[name] = process
        assert process.stdout is not None
        pumps.append(asyncio.create_task(_pump(process.stdout, name, logs / f"{name}.log", verbose)))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if not os.environ.get("NOTIFY_SMTP_HOST"):
            await spawn(
                "mailcatcher",
                "-m",
                "pilar_dev.mailcatcher",
                "--port",
                str(SMTP_PORT),
                "--dir",
                str(state.mail_dir()),
            )
        for service in state.SERVICES:
            extra = {"AMQP_URL": amqp_urls[service]}
            if service in LINK_SIGNERS:
                extra["PILAR_LINK_SECRET"] = state.link_secret()
            await spawn(service, "-m", f"services.{service}", extra=extra)
        ready = await asyncio.gather(*(_ready(s) for s in state.SERVICES))
        if all(ready):
            console.print(
                "[bold green]Pilar is up:[/] " + ", ".join(f"{s} {state.service_url(s)}" for s in state.SERVICES)
            )
            console.print(
                f"[dim]dashboard: {state.service_url('reporting')}/dashboard?token=$(pilar token --role admin)"
                "   ·   Ctrl-C stops everything"
            )
            hand_over_first_password()
        else:
            failed = [s for s, ok in zip(state.SERVICES, ready, strict=True) if not ok]
            console.print(f"[bold red]not ready: {', '.join(failed)} — see the log lines above[/]")
        waiters = [asyncio.create_task(p.wait()) for p in processes.values()]
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopper, *waiters], return_when=asyncio.FIRST_COMPLETED)
        if stopper not in done:
            exited = [n for n, p in processes.items() if p.returncode is not None]
            console.print(f"[bold red]{', '.join(exited)} exited; stopping the stack")
        return 0 if stopper in done else 1
    finally:
        console.print("[dim]stopping…")
        for process in processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in processes.values())), timeout=35)
        for process in processes.values():
            if process.returncode is None:
                process.kill()
        await asyncio.gather(*pumps, return_exceptions=True)
        if mongo:
            mongo.stop()
        console.print("[dim]stopped")
