"""Bulk import throughput of the registry against a raw pymongo ``insert_many`` of the same documents.

    python -m bench.registry_import [--rows 10000] [--kind workers|institutions]

The import path is the real one: an HTTP upload to a running registry (uvicorn), the background job that
validates every row (region codes, NIK, duplicates) and writes batches of documents with their events in one
transaction each, then the outbox relay publishing every event to RabbitMQ. The baseline inserts the very
documents the import produced into a fresh collection with one ``insert_many``: no validation, no events.
Needs RabbitMQ at AMQP_URL; uses MONGODB_URL or starts a throw-away SecantusDB.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import statistics
import time

import httpx

from bench.support import drop_bench_state, mongo_server, outbox_drained, raw_insert_seconds
from pilar_dev.testing import DEFAULT_AMQP_URL, TEST_JWKS, RunningApp, bearer, new_namespace
from pilar_runtime.logs import configure_logging
from pilar_runtime.mongo import Mongo
from pilar_runtime.regions import children
from services.registry.app import build
from services.registry.settings import RegistrySettings
from services.registry.store import INSTITUTIONS, WORKERS

NGAWEN = "34.03.13"


def worker_rows(n: int) -> list[list[str]]:
    """PSM volunteers spread over Ngawen's villages, each with a distinct valid NIK registered in Ngawen."""
    desa = [r.code for r in children(NGAWEN)]
    rows = [["role", "name", "region_code", "nik", "phone", "active"]]
    for i in range(n):
        day, month, year = 1 + i % 28, 1 + (i // 28) % 12, 60 + (i // 336) % 40
        serial = 1 + i // 13_440
        nik = f"340313{day + 40 * (i % 2):02d}{month:02d}{year:02d}{serial:04d}"
        rows.append(["PSM", f"Relawan {i}", desa[i % len(desa)], nik, f"0812{i:08d}", "ya"])
    return rows


def institution_rows(n: int) -> list[list[str]]:
    desa = [r.code for r in children(NGAWEN)]
    rows = [["kind", "name", "region_code", "status", "ketua", "sekretaris", "bendahara"]]
    for i in range(n):
        rows.append(
            ["PRANATA_SOSIAL", f"Kelompok Arisan {i}", desa[i % len(desa)], "active", "Sutrisno", "Wahyuni", "Sri"]
        )
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


async def run(rows: int, kind: str, mongodb_url: str, amqp_url: str) -> None:
    namespace = new_namespace("bench")
    # Other settings (REGISTRY_RELAY_BATCH, …) come from the environment as for the service itself.
    settings = RegistrySettings(amqp_url=amqp_url, mongodb_url=mongodb_url, namespace=namespace, jwks=TEST_JWKS)
    content = as_csv(worker_rows(rows) if kind == "workers" else institution_rows(rows))
    auth = bearer("district_operator", "34.03", sub="bench")
    mongo = Mongo(mongodb_url, settings.database)
    try:
        async with (
            RunningApp(build(settings)) as running,
            httpx.AsyncClient(base_url=running.url, timeout=60) as client,
        ):
            started = time.perf_counter()
            response = await client.post(
                "/imports", files={"file": ("rows.csv", content)}, data={"kind": kind}, headers=auth
            )
            response.raise_for_status()
            job_id = response.json()["id"]
            latencies: list[float] = []
            while True:
                probe = time.perf_counter()
                job = (await client.get(f"/imports/{job_id}", headers=auth)).json()
                latencies.append((time.perf_counter() - probe) * 1000)
                if job["status"] != "running":
                    break
                await asyncio.sleep(0.05)
            imported_at = time.perf_counter()
            await outbox_drained(mongo)
            published_at = time.perf_counter()
        assert job["status"] == "done" and job["imported"] == rows, job
        documents = await mongo.db[WORKERS if kind == "workers" else INSTITUTIONS].find().to_list()
        raw_seconds = await raw_insert_seconds(mongo, documents)
    finally:
        await drop_bench_state(mongo, amqp_url, namespace)

    import_seconds = imported_at - started
    published_seconds = published_at - started
    raw_rate = rows / raw_seconds
    print(f"rows: {rows} {kind} (CSV, {len(content) / 1e6:.1f} MB)")
    print(f"registry import (upload → validated, stored, events in outbox): {rows / import_seconds:9.0f} rows/s")
    print(f"registry import + every event published to RabbitMQ:             {rows / published_seconds:9.0f} rows/s")
    print(f"raw pymongo insert_many of the same documents:                  {raw_rate:9.0f} rows/s")
    print(f"ratio import / raw: {rows / import_seconds / raw_rate:.3f}")
    print(f"ratio import + publish / raw: {rows / published_seconds / raw_rate:.3f}")
    print(
        f"API during the import: GET /imports/{{id}} p50 {statistics.median(latencies):.1f} ms, "
        f"max {max(latencies):.1f} ms over {len(latencies)} requests"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--kind", choices=["workers", "institutions"], default="workers")
    args = parser.parse_args()
    configure_logging("registry", level="WARNING")  # a log line per row would measure the terminal
    with mongo_server() as mongodb_url:
        asyncio.run(run(args.rows, args.kind, mongodb_url, os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)))


if __name__ == "__main__":
    main()
