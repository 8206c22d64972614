"""A webhook receiver for the benchmarks, run in its own process so that neither side measured shares its CPU time
or event loop with it: every POST is answered 204 and counted; `GET /count` tells how many arrived.

    python -m bench.receiver --port 8765
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pilar_dev.devstack import free_port


def receiver() -> Starlette:
    received = [0]

    async def receive(request: Request) -> Response:
        await request.body()
        received[0] += 1
        return Response(status_code=204)

    async def count(request: Request) -> Response:
        return JSONResponse({"received": received[0]})

    return Starlette(routes=[Route("/count", count, methods=["GET"]), Route("/{path:path}", receive, methods=["POST"])])


@contextmanager
def receiver_process() -> Iterator[tuple[str, int]]:
    """The receiver started in a child process on a free loopback port; yields its base URL and process id."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.receiver", "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/count", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the benchmark receiver did not start") from None
                time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def received(url: str) -> int:
    return int(httpx.get(f"{url}/count", timeout=5).json()["received"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(receiver(), host="127.0.0.1", port=port, log_level="warning", access_log=False)
