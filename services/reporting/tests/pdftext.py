"""The text of a PDF the reports write, for assertions: reportlab's content streams (ASCII85 + Flate) decoded and
the strings of their text operators joined, one line per text line. Images and fonts are left out."""

from __future__ import annotations

import base64
import re
import zlib

# One object's dictionary and its stream (never across objects: a page's dictionary names /ImageC too).
_STREAM = re.compile(rb"obj\s*<<((?:(?!endobj).)*?)>>\s*stream\r?\n(.*?)endstream", re.S)
_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _content_streams(pdf: bytes) -> list[bytes]:
    """Every page's content stream, decoded; images are left out."""
    return [
        zlib.decompress(base64.a85decode(b"<~" + stream.strip(), adobe=True))
        for head, stream in _STREAM.findall(pdf)
        if b"/Subtype /Image" not in head
    ]


def pdf_text(pdf: bytes) -> str:
    """Every line of text, in the order the pages show them."""
    return "\n".join(pdf_pages(pdf))


def _unescape(text: bytes) -> bytes:
    """PDF string escapes: ``\\(``, ``\\n``, … and octal codes (``\\223`` is a left double quote in WinAnsi)."""

    def one(m: re.Match[bytes]) -> bytes:
        code = m.group(1)
        return bytes([int(code, 8)]) if code[:1].isdigit() else _ESCAPES.get(code, code)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, text)


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page (reportlab writes one content stream per page, in page order)."""
    return [
        "\n".join(_unescape(shown).decode("cp1252", errors="replace") for shown in _SHOWN.findall(stream))
        for stream in _content_streams(pdf)
    ]
