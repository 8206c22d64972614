"""The pure parts of the operators' commands, without a stack: log filtering, --since, mail decoding, status."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from pilar.logview import LogFilter, LogReader, parse_since
from pilar.status import troubles
from pilar_dev.mailcatcher import decoded


@pytest.mark.parametrize(("text", "span"), [("90s", timedelta(seconds=90)), ("10m", timedelta(minutes=10)),
                                            ("2h", timedelta(hours=2)), ("1d", timedelta(days=1))])  # fmt: skip
def test_since_reads_a_number_and_a_unit(text: str, span: timedelta) -> None:
    assert parse_since(text) == span


@pytest.mark.parametrize("text", ["10", "m", "10w", "-5m", "ten minutes"])
def test_since_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="--since"):
        parse_since(text)


def _record(level: str = "info", at: str = "2026-11-24T01:00:00Z", **extra: str) -> dict[str, str]:
    return {"timestamp": at, "level": level, "event": "x", "service": "notify", **extra}


def test_level_means_this_level_and_above() -> None:
    warning = LogFilter(level="warning")
    assert [warning.matches(_record(level)) for level in ("debug", "info", "warning", "error", "critical")] == [
        False, False, True, True, True,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="--level"):
        LogFilter(level="loud")


def test_since_keeps_newer_lines_and_those_without_a_time() -> None:
    recent = LogFilter(since=datetime(2026, 11, 24, 1, 0, 30, tzinfo=UTC))
    assert not recent.matches(_record(at="2026-11-24T01:00:00Z"))
    assert recent.matches(_record(at="2026-11-24T01:00:31.5Z"))
    assert recent.matches({"event": "Traceback (most recent call last):", "service": "notify"})


def test_event_and_correlation_pick_their_lines() -> None:
    assert LogFilter(event_id="e-1").matches(_record(event_id="e-1"))
    assert not LogFilter(event_id="e-1").matches(_record(event_id="e-2"))
    assert not LogFilter(correlation_id="c-1").matches(_record())


def test_the_reader_gives_only_whole_new_lines_in_time_order(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(json.dumps(_record(at="2026-11-24T01:00:02Z", event_id="a1")) + "\n")
    (tmp_path / "b.log").write_text(json.dumps(_record(at="2026-11-24T01:00:01Z", event_id="b1")) + "\n")
    reader = LogReader(tmp_path)
    assert [r["event_id"] for r in reader.read_new()] == ["b1", "a1"]
    with (tmp_path / "a.log").open("a") as out:
        out.write(json.dumps(_record(event_id="a2")) + "\n" + '{"half": ')
    assert [r["event_id"] for r in reader.read_new()] == ["a2"]  # the half-written line waits
    with (tmp_path / "a.log").open("a") as out:
        out.write('"done"}\n')
    assert reader.read_new() == [{"half": "done", "service": "a"}]


def test_a_mail_is_shown_decoded() -> None:
    message = EmailMessage()
    message["From"] = "Pilar <pilar@dinsos.example>"
    message["To"] = "Ketua LKS <ketua@lks.example>"
    message["Subject"] = "Pengingat sesi penyuluhan: Kecamatan Sewon"
    message.set_content("Yth. Bapak/Ibu,\nsesi dimulai pukul 09.00 WIB.\n", charset="utf-8", cte="base64")
    message.add_alternative("<p>Yth. <b>Bapak/Ibu</b></p>", subtype="html")
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="laporan.pdf")
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw or b"Pengingat" in raw
    shown = decoded(raw)
    assert "Subject: Pengingat sesi penyuluhan: Kecamatan Sewon" in shown
    assert "sesi dimulai pukul 09.00 WIB." in shown  # base64 undone
    assert "[attachment] laporan.pdf" in shown
    assert "Content-Transfer-Encoding" not in shown


def test_an_html_only_mail_is_shown_as_text_with_its_links() -> None:
    message = EmailMessage()
    message["Subject"] = "=?utf-8?q?Laporan_siap_=E2=9C=93?="
    message.set_content(
        '<p>Unduh &amp; periksa:<br><a href="https://pilar.example/r/1">laporan</a></p>', subtype="html"
    )
    shown = decoded(message.as_bytes())
    assert "Subject: Laporan siap ✓" in shown
    assert "Unduh & periksa:\nlaporan (https://pilar.example/r/1)" in shown
    assert "<p>" not in shown


def _healthy() -> dict[str, object]:
    return {
        "service": "notify", "ready": True, "broker": True, "mongo": True,
        "queue": {"name": "notify.events", "waiting": 0, "consumers": 1, "in_flight": 0, "dead_letters": 0},
        "outbox": {"backlog": 0, "oldest_age_seconds": None}, "pending_timers": 0, "extras": {},
    }  # fmt: skip


def test_status_names_what_is_wrong() -> None:
    assert troubles(_healthy()) == []
    assert troubles({"service": "notify", "down": "GET http://127.0.0.1:1/admin/status: no answer"}) != []
    assert troubles({**_healthy(), "mongo": False}) == ["mongo does not answer"]
    dead = {**_healthy(), "queue": {**_healthy()["queue"], "dead_letters": 2}}  # type: ignore[dict-item]
    assert troubles(dead) == ["2 dead letter(s): `pilar dlq list notify`"]
    assert troubles({**_healthy(), "outbox": {"backlog": 3, "oldest_age_seconds": 59}}) == []
    assert troubles({**_healthy(), "outbox": {"backlog": 3, "oldest_age_seconds": 61}}) == [
        "oldest unpublished event is 61 s old"
    ]
