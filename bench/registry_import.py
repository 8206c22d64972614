"""Bulk import throughput of the registry against a raw pymongo ``insert_many`` of the same documents.

    python -m bench.registry_import [--rows 10000] [--kind workers|institutions]

The import path is the real one: an HTTP upload to a running registry (uvicorn), the background job that
validates every row (region codes, NIK, duplicates) and writes batches of documents with their events in one
transaction each, then the outbox relay publishing every event to RabbitMQ. The baseline, measured in the same
run, inserts exactly the documents the import wrote — the records and their outbox documents (one per batch,
holding its events), as written — with one ``insert_many`` per collection: no validation, no transaction, nothing
published. It runs twice: into bare collections, the headline figure, and into collections carrying the indexes
the service's own have (the unique NIK or duplicate key, the list and outbox indexes), which the database
maintains for any writer of these documents.
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
from typing import Any

import httpx

from bench.support import drop_bench_state, mongo_server, outbox_drained
from pilar_dev.testing import DEFAULT_AMQP_URL, TEST_JWKS, RunningApp, bearer, new_namespace
from pilar_runtime.logs import configure_logging
from pilar_runtime.mongo import OUTBOX, Mongo
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


def as_written(outbox_document: dict[str, Any]) -> dict[str, Any]:
    """An outbox document as the import's transaction wrote it, before the relay marked it sent."""
    written = {k: v for k, v in outbox_document.items() if k != "sent_at"}
    return {**written, "sent_at": None, "lease_owner": "registry-relay", "lease_until": written.get("claimed_at")}


async def raw_insert_many_seconds(mongo: Mongo, written: dict[str, list[dict[str, Any]]], *, indexed: bool) -> float:
    """One plain ``insert_many`` per collection of the documents the import wrote, into a scratch database; the
    best of three, so that a moment of load on the machine does not flatter the import."""
    scratch = mongo.client[f"{mongo.db.name}_raw"]
    timings = []
    for _ in range(3):
        await mongo.client.drop_database(scratch.name)
        for name in written:
            await scratch.create_collection(name)
            if indexed:
                for index, spec in (await mongo.db[name].index_information()).items():
                    if index != "_id_":
                        options = {k: v for k, v in spec.items() if k in ("unique", "sparse", "expireAfterSeconds")}
                        await scratch[name].create_index(spec["key"], name=index, **options)
        started = time.perf_counter()
        for name, documents in written.items():
            await scratch[name].insert_many(documents)
        timings.append(time.perf_counter() - started)
    return min(timings)


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
        records = WORKERS if kind == "workers" else INSTITUTIONS
        written = {
            records: await mongo.db[records].find().to_list(),
            OUTBOX: [as_written(d) for d in await mongo.db[OUTBOX].find().to_list()],
        }
        assert sum(len(d["events"]) for d in written[OUTBOX]) == rows
        raw_seconds = await raw_insert_many_seconds(mongo, written, indexed=False)
        indexed_seconds = await raw_insert_many_seconds(mongo, written, indexed=True)
    finally:
        await drop_bench_state(mongo, amqp_url, namespace)

    import_seconds = imported_at - started
    published_seconds = published_at - started
    print(f"rows: {rows} {kind} (CSV, {len(content) / 1e6:.1f} MB)")
    print(f"registry import (upload → validated, stored, events in outbox): {rows / import_seconds:9.0f} rows/s")
    print(f"registry import + every event published to RabbitMQ:             {rows / published_seconds:9.0f} rows/s")
    print(f"raw insert_many of its records + outbox documents, bare:         {rows / raw_seconds:9.0f} rows/s")
    print(f"raw insert_many of the same, into collections indexed alike:     {rows / indexed_seconds:9.0f} rows/s")
    for label, seconds in (("bare", raw_seconds), ("indexed alike", indexed_seconds)):
        print(
            f"ratio against raw ({label}): import {seconds / import_seconds:.3f}, "
            f"import + publish {seconds / published_seconds:.3f}"
        )
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
