"""Finding 10: a failing `pilar` command never prints the AMQP password (typer's tracebacks show no locals).

Older typer releases showed local variables in tracebacks by default (the locked 0.29 does not): the
CLI turns them off itself, and with `pretty_exceptions_show_locals=True` this test fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Br0ker-Pa55word-xyz"


def test_a_cli_traceback_does_not_print_the_broker_password(tmp_path: Path) -> None:
    # Nothing listens on loopback port 9: the DLQ listing fails while connecting, with a traceback.
    env = {**os.environ, "AMQP_URL": f"amqp://pilar:{PASSWORD}@127.0.0.1:9/", "PILAR_STATE_DIR": str(tmp_path)}
    env["COLUMNS"] = "200"
    failed = subprocess.run(
        [sys.executable, "-m", "pilar", "dlq", "list", "registry"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "Traceback" in output or "Error" in output, output  # it did fail loudly
    assert PASSWORD not in output, output
