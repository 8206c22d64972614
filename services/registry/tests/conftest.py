"""A running registry (real uvicorn, RabbitMQ and Mongo-wire server) and a tap on its namespace's exchange."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
import pytest

from pilar_runtime.testing import RunningApp, Tap, bearer, eventually
from services.registry.app import build
from services.registry.settings import RegistrySettings

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gunungkidul")
BANGKA_BARAT = bearer("district_operator", "19.05", sub="op-bangka-barat")
BONDOWOSO = bearer("district_operator", "35.11", sub="op-bondowoso")
ADMIN = bearer("admin", "", sub="admin-kemensos")
VIEWER = bearer("viewer", "34.03", sub="viewer-gunungkidul")

KAMPUNG = "34.03.13.2004"  # Desa Kampung, Ngawen, Gunungkidul (seed 001)
BEJI = "34.03.13.2005"
NGAWEN = "34.03.13"
PELANGAS = "19.05.02.2001"  # Desa Pelangas, Simpang Teritip, Bangka Barat (seed 000)
SUCOLOR = "35.11.01.2001"  # Desa Sucolor, Maesan, Bondowoso (seed 004)


@dataclass
class Registry:
    client: httpx.AsyncClient
    tap: Tap

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str] = GUNUNGKIDUL) -> httpx.Response:
        return await self.client.post(path, json=body, headers=headers)

    async def created(self, path: str, body: dict[str, Any], headers: dict[str, str] = GUNUNGKIDUL) -> dict[str, Any]:
        response = await self.post(path, body, headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def events(self, count: int, event_type: str | None = None) -> list[dict[str, Any]]:
        """The next ``count`` events (of ``event_type`` when given) seen on the exchange."""
        seen = await self.tap.collect(lambda s: len([e for e in s if event_type in (None, e["event_type"])]) >= count)
        return [e for e in seen if event_type in (None, e["event_type"])]

    async def finished_import(self, import_id: str, headers: dict[str, str] = GUNUNGKIDUL) -> dict[str, Any]:
        job: dict[str, Any] = {}

        async def done() -> bool:
            nonlocal job
            job = (await self.client.get(f"/imports/{import_id}", headers=headers)).json()
            return job["status"] != "running"

        await eventually(done, timeout=60)
        return job


@pytest.fixture
async def registry(
    stack_settings: dict[str, str], amqp: aio_pika.abc.AbstractRobustConnection, namespace: str
) -> AsyncIterator[Registry]:
    settings = RegistrySettings.model_validate({**stack_settings, "relay_poll_seconds": 0.1})
    async with RunningApp(build(settings)) as running, httpx.AsyncClient(base_url=running.url, timeout=30) as client:
        tap = await Tap.open(amqp, namespace)
        yield Registry(client, tap)


def board(*, complete: bool = True) -> list[dict[str, str]]:
    seats = [{"role": "ketua", "name": "Sutrisno", "nik": "3403131308850002", "phone": "081227001111"}]
    if complete:
        seats += [{"role": "sekretaris", "name": "Wahyuni"}, {"role": "bendahara", "name": "Sri Lestari"}]
    return seats
