"""A mail's body as a person reads it, with a size cap and a depth cap on every view.

A hostile or broken mail must open promptly wherever it is shown (the run detail, the
Inbox): the body is cut before anything looks at all of it, HTML is turned into text
only below a tag count that keeps the HTML parser (quadratic in nesting depth) and the
recursive renderer bounded, and nothing here parses the MIME tree again (the bodies
were taken out at ingest; a 1,000-deep multipart is never walked to be shown).
"""

from __future__ import annotations

import re
import zlib

from parsers.mailview import MailView, decode_bytes

MAX_CHARS = 60_000
"""Characters of body a view gets (the panes show 30,000 and say when they cut)."""
MAX_HTML = 1_000_000
"""Characters of an HTML body looked at (a report's HTML is mostly markup)."""
MAX_TAGS = 20_000
"""More tags than this and the HTML is shown with its tags stripped, not laid out: the
HTML parser's time grows with the square of the nesting depth (100,000 nested tags take
a minute), and a count of tags bounds the depth."""
MAX_RAW = 200_000
"""Bytes of the raw message shown when no body could be taken out of it."""

_TAG = re.compile(r"<[^<>]{0,2000}>")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def readable_body(text_body: str, html_body: str, limit: int = MAX_CHARS) -> str:
    """The text body, or the HTML body as text, cut at `limit` characters (still raw:
    the screens clean it); "" when the mail has neither."""
    if text_body.strip():
        return text_body[:limit]
    if html_body.strip():
        return html_as_text(html_body[:MAX_HTML])[:limit]
    return ""


def html_as_text(html: str) -> str:
    """HTML laid out as text when its shape is bounded, else with its tags stripped."""
    if html.count("<") <= MAX_TAGS:
        try:
            return MailView(html=html).html_text
        except RecursionError:  # nested deeper than the renderer's recursion allows
            pass
    return _BLANK_LINES.sub("\n\n", _TAG.sub(" ", html)).strip()


def raw_as_text(raw_gz: bytes, limit: int = MAX_RAW) -> str:
    """The start of the stored raw message as text (at most `limit` bytes unpacked)."""
    try:
        raw = zlib.decompressobj().decompress(raw_gz, limit)
    except zlib.error:
        return ""
    return decode_bytes(raw, "utf-8").replace("\r\n", "\n")
