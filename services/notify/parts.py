"""notify's own running parts, beside the shared ``Runtime``: built by the composition root (``app.py``),
reached from routes through ``PartsDep``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from pilar_runtime.service import running_parts
from services.notify.settings import NotifySettings


@dataclass(frozen=True)
class NotifyParts:
    settings: NotifySettings  # what routes need of it: the SMS gateway, default rules, webhook checks


def _parts(request: Request) -> NotifyParts:
    return running_parts(request, NotifyParts)


PartsDep = Annotated[NotifyParts, Depends(_parts)]
