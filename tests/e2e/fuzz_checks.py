"""Schemathesis checks of our own, loaded into `st run` with SCHEMATHESIS_HOOKS=tests.e2e.fuzz_checks.

Whatever the fuzzer sends, an answer never carries a secret of the stack, a Python traceback, or — to a role that may
not see them — an unmasked NIK. The secrets and the role come from the environment the test gives `st`.
"""

from __future__ import annotations

import os
import re

import schemathesis

# 16 digits standing alone: a NIK (ids and timestamps have letters or separators around their digits).
_NIK = re.compile(r"(?<![\w])\d{16}(?![\w])")
_READERS = frozenset({"viewer", "integration"})


def _text(response: schemathesis.Response) -> str:
    """The answer as text; a file (a report's XLSX or PDF) is searched too, its non-text bytes replaced."""
    return response.content.decode("utf-8", errors="replace")


def _secrets() -> list[str]:
    return [s for s in os.environ.get("PILAR_FUZZ_SECRETS", "").split("\n") if len(s) >= 8]


@schemathesis.check
def no_secret_or_traceback(ctx: object, response: schemathesis.Response, case: schemathesis.Case) -> None:
    text = _text(response)
    for secret in _secrets():
        if secret in text:
            raise AssertionError("the answer carries a secret of the stack")
    if "Traceback (most recent call last)" in text:
        raise AssertionError("the answer carries a Python traceback")


@schemathesis.check
def no_nik_for_readers(ctx: object, response: schemathesis.Response, case: schemathesis.Case) -> None:
    content_type = " ".join(v for k, vs in response.headers.items() if k.lower() == "content-type" for v in vs)
    if os.environ.get("PILAR_FUZZ_ROLE") not in _READERS or "json" not in content_type:
        return  # personal data lives in the JSON answers (a metrics page has long numbers of its own)
    if _NIK.search(_text(response)):
        raise AssertionError("an unmasked NIK reached a role that may not see it")
