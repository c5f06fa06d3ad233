"""Synthetic hostile test mails (named so; not real reports): every kind of text a mail can
use to reach a terminal as something other than text.

Each payload carries a unique marker (`MK-…`), so a test on what the app writes to the
terminal can tell the mail's bytes from the app's own escape sequences.
"""

from __future__ import annotations

import base64

# The raw, hostile pieces. What they would do if a terminal got them as they are:
MARKUP = "[bold]MK-MARKUP[/] [/] [red]"  # Rich markup: styles, or a MarkupError on `[/]`
CSI = "\x1b[2J\x1b[99;199H\x1b[31;5mMK-CSI"  # clear screen, move the cursor, blink red
ALT_SCREEN = "\x1b[?1049lMK-ALT"  # leave the alternate screen
OSC52 = "\x1b]52;c;" + base64.b64encode(b"MK-CLIPBOARD").decode() + "\x07"  # clipboard write
OSC8 = "\x1b]8;;https://evil.example/MK-LINK\x1b\\click\x1b]8;;\x1b\\"  # hidden hyperlink
TITLE = "\x1b]0;MK-TITLE\x07\x1b]2;MK-TITLE\x1b\\"  # window title
C1 = "\u009b2J\u009d0;MK-C1-TITLE\u009c\u0090MK-C1"  # 8-bit CSI / OSC, DCS
BIDI = "\u202eMK-BIDI\u202c\u2066x\u2069"  # right-to-left override, isolates
ZERO_WIDTH = "MK\u200b-\u200dZW\ufeff\u2060"  # zero-width space, joiner, BOM, word joiner
ENTITIES = "&#x202E;MK-ENT&#8207;&rlm;&#x200B;&zwj;"  # decode to bidi / zero-width
HOSTILE_SENDER = "backup@mk-dom[/]\u202e\u200b\x1b[31m.example"
LONG_LINE = "MK-LONG " + "x" * 10_000  # one 10,000-character line

EVERYTHING = MARKUP + CSI + ALT_SCREEN + OSC52 + OSC8 + TITLE + C1 + BIDI + ZERO_WIDTH + ENTITIES

FORBIDDEN_CHARACTERS = "\u202e\u202c\u2066\u2069\u200b\u200d\ufeff\u2060\u200f" + "".join(
    chr(c) for c in range(0x80, 0xA0)
)
"""Characters of the payloads that must never reach the terminal (C1, bidi, zero-width):
the app's own output never contains them, so any occurrence came from a mail."""

CLIPBOARD_B64 = base64.b64encode(b"MK-CLIPBOARD").decode()


def _word(text: str) -> str:
    """`text` as an RFC 2047 encoded word (how a mail carries any byte in a header)."""
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def hostile_report(n: int, status: str, payload: str, *, sender: str = "") -> bytes:
    """A synthetic report (for tests.mailfactory.SyntheticParser) whose job name, object
    names, object messages and body carry `payload`."""
    job = f"job{n} {payload}"
    # A hostile sender hides in an encoded word: it is decoded before the address is
    # read, so the address (and the customer suggested from its domain) carries it.
    sender_line = (
        _word(f"Hostile <{sender}>")
        if sender
        else f"{_word('Hostile ' + payload)} <backup@hostile-{n}.example>"
    )
    body = (
        f"Synthetic hostile report {n}\n"
        f"object vm-{n} {payload}: {status}\n"
        f"object ok-{n}: success\n"
        f"{payload}\n{LONG_LINE}\n"
    )
    return (
        f"From: {sender_line}\r\n"
        f"To: reports@msp.example\r\n"
        f"Subject: {_word(f'[synthetic] {status} {job}')}\r\n"
        f"Date: Mon, 23 Nov 2026 0{n % 10}:00:00 +0000\r\n"
        f"Message-ID: <hostile-{n}@test.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
    ).encode()


def hostile_unparsed(n: int, payload: str) -> bytes:
    """A synthetic mail no parser reads (it lands in the Inbox), hostile everywhere."""
    body = f"Not a report {n}\n{payload}\n{LONG_LINE}\n"
    return (
        f"From: {_word(payload)} <news@hostile-{n}.example>\r\n"
        f"To: {_word(payload)}\r\n"
        f"Subject: {_word(f'Offer {n} {payload}')}\r\n"
        f"Message-ID: <hostile-unparsed-{n}@test.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
    ).encode()


def hostile_html(n: int, payload: str) -> bytes:
    """A synthetic HTML-only mail for the Inbox (entities decode when rendered)."""
    html = f"<html><body><p>HTML {n} {payload}</p><p>&#x202E;MK-HTML-ENT</p></body></html>"
    return (
        f"From: html@hostile-{n}.example\r\n"
        f"Subject: HTML offer {n}\r\n"
        f"Message-ID: <hostile-html-{n}@test.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(html.encode()).decode().replace("\n", "\r\n")
    ).encode()


def all_hostile_mails() -> list[bytes]:
    """The set: a failed, a warning and a successful report, two unparsed mails, one HTML."""
    return [
        hostile_report(1, "failed", EVERYTHING),
        hostile_report(2, "warning", EVERYTHING, sender=HOSTILE_SENDER),
        hostile_report(3, "success", MARKUP + ZERO_WIDTH + BIDI),
        hostile_unparsed(4, EVERYTHING),
        hostile_html(5, EVERYTHING),
    ]
