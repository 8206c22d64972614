"""The dashboard in a real headless browser (Debian's chromium): it loads, draws its bars, shows the API's numbers."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from pilar_dev.browser import CHROMIUM_FLAGS, chromium
from pilar_dev.testing import TEST_SIGNING_KEY, bearer
from pilar_runtime.auth import issue_token
from services.reporting.tests.conftest import Publish, Reporting, fed, settled
from services.reporting.tests.scenario import scenario


async def dump_dom(url: str, profile: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        chromium(),
        "--headless",
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        "--dump-dom",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


def shown(dom: str, key: str) -> int:
    found = re.search(rf'id="total-{key}"[^>]*>\s*([0-9.]+)\s*<', dom)
    assert found, f"total-{key} is not on the page"
    return int(found.group(1).replace(".", ""))  # Indonesian thousands: 1.234


async def test_the_dashboard_shows_the_api_numbers_and_its_bars(
    reporting: Reporting, publish: Publish, tmp_path: Path
) -> None:
    chromium()
    await fed(reporting, publish, scenario())
    await settled(reporting)
    token = issue_token(TEST_SIGNING_KEY, sub="op-gk", role="district_operator", region="34.03")
    api = await reporting.get("/summary", {"Authorization": f"Bearer {token}"})

    dom = await dump_dom(f"{reporting.url}/dashboard?token={token}", tmp_path / "profile")

    assert "Dasbor Pelaporan — Kabupaten Gunungkidul" in html.unescape(dom)
    assert shown(dom, "sessions-held") == api["sessions"]["held"] == 10
    assert shown(dom, "participants") == api["participants"]["total"] == 400
    assert shown(dom, "wksbm-formed") == sum(api["formations"]["WKSBM"].values()) == 10
    assert shown(dom, "followups-overdue") == api["followups"]["overdue"] == 0
    assert shown(dom, "notifications-failed") == api["notifications"]["failed"] == 1
    assert shown(dom, "events") == api["events"]["total"]
    # Counts per month as bars with their whole numbers printed: August 2019, ten WKSBM formed and ten sessions held.
    august = dom.split('data-month="2019-08"', 1)[1].split("</tr>", 1)[0]
    assert "Agustus 2019" in august
    assert re.findall(r'<rect width="(\d+)"', august) == ["100", "100"]
    assert re.findall(r'<span class="value">([0-9.]+)</span>', august) == ["10", "10"]
    kecamatan = dom.split('id="by-child"', 1)[1].split("</table>", 1)[0]
    wonosari = await reporting.get("/summary", bearer("admin", ""), region="34.03.01")
    institutions = sum(n for by_status in wonosari["institutions"].values() for n in by_status.values())
    expected = [institutions, wonosari["sessions"]["held"], wonosari["participants"]["total"]]
    assert expected == [5, 5, 200]
    row = kecamatan.split('data-code="34.03.01"', 1)[1].split("</tr>", 1)[0]
    assert '<a href="/dashboard?region=34.03.01">Wonosari</a>' in row
    assert [int(n) for n in re.findall(r'<span class="value">([0-9]+)</span>', row)][:3] == expected
    assert "35.11" not in dom.split('id="recent-events"', 1)[1]  # Bondowoso's events are out of this scope
    # Everything the page loads comes from the service itself: no CDN, no script at all.
    links = re.findall(r'(?:src|href)="([^"]*)"', dom)
    assert links and all(link.startswith(("/", "#")) for link in links), links
    assert "<script" not in dom

    css = await reporting.http.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200 and "font-family" in css.text
    assert (await reporting.http.get("/dashboard")).status_code == 401
    other = issue_token(TEST_SIGNING_KEY, sub="op-bdw", role="district_operator", region="35.11")
    denied = await reporting.http.get("/dashboard", params={"token": other, "region": "34.03"})
    assert denied.status_code == 403
