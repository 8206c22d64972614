"""Debian's chromium for the browser tests: taken from the PATH (nothing is downloaded at run time) and started
headless with the flags a closed network needs (no background connections, no updates, no sync)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("chromium is not installed: `apt-get install -y chromium` (the browser tests need it)")
    return found


def screenshots() -> Path | None:
    """Where the browser tests save the pages the README shows: ``PILAR_SCREENSHOTS=docs/console ./dev test
    services/console``. Unset (every other run), they save none, so a test run leaves the checkout as it was."""
    folder = os.environ.get("PILAR_SCREENSHOTS")
    return Path(folder) if folder else None
