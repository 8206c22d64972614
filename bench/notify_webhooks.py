"""Webhook delivery benchmark: notify's delivery path against raw httpx posts of the same bodies, same run.

The delivery path is what a webhook delivery goes through after the consumer recorded it: claim under a lease
from Mongo (the next batch while one is sent), look up the secret, sign (HMAC-SHA256), POST with httpx, then record
the attempts and their `notification_sent` outbox events, a batch of finished sends per Mongo transaction. The
baseline POSTs the same bodies with the same concurrency and nothing else. Both hit one local uvicorn receiver
running in its own process (`bench/receiver.py`), so neither side shares its event loop with the receiver.
Besides the rates it prints the CPU seconds each process spent on each side (Linux `/proc`; the database's only
when the benchmark started it): on a shared machine they move far less than the rates.

    python -m bench.notify_webhooks [--deliveries 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.receiver import received, receiver_process
from contracts.envelope import Envelope
from contracts.events.outreach import SessionScheduled
from pilar_dev.devstack import LocalMongo
from pilar_dev.testing import new_namespace
from pilar_runtime.events import new_event
from pilar_runtime.logs import configure_logging
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.notify import store
from services.notify.channels.webhook import WebhookSender, webhook_client
from services.notify.commands.deliveries import pass_on
from services.notify.dispatcher import Dispatcher
from services.notify.domain.addresses import parse_networks
from services.notify.domain.deliveries import Retries
from services.notify.domain.timing import QuietHours, TokenBucket
from services.notify.notifier import Notifier

SECRET = "bench-secret-0123456789"


def bodies(n: int) -> list[bytes]:
    starts = datetime(2027, 8, 12, 2, 0, tzinfo=UTC)
    out = []
    for i in range(n):
        payload = SessionScheduled(
            session_id=f"ses_{i}", kind="penyuluhan", topic="Pembentukan WKSBM", region_code="34.03.13.2004",
            venue="Balai Desa", starts_at=starts, ends_at=starts + timedelta(hours=3),
            officer_ids=["wrk_1"], narasumber_ids=["wrk_2"],
        )  # fmt: skip
        event = new_event(
            "session_scheduled", payload, actor="bench", region_code="34.03.13.2004",
            aggregate_id=f"ses_{i}", aggregate_version=1,
        )  # fmt: skip
        out.append(event.to_json())
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Meter:
    """CPU seconds of this process, the receiver and the database while one side is measured."""

    receiver_pid: int
    database_pid: int | None
    started: dict[str, float] = field(default_factory=dict)

    def _now(self) -> dict[str, float]:
        now = {"client": time.process_time(), "receiver": cpu_seconds(self.receiver_pid)}
        if self.database_pid is not None:
            now["database"] = cpu_seconds(self.database_pid)
        return now

    def start(self) -> None:
        self.started = self._now()

    def spent(self) -> str:
        return ", ".join(f"{name} {value - self.started[name]:.2f}" for name, value in self._now().items())


async def raw_posts(url: str, payloads: list[bytes], concurrency: int) -> float:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient() as client:

        async def post(body: bytes) -> None:
            async with limit:
                answer = await client.post(url, content=body, headers={"Content-Type": "application/json"})
                answer.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(b) for b in payloads))
        return time.perf_counter() - started


async def delivery_path(
    mongo: Mongo, url: str, payloads: list[bytes], concurrency: int, meter: Meter
) -> tuple[float, str]:
    """Seconds to deliver every payload, and the CPU seconds spent meanwhile."""
    await store.ensure_indexes(mongo)
    await mongo.db[store.WEBHOOKS].insert_one(
        {"_id": "wh_bench", "url": url, "event_patterns": ["outreach.*"], "region_code": "34.03", "secret": SECRET,
         "active": True}
    )  # fmt: skip
    notifier = Notifier(defaults=[], quiet=QuietHours(*(datetime.min.time(),) * 2), public_base_url="", clock=_now)
    for start in range(0, len(payloads), 200):  # recorded as the consumer would, in modest transactions
        chunk = payloads[start : start + 200]

        async def plan_chunk(uow: UnitOfWork, chunk: list[bytes] = chunk) -> None:
            for body in chunk:
                await pass_on(uow, notifier, Envelope.model_validate_json(body))

        await mongo.transact(plan_chunk)
    dispatcher = Dispatcher(
        mongo,
        {"webhook": WebhookSender(webhook_client(parse_networks("127.0.0.0/8"), 10.0))},
        {"webhook": TokenBucket(rate=1e9, burst=10**9)},
        quiet=notifier.quiet,
        clock=_now,
        retries=Retries((1, 2)),
        batch=200,
        concurrency=concurrency,
    )
    meter.start()
    started = time.perf_counter()
    while await dispatcher.dispatch_once():
        pass
    elapsed, spent = time.perf_counter() - started, meter.spent()
    for sender in dispatcher.senders.values():
        await sender.close()
    sent = await mongo.db[store.DELIVERIES].count_documents({"status": "sent"})
    assert sent == len(payloads), f"only {sent} of {len(payloads)} delivered"
    return elapsed, spent


def _now() -> datetime:
    return datetime.now(UTC)


async def main(deliveries: int, concurrency: int) -> None:
    configure_logging("notify-bench", fmt="console", level="WARNING")
    local = None
    url = os.environ.get("MONGODB_URL")
    if not url:
        local = LocalMongo(tempfile.mkdtemp(prefix="bench-mongo-")).start()
        url = local.url
    mongo = Mongo(url, f"{new_namespace('bench')}_notify")
    payloads = bodies(deliveries)
    try:
        with receiver_process() as (receiver_url, receiver_pid):
            hook = f"{receiver_url}/hook"
            meter = Meter(receiver_pid, local.process.pid if local and local.process else None)
            await raw_posts(hook, payloads[:50], concurrency)  # warm-up
            meter.start()
            raw = await raw_posts(hook, payloads, concurrency)
            raw_cpu = meter.spent()
            ours, our_cpu = await delivery_path(mongo, hook, payloads, concurrency, meter)
            seen = received(receiver_url)
    finally:
        await mongo.client.drop_database(mongo.db.name)
        await mongo.close()
        if local:
            local.stop()
    assert seen == 50 + 2 * deliveries, f"the receiver got {seen} posts"
    print(f"deliveries: {deliveries}, concurrency: {concurrency}, body: {len(payloads[0])} bytes")
    print(f"raw httpx posts:        {deliveries / raw:9.1f} /s  ({raw:.2f} s; CPU s: {raw_cpu})")
    print(f"notify delivery path:   {deliveries / ours:9.1f} /s  ({ours:.2f} s; CPU s: {our_cpu})")
    print(f"ratio notify / raw:     {raw / ours:9.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.deliveries, arguments.concurrency))
