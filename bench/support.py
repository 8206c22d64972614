"""What the benchmarks share: a MongoDB-wire server (MONGODB_URL, or a throw-away SecantusDB)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from pilar_runtime.devstack import LocalMongo


@contextmanager
def mongo_server() -> Iterator[str]:
    if os.environ.get("MONGODB_URL"):
        yield os.environ["MONGODB_URL"]
        return
    server = LocalMongo(":memory:", log_file=None).start()
    try:
        yield server.url
    finally:
        server.stop()
