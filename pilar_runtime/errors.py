"""Errors a command can end with. Pure: domain code raises them; `pilar_runtime.problems` answers them over HTTP
(404, 403, 409, 422, 429) as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 422

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    """The caller may not do this, or may not see this record (a region outside its scope, a role without rights)."""

    status = 403


class Conflict(DomainError):
    """A rule is broken by the current state: the detail names the rule (and what it conflicts with)."""

    status = 409


class Unprocessable(DomainError):
    status = 422


class TooMany(DomainError):
    """The caller already has as many of these under way as it may."""

    status = 429
