"""The `pilar` command (typer + rich)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from pilar import state
from pilar.logview import LogFilter, LogReader, parse_since, render
from pilar.operator import operator_token, signed_token
from pilar_runtime.auth import Role
from pilar_runtime.keys import SigningKey
from pilar_runtime.settings import ServiceSettings

# A traceback's local variables would print AMQP_URL (with its password) and tokens: never show them.
app = typer.Typer(
    help="Pilar: the event-driven back office of a Dinas Sosial.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
dlq_app = typer.Typer(help="Dead-letter queues: list, show and redrive messages a service could not handle.")
app.add_typer(dlq_app, name="dlq")
console = Console()
FOLLOW_POLL_SECONDS = 0.3
T = TypeVar("T")
NamespaceOpt = Annotated[str, typer.Option(envvar="PILAR_NAMESPACE", help="name prefix of the stack's broker objects")]


def require_development_package() -> None:
    """`up`, `demo` and `mail` run a local stack; the production image ships without that code."""
    if importlib.util.find_spec("pilar_dev") is None:
        console.print("[bold red]this is a development command: install Pilar from a checkout (./dev test sets it up)")
        raise typer.Exit(2)


@app.command()
def up(verbose: Annotated[bool, typer.Option(help="show debug lines too")] = False) -> None:
    """Run the whole system locally: the four services, MongoDB (embedded unless MONGODB_URL) and a mail catcher."""
    require_development_package()
    from pilar_dev.up import StackError, run_stack

    try:
        raise typer.Exit(asyncio.run(run_stack(verbose)))
    except StackError as exc:
        console.print(f"[bold red]{exc}")
        raise typer.Exit(2) from None


TTL = re.compile(r"^(\d+)([mhd])$")
TTL_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="admin, province_operator, district_operator, viewer, integration")] = (
        Role.ADMIN
    ),
    region: Annotated[str, typer.Option(help="region code prefix, e.g. 34.03; only admin may leave it empty")] = "",
    sub: Annotated[
        str | None,
        typer.Option(help="who the token is for; required for integration (each system's webhooks are its own)"),
    ] = None,
    ttl: Annotated[
        str,
        typer.Option(
            help="lifetime, e.g. 30m, 12h, 30d: at most PILAR_TOKEN_MAX_HOURS (12h), for integration tokens "
            "PILAR_INTEGRATION_TOKEN_MAX_DAYS (90d)"
        ),
    ] = "12h",
    key_file: Annotated[
        Path | None,
        typer.Option(
            help="the console's signing key (Ed25519 PEM); default: CONSOLE_SIGNING_KEY_FILE, else the local "
            "stack's .pilar/signing-key.pem"
        ),
    ] = None,
) -> None:
    """Issue an access token for an operator or a district system, signed with the console's key."""
    if sub is None and role is Role.INTEGRATION:
        # Webhooks and their deliveries belong to the subject: two systems sharing one would see each other's.
        console.print("[bold red]--sub: name the district system (e.g. sidinsos-gunungkidul); each needs its own")
        raise typer.Exit(2)
    sub = sub or "operator"
    found = TTL.match(ttl)
    if not found or int(found.group(1)) == 0:
        console.print(f"[bold red]--ttl {ttl!r}: give a number and a unit, e.g. 30m, 12h or 30d")
        raise typer.Exit(2)
    cap = ServiceSettings().token_limits.for_role(role)
    try:
        lifetime = timedelta(**{TTL_UNITS[found.group(2)]: int(found.group(1))})
    except OverflowError:
        lifetime = timedelta.max
    if lifetime > cap:
        console.print(f"[bold red]--ttl {ttl}: a {role.value} token may live at most {cap}")
        raise typer.Exit(2)
    path = key_file or state.signing_key_file()
    try:
        key = SigningKey.load(path)
    except (OSError, ValueError) as exc:
        console.print(f"[bold red]signing key {path}: {exc.strerror if isinstance(exc, OSError) else exc}")
        raise typer.Exit(2) from None
    try:
        print(signed_token(sub, role=role.value, region=region, ttl=lifetime, key=key))
    except ValueError as exc:
        console.print(f"[bold red]{exc}")
        raise typer.Exit(2) from None


@app.command()
def logs(
    service: Annotated[
        str | None, typer.Option(help="registry, outreach, notify, reporting (or mongo, mailcatcher)")
    ] = None,
    correlation_id: Annotated[
        str | None, typer.Option("--correlation", "--correlation-id", "-c", help="one flow across the services")
    ] = None,
    event_id: Annotated[str | None, typer.Option("--event", help="one event's lines, by its event_id")] = None,
    event_type: Annotated[str | None, typer.Option("--event-type", "-t")] = None,
    level: Annotated[str | None, typer.Option(help="this level and above: debug, info, warning, error")] = None,
    trace_id: Annotated[str | None, typer.Option("--trace-id", help="follow one W3C trace (32 hex digits)")] = None,
    since: Annotated[str | None, typer.Option(help="only the last span of time, e.g. 90s, 10m, 2h, 1d")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing new lines until Ctrl-C")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the raw JSON lines (for jq)")] = False,
) -> None:
    """The services' logs from `pilar up`, merged in time order and filtered."""
    try:
        start = datetime.now(UTC) - parse_since(since) if since else None
        wanted = LogFilter(service, correlation_id, event_type, level, event_id, start, trace_id)
    except ValueError as exc:
        console.print(f"[bold red]{exc}")
        raise typer.Exit(2) from None
    reader = LogReader(state.logs_dir())
    try:
        while True:
            for record in (r for r in reader.read_new() if wanted.matches(r)):
                if as_json:
                    print(json.dumps(record, ensure_ascii=False), flush=True)
                else:
                    console.print(render(record), soft_wrap=True)
            if not follow:
                return
            time.sleep(FOLLOW_POLL_SECONDS)
    except KeyboardInterrupt:
        return


def _dlq(work: Coroutine[Any, Any, T]) -> T:
    """Run one DLQ operation; a broker that refuses or does not answer ends the command with a clear message."""
    from aiormq.exceptions import AMQPError

    from pilar.dlq import DlqError

    try:
        return asyncio.run(work)
    except DlqError as exc:
        console.print(f"[bold red]{exc}")
    except AMQPError as exc:
        console.print(f"[bold red]the broker refused: {type(exc).__name__}: {exc}")
    raise typer.Exit(1)


def _selection(
    service: str, namespace: str, message_id: list[str] | None, verb: str, dry_run: bool, yes: bool
) -> set[str] | None:
    """Which dead letters to act on, after showing them and asking (unless --yes); None means all."""
    from pilar.dlq import chosen, list_dead_letters

    ids = set(message_id) if message_id else None
    letters = chosen(_dlq(list_dead_letters(state.amqp_url(), service, namespace, 10_000)), ids)
    if not letters:
        console.print(f"nothing to {verb} in the {service} DLQ")
        raise typer.Exit(0)
    console.print(f"{'would ' if dry_run else ''}{verb} {len(letters)} message(s) of the {service} DLQ:")
    for letter in letters:
        console.print(f"  {letter.message_id or '?'} {letter.event_type or ''} — {letter.reason}", soft_wrap=True)
    if dry_run:
        raise typer.Exit(0)
    if not yes and not typer.confirm(f"{verb} them?", default=False):
        console.print("nothing done")
        raise typer.Exit(1)
    # Exactly the letters confirmed, not any that arrived since (a letter without a message id can only go with all).
    confirmed = {letter.message_id for letter in letters}
    return None if None in confirmed else {i for i in confirmed if i is not None}


DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="show what would be done, do nothing")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]
IdsOpt = Annotated[list[str] | None, typer.Option("--id", help="only these message ids (repeatable)")]


@dlq_app.command("list")
def dlq_list(
    service: Annotated[str, typer.Argument(help="registry, outreach, notify or reporting")],
    namespace: NamespaceOpt = "",
    limit: int = 100,
) -> None:
    """What waits in a service's DLQ, with the reason each message was dead-lettered (the messages stay)."""
    from pilar.dlq import list_dead_letters

    letters = _dlq(list_dead_letters(state.amqp_url(), service, namespace, limit))
    table = Table("#", "message id", "event type", "routing key", "reason", title=f"{service} DLQ ({len(letters)})")
    for letter in letters:
        table.add_row(
            str(letter.position),
            letter.message_id or "",
            letter.event_type or "",
            letter.routing_key or "",
            letter.reason,
        )
    console.print(table)


@dlq_app.command("show")
def dlq_show(
    service: str,
    position: Annotated[int, typer.Argument(help="the # from `pilar dlq list`")],
    namespace: NamespaceOpt = "",
) -> None:
    """One dead letter in full: headers and body."""
    from pilar.dlq import list_dead_letters

    letters = _dlq(list_dead_letters(state.amqp_url(), service, namespace, position))
    if not 1 <= position <= len(letters):
        console.print(f"[bold red]the {service} DLQ holds only {len(letters)} message(s)")
        raise typer.Exit(1)
    letter = letters[position - 1]
    about = {"message_id": letter.message_id, "event_type": letter.event_type, "routing_key": letter.routing_key}
    console.print_json(json.dumps({**about, "reason": letter.reason, "headers": letter.headers}, default=str))
    try:
        console.print_json(letter.body.decode())
    except ValueError:
        console.print(repr(letter.body[:2000]))


@dlq_app.command("redrive")
def dlq_redrive(
    service: str,
    message_id: IdsOpt = None,
    namespace: NamespaceOpt = "",
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
) -> None:
    """Send dead letters back to the service's queue, e.g. after fixing what made them fail."""
    from pilar.dlq import redrive
    from pilar_runtime.brokerusers import broker_user

    ids = _selection(service, namespace, message_id, "redrive", dry_run, yes)
    url = state.amqp_url()
    consumer_user = state.broker_users().get(service) or broker_user(url)
    sent = _dlq(redrive(url, service, namespace, ids, consumer_user=consumer_user))
    console.print(f"redrove {sent} message(s) to {service}")


@dlq_app.command("purge")
def dlq_purge(
    service: str,
    message_id: IdsOpt = None,
    namespace: NamespaceOpt = "",
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
) -> None:
    """Drop dead letters for good (all, or those given by --id): for messages no fix will ever make useful."""
    from pilar.dlq import purge

    ids = _selection(service, namespace, message_id, "purge", dry_run, yes)
    dropped = _dlq(purge(state.amqp_url(), service, namespace, ids))
    console.print(f"purged {dropped} message(s) from the {service} DLQ")


@app.command()
def replay(service: Annotated[str, typer.Argument(help="only `reporting` keeps projections to rebuild")]) -> None:
    """Drop and rebuild every projection of a service from its stored events (the running service does it)."""
    if service != "reporting":
        console.print("[bold red]only reporting has projections to replay")
        raise typer.Exit(2)
    from pilar.operator import ServiceAway
    from pilar.replay import run_replay

    try:
        last = asyncio.run(run_replay())
    except ServiceAway as exc:
        console.print(f"[bold red]replay: {exc}")
        raise typer.Exit(1) from None
    if last["status"] != "done":
        console.print(
            f"[bold red]replay {last['status']}: {last.get('error') or 'see `pilar logs --service reporting`'}"
        )
        raise typer.Exit(1)
    console.print(f"rebuilt every projection from {last.get('events', 0)} stored events")


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="the services' answers as JSON")] = False) -> None:
    """Each service's health, queue, dead letters, outbox, timers and own figures; exit 1 when something is wrong."""
    from pilar.status import gather_status, render, troubles

    statuses = asyncio.run(gather_status())
    if as_json:
        print(json.dumps(statuses, ensure_ascii=False))
    else:
        console.print(render(statuses))
    raise typer.Exit(1 if any(troubles(s) for s in statuses) else 0)


@app.command()
def backfill(
    service: Annotated[str, typer.Argument(help="only `registry` keeps a reference of another service's records")],
    namespace: NamespaceOpt = "",
) -> None:
    """Fill the registry's reference of outreach's campaigns and sessions from reporting's event store (after an
    upgrade from a registry that did not keep them)."""
    if service != "registry":
        console.print("[bold red]only the registry keeps a reference to backfill")
        raise typer.Exit(2)
    import httpx
    from aiormq.exceptions import AMQPError

    from pilar.backfill import backfill_registry
    from pilar_runtime.brokerusers import broker_user

    url = state.amqp_url()
    producer_user = state.broker_users().get("outreach") or broker_user(url)
    token = operator_token("pilar-backfill")

    async def run() -> int:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=state.service_url("reporting"), headers=headers, timeout=60) as client:
            with console.status("reading reporting's event store") as status:
                return await backfill_registry(
                    client, url, producer_user, namespace, lambda kind, n: status.update(f"{n} sent ({kind})")
                )

    try:
        sent = asyncio.run(run())
    except (httpx.HTTPError, OSError, AMQPError) as exc:
        console.print(f"[bold red]backfill stopped: {type(exc).__name__}: {exc}")
        raise typer.Exit(1) from None
    console.print(f"sent {sent} stored event(s) to the registry; it keeps the newest version of each")


@app.command()
def mail(show: Annotated[int | None, typer.Option(help="print message N in full")] = None) -> None:
    """The mails notify sent while running locally (kept by `pilar up`'s mail catcher)."""
    require_development_package()
    from pilar_dev.mailcatcher import list_mail

    messages = list_mail(state.mail_dir())
    if show is not None:
        if not 1 <= show <= len(messages):
            console.print(f"[bold red]{len(messages)} mail(s) caught so far")
            raise typer.Exit(1)
        console.print(messages[show - 1].decoded(), soft_wrap=True, markup=False, highlight=False)
        return
    table = Table("#", "date", "to", "subject", title=f"caught mail ({len(messages)})")
    for i, message in enumerate(messages, 1):
        table.add_row(str(i), message.date, message.to, message.subject)
    console.print(table)


@app.command()
def demo() -> None:
    """Load the seeds' three programmes into a running stack through the public APIs."""
    require_development_package()
    from pilar_dev.demo import run_demo

    raise typer.Exit(asyncio.run(run_demo()))
