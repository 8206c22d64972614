"""A catch-all SMTP server for local runs: every message that arrives is kept as a `.eml` file in a folder, so
a newcomer sees every e-mail the system would have sent.

    python -m pilar_dev.mailcatcher --port 1025 --dir .pilar/mail

`list_mail(folder)` reads them back (newest last) for `pilar mail`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.smtp import SMTP, Envelope, Session


class MailFolder:
    """aiosmtpd handler: accepts every recipient and writes each message to `<folder>/<time>-<id>.eml`."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        target = self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        partial = target.with_suffix(".part")
        # Write then rename: a reader never sees half a message.
        partial.write_bytes(content)
        partial.rename(target)
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class StoredMail:
    path: Path
    sender: str
    to: str
    subject: str
    date: str

    def body(self) -> str:
        message = message_from_bytes(self.path.read_bytes(), policy=policy.default)
        part: Any = message.get_body(preferencelist=("plain", "html"))
        return str(part.get_content()) if part is not None else ""

    def decoded(self) -> str:
        """The message as a person reads it (`pilar mail --show`)."""
        return decoded(self.path.read_bytes())


SHOWN_HEADERS = ("Date", "From", "To", "Cc", "Reply-To", "Subject")


def body_text(message: EmailMessage) -> str:
    """The plain-text body, else the HTML one with its tags dropped (links keep their address)."""
    part: Any = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = str(part.get_content())
    if part.get_content_subtype() == "html":
        content = re.sub(r"(?is)<a\s[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", r"\2 (\1)", content)
        content = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"(?i)<br\s*/?>|</p>", "\n", content)))
    return content


def decoded(raw: bytes) -> str:
    """Headers decoded (RFC 2047 words), the body as text (transfer encoding undone) and the attachments named."""
    message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
    lines = [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name] is not None]
    lines += ["", body_text(message).rstrip()]
    attachments = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    if attachments:
        lines += ["", *(f"[attachment] {name}" for name in attachments)]
    return "\n".join(lines)


def list_mail(folder: Path | str) -> list[StoredMail]:
    """The messages caught so far, oldest first."""
    root = Path(folder)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append(
            StoredMail(
                path=path,
                sender=str(message.get("From", "")),
                to=str(message.get("To", "")),
                subject=str(message.get("Subject", "")),
                date=str(message.get("Date", "")),
            )
        )
    return found


async def serve(host: str, port: int, folder: Path) -> None:
    handler = MailFolder(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="pilar-mail"), host, port)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Catch-all SMTP server that keeps every message as a .eml file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path(".pilar/mail"))
    args = parser.parse_args(argv)
    print(f"mail catcher on {args.host}:{args.port}, keeping messages in {args.dir}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.dir))


if __name__ == "__main__":
    main()
