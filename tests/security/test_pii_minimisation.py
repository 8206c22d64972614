"""Finding 8: NIK and phone numbers must not leave the registry.

No event on the bus carries a NIK or a board seat's phone; reporting stores and serves none (old events are
scrubbed by its start-up migration, and replay still equals live); registry reads show NIK, phone and e-mail whole
only to a writer of the record's region.
"""

from __future__ import annotations

import asyncio
import json
import re

from pilar_dev.testing import bearer, eventually
from services.registry.tests.conftest import ADMIN, BONDOWOSO, GUNUNGKIDUL, KAMPUNG, NGAWEN, Registry, registry
from services.reporting.migrations import MIGRATIONS, SCRUB_PERSONAL_DATA, run_migrations
from services.reporting.tests.conftest import Publish, Reporting, fed, publish, reporting, settled
from services.reporting.tests.scenario import scenario
from services.reporting.tests.test_projections import _snapshot

__all__ = ["publish", "registry", "reporting"]  # the services' own running fixtures

NIK_KETUA = "3403131308850002"
PHONE_KETUA = "081227001111"
NIK_WORKER = "3403135208900001"
PHONE_WORKER = "081227003333"
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
VIEWER = bearer("viewer", "34.03", sub="viewer-gk")
INTEGRATION = bearer("integration", "34.03", sub="sid-gunungkidul")
PROVINCE_ELSEWHERE = bearer("province_operator", "35", sub="op-jatim")


def _personal(text: str) -> list[str]:
    return SIXTEEN_DIGITS.findall(text) + [p for p in (PHONE_KETUA, "081200000001") if p in text]


def _board() -> list[dict[str, str]]:
    return [
        {"role": "ketua", "name": "Sutrisno", "nik": NIK_KETUA, "phone": PHONE_KETUA},
        {"role": "sekretaris", "name": "Wahyuni", "nik": "3403134107900003", "phone": "081227002222"},
        {"role": "bendahara", "name": "Sri Lestari"},
    ]


async def test_no_nik_or_board_phone_on_the_bus_and_masked_reads(registry: Registry) -> None:
    member = await registry.created(
        "/institutions", {"kind": "PRANATA_SOSIAL", "name": "Sinoman Kampung", "region_code": KAMPUNG}
    )
    wksbm = await registry.created(
        "/institutions",
        {"kind": "WKSBM", "name": "WKSBM Kampung", "region_code": KAMPUNG, "board": _board()},
    )
    path = f"/institutions/{wksbm['id']}"
    patched = await registry.client.patch(path, json={"member_ids": [member["id"]]}, headers=GUNUNGKIDUL)
    assert patched.status_code == 200, patched.text
    boarded = await registry.client.put(f"{path}/board", json={"board": _board()[::-1]}, headers=GUNUNGKIDUL)
    assert boarded.status_code == 200, boarded.text
    formed = await registry.post(f"{path}/formation", {"formed_on": "2019-08-15"})
    assert formed.status_code == 200, formed.text
    worker = await registry.created(
        "/workers",
        {
            "role": "TKSK",
            "name": "Siti",
            "region_code": NGAWEN,
            "nik": NIK_WORKER,
            "phone": PHONE_WORKER,
            "email": "siti@example.id",
        },
    )

    seen = await registry.tap.collect(
        lambda s: (
            {"institution_registered", "institution_updated", "board_changed", "WKSBM_formed", "worker_registered"}
            <= {e["event_type"] for e in s}
        )
    )
    for event in seen:
        assert _personal(json.dumps(event)) == [], event
        for seat in event["payload"].get("board", []):
            assert set(seat) == {"role", "name"}, event
    # notify invites workers: their contact travels in worker events, their NIK never does.
    registered = next(e for e in seen if e["event_type"] == "worker_registered")["payload"]
    assert (registered["phone"], registered["email"]) == (PHONE_WORKER, "siti@example.id")

    async def read(headers: dict[str, str]) -> str:
        pages = [
            await registry.client.get(path, headers=headers),
            await registry.client.get("/institutions", params={"kind": "WKSBM"}, headers=headers),
            await registry.client.get(f"/workers/{worker['id']}", headers=headers),
            await registry.client.get("/workers", headers=headers),
        ]
        assert all(p.status_code == 200 for p in pages), [p.text for p in pages]
        return "".join(p.text for p in pages)

    for writer in (GUNUNGKIDUL, ADMIN):
        whole = await read(writer)
        assert NIK_KETUA in whole and PHONE_KETUA in whole and NIK_WORKER in whole and "siti@example.id" in whole
    for reader in (VIEWER, INTEGRATION):
        shown = await read(reader)
        assert _personal(shown) == [] and NIK_WORKER not in shown and "siti@example.id" not in shown, shown
        assert "3403**********02" in shown and "*********111" in shown and "s***@example.id" in shown
    for outsider in (BONDOWOSO, PROVINCE_ELSEWHERE):
        response = await registry.client.get(path, headers=outsider)
        assert response.status_code in (403, 404) and _personal(response.text) == []


async def test_reporting_stores_and_serves_no_personal_data(reporting: Reporting, publish: Publish) -> None:
    events = scenario()  # as the registry used to send them: board seats with NIK and phone
    assert _personal(json.dumps([e.payload for e in events], default=str))
    await fed(reporting, publish, events)
    for headers in (VIEWER, INTEGRATION):
        feed = await reporting.http.get("/events", params={"limit": 1000}, headers=headers)
        assert feed.status_code == 200 and feed.json()["items"], feed.text
        assert _personal(feed.text) == [], feed.text


async def test_the_migration_scrubs_stored_events_once_and_replay_equals_live(
    reporting: Reporting, publish: Publish
) -> None:
    events = scenario()
    await fed(reporting, publish, events)
    await settled(reporting)
    live = await _snapshot(reporting)
    db = reporting.mongo.db
    # Stored before the fix: put the payloads back as they came, NIKs and phones included.
    for event in events:
        await db.events.update_one({"event_id": str(event.event_id)}, {"$set": {"payload": event.payload}})
    assert await db.events.count_documents({"payload.board.nik": {"$exists": True}}) > 0
    await db[MIGRATIONS].delete_one({"_id": SCRUB_PERSONAL_DATA})  # this migration not run yet, the others done

    await asyncio.gather(run_migrations(db), run_migrations(db))  # two replicas starting together: one works
    await run_migrations(db)  # the next start: nothing left to do, the marker says done
    marker = await db[MIGRATIONS].find_one({"_id": SCRUB_PERSONAL_DATA})
    assert marker and marker["done_at"] is not None

    started = await reporting.http.post("/admin/replay", headers=ADMIN)
    assert started.status_code == 202, started.text

    async def finished() -> bool:
        return (await reporting.get("/admin/replay"))["status"] == "done"

    await eventually(finished, timeout=60)
    assert await _snapshot(reporting) == live
    for name in await db.list_collection_names():
        documents = await db[name].find().to_list(None)
        assert _personal(json.dumps(documents, default=str)) == [], name
