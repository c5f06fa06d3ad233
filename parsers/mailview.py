"""A read-only, decoded view of one mail (headers, text and HTML body) for the parsers.

Built from raw bytes with the stdlib `email` package in its fast compat32 mode; every
decoding step falls back instead of raising, so a broken mail still yields a view.
A file without mail headers (a saved report body) becomes a view with only a text body.
"""

from __future__ import annotations

import email
import email.header
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

_KNOWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "received",
        "return-path",
        "mime-version",
        "content-type",
        "delivered-to",
        "reply-to",
        "cc",
        "sender",
        "x-mailer",
        "user-agent",
        "auto-submitted",
    }
)
_MBOX_FROM = re.compile(rb"^From \S+.*\r?\n")
_HEADERISH = re.compile(rb"^[A-Za-z0-9-]{1,76}:(?:[ \t]|$)")


def decode_header(value: str | None) -> str:
    """Decode an RFC 2047 header into text; never raises."""
    if not value:
        return ""
    if "=?" not in value:  # no encoded word (the stdlib would return it as it is)
        return " ".join(value.split())
    try:
        parts = email.header.decode_header(value)
    except Exception:  # noqa: BLE001 - a malformed header is shown as it came
        return " ".join(str(value).split())
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset))
        else:
            out.append(chunk)
    return " ".join("".join(out).split())


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode `data` with `charset`, falling back to UTF-8 and then Latin-1."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("latin-1")


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encoding: keep what is there
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    if not isinstance(payload, bytes):
        return str(payload)
    return decode_bytes(payload, part.get_content_charset())


def _header(msg: Message, name: str) -> str:
    """A header as str (compat32 returns Header objects for raw non-ASCII bytes)."""
    value = msg.get(name)
    return str(value) if value is not None else ""


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed


def looks_like_headers(raw: bytes) -> bool:
    """Whether `raw` starts with RFC 822 headers (at least one well-known header)."""
    head = _MBOX_FROM.sub(b"", raw[:8192], count=1)
    names: set[str] = set()
    for line in head.splitlines():
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue
        if not _HEADERISH.match(line):
            return False
        names.add(line.split(b":", 1)[0].decode("ascii", "replace").lower())
    return bool(names & _KNOWN_HEADERS)


@dataclass(frozen=True, slots=False)
class MailView:
    """The decoded parts of a mail that parsers read."""

    subject: str = ""
    from_addr: str = ""
    from_name: str = ""
    to: str = ""
    date: datetime | None = None
    message_id: str = ""
    text: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    has_headers: bool = True
    defects: tuple[str, ...] = ()

    @classmethod
    def from_bytes(cls, raw: bytes) -> MailView:
        """Build a view from raw RFC 822 bytes, an mbox entry or a bare report body."""
        if not looks_like_headers(raw):
            body = decode_bytes(raw, "utf-8").replace("\r\n", "\n")
            return cls(text=body, has_headers=False)
        raw = _MBOX_FROM.sub(b"", raw, count=1)
        msg = email.message_from_bytes(raw)
        return cls.from_message(msg)

    @classmethod
    def from_message(cls, msg: Message) -> MailView:
        """Build a view from a parsed stdlib message."""
        text_parts: list[str] = []
        html_parts: list[str] = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            disposition = (part.get("Content-Disposition") or "").lower()
            if disposition.startswith("attachment"):
                continue
            ctype = part.get_content_type()
            if ctype == "text/plain":
                text_parts.append(_part_text(part))
            elif ctype == "text/html":
                html_parts.append(_part_text(part))
        from_name, from_addr = email.utils.parseaddr(decode_header(_header(msg, "From")))
        headers = {k.lower(): decode_header(str(v)) for k, v in msg.items()}
        defects = tuple(type(d).__name__ for d in msg.defects)
        return cls(
            subject=decode_header(_header(msg, "Subject")),
            from_addr=from_addr.lower(),
            from_name=from_name,
            to=decode_header(_header(msg, "To")),
            date=_parse_date(_header(msg, "Date")),
            message_id=_header(msg, "Message-ID").strip(),
            text="\n".join(text_parts).replace("\r\n", "\n"),
            html="\n".join(html_parts),
            headers=headers,
            defects=defects,
        )

    @cached_property
    def html_tree(self) -> LexborHTMLParser | None:
        """The parsed HTML body (selectolax lexbor), or None without one."""
        if not self.html.strip():
            return None
        from selectolax.lexbor import LexborHTMLParser  # noqa: PLC0415 - lazy: costs ~10 ms

        return LexborHTMLParser(self.html)

    @cached_property
    def html_text(self) -> str:
        """The HTML body rendered as plain text (table cells separated by ' | ')."""
        from parsers.htmltext import html_to_text  # noqa: PLC0415 - avoids an import cycle

        tree = self.html_tree
        return html_to_text(tree) if tree is not None else ""

    @property
    def body(self) -> str:
        """The text body, or the HTML body as text when there is no text part."""
        return self.text if self.text.strip() else self.html_text

    @property
    def sender_domain(self) -> str:
        """The domain of the From address (lowercase, may be empty)."""
        return self.from_addr.rpartition("@")[2]
