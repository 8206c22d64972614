"""`python -m contracts` regenerates the JSON Schemas and AsyncAPI document; `--check` only reports drift."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contracts.generate import CONTRACTS_DIR, stale, write


def _shown(path: Path) -> str:
    # Relative to the repository root, the way a developer would type it.
    return str(path.relative_to(CONTRACTS_DIR.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 listing stale files instead of writing them")
    args = parser.parse_args(argv)

    if args.check:
        outdated = stale()
        if not outdated:
            return 0
        for path in outdated:
            print(f"stale: {_shown(path)}", file=sys.stderr)
        print("run `python -m contracts` to regenerate", file=sys.stderr)
        return 1

    changed = write()
    for path in changed:
        print(f"{'wrote' if path.exists() else 'removed'}: {_shown(path)}")
    if not changed:
        print("contracts are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
