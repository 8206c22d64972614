"""Shapes only the HTTP API knows: the cancel body and the answers (stored documents as clients read them)."""

from __future__ import annotations

from pydantic import Field

from pilar_runtime.api import Command


class CancelIn(Command):
    reason: str | None = Field(default=None, max_length=1000)
