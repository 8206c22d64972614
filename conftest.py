"""Fixtures for every test layer (runtime, services, end to end): a real RabbitMQ and a real MongoDB-wire server,
isolated per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import aio_pika
import pytest

from pilar_runtime.devstack import LocalMongo, port_open
from pilar_runtime.mongo import Mongo
from pilar_runtime.testing import DEFAULT_AMQP_URL, delete_namespace, new_namespace


@pytest.fixture(scope="session")
def amqp_url() -> str:
    url = os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)
    host = url.split("@")[-1].split("/")[0]
    name, _, port = host.partition(":")
    if not port_open(name, int(port or 5672)):
        pytest.fail(f"RabbitMQ is not answering at {host}: start it (`rabbitmq-server -detached`) or set AMQP_URL")
    return url


@pytest.fixture(scope="session")
def local_mongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalMongo | None]:
    if os.environ.get("MONGODB_URL"):
        yield None
        return
    server = LocalMongo(tmp_path_factory.mktemp("mongo"), log_file=None).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mongodb_url(local_mongo: LocalMongo | None) -> str:
    return os.environ.get("MONGODB_URL") or (local_mongo.url if local_mongo else "")


@pytest.fixture
async def namespace(amqp_url: str, mongodb_url: str) -> AsyncIterator[str]:
    """A fresh prefix for this test's exchanges, queues and databases; removed afterwards."""
    name = new_namespace()
    yield name
    await delete_namespace(amqp_url, name)
    mongo = Mongo(mongodb_url, "admin")
    for database in await mongo.client.list_database_names():
        if database.startswith(f"{name}_"):
            await mongo.client.drop_database(database)
    await mongo.close()


@pytest.fixture
async def mongo(mongodb_url: str, namespace: str) -> AsyncIterator[Mongo]:
    client = Mongo(mongodb_url, f"{namespace}_runtime")
    await client.ensure_indexes()
    yield client
    await client.close()


@pytest.fixture
async def amqp(amqp_url: str) -> AsyncIterator[aio_pika.abc.AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(amqp_url)
    yield connection
    await connection.close()


@pytest.fixture
def stack_settings(amqp_url: str, mongodb_url: str, namespace: str) -> dict[str, str]:
    """Keyword arguments that point any service's settings at this test's broker, database and namespace."""
    from pilar_runtime.testing import TEST_JWT_SECRET

    return {"amqp_url": amqp_url, "mongodb_url": mongodb_url, "namespace": namespace, "jwt_secret": TEST_JWT_SECRET}
