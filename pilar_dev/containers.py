"""Test servers from testcontainers, used where a Docker daemon answers (developer laptops, Docker-enabled CI).

Without Docker the fixtures use the local RabbitMQ and a SecantusDB process instead (see conftest.py).
"""

from __future__ import annotations

import time
from typing import Any


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


def rabbitmq_container() -> tuple[Any, str]:
    """A RabbitMQ container and its AMQP URL; the caller stops the container."""
    from testcontainers.rabbitmq import RabbitMqContainer

    container = RabbitMqContainer("rabbitmq:3.13-management").start()
    host, port = container.get_container_host_ip(), container.get_exposed_port(5672)
    return container, f"amqp://guest:guest@{host}:{port}/"


def mongo_replica_set_container() -> tuple[Any, str]:
    """mongo:8 as a single-node replica set (transactions need one) and its URL; the caller stops it."""
    from testcontainers.core.container import DockerContainer

    container = DockerContainer("mongo:8").with_command("--replSet rs0 --bind_ip_all").with_exposed_ports(27017)
    container.start()
    initiate = (
        "try { rs.status() } catch (e) { rs.initiate({_id: 'rs0', members: [{_id: 0, host: '127.0.0.1:27017'}]}) }"
    )
    for _ in range(60):
        code, _ = container.exec(["mongosh", "--quiet", "--eval", initiate])
        ready, _ = container.exec(["mongosh", "--quiet", "--eval", "quit(db.hello().isWritablePrimary ? 0 : 1)"])
        if code == 0 and ready == 0:
            break
        time.sleep(1)
    host, port = container.get_container_host_ip(), container.get_exposed_port(27017)
    return container, f"mongodb://{host}:{port}/?directConnection=true"
