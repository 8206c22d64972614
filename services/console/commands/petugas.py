"""Petugas: the registry's workers through its API — list, register, edit — and the bulk import of a CSV or XLSX
file, followed until done."""

from __future__ import annotations

from typing import Any

from services.console.gateway import Gateway

User = dict[str, Any]


async def workers(gateway: Gateway, user: User, filters: dict[str, str], offset: int) -> dict[str, Any]:
    found: dict[str, Any] = await gateway.get(user, "registry", "/workers", limit=50, offset=offset, **filters)
    return found


async def worker(gateway: Gateway, user: User, worker_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await gateway.get(user, "registry", f"/workers/{worker_id}")
    return found


async def register(gateway: Gateway, user: User, body: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = await gateway.send(user, "POST", "registry", "/workers", body)
    return created


async def change(gateway: Gateway, user: User, worker_id: str, changes: dict[str, Any]) -> None:
    await gateway.send(user, "PATCH", "registry", f"/workers/{worker_id}", changes)


async def start_import(gateway: Gateway, user: User, kind: str, filename: str, content: bytes) -> dict[str, Any]:
    job: dict[str, Any] = await gateway.upload(user, "registry", "/imports", filename, content, fields={"kind": kind})
    return job


async def import_job(gateway: Gateway, user: User, import_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await gateway.get(user, "registry", f"/imports/{import_id}")
    return found


async def recent_imports(gateway: Gateway, user: User) -> list[dict[str, Any]]:
    found = await gateway.get(user, "registry", "/imports", limit=10)
    return list(found["items"])
