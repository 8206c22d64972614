"""Fixtures for every test layer (runtime, services, end to end): a real RabbitMQ and a real MongoDB-wire server,
isolated per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import aio_pika
import pytest

from pilar_dev import containers
from pilar_dev.devstack import LocalMongo, port_open
from pilar_dev.testing import DEFAULT_AMQP_URL, delete_namespace, new_namespace
from pilar_runtime.mongo import Mongo


def _local_rabbitmq_answers(url: str) -> bool:
    host = url.split("@")[-1].split("/")[0]
    name, _, port = host.partition(":")
    return port_open(name, int(port or 5672))


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """AMQP_URL (default: the local RabbitMQ), or a RabbitMQ container where Docker answers."""
    url = os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)
    if "AMQP_URL" in os.environ or _local_rabbitmq_answers(url):
        if not _local_rabbitmq_answers(url):
            pytest.fail(f"RabbitMQ is not answering at {url.split('@')[-1]}: start it or fix AMQP_URL")
        yield url
        return
    if not containers.docker_answers():
        pytest.fail("no RabbitMQ: start one (`rabbitmq-server -detached`), set AMQP_URL, or run a Docker daemon")
    container, url = containers.rabbitmq_container()
    yield url
    container.stop()


@pytest.fixture(scope="session")
def mongodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MONGODB_URL, a mongo:8 replica-set container where Docker answers, or a SecantusDB process."""
    if os.environ.get("MONGODB_URL"):
        yield os.environ["MONGODB_URL"]
        return
    if os.environ.get("PILAR_TEST_DOCKER") == "1" and containers.docker_answers():
        container, url = containers.mongo_replica_set_container()
        yield url
        container.stop()
        return
    server = LocalMongo(tmp_path_factory.mktemp("mongo"), log_file=None).start()
    yield server.url
    server.stop()


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
    from pilar_dev.testing import TEST_JWKS, TEST_LINK_SECRET

    return {"amqp_url": amqp_url, "mongodb_url": mongodb_url, "namespace": namespace, "jwks": TEST_JWKS,
            "link_secret": TEST_LINK_SECRET}  # fmt: skip
