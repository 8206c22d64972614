"""A three-node RabbitMQ cluster on this machine, of its own: node names, ports, Erlang cookie, data and logs in a
temporary directory, no plugins (so no management port). It never touches the machine's own node.

The nodes run Debian's `rabbitmq-server` scripts as the caller (not the `/usr/sbin` wrappers, which switch to the
rabbitmq user and its cookie) and form the cluster by themselves through classic peer discovery: each lists all
three, and whichever boots first is joined by the others.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pilar_dev.devstack import free_port, port_open

# Debian keeps the scripts that run as the caller here; elsewhere they are the ones on PATH.
DEBIAN_SCRIPTS = Path("/usr/lib/rabbitmq/bin")
# RabbitMQ's command-line tools take their own distribution ports from this range: a node must not listen there.
CLI_PORTS = range(35672, 35683)


class ClusterError(RuntimeError):
    pass


def scripts() -> Path | None:
    if (DEBIAN_SCRIPTS / "rabbitmq-server").exists():
        return DEBIAN_SCRIPTS
    found = shutil.which("rabbitmq-server")
    return Path(found).parent if found else None


def _port() -> int:
    while (port := free_port()) in CLI_PORTS:
        pass
    return port


@dataclass
class Node:
    name: str
    port: int
    dist_port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def short(self) -> str:
        return self.name.split("@")[0]

    @property
    def pid_file(self) -> Path:
        return self.home / "pid"

    def url(self, user: str = "guest", password: str = "guest") -> str:
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/"


class RabbitCluster:
    """Three nodes clustered from the start; ``kill`` ends one like a crash, ``stop`` ends them all."""

    def __init__(self, workdir: Path, size: int = 3) -> None:
        found = scripts()
        if found is None:
            raise ClusterError("no rabbitmq-server: install Debian's rabbitmq-server package")
        self.bin = found
        self.workdir = workdir
        tag = secrets.token_hex(3)
        self.nodes = [
            Node(f"pilar-{tag}-{i}@localhost", _port(), _port(), workdir / f"node{i}") for i in range(1, size + 1)
        ]
        (workdir / ".erlang.cookie").write_text(secrets.token_hex(20))  # theirs alone: no other node accepts it
        (workdir / ".erlang.cookie").chmod(0o400)
        (workdir / "enabled_plugins").write_text("[].\n")
        (workdir / "rabbitmq-env.conf").write_text("")  # instead of /etc/rabbitmq's, which names the machine's node
        (workdir / "rabbitmq.conf").write_text(
            "cluster_formation.peer_discovery_backend = classic_config\n"
            + "".join(f"cluster_formation.classic_config.nodes.{i} = {n.name}\n" for i, n in enumerate(self.nodes, 1))
        )

    def url(self) -> str:
        """AMQP_URL listing every node."""
        return ",".join(node.url() for node in self.nodes)

    def _env(self, node: Node | None = None) -> dict[str, str]:
        env = {
            **os.environ,
            "HOME": str(self.workdir),  # the cookie
            "RABBITMQ_CONF_ENV_FILE": str(self.workdir / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.workdir / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.workdir / "enabled_plugins"),
        }
        if node is not None:
            env |= {
                "RABBITMQ_NODENAME": node.name,
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_NODE_PORT": str(node.port),
                "RABBITMQ_DIST_PORT": str(node.dist_port),
                "RABBITMQ_MNESIA_BASE": str(node.home / "mnesia"),
                "RABBITMQ_LOG_BASE": str(node.home / "log"),
                "RABBITMQ_PID_FILE": str(node.pid_file),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            }
        return env

    def start(self, timeout: float = 180) -> None:
        for node in self.nodes:
            node.home.mkdir(parents=True)
            out = (node.home / "server.out").open("ab")
            node.process = subprocess.Popen(
                [str(self.bin / "rabbitmq-server")], env=self._env(node), stdout=out, stderr=out, cwd=node.home
            )
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            while not port_open("127.0.0.1", node.port):
                assert node.process is not None
                if node.process.poll() is not None or time.monotonic() > deadline:
                    raise ClusterError(f"{node.name} did not start:\n{self.tail(node)}")
                time.sleep(0.3)
        while (running := self.running_nodes(self.nodes[0])) != {n.name for n in self.nodes}:
            if time.monotonic() > deadline:
                raise ClusterError(f"the nodes did not form one cluster: {sorted(running)} running together")
            time.sleep(1)

    def ctl(self, node: Node, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [str(self.bin / "rabbitmqctl"), "-n", node.name, *args],
            env=self._env(),
            capture_output=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise ClusterError(f"rabbitmqctl {' '.join(args)} on {node.name}: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode()

    def running_nodes(self, node: Node) -> set[str]:
        status: dict[str, Any] = json.loads(self.ctl(node, "cluster_status", "--formatter", "json"))
        return set(status.get("running_nodes", []))

    def queues(self, node: Node) -> dict[str, dict[str, Any]]:
        """Every queue as that node sees it: type, members (the nodes holding a replica), leader, messages (and of
        them unacknowledged), consumers."""
        fields = ("name", "type", "members", "leader", "messages", "messages_unacknowledged", "consumers")
        found = json.loads(self.ctl(node, "list_queues", *fields, "--formatter", "json"))
        return {queue["name"]: queue for queue in found}

    def connection_ports(self, node: Node) -> list[int]:
        """The port each client connection of the cluster came in on: which node it is connected to."""
        found = json.loads(self.ctl(node, "list_connections", "port", "--formatter", "json"))
        return [int(connection["port"]) for connection in found]

    def kill(self, node: Node) -> None:
        """The node's Erlang VM killed outright, as in a crash or a power cut: nothing is handed over."""
        os.kill(int(node.pid_file.read_text().strip()), signal.SIGKILL)
        assert node.process is not None
        node.process.wait(timeout=30)

    def stop(self) -> None:
        """Every node stopped (killed when it does not stop) and its data removed."""
        for node in self.nodes:
            if node.process is None or node.process.poll() is not None:
                continue
            try:
                self.ctl(node, "stop", timeout=60)
                node.process.wait(timeout=30)
            except (ClusterError, subprocess.TimeoutExpired):
                if node.pid_file.exists():
                    os.kill(int(node.pid_file.read_text().strip()), signal.SIGKILL)
                node.process.kill()
                node.process.wait(timeout=30)
        for node in self.nodes:  # the logs stay with the test's other files
            shutil.rmtree(node.home / "mnesia", ignore_errors=True)

    def tail(self, node: Node, lines: int = 30) -> str:
        out = node.home / "server.out"
        return "\n".join(out.read_text(errors="replace").splitlines()[-lines:]) if out.exists() else ""
