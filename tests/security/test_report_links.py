"""Report links (issue 12 item 7): the link in a report-ready e-mail opens that one report where the mail is read —
no bearer token — until it expires. A token for one report opens no other, an expired one is refused (401), an
altered or forged one too (403), and no answer repeats the token. Real notify, reporting, broker, Mongo-wire server
and SMTP server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from pilar_dev.testing import TEST_LINK_SECRET, bearer, eventually
from pilar_runtime.links import scope, sign_link
from services.notify.tests.conftest import Mailbox, Notify, client, notify, receiver, smtp  # noqa: F401 — fixtures
from services.reporting.tests.conftest import ADMIN, Reporting, reporting  # noqa: F401 — fixtures

OPERATOR = bearer("district_operator", "34.03", sub="op-gunungkidul")
KABID = "kabid.psks@dinsos.gunungkidulkab.go.id"


async def _report(service: Reporting, region: str) -> dict[str, Any]:
    """A registry export of `region`, built."""
    created = await service.http.post(
        "/reports", json={"kind": "registry_export", "region_code": region}, headers=ADMIN
    )
    assert created.status_code == 202, created.text
    report_id = created.json()["id"]
    found: dict[str, Any] = {}

    async def built() -> bool:
        nonlocal found
        found = await service.get(f"/reports/{report_id}")
        return found["status"] == "done"

    await eventually(built, timeout=60, what=f"report {report_id} to be built")
    return found


async def test_the_link_in_the_report_ready_mail_downloads_the_report_without_signing_in(
    notify: Notify,  # noqa: F811
    client: httpx.AsyncClient,  # noqa: F811
    smtp: Mailbox,  # noqa: F811
    reporting: Reporting,  # noqa: F811
) -> None:
    rule = {"event_pattern": "reporting.report_generated", "region_code": "34.03", "channel": "email",
            "recipients": [KABID]}  # fmt: skip
    assert (await client.post("/rules", json=rule, headers=OPERATOR)).status_code == 201
    report = await _report(reporting, "34.03")

    async def mailed() -> bool:
        return bool(smtp.mails(to=KABID))

    await eventually(mailed, what="the report-ready e-mail")
    [mail] = smtp.mails(to=KABID)
    link = re.search(r"https://pilar\.example(/reports/\S+?)(?=[\s\"<]|$)", mail.body())
    assert link is not None, mail.body()
    path = link.group(1)
    assert urlsplit(path).path == f"/reports/{report['id']}/download" and "token" in parse_qs(urlsplit(path).query)

    async with httpx.AsyncClient(base_url=reporting.url, timeout=30) as browser:  # no Authorization header
        downloaded = await browser.get(path)
        assert downloaded.status_code == 200, downloaded.text
        assert (
            downloaded.content == (await reporting.http.get(f"/reports/{report['id']}/download", headers=ADMIN)).content
        )
        # The same token opens the report's page, to share, and its download links carry it.
        token = parse_qs(urlsplit(path).query)["token"][0]
        shared = await browser.get(f"/reports/{report['id']}", params={"token": token})
        assert shared.status_code == 200, shared.text
        for fmt, href in shared.json()["downloads"].items():
            answer = await browser.get(href)
            assert answer.status_code == 200, (fmt, answer.text)
        assert (await browser.get(f"/reports/{report['id']}/download")).status_code == 401  # no link, no token


async def test_a_report_link_opens_its_own_report_only_and_only_until_it_expires(
    reporting: Reporting,  # noqa: F811
) -> None:
    mine, theirs = await _report(reporting, "34.03"), await _report(reporting, "35.11")
    now = datetime.now(UTC)
    token = sign_link(TEST_LINK_SECRET, scope("report", mine["id"]), now + timedelta(days=7))
    expired = sign_link(TEST_LINK_SECRET, scope("report", mine["id"]), now - timedelta(minutes=1))
    stamp, signature = token.split(".")
    refused = {
        "another report's link": (theirs["id"], token, 403),
        "expired": (mine["id"], expired, 401),
        "expiry pushed on": (mine["id"], f"{int(stamp) + 86_400 * 365}.{signature}", 403),
        "signature altered": (mine["id"], f"{stamp}.{signature[::-1]}", 403),
        "another secret": (mine["id"], sign_link("x" * 48, scope("report", mine["id"]), now + timedelta(days=7)), 403),
        # A bearer token is no link token: the link key is derived for links alone.
        "a bearer token": (mine["id"], ADMIN["Authorization"].removeprefix("Bearer "), 403),
    }
    async with httpx.AsyncClient(base_url=reporting.url, timeout=30) as browser:
        assert (await browser.get(f"/reports/{mine['id']}/download", params={"token": token})).status_code == 200
        for case, (report_id, offered, status) in refused.items():
            for path in (f"/reports/{report_id}/download", f"/reports/{report_id}"):
                answer = await browser.get(path, params={"token": offered})
                assert answer.status_code == status, (case, path, answer.text)
                assert answer.headers["content-type"].startswith("application/problem+json"), case
                assert offered not in answer.text and signature not in answer.text, case
        # A link token is no bearer token either.
        as_bearer = await browser.get(f"/reports/{mine['id']}", headers={"Authorization": f"Bearer {token}"})
        assert as_bearer.status_code == 401
