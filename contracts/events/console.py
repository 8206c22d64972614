"""Events produced by the console: staff accounts changed, for the audit reporting keeps.

No e-mail address and no password material ever travels: an account is named by its id (and the person's name).
"""

from __future__ import annotations

from pydantic import Field

from contracts.envelope import EventPayload


class UserCreated(EventPayload):
    user_id: str
    name: str
    role: str = Field(description="admin | province_operator | district_operator | viewer | integration")
    region: str = Field(description='the Kemendagri code the account is limited to; "" for a national admin')
    actor: str = Field(description="the user id of the admin who created it, or `console` for the first admin")


class UserRoleChanged(EventPayload):
    user_id: str
    role: str
    region: str
    previous_role: str
    previous_region: str
    actor: str


class UserDeactivated(EventPayload):
    user_id: str
    role: str
    region: str
    actor: str
