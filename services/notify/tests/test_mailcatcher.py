"""The local catch-all SMTP server keeps every message as a .eml file and lists them back."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from pilar_dev.devstack import free_port
from pilar_dev.mailcatcher import list_mail, serve


async def test_caught_mail_is_kept_and_listed(tmp_path: Path) -> None:
    port = free_port()
    folder = tmp_path / "mail"
    server = asyncio.create_task(serve("127.0.0.1", port, folder))
    try:
        for _ in range(50):  # until it listens
            try:
                smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
                await smtp.connect()
                break
            except OSError:
                await asyncio.sleep(0.05)
        for n in (1, 2):
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = "a@pilar.local", f"b{n}@desa.id", f"Undangan {n}"
            mail.set_content(f"Isi pesan {n}")
            await smtp.send_message(mail)
        await smtp.quit()
    finally:
        server.cancel()
    assert list_mail(tmp_path / "nothing-here") == []
    caught = list_mail(folder)
    assert [(m.to, m.subject) for m in caught] == [("b1@desa.id", "Undangan 1"), ("b2@desa.id", "Undangan 2")]
    assert caught[1].body().strip() == "Isi pesan 2"
    assert not list(folder.glob("*.part"))
