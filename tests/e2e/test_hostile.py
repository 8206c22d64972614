"""Hostile input against the four services running as processes: every OpenAPI fuzzed (no 500, no crash), other
regions' tokens never see or change a region's data, and oversized or malformed bodies are refused."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilar_dev.testing import TEST_LINK_SECRET, bearer, eventually
from services.registry.api.imports import MAX_IMPORT_BYTES
from tests.e2e.stack import SERVICES, Stack

GUNUNGKIDUL = "34.03"
BONDOWOSO = "35.11"
DESA = {GUNUNGKIDUL: "34.03.13.2004", BONDOWOSO: "35.11.01.2001"}
NIK = {GUNUNGKIDUL: "3403135208900001", BONDOWOSO: "3511011208850001"}
MAX_BODY = 1_048_576

# Every write endpoint of every service, with an id that needs no record: the body is refused before any lookup.
WRITES = {
    "registry": [
        ("POST", "/institutions"),
        ("PATCH", "/institutions/ins_x"),
        ("PUT", "/institutions/ins_x/board"),
        ("POST", "/institutions/ins_x/formation"),
        ("POST", "/community-regulations"),
        ("POST", "/workers"),
        ("PATCH", "/workers/wrk_x"),
    ],
    "outreach": [
        ("POST", "/campaigns"),
        ("POST", "/sessions"),
        ("PATCH", "/sessions/ses_x"),
        ("POST", "/sessions/ses_x/cancel"),
        ("POST", "/sessions/ses_x/report"),
        ("POST", "/followups/fup_x/complete"),
    ],
    "notify": [("POST", "/rules"), ("POST", "/webhooks")],
    "reporting": [("POST", "/reports")],
}
MALFORMED = {
    "not JSON": b"{not json",
    "a list": b"[]",
    "a string": b'"wksbm"',
    "NaN": b'{"name": NaN}',
    "a raw NUL in a string": b'{"name": "a\x00b"}',
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "deeply nested": b"[" * 50_000 + b"]" * 50_000,
    "a 5000-digit number": b'{"expected_participants": 1' + b"0" * 5000 + b"}",
}


def token(role: str, region: str) -> str:
    return bearer(role, region, sub=f"hostile-{role}-{region or 'all'}")["Authorization"].removeprefix("Bearer ")


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[str]:
    """Something listening, so notify accepts a webhook URL (registration only connects; nothing is sent here)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/pilar/events"
    server.close()


@pytest.fixture(scope="module")
async def clients(stack: Stack) -> AsyncIterator[dict[str, dict[str, httpx.AsyncClient]]]:
    """Per caller (admin, Gunungkidul's and Bondowoso's operators) one client per service."""
    callers = {"admin": ("admin", ""), GUNUNGKIDUL: ("district_operator", GUNUNGKIDUL)}
    callers[BONDOWOSO] = ("district_operator", BONDOWOSO)
    made = {
        name: {
            s: httpx.AsyncClient(base_url=stack.url(s), headers=bearer(role, region, sub=f"op-{name}"), timeout=30)
            for s in SERVICES
        }
        for name, (role, region) in callers.items()
    }
    yield made
    for per_service in made.values():
        for client in per_service.values():
            await client.aclose()


async def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), f"{response.request.method} {response.request.url}: {response.text}"
    return dict(response.json())


async def _until(what: str, check: Any, timeout: float = 60) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.2)


async def _once_workers_known(outreach: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Outreach learns workers from registry's events: retry while its copy catches up."""

    async def accepted() -> dict[str, Any] | None:
        response = await outreach.post(path, json=body)
        return None if response.status_code == 422 and "worker" in response.text else await _created(response)

    found: dict[str, Any] = await _until(f"outreach knows the workers for {path}", accepted)
    return found


async def _region_data(api: dict[str, httpx.AsyncClient], region: str, webhook_url: str) -> dict[str, str]:
    """One record of every kind in a region, made through the public APIs by that region's operator."""
    desa = DESA[region]
    tag = uuid.uuid4().hex[:6]  # names unique per run: the registry refuses a second body of one name in a region
    ids: dict[str, str] = {}
    ids["webhook"] = (
        await _created(
            await api["notify"].post(
                "/webhooks",
                json={
                    "url": webhook_url,
                    "event_patterns": ["registry.*"],
                    "region_code": region,
                    "secret": "hostile-test-secret-0123456789",
                },
            )
        )
    )["id"]
    ids["rule"] = (
        await _created(
            await api["notify"].post(
                "/rules",
                json={
                    "event_pattern": "outreach.session_*",
                    "region_code": region,
                    "channel": "email",
                    "recipients": [f"kasi.{region.replace('.', '')}@dinsos.example.id"],
                },
            )
        )
    )["id"]
    workers = []
    for role in ("PENYULUH_SOSIAL", "NARASUMBER", "TKSK"):
        body = {
            "role": role,
            "name": f"{role.title()} {region} {tag}",
            "region_code": desa[:8] if role == "TKSK" else region,
            "email": f"{role.lower()}.{region.replace('.', '')}@dinsos.example.id",
        }
        if role == "PENYULUH_SOSIAL":  # personal data a viewer must never see whole (the fuzzer checks)
            body |= {"nik": NIK[region], "phone": "0812-2700-3333"}
        workers.append((await _created(await api["registry"].post("/workers", json=body)))["id"])
    ids["worker"] = workers[0]
    ids["institution"] = (
        await _created(
            await api["registry"].post(
                "/institutions",
                json={"kind": "WKSBM", "name": f"WKSBM Hostile {region} {tag}", "region_code": desa},
            )
        )
    )["id"]
    ids["regulation"] = (
        await _created(
            await api["registry"].post(
                "/community-regulations",
                json={
                    "region_code": desa,
                    "title": f"Peraturan Desa {region} {tag}",
                    "topics": ["NAPZA"],
                    "adopted_on": "2026-01-15",
                },
            )
        )
    )["id"]
    today = datetime.now(UTC).date()
    campaign = {
        "name": f"Kampanye {region}",
        "topic": "Penumbuhan WKSBM",
        "region_code": region,
        "start_date": (today + timedelta(days=10)).isoformat(),
        "end_date": (today + timedelta(days=20)).isoformat(),
        "desa_codes": [desa],
        "targets": {"new_wksbm": 1, "participants_per_session": 40},
        "max_sessions_per_day": 2,
        "officer_ids": [workers[0]],
        "narasumber_ids": [workers[1]],
        "officers_per_session": 1,
        "narasumber_per_session": 1,
    }

    ids["campaign"] = (await _once_workers_known(api["outreach"], "/campaigns", campaign))["id"]
    held = today - timedelta(days=2)
    session = {
        "kind": "FGD",
        "topic": "Penanganan PPKS",
        "region_code": region,
        "venue": f"Aula Dinas Sosial {region}",
        "starts_at": f"{held.isoformat()}T09:00:00+07:00",
        "ends_at": f"{held.isoformat()}T15:00:00+07:00",
        "officer_ids": [workers[0]],
        "narasumber_ids": [workers[1]],
        "expected_participants": 40,
    }
    ids["session"] = (await _created(await api["outreach"].post("/sessions", json=session)))["id"]
    report = {
        "held_on": held.isoformat(),
        "attendance": {"total": 40, "by_category": {"tokoh_masyarakat": 40}},
        "narasumber_present_ids": [workers[1]],
        "summary": "FGD penanganan PPKS",
        "outcomes": {"followups": [{"action": "Pendataan PPKS", "owner_id": workers[2], "due_on": today.isoformat()}]},
    }
    await _once_workers_known(api["outreach"], f"/sessions/{ids['session']}/report", report)
    ids["planned_session"] = (
        await _created(
            await api["outreach"].post(
                "/sessions",
                json={
                    **session,
                    "starts_at": f"{(today + timedelta(days=5)).isoformat()}T09:00:00+07:00",
                    "ends_at": f"{(today + timedelta(days=5)).isoformat()}T12:00:00+07:00",
                },
            )
        )
    )["id"]

    async def followup() -> str | None:
        found = (await api["outreach"].get("/followups", params={"session_id": ids["session"]})).json()["items"]
        return str(found[0]["id"]) if found else None

    ids["followup"] = await _until("the follow-up", followup)
    ids["report"] = (
        await _created(
            await api["reporting"].post(
                "/reports",
                json={
                    "kind": "monthly_district",
                    "region_code": region,
                    "period_start": "2026-01-01",
                    "period_end": "2026-01-31",
                },
            )
        )
    )["id"]
    return ids


@pytest.fixture(scope="module")
async def regions(
    stack: Stack, clients: dict[str, dict[str, httpx.AsyncClient]], receiver: str
) -> dict[str, dict[str, str]]:
    made = {region: await _region_data(clients[region], region, receiver) for region in (GUNUNGKIDUL, BONDOWOSO)}

    async def projected_everywhere() -> bool:
        # Reporting has every region's aggregates, notify a delivery for each region's sessions.
        for region, ids in made.items():
            progress = await clients[region]["reporting"].get(f"/campaigns/{ids['campaign']}/progress")
            deliveries = (await clients[region]["notify"].get("/deliveries")).json()
            events = (await clients[region]["reporting"].get("/events", params={"type": "followup_assigned"})).json()
            if progress.status_code != 200 or not deliveries["items"] or not events["items"]:
                return False
        return True

    await _until("every region's records projected", projected_everywhere, timeout=90)
    return made


ROOT = Path(__file__).resolve().parents[2]
FUZZ_CALLERS = {
    "admin": ("admin", ""),
    "operator": ("district_operator", GUNUNGKIDUL),
    "viewer": ("viewer", GUNUNGKIDUL),
}
# Beyond "no 500": endpoints that declare bearer auth refuse a request without it, and no answer carries a secret of
# the stack, a traceback, or (to a viewer) a whole NIK — our own checks in tests/e2e/fuzz_checks.py.
FUZZ_CHECKS = "not_a_server_error,ignored_auth,no_secret_or_traceback,no_nik_for_readers"


@pytest.mark.timeout(420)  # includes the module's set-up: the Stack and both regions' records
async def test_schemathesis_finds_no_server_error_nor_leak_and_every_service_still_answers(
    stack: Stack, regions: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    st = shutil.which("st") or str(Path(sys.executable).parent / "st")
    runs = []
    for service in SERVICES:
        for who, (role, region) in FUZZ_CALLERS.items():
            command = [
                st,
                "run",
                f"{stack.url(service)}/openapi.json",
                "-H",
                f"Authorization: Bearer {token(role, region)}",
            ]
            command += [
                "-c",
                FUZZ_CHECKS,
                "--max-examples",
                "3",
                "--seed",
                "1",
                "--phases",
                "coverage,fuzzing",
            ]
            command += [
                "--no-shrink",
                "--generation-database",
                "none",
                "--no-color",
                "-w",
                "1",
                "--request-timeout",
                "30",
            ]
            command += ["--exclude-path", "/admin/replay"]  # a replay drops and rebuilds the projections: not fuzz
            env = os.environ | {
                "SCHEMATHESIS_HOOKS": "tests.e2e.fuzz_checks",
                "PYTHONPATH": str(ROOT),
                "PILAR_FUZZ_ROLE": role,
                "PILAR_FUZZ_SECRETS": "\n".join([TEST_LINK_SECRET, stack.mongo.url]),
            }
            runs.append((f"{service}/{who}", command, env))

    async def fuzz(name: str, command: list[str], env: dict[str, str]) -> tuple[str, int, str]:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=300)
        return name, process.returncode or 0, out.decode(errors="replace")

    # Two services at a time: the machine has two cores and the services are busy answering.
    results = []
    for i in range(0, len(runs), 2):
        results += await asyncio.gather(*(fuzz(*run) for run in runs[i : i + 2]))
    failed = {name: out[-3000:] for name, code, out in results if code != 0 or "generated" not in out}
    assert not failed, json.dumps(failed, indent=1)
    async with httpx.AsyncClient(timeout=10) as client:
        for service in SERVICES:
            assert stack.processes[service].poll() is None, f"{service} died:\n{stack.tail(service)}"
            ready = await client.get(f"{stack.url(service)}/readyz")
            assert ready.status_code == 200, (service, ready.text)


def _ids_in(value: Any) -> str:
    return json.dumps(value, default=str)


async def test_lists_never_show_another_regions_records(
    clients: dict[str, dict[str, httpx.AsyncClient]], regions: dict[str, dict[str, str]]
) -> None:
    api = clients[GUNUNGKIDUL]
    own, others = regions[GUNUNGKIDUL], regions[BONDOWOSO]
    lists = {
        "registry": ["/institutions", "/workers", "/community-regulations", "/imports"],
        "outreach": ["/campaigns", "/sessions", "/followups"],
        "notify": ["/rules", "/webhooks", "/deliveries"],
        "reporting": ["/reports", "/events?limit=500"],
    }
    seen_own = ""
    for service, paths in lists.items():
        for path in paths:
            response = await api[service].get(path)
            assert response.status_code == 200, (path, response.text)
            body = response.json()
            text = _ids_in(body)
            seen_own += text
            for name, other in others.items():
                assert other not in text, f"{service} {path} shows Bondowoso's {name} {other}"
            for item in body["items"]:
                assert BONDOWOSO not in _ids_in({k: v for k, v in item.items() if "region" in k}), (path, item)
    # The same lists do show Gunungkidul's own records: the filter is not simply "nothing".
    for name in ("worker", "institution", "regulation", "campaign", "session", "followup", "rule", "webhook", "report"):
        assert own[name] in seen_own, f"Gunungkidul's own {name} is missing from its lists"
    # Asking for the other region explicitly is refused, not answered with its data.
    for service, path in [
        ("registry", "/institutions"),
        ("registry", "/workers"),
        ("registry", "/community-regulations"),
        ("outreach", "/campaigns"),
        ("outreach", "/sessions"),
        ("outreach", "/followups"),
        ("reporting", "/summary"),
        ("reporting", "/events"),
        ("reporting", "/dashboard"),
    ]:
        response = await api[service].get(path, params={"region": BONDOWOSO})
        if response.status_code == 200:
            assert not any(v in response.text for v in others.values()), (service, path)
            assert '"total":0' in response.text.replace(" ", ""), (service, path, response.text[:300])
        else:
            assert response.status_code in (403, 404, 422), (service, path, response.status_code)
    summary = (await api["reporting"].get("/summary")).json()
    assert BONDOWOSO not in _ids_in(summary.get("region", summary.get("region_code", "")))
    dashboard = await api["reporting"].get("/dashboard")
    assert dashboard.status_code == 200
    assert not any(v in dashboard.text for v in others.values()) and "Bondowoso" not in dashboard.text


async def test_another_regions_records_can_be_neither_read_nor_changed(
    clients: dict[str, dict[str, httpx.AsyncClient]], regions: dict[str, dict[str, str]]
) -> None:
    api, admin = clients[GUNUNGKIDUL], clients["admin"]
    other = regions[BONDOWOSO]
    reads = [
        ("registry", f"/institutions/{other['institution']}"),
        ("registry", f"/workers/{other['worker']}"),
        ("registry", f"/community-regulations/{other['regulation']}"),
        ("registry", f"/institutions/{other['institution']}/activities"),
        ("outreach", f"/campaigns/{other['campaign']}"),
        ("outreach", f"/sessions/{other['session']}"),
        ("reporting", f"/campaigns/{other['campaign']}/progress"),
        ("reporting", f"/reports/{other['report']}"),
        ("reporting", f"/reports/{other['report']}/download?format=csv"),
        ("reporting", f"/institutions/{other['institution']}/history"),
        ("reporting", f"/sessions/{other['session']}/history"),
        ("reporting", f"/campaigns/{other['campaign']}/history"),
        ("reporting", f"/workers/{other['worker']}/history"),
    ]

    async def report_built() -> bool:  # the worker builds it meanwhile: compare what no refused call could change
        return (await admin["reporting"].get(f"/reports/{other['report']}")).json()["status"] != "pending"

    await eventually(report_built, timeout=60)
    before = {path: (await admin[service].get(path)).text for service, path in reads if "download" not in path}
    for service, path in reads:
        response = await api[service].get(path)
        assert response.status_code in (403, 404), (service, path, response.status_code, response.text[:200])
    desa = DESA[BONDOWOSO]
    changes = [
        ("registry", "PATCH", f"/institutions/{other['institution']}", {"name": "Diambil alih"}),
        ("registry", "PUT", f"/institutions/{other['institution']}/board", {"board": [{"role": "ketua", "name": "X"}]}),
        ("registry", "POST", f"/institutions/{other['institution']}/formation", {"formed_on": "2026-01-01"}),
        ("registry", "PATCH", f"/workers/{other['worker']}", {"name": "Diambil alih", "active": False}),
        (
            "registry",
            "POST",
            f"/institutions/{other['institution']}/activities",
            {"kind": "monev", "date": "2026-01-02", "participants": 3},
        ),
        ("outreach", "POST", f"/campaigns/{other['campaign']}/schedule", None),
        ("outreach", "PATCH", f"/sessions/{other['planned_session']}", {"venue": "Tempat lain"}),
        ("outreach", "POST", f"/sessions/{other['planned_session']}/cancel", {"reason": "dibatalkan"}),
        ("outreach", "POST", f"/followups/{other['followup']}/complete", {"note": "selesai"}),
        ("outreach", "PATCH", f"/campaigns/{other['campaign']}", {"name": "Diambil alih"}),
        ("outreach", "POST", f"/campaigns/{other['campaign']}/cancel", {"reason": "dibatalkan"}),
        ("registry", "PATCH", f"/community-regulations/{other['regulation']}", {"title": "Diambil alih"}),
        (
            "registry",
            "POST",
            f"/community-regulations/{other['regulation']}/revoke",
            {"revoked_on": "2026-01-02", "reason": "dicabut"},
        ),
    ]
    for service, method, path, body in changes:
        response = await api[service].request(method, path, json=body)
        assert response.status_code in (403, 404), (method, path, response.status_code, response.text[:200])
    # Creating records inside the other region is refused as well.
    creations = [
        ("registry", "/workers", {"role": "PENYULUH_SOSIAL", "name": "Penyusup", "region_code": BONDOWOSO}),
        ("registry", "/institutions", {"kind": "WKSBM", "name": "WKSBM Penyusup", "region_code": desa}),
        (
            "registry",
            "/community-regulations",
            {"region_code": desa, "title": "X", "topics": ["NAPZA"], "adopted_on": "2026-01-01"},
        ),
        (
            "notify",
            "/rules",
            {
                "event_pattern": "outreach.session_*",
                "region_code": BONDOWOSO,
                "channel": "email",
                "recipients": ["penyusup@example.id"],
            },
        ),
        (
            "reporting",
            "/reports",
            {
                "kind": "monthly_district",
                "region_code": BONDOWOSO,
                "period_start": "2026-01-01",
                "period_end": "2026-01-31",
            },
        ),
    ]
    for service, path, body in creations:
        response = await api[service].post(path, json=body)
        assert response.status_code in (403, 404), (path, response.status_code, response.text[:200])
    after = {path: (await admin[service].get(path)).text for service, path in reads if "download" not in path}
    assert after == before
    for service, method, path, _ in changes:
        if method == "PATCH" or path.endswith("/cancel") or path.endswith("/complete"):
            resource = path.removesuffix("/cancel").removesuffix("/complete")
            if "/followups/" in resource:
                items = (await admin[service].get("/followups", params={"session_id": other["session"]})).json()
                assert all(item["status"] != "completed" for item in items["items"])
            else:
                current = (await admin[service].get(resource)).json()
                assert current.get("name") != "Diambil alih" and current.get("venue") != "Tempat lain", current
                assert current.get("status") not in ("cancelled",), current
    for service, path in [("registry", "/workers"), ("registry", "/institutions")]:
        found = (await admin[service].get(path, params={"q": "Penyusup"})).json()
        assert found["total"] == 0, found


async def test_oversized_and_malformed_bodies_are_refused_on_every_write(
    stack: Stack, clients: dict[str, dict[str, httpx.AsyncClient]]
) -> None:
    admin = clients["admin"]
    json_type = {"Content-Type": "application/json"}

    async def streamed(total: int) -> AsyncIterator[bytes]:  # no Content-Length: the limit must hold while reading
        for _ in range(total // 65_536 + 1):
            yield b" " * 65_536

    for service, writes in WRITES.items():
        for method, path in writes:
            declared = await admin[service].request(method, path, content=b" " * (MAX_BODY + 1), headers=json_type)
            assert declared.status_code == 413, (service, path, declared.status_code)
            chunked = await admin[service].request(method, path, content=streamed(MAX_BODY + 1), headers=json_type)
            assert chunked.status_code == 413, (service, path, "chunked", chunked.status_code)
            for what, body in MALFORMED.items():
                response = await admin[service].request(method, path, content=body, headers=json_type)
                assert response.status_code in (400, 422), (service, path, what, response.status_code)
                assert response.json().get("detail"), (service, path, what, response.text[:200])
            unknown = await admin[service].request(method, path, json={"unexpected_field": 1})
            assert unknown.status_code == 422, (service, path, unknown.status_code)
    imports = await admin["registry"].post(
        "/imports", files={"file": ("big.csv", b"a" * (MAX_IMPORT_BYTES + 1), "text/csv")}, data={"kind": "workers"}
    )
    assert imports.status_code == 413, imports.text[:200]
    not_a_sheet = await admin["registry"].post(
        "/imports",
        files={"file": ("x.xlsx", b"PK\x03\x04 not a workbook", "application/octet-stream")},
        data={"kind": "workers"},
    )
    assert not_a_sheet.status_code in (400, 422), not_a_sheet.text[:200]
    for service in SERVICES:
        assert stack.processes[service].poll() is None, f"{service} died:\n{stack.tail(service)}"
        assert (await admin[service].get("/readyz")).status_code == 200
