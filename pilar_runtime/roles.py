"""The roles a token (and a console account) carries. Pure, so domain code may name them too."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PROVINCE_OPERATOR = "province_operator"
    DISTRICT_OPERATOR = "district_operator"
    VIEWER = "viewer"
    INTEGRATION = "integration"
