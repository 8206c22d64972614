"""Builders and fakes for notify's tests: events, a movable clock, an HTTP receiver, a running notify."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contracts.envelope import Envelope, EventPayload
from contracts.events.outreach import FollowupAssigned, SessionCancelled, SessionRescheduled, SessionScheduled
from contracts.events.registry import WorkerRegistered, WorkerUpdated
from pilar_runtime.events import new_event
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.notify.commands.deliveries import record_notice
from services.notify.domain.timing import QuietHours
from services.notify.notifier import Notifier

DESA = "34.03.13.2004"  # Kampung, Ngawen, Gunungkidul
OFFICER = "wrk_petugas01"
NARASUMBER = "wrk_narasum01"
OFFICER_EMAIL = "petugas@dinsos.example.id"
OFFICER_PHONE = "081234567890"
NARASUMBER_EMAIL = "narasumber@kampus.example.id"


class FakeClock:
    """Time that flows like the real one from a chosen start, and can be moved."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)

    def set(self, moment: datetime) -> None:
        self.start, self.started = moment, time.monotonic()


def daytime_start() -> datetime:
    """10:00 WIB some weeks ahead of today: later than any real-clock timer poller would fire."""
    day = date.today() + timedelta(days=60)
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)


def event(
    event_type: str, payload: EventPayload, *, aggregate_id: str, version: int = 1, region: str = DESA
) -> Envelope:
    return new_event(
        event_type, payload, actor="op-test", region_code=region, aggregate_id=aggregate_id, aggregate_version=version
    )


def worker(worker_id: str, *, email: str | None, phone: str | None = None, version: int = 1) -> Envelope:
    model = WorkerRegistered if version == 1 else WorkerUpdated
    payload = model(
        worker_id=worker_id,
        role="PENYULUH_SOSIAL",
        name="Sri Lestari",
        region_code="34.03.13",
        email=email,
        phone=phone,
    )
    kind = "worker_registered" if version == 1 else "worker_updated"
    return event(kind, payload, aggregate_id=worker_id, version=version, region="34.03.13")


def session_facts(session_id: str, starts_at: datetime) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "kind": "penyuluhan",
        "topic": "Pembentukan WKSBM",
        "region_code": DESA,
        "venue": "Balai Desa Kampung",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=3),
        "officer_ids": [OFFICER],
        "narasumber_ids": [NARASUMBER],
        "expected_participants": 40,
    }


def scheduled(session_id: str, starts_at: datetime) -> Envelope:
    return event("session_scheduled", SessionScheduled(**session_facts(session_id, starts_at)), aggregate_id=session_id)


def rescheduled(session_id: str, before: datetime, after: datetime, version: int = 2) -> Envelope:
    payload = SessionRescheduled(
        **session_facts(session_id, after), previous_starts_at=before, previous_ends_at=before + timedelta(hours=3)
    )
    return event("session_rescheduled", payload, aggregate_id=session_id, version=version)


def cancelled(session_id: str, starts_at: datetime, version: int = 3) -> Envelope:
    facts = session_facts(session_id, starts_at)
    del facts["ends_at"], facts["expected_participants"]
    payload = SessionCancelled(**facts, reason="Banjir di lokasi")
    return event("session_cancelled", payload, aggregate_id=session_id, version=version)


def followup(followup_id: str, due_on: date) -> Envelope:
    payload = FollowupAssigned(
        followup_id=followup_id,
        session_id="ses_1",
        action="Menyusun SK kepengurusan WKSBM",
        owner_id=OFFICER,
        due_on=due_on,
    )
    return event("followup_assigned", payload, aggregate_id=followup_id)


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes


DOWN_PAGE = b"Service Unavailable: maintenance of sidinsos-db-01"  # what a ping must never echo


@dataclass
class Receiver:
    """A real HTTP endpoint for webhooks and the SMS gateway; paths under /fail answer 500, and the next `down`
    calls anywhere answer 503 (a district server down for a while)."""

    calls: list[Call] = field(default_factory=list)
    down: int = 0

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            self.calls.append(Call(request.url.path, dict(request.headers), await request.body()))
            if self.down > 0:
                self.down -= 1
                return Response(DOWN_PAGE, status_code=503)
            return Response(status_code=500 if request.url.path.startswith("/fail") else 204)

        return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])

    def at(self, prefix: str) -> list[Call]:
        return [c for c in self.calls if c.path.startswith(prefix)]


NOON = datetime(2027, 8, 2, 5, 0, tzinfo=UTC)  # 12:00 WIB, a Monday: outside SMS quiet hours


async def plan_session_notices(mongo: Mongo, clock: FakeClock, quiet: QuietHours) -> int:
    """Notify plans, from the stored rules, the notices of one `session_scheduled` (event `evt-1`, a session in Desa
    Kampung a week after NOON); returns how many deliveries it recorded."""
    notifier = Notifier(defaults=[], quiet=quiet, public_base_url="https://pilar.example", clock=clock)
    facts = json.loads(json.dumps(session_facts("ses_x", NOON + timedelta(days=7)), default=str))

    async def plan(uow: UnitOfWork) -> int:
        return await record_notice(
            uow,
            notifier,
            subject="outreach.session_scheduled",
            event_id="evt-1",
            region_code="34.03.13.2004",
            facts=facts,
        )

    return await mongo.transact(plan)
