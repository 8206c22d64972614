"""The demo's client of the public HTTP APIs and the steps every programme repeats (workers, plans, placements,
formations, reports), each waiting while another service catches up with the events it needs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from rich.console import Console

from pilar import state
from pilar.operator import signed_token
from pilar_runtime.localtime import local_date

console = Console()
ATTENDANCE_40 = {
    "tokoh_masyarakat": 8,
    "tokoh_agama": 5,
    "perangkat_desa": 6,
    "pendamping_pkh": 4,
    "kader": 8,
    "tksk": 2,
    "psm": 7,
}
ALREADY_LOADED = (
    "The scenario is loaded already (its institutions exist). To load it afresh, stop `pilar up`, remove its state "
    "directory (.pilar, or PILAR_STATE_DIR) and start it again."
)
# Addresses on the reserved `.example` domain: nothing the demo sends can reach a real mailbox.
MAIL_DOMAIN = "dinsos.example"


class DemoError(RuntimeError):
    pass


@dataclass
class Api:
    """One authorised client per service; every call checks its answer and says what failed."""

    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    @classmethod
    def open(cls) -> Api:
        token = signed_token("demo-operator", ttl=timedelta(hours=12))
        headers = {"Authorization": f"Bearer {token}", "X-Correlation-ID": "pilar-demo"}
        return cls(
            {s: httpx.AsyncClient(base_url=state.service_url(s), headers=headers, timeout=60) for s in state.SERVICES}
        )

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def call(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.clients[service].request(method, path, **kwargs)
        if response.status_code >= 400:
            problem = f"{service} {method} {path} → {response.status_code}: {response.text[:500]}"
            if response.status_code == 409:
                problem += f"\n{ALREADY_LOADED}"
            raise DemoError(problem)
        return response.json()

    async def until(self, what: str, check: Callable[[], Awaitable[bool]], timeout: float = 90) -> None:
        """Wait for the event-driven part (other services catching up) to show, with a clear failure."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise DemoError(f"timed out waiting for {what}")
            await asyncio.sleep(0.5)

    async def post_when_known(self, service: str, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        """POST once the service knows what the body names: a 422 saying `not_known` is retried until it does."""
        answer: dict[str, Any] = {}

        async def posted() -> bool:
            nonlocal answer
            response = await self.clients[service].post(path, json=body)
            if response.status_code == 422 and any(hint in response.text for hint in ("worker", "not known yet")):
                return False
            if response.status_code >= 400:
                raise DemoError(f"{service} POST {path} → {response.status_code}: {response.text[:500]}")
            answer = response.json() if response.content else {}
            return True

        await self.until(what, posted)
        return answer


async def children(api: Api, parent: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await api.call("registry", "GET", f"/regions?parent={parent}"))["items"]
    return items


async def desa_by_name(api: Api, kabupaten: str, wanted: list[tuple[str, str]]) -> dict[str, str]:
    """Desa code → name for (desa, kecamatan) names, looked up in the registry's region reference."""
    kecamatan = {r["name"].lower(): r["code"] for r in await children(api, kabupaten)}
    found = {}
    for desa, kec in wanted:
        listed = await children(api, kecamatan[kec.lower()])
        found[next(r["code"] for r in listed if r["name"].lower() == desa.lower())] = desa
    return found


def email_of(name: str) -> str:
    return name.lower().replace(" ", ".").replace(",", "") + f"@{MAIL_DOMAIN}"


async def workers(api: Api, specs: list[tuple[str, str, str]]) -> list[str]:
    ids = []
    for role, name, region in specs:
        body = {"role": role, "name": name, "region_code": region, "email": email_of(name), "active": True}
        ids.append((await api.call("registry", "POST", "/workers", json=body))["id"])
    return ids


async def plan(api: Api, campaign: dict[str, Any]) -> str:
    # Outreach learns about workers from registry's events.
    planned = await api.post_when_known("outreach", "/campaigns", campaign, "outreach to know the campaign's workers")
    return str(planned["id"])


async def schedule(api: Api, campaign_id: str) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = (await api.call("outreach", "POST", f"/campaigns/{campaign_id}/schedule"))["items"]
    return sessions


async def form(api: Api, institution_id: str, formation: dict[str, Any]) -> None:
    # Registry learns campaigns and sessions from outreach's events.
    path = f"/institutions/{institution_id}/formation"
    await api.post_when_known("registry", path, formation, "registry to know the campaign and its sessions")


def board(names: tuple[str, str, str]) -> list[dict[str, str]]:
    """A complete kepengurusan: ketua, sekretaris, bendahara."""
    return [
        {"role": role, "name": name} for role, name in zip(("ketua", "sekretaris", "bendahara"), names, strict=True)
    ]


async def hold(
    api: Api, session: dict[str, Any], summary: str, attendance: dict[str, int] = ATTENDANCE_40, **outcomes: Any
) -> None:
    held_on = local_date(datetime.fromisoformat(session["starts_at"]))
    report = {
        "held_on": held_on.isoformat(),
        "attendance": {"total": sum(attendance.values()), "by_category": attendance},
        "narasumber_present_ids": session["narasumber_ids"],
        "summary": summary,
        "outcomes": outcomes,
    }
    path = f"/sessions/{session['id']}/report"
    await api.post_when_known("outreach", path, report, "outreach to know the follow-ups' owners")
