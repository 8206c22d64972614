"""The `pilar` command (typer + rich)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from pilar import state
from pilar.logview import LogFilter, parse_line, render
from pilar_runtime.auth import Role, issue_token
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
    sub: Annotated[str, typer.Option(help="who the token is for")] = "operator",
    ttl: Annotated[
        str,
        typer.Option(
            help="lifetime, e.g. 30m, 12h, 30d: at most PILAR_TOKEN_MAX_HOURS (12h), for integration tokens "
            "PILAR_INTEGRATION_TOKEN_MAX_DAYS (90d)"
        ),
    ] = "12h",
) -> None:
    """Issue a JWT for an operator or a district system (signed with the stack's secret)."""
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
    try:
        print(issue_token(state.jwt_secret(), sub=sub, role=role.value, region=region, ttl=lifetime))
    except ValueError as exc:
        console.print(f"[bold red]{exc}")
        raise typer.Exit(2) from None


@app.command()
def logs(
    service: Annotated[str | None, typer.Option(help="registry, outreach, notify or reporting")] = None,
    correlation_id: Annotated[str | None, typer.Option("--correlation-id", "-c", help="follow one flow")] = None,
    event_type: Annotated[str | None, typer.Option("--event-type", "-t")] = None,
    level: Annotated[str | None, typer.Option(help="error, warning, info, debug")] = None,
    trace_id: Annotated[str | None, typer.Option("--trace-id", help="follow one W3C trace (32 hex digits)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the raw JSON lines")] = False,
) -> None:
    """The services' logs from `pilar up`, merged in time order and filtered."""
    wanted = LogFilter(service, correlation_id, event_type, level, trace_id)
    records: list[dict[str, Any]] = []
    for path in sorted(state.logs_dir().glob("*.log")):
        with path.open(encoding="utf-8") as lines:
            records.extend(parse_line(line, path.stem) for line in lines if line.strip())
    records.sort(key=lambda r: str(r.get("timestamp", "")))
    for record in (r for r in records if wanted.matches(r)):
        if as_json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            console.print(render(record), soft_wrap=True)


@dlq_app.command("list")
def dlq_list(
    service: Annotated[str, typer.Argument(help="outreach, notify or reporting")],
    namespace: NamespaceOpt = "",
    limit: int = 100,
) -> None:
    """What waits in a service's DLQ, with the reason each message was dead-lettered."""
    from pilar.dlq import list_dead_letters

    letters = asyncio.run(list_dead_letters(state.amqp_url(), service, namespace, limit))
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

    letters = asyncio.run(list_dead_letters(state.amqp_url(), service, namespace, position))
    if len(letters) < position:
        console.print(f"[bold red]the {service} DLQ holds only {len(letters)} messages")
        raise typer.Exit(1)
    letter = letters[position - 1]
    console.print_json(json.dumps({"reason": letter.reason, "headers": letter.headers}, default=str))
    try:
        console.print_json(letter.body.decode())
    except ValueError:
        console.print(repr(letter.body[:2000]))


@dlq_app.command("redrive")
def dlq_redrive(
    service: str,
    message_id: Annotated[list[str] | None, typer.Option("--id", help="only these message ids (repeatable)")] = None,
    namespace: NamespaceOpt = "",
) -> None:
    """Send dead letters back to the service's queue, e.g. after fixing what made them fail."""
    from pilar.dlq import redrive
    from pilar_runtime.brokerusers import broker_user

    url = state.amqp_url()
    consumer_user = state.broker_users().get(service) or broker_user(url)
    ids = set(message_id) if message_id else None
    sent = asyncio.run(redrive(url, service, namespace, ids, consumer_user=consumer_user))
    console.print(f"redrove {sent} message(s) to {service}")


@app.command()
def replay(service: Annotated[str, typer.Argument(help="only `reporting` keeps projections to rebuild")]) -> None:
    """Drop and rebuild every projection of a service from its stored events."""
    if service != "reporting":
        console.print("[bold red]only reporting has projections to replay")
        raise typer.Exit(2)
    from pilar.replay import run_replay

    raise typer.Exit(asyncio.run(run_replay()))


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
    token = issue_token(state.jwt_secret(), sub="pilar-backfill", role="admin", ttl=timedelta(minutes=30))

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
        console.print(messages[show - 1].path.read_text(encoding="utf-8", errors="replace"))
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
