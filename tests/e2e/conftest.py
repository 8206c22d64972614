"""The end-to-end stack: the four services as processes, a real SMTP server and a real webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from pilar_dev.testing import bearer, delete_namespace, new_namespace
from tests.e2e.stack import Stack


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    """Extra environment for the module's services (a module overrides this to point notify at its SMTP server)."""
    return {}


@pytest.fixture(scope="module")
async def stack(
    amqp_url: str, tmp_path_factory: pytest.TempPathFactory, stack_env: dict[str, str]
) -> AsyncIterator[Stack]:
    namespace = new_namespace("e2e")
    workdir: Path = tmp_path_factory.mktemp("stack")
    running = Stack(workdir, amqp_url, namespace, stack_env)
    try:
        await running.start()
        yield running
    finally:
        running.stop()
        await delete_namespace(amqp_url, namespace)


@pytest.fixture(scope="module")
async def admin(stack: Stack) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """One client per service, authorised as an admin."""
    clients = {
        service: httpx.AsyncClient(base_url=stack.url(service), headers=bearer("admin", ""), timeout=30)
        for service in stack.ports
    }
    yield clients
    for client in clients.values():
        await client.aclose()
