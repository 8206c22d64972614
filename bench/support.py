"""What the benchmarks share: a MongoDB-wire server (MONGODB_URL, or a throw-away SecantusDB), waiting for the
outbox, the raw insert_many baseline, a process's resident memory, clean-up."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pilar_dev.devstack import LocalMongo
from pilar_dev.testing import delete_namespace
from pilar_runtime.mongo import OUTBOX, Mongo


@contextmanager
def mongo_server() -> Iterator[str]:
    if os.environ.get("MONGODB_URL"):
        yield os.environ["MONGODB_URL"]
        return
    server = LocalMongo(":memory:", log_file=None).start()
    try:
        yield server.url
    finally:
        server.stop()


async def outbox_drained(mongo: Mongo, poll: float = 0.05) -> None:
    """Wait until the relay has published every event in the service's outbox."""
    while await mongo.db[OUTBOX].count_documents({"sent_at": None}):
        await asyncio.sleep(poll)


async def raw_insert_seconds(mongo: Mongo, documents: list[dict[str, Any]]) -> float:
    """The baseline: a plain pymongo insert_many of the same documents into a scratch database."""
    raw = mongo.client[f"{mongo.db.name}_raw"]["documents"]
    started = time.perf_counter()
    await raw.insert_many(documents)
    return time.perf_counter() - started


async def drop_bench_state(mongo: Mongo, amqp_url: str, namespace: str) -> None:
    await mongo.client.drop_database(mongo.db.name)
    await mongo.client.drop_database(f"{mongo.db.name}_raw")
    await mongo.close()
    await delete_namespace(amqp_url, namespace)


def rss_mb(pid: int) -> float:
    """A process's resident memory now (VmRSS), in MB; 0 once it has gone."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
