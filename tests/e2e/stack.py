"""All four services as separate processes against the real broker and a Mongo-wire server of their own.

Used by the end-to-end and fault-injection tests: services can be SIGKILLed and started again, the database
restarted, and every service's JSON log lines are kept per process for correlation checks.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from pilar_dev.devstack import LocalMongo, free_port
from pilar_dev.testing import TEST_JWKS, TEST_LINK_SECRET

SERVICES = ("registry", "outreach", "notify", "reporting")


class Stack:
    def __init__(self, workdir: Path, amqp_url: str, namespace: str, extra_env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.amqp_url = amqp_url
        self.namespace = namespace
        self.extra_env = extra_env or {}
        self.mongo = LocalMongo(workdir / "mongo", log_file=workdir / "mongo.log")
        self.ports = {service: free_port() for service in SERVICES}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: dict[str, int] = dict.fromkeys(SERVICES, 0)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self, service: str) -> dict[str, str]:
        prefix = service.upper()
        return {
            **os.environ,
            "AMQP_URL": self.amqp_url,
            "MONGODB_URL": self.mongo.url,
            "PILAR_NAMESPACE": self.namespace,
            "PILAR_JWKS": TEST_JWKS,
            "PILAR_LINK_SECRET": TEST_LINK_SECRET,
            "PILAR_LOG_FORMAT": "json",
            "PILAR_PUBLIC_DOCS": "1",  # the hostile run reads each service's OpenAPI document
            f"{prefix}_PORT": str(self.ports[service]),
            f"{prefix}_RELAY_POLL_SECONDS": "0.2",
            f"{prefix}_TIMER_POLL_SECONDS": "0.2",
            f"{prefix}_LEASE_SECONDS": "3",
            "NOTIFY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",  # the tests' receivers listen on loopback
            **self.extra_env,
        }

    def log_file(self, service: str) -> Path:
        return self.workdir / f"{service}.log"

    async def start(self, *services: str) -> None:
        if self.mongo.process is None:
            self.mongo.start()
        for service in services or SERVICES:
            self._spawn(service)
        await asyncio.gather(*(self.wait_ready(s) for s in services or SERVICES))

    def _spawn(self, service: str) -> None:
        self.starts[service] += 1
        out = self.log_file(service).open("ab")
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"], env=self.env(service), stdout=out, stderr=out
        )

    async def wait_ready(self, service: str, timeout: float = 120) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                process = self.processes[service]
                if process.poll() is not None:
                    raise RuntimeError(f"{service} exited with {process.returncode}:\n{self.tail(service)}")
                try:
                    if (await client.get(f"{self.url(service)}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"{service} not ready:\n{self.tail(service)}")
                await asyncio.sleep(0.2)

    def kill(self, service: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[service]
        process.send_signal(sig)
        process.wait(timeout=40)

    async def restart_mongo(self) -> None:
        self.mongo.stop()
        self.mongo.start()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
        self.mongo.stop()

    def tail(self, service: str, lines: int = 40) -> str:
        path = self.log_file(service)
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def records(self, service: str | None = None) -> list[dict[str, Any]]:
        """Every JSON log line the services wrote so far."""
        found: list[dict[str, Any]] = []
        for name in [service] if service else SERVICES:
            path = self.log_file(name)
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    try:
                        found.append(json.loads(line))
                    except ValueError:
                        continue
        return found
