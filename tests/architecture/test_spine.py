"""Every service has the same shape (README: "One spine in every service"), and its layers keep to their side."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.topology import SUBSCRIPTIONS

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["registry", "outreach", "notify", "reporting", "console"]
# What pure code never needs: the web framework, the database and broker drivers, an HTTP client.
IO_PACKAGES = ("fastapi", "starlette", "pymongo", "aio_pika", "aiormq", "httpx", "faststream")
# A collection, a query or write on one, or a transaction: what only commands and store.py do.
STORAGE = re.compile(
    r"\bdb\[|\.transact\(|UnitOfWork|\.(find|find_one|find_one_and_update|insert_one|insert_many|update_one|"
    r"update_many|replace_one|delete_one|delete_many|count_documents|aggregate|bulk_write)\("
)


def _modules(service: str, part: str) -> list[Path]:
    base = ROOT / "services" / service
    found = [base / f"{part}.py"] if (base / f"{part}.py").exists() else []
    return found + sorted((base / part).rglob("*.py")) if (base / part).is_dir() else found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_spine(service: str) -> None:
    base = ROOT / "services" / service
    for part in ("api", "domain", "tests"):
        assert (base / part).is_dir(), f"{service} has no {part}/"
    for module in ("store.py", "settings.py", "app.py"):
        assert (base / module).exists(), f"{service} has no {module}"
    if SUBSCRIPTIONS[service]:  # only a service that consumes events has handlers
        assert (base / "handlers.py").exists(), f"{service} has no handlers.py"
    assert _modules(service, "commands"), f"{service} has no commands"


@pytest.mark.parametrize("service", SERVICES)
def test_domain_code_is_pure_even_through_what_it_imports(service: str) -> None:
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in _modules(service, "domain")
        if path.name != "__init__.py"
    ]
    probe = f"import sys\nimport {', '.join(modules)}\nprint(sorted(m for m in {IO_PACKAGES!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", f"{service}/domain loads {loaded.stdout.strip()}"


@pytest.mark.parametrize("service", SERVICES)
def test_routes_call_commands_and_commands_know_no_http(service: str) -> None:
    for path in _modules(service, "api") + _modules(service, "dashboard"):
        touched = STORAGE.search(path.read_text(encoding="utf-8"))
        assert not touched, f"{path.relative_to(ROOT)} touches storage ({touched.group(0)})"
    for path in _modules(service, "commands"):
        web = {name for name in _imports(path) if name.split(".")[0] in ("fastapi", "starlette")}
        assert not web, f"{path.relative_to(ROOT)} imports {web}"
        assert ".api" not in {name[len(f"services.{service}") :][:4] for name in _imports(path)}, path
