"""National scale on one machine: every desa of the Kemendagri reference with a few institutions each (≈ 500,000
institutions, ≈ 1,000,000 events at ``--scale 1``), then the four services running on top of it under a live load.

    python -m bench.national [--scale 1] [--requests 100] [--rate 5] [--import-rows 2000]

How the data gets in (the honest part): loading a million events through the APIs would take SecantusDB days, so the
bulk goes the way a restore does. The events — ``institution_registered`` for every institution (a board of three,
most active, some with an SK), activities after formation for a third of them (old and recent, so that some are
dormant), and the rest outreach, notifications, formations, follow-ups, workers and regulations — are written
straight into reporting's event store as reporting stores them (``bench.reporting_replay``'s documents, over every
desa of the nation instead of four districts), the store's indexes made by reporting's own ``ensure_indexes``, and
the projections built from them by the replay the service ships (``pilar replay reporting`` runs the same
``replay``; here it runs in this process so that the services' memory is measured as they serve, not as they
rebuild). The institutions are therefore stored in reporting's projections — what the summary, the registry export
and the monthly report read — not in the registry's own database, which holds only what the live load adds.

Then the four services start as separate processes (``tests/e2e/stack.py``) and, while a live load runs through
them — a stream of ``POST /workers`` at ``--rate`` commands/s and a registry CSV import of ``--import-rows``
institutions in the largest province, each event through the outbox, the broker and every consumer — the benchmark
measures ``GET /summary`` p50/p99 for a desa, a kabupaten, a province and the nation, then orders the registry
export and the monthly report of the largest province (by desa count; ``POST /reports``) and times each from the
order to its files. Each service's resident memory (``VmRSS``) is read at idle, before the load, and sampled
every half second under it (the peak is shown).

With ``--scale s`` every ``1/s``-th desa is kept (the density per desa stays the same) and the events shrink alike:
``--scale 0.01`` is a one-minute development run. Needs RabbitMQ at AMQP_URL; starts its own SecantusDB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.reporting_replay import Events
from bench.support import rss_mb
from pilar_dev.testing import DEFAULT_AMQP_URL, bearer, delete_namespace, new_namespace
from pilar_runtime.logs import configure_logging
from pilar_runtime.mongo import Mongo
from pilar_runtime.regions import children
from services.reporting import store
from services.reporting.commands.replays import replay
from services.reporting.domain.projection import INSTITUTIONS
from services.reporting.migrations import record_all_done
from tests.e2e.stack import SERVICES, Stack

INSTITUTIONS_AT_SCALE_1 = 500_000
EVENTS_AT_SCALE_1 = 1_000_000
KINDS = ("WKSBM", "KARANG_TARUNA", "POKJA", "LKS", "ORSOS", "PRANATA_SOSIAL")
ACTIVITY_KINDS = ("pelatihan", "pendampingan", "monev", "revitalisasi")
TARGET_P99_MS = 100
TARGET_RSS_MB = 500
ADMIN = bearer("admin", "", sub="bench-national")


def nation() -> dict[str, list[str]]:
    """Every desa code of the reference, by province."""
    return {
        province.code: [
            desa.code
            for kabupaten in children(province.code)
            for kecamatan in children(kabupaten.code)
            for desa in children(kecamatan.code)
        ]
        for province in children(None)
    }


class NationalEvents(Events):
    """Event-store documents over the kept desa: each desa's institutions with their registration and activities,
    and outreach cycles (``Events.cycle``) among them until the total is reached. The clock runs evenly over the
    two years before ``end``, so the last months hold sessions, formations and regulations to report."""

    def __init__(self, rng: random.Random, desa: list[str], total: int, end: datetime) -> None:
        super().__init__(rng)
        self.desa = desa
        self.total = total
        self.start = end - timedelta(days=730)
        self.step = (end - self.start) / max(total, 1)

    def doc(
        self, event_type: str, region: str, aggregate: str, version: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        document = super().doc(event_type, region, aggregate, version, payload)
        document["occurred_at"] = document["received_at"] = self.clock = self.start + self.step * self.seq
        return document

    def institution(self, n: int, desa: str) -> Iterator[dict[str, Any]]:
        """An institution registered (most active, the rest initiated or inactive) and, for a third, activities."""
        institution = f"ins_n{n}"
        kind = KINDS[n % len(KINDS)]
        profile = {"institution_id": institution, "kind": kind, "name": f"{kind} {desa} {n}", "region_code": desa}
        board = [{"role": r, "name": f"{r.title()} {n}"} for r in ("ketua", "sekretaris", "bendahara")]
        status = "active" if n % 10 < 8 else ("initiated", "inactive")[n % 2]
        registered: dict[str, Any] = {**profile, "status": status, "board": board, "address": f"Balai Desa {desa}"}
        if n % 4 == 0:
            registered["legal_basis"] = {"sk_number": f"SK/{n}/2024", "sk_date": "2024-03-01"}
        yield self.doc("institution_registered", desa, institution, 1, registered)
        if n % 3 == 0:
            held_on = (self.clock - timedelta(days=self.rng.randint(0, 400))).date().isoformat()
            activity = {
                **profile,
                "activity_id": f"act_n{n}",
                "activity_kind": ACTIVITY_KINDS[n % len(ACTIVITY_KINDS)],
                "held_on": held_on,
                "participants": self.rng.randint(5, 40),
            }
            yield self.doc("institution_activity_recorded", desa, institution, 2, activity)

    def national(self, institutions: int) -> Iterator[dict[str, Any]]:
        """``institutions`` spread over the desa in turn, outreach cycles between them, ``total`` events in all."""
        # An institution comes with 1.33 events on average; the cycles (about 5.5 events) fill the rest.
        cycles_per_institution = max(self.total - institutions * 4 / 3, 0) / 5.5 / max(institutions, 1)
        owed = 0.0
        cycle = 0
        for n in range(institutions):
            yield from self.institution(n, self.desa[n % len(self.desa)])
            owed += cycles_per_institution
            while owed >= 1:
                owed -= 1
                yield from self.cycle(cycle)
                cycle += 1
        while self.seq < self.total:
            yield from self.cycle(cycle)
            cycle += 1


@dataclass
class Timings:
    rows: list[tuple[str, str]] = field(default_factory=list)

    def add(self, label: str, value: str) -> None:
        self.rows.append((label, value))
        print(f"  {label}: {value}", flush=True)


async def load_store(mongo: Mongo, events: Iterator[dict[str, Any]], chunk: int = 10_000) -> int:
    """Write the events into the event store as reporting stores them; the counter as its live path keeps it."""
    stored = 0
    batch: list[dict[str, Any]] = []
    for document in events:
        batch.append(document)
        if len(batch) == chunk:
            await mongo.db[store.EVENTS].insert_many(batch, ordered=False)
            stored += len(batch)
            batch = []
    if batch:
        await mongo.db[store.EVENTS].insert_many(batch, ordered=False)
        stored += len(batch)
    await mongo.db[store.COUNTERS].insert_one({"_id": store.EVENTS, "seq": stored})
    return stored


class Memory:
    """Each service's resident memory: read once at idle, sampled for the peak under load."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.idle: dict[str, float] = {}
        self.peak: dict[str, float] = dict.fromkeys(SERVICES, 0.0)

    def now(self) -> dict[str, float]:
        return {service: rss_mb(process.pid) for service, process in self.stack.processes.items()}

    async def sample(self, every: float = 0.5) -> None:
        while True:
            for service, mb in self.now().items():
                self.peak[service] = max(self.peak[service], mb)
            await asyncio.sleep(every)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def summary_latencies(client: httpx.AsyncClient, region: str, requests: int) -> list[float]:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await client.get("/summary", params={"region": region}, headers=ADMIN)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return timings


async def report_seconds(client: httpx.AsyncClient, body: dict[str, Any], timeout: float) -> str:
    """From ordering a report to its files being ready, as shown."""
    started = time.perf_counter()
    response = await client.post("/reports", json=body, headers=ADMIN)
    response.raise_for_status()
    report_id = response.json()["id"]
    while time.perf_counter() - started < timeout:
        report = (await client.get(f"/reports/{report_id}", headers=ADMIN)).json()
        if report["status"] != "pending":
            if report["status"] != "done":
                raise RuntimeError(f"report {report_id}: {report}")
            return f"{time.perf_counter() - started:.1f} s ({', '.join(report['formats'])})"
        await asyncio.sleep(0.2)
    return f"not done after {timeout:.0f} s"


async def command_stream(client: httpx.AsyncClient, desa: list[str], rate: float, sent: list[float]) -> None:
    """POST /workers at ``rate`` a second (open loop) until cancelled; each answer's latency in ``sent``."""

    async def one(i: int) -> None:
        body = {"role": "PSM", "name": f"Relawan Nasional {i}", "region_code": desa[i % len(desa)]}
        started = time.perf_counter()
        response = await client.post("/workers", json=body, headers=ADMIN)
        response.raise_for_status()
        sent.append((time.perf_counter() - started) * 1000)

    tasks: set[asyncio.Task[None]] = set()
    i = 0
    try:
        while True:
            task = asyncio.create_task(one(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
            await asyncio.sleep(1 / rate)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def import_csv(desa: list[str], rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "name", "region_code", "status", "ketua", "sekretaris", "bendahara"])
    for i in range(rows):
        writer.writerow(["PRANATA_SOSIAL", f"Kelompok Arisan Impor {i}", desa[i % len(desa)], "active", "Sutrisno",
                         "Wahyuni", "Sri"])  # fmt: skip
    return out.getvalue().encode()


async def registry_import(client: httpx.AsyncClient, desa: list[str], rows: int) -> float:
    started = time.perf_counter()
    content = import_csv(desa, rows)
    response = await client.post(
        "/imports", files={"file": ("lembaga.csv", content)}, data={"kind": "institutions"}, headers=ADMIN
    )
    response.raise_for_status()
    job_id = response.json()["id"]
    while True:
        job = (await client.get(f"/imports/{job_id}", headers=ADMIN)).json()
        if job["status"] != "running":
            if job["status"] != "done" or job["imported"] != rows:
                raise RuntimeError(f"import {job_id}: {job}")
            return time.perf_counter() - started
        await asyncio.sleep(0.2)


def previous_month(today: date) -> tuple[str, str]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1).isoformat(), end.isoformat()


async def run(
    scale: float, requests: int, rate: float, import_rows: int, report_timeout: float, workdir: Path, amqp_url: str
) -> None:
    out = Timings()
    by_province = nation()
    every = max(1, round(1 / scale))
    kept = [code for codes in by_province.values() for code in codes][::every]
    institutions = round(INSTITUTIONS_AT_SCALE_1 * scale)
    total = round(EVENTS_AT_SCALE_1 * scale)
    largest = max(by_province, key=lambda p: len(by_province[p]))
    kept_in_largest = [d for d in kept if d.startswith(largest + ".")]
    kabupaten = ".".join(kept_in_largest[0].split(".")[:2])
    desa = kept_in_largest[0]
    print(
        f"scale {scale}: {len(kept):,} of {sum(map(len, by_province.values())):,} desa, {institutions:,} institutions "
        f"asked, {total:,} events; largest province {largest} ({len(by_province[largest]):,} desa)",
        flush=True,
    )

    namespace = new_namespace("natl")
    stack = Stack(workdir, amqp_url, namespace)
    stack.mongo.start()
    mongo = Mongo(stack.mongo.url, f"{namespace}_reporting")
    try:
        print("loading the event store …", flush=True)
        started = time.perf_counter()
        end = datetime.now(UTC) - timedelta(days=1)
        stored = await load_store(mongo, NationalEvents(random.Random(16), kept, total, end).national(institutions))
        loaded = time.perf_counter()
        await store.ensure_indexes(mongo.db)
        indexed = time.perf_counter()
        last = [0.0]

        async def progress(done: int, of: int) -> None:
            if time.perf_counter() - last[0] > 10:
                print(f"  replay {done:,}/{of:,}", flush=True)
                last[0] = time.perf_counter()

        replayed = await replay(mongo, progress)
        await record_all_done(mongo.db)  # written as this release writes: no start-up migration has work to do
        projected = time.perf_counter()
        replay_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        institutions_stored = await (await store.view(mongo.db, INSTITUTIONS)).count_documents({})
        assert replayed.events == stored, (replayed, stored)
        print("load:", flush=True)
        out.add("events stored", f"{stored:,} (institutions projected: {institutions_stored:,})")
        out.add("event store written", f"{loaded - started:.0f} s = {stored / (loaded - started):,.0f} events/s")
        out.add("event store indexed (reporting's ensure_indexes)", f"{indexed - loaded:.0f} s")
        replay_s, load_s = projected - indexed, projected - started
        out.add("replay into projections", f"{replay_s:.0f} s = {stored / replay_s:,.0f} events/s")
        out.add("load rate, end to end", f"{stored / load_s:,.0f} events/s over {load_s:.0f} s")
        out.add("replay peak RSS (this process)", f"{replay_peak:,.0f} MB")

        await stack.start()
        memory = Memory(stack)
        await asyncio.sleep(5)  # start-up work done, nothing asked yet
        memory.idle = memory.now()

        sent: list[float] = []
        async with (
            httpx.AsyncClient(base_url=stack.url("reporting"), timeout=600) as reporting,
            httpx.AsyncClient(base_url=stack.url("registry"), timeout=600) as registry,
        ):
            sampler = asyncio.create_task(memory.sample())
            stream = asyncio.create_task(command_stream(registry, kept, rate, sent))
            imported = asyncio.create_task(registry_import(registry, kept_in_largest, import_rows))
            print("under load:", flush=True)
            levels = {"desa": desa, "kabupaten": kabupaten, "province": largest, "nation": ""}
            p99s: dict[str, float] = {}
            for name, region in levels.items():
                await summary_latencies(reporting, region, 3)  # warm
                timings = await summary_latencies(reporting, region, requests)
                p99s[name] = percentile(timings, 99)
                out.add(
                    f"GET /summary {name} {region or '(all)'}",
                    f"p50 {statistics.median(timings):.1f} ms, p99 {p99s[name]:.1f} ms ({requests} requests)",
                )
            start, finish = previous_month(date.today())
            monthly = {"kind": "monthly_district", "region_code": largest, "period_start": start, "period_end": finish}
            out.add(f"monthly report {largest} {start[:7]}", await report_seconds(reporting, monthly, report_timeout))
            export = {"kind": "registry_export", "region_code": largest}
            out.add(f"registry export {largest}", await report_seconds(reporting, export, report_timeout))
            import_s = await imported
            out.add(
                "live load",
                f"{len(sent):,} POST /workers at {rate:g}/s (p50 {statistics.median(sent or [0]):.0f} ms); "
                f"import of {import_rows:,} institutions in {import_s:.1f} s",
            )
            stream.cancel()
            sampler.cancel()
            await asyncio.gather(stream, sampler, return_exceptions=True)

        print()
        print(f"{'service':<10} {'idle RSS':>10} {'peak under load':>16}")
        for service in SERVICES:
            print(f"{service:<10} {memory.idle[service]:>7.0f} MB {memory.peak[service]:>13.0f} MB")
        print()
        worst = max(p99s.values())
        heaviest = max(memory.peak.values())
        print(f"summary p99 < {TARGET_P99_MS} ms at every level: {'met' if worst < TARGET_P99_MS else 'NOT met'} "
              f"(worst {worst:.1f} ms)")  # fmt: skip
        print(f"no service above {TARGET_RSS_MB} MB: {'met' if heaviest < TARGET_RSS_MB else 'NOT met'} "
              f"(largest {heaviest:.0f} MB)")  # fmt: skip
    finally:
        stack.stop()
        with contextlib.suppress(Exception):
            await mongo.close()
        await delete_namespace(amqp_url, namespace)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the nation: 0.01 keeps every 100th desa")
    parser.add_argument("--requests", type=int, default=100, help="GET /summary requests per level")
    parser.add_argument("--rate", type=float, default=5, help="POST /workers a second during the measurements")
    parser.add_argument("--import-rows", type=int, default=2000, help="institutions imported during them")
    parser.add_argument("--report-timeout", type=float, default=1200, help="seconds a report may take")
    args = parser.parse_args()
    configure_logging("bench", level="WARNING")
    with tempfile.TemporaryDirectory(prefix="pilar-national-") as workdir:
        asyncio.run(
            run(
                args.scale,
                args.requests,
                args.rate,
                args.import_rows,
                args.report_timeout,
                Path(workdir),
                os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
            )
        )


if __name__ == "__main__":
    main()
