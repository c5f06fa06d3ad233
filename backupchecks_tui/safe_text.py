"""Make mail-derived text safe to show in a terminal: no escape sequences, no bidi tricks.

Everything a mail or a server carries (subjects, job and object names, messages, bodies,
server error lines) passes through `clean` before it reaches a terminal, and is then
printed as plain text (never interpreted as Rich markup). The raw value stays stored as
it came, for matching and export: cleaning is for showing only.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

# ESC-introduced sequences: CSI (ESC [ … final), OSC (ESC ] … BEL or ST, e.g. OSC 52
# clipboard writes), DCS/SOS/PM/APC (ESC P|X|^|_ … ST), and two-byte escapes.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]            # CSI
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)? # OSC, terminated by BEL or ST (or cut off)
  | \x1b[PX^_][^\x1b]*(?:\x1b\\)?      # DCS, SOS, PM, APC
  | \x1b[@-Z\\-_]                      # other two-byte escapes
  | \x9b[0-?]*[ -/]*[@-~]              # 8-bit CSI
  | \x9d[^\x07\x9c]*(?:\x07|\x9c)?     # 8-bit OSC
    """,
    re.VERBOSE,
)
# C0 and C1 controls except tab and newline; DEL.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Characters a terminal does not show as themselves, made visible instead of obeyed:
# bidirectional overrides, isolates and marks (Trojan Source: text that reads otherwise
# than it is), and zero-width or invisible characters (they make two names look alike
# and shift table columns, as terminals and Rich disagree on their width): zero-width
# space/joiners, word joiner and invisible operators, BOM, soft hyphen, combining
# grapheme joiner, Mongolian vowel separator, interlinear annotations, tag characters.
_INVISIBLE_CLASS = (
    "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
    "\u200b-\u200d\u2060-\u2064\ufeff\u00ad\u034f\u180e\ufff9-\ufffb"
    "\U000e0000-\U000e007f"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_CLASS}]")
# HTML character references (`&#x202E;`, `&#8238;`, `&rlm;`): Markdown and HTML views
# decode them, so one that decodes to a control or an invisible character is shown as
# <U+XXXX> before it gets the chance.
_ENTITY = re.compile(r"&(?:#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|[A-Za-z][A-Za-z0-9]{1,31});")
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE_CLASS}\u2028\u2029]")


def _visible(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def _entity(match: re.Match[str]) -> str:
    decoded = html.unescape(match.group())
    if _UNSAFE.search(decoded):
        return "".join(f"<U+{ord(ch):04X}>" for ch in decoded)
    return match.group()


def clean(text: str) -> str:
    """`text` without terminal escape sequences or controls; bidi marks, zero-width
    characters and entities decoding to them shown as <U+XXXX>."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return _INVISIBLE.sub(_visible, text)


def _json_escape(match: re.Match[str]) -> str:
    # ensure_ascii writes the character as \uXXXX (a surrogate pair above U+FFFF).
    return json.dumps(match.group())[1:-1]


def json_dumps(data: Any, *, indent: int | None = 2) -> str:
    """`data` as JSON that is safe to print: readable non-ASCII text kept, but controls,
    C1, bidi and zero-width characters written as \\uXXXX escapes (the same values, so
    nothing is lost for a program reading it)."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _UNSAFE.sub(_json_escape, text)


def storable(text: str) -> str:
    """`text` without NUL characters, which PostgreSQL text columns cannot hold.

    The raw message is kept byte for byte elsewhere, so nothing is lost.
    """
    return text.replace("\x00", "") if "\x00" in text else text


def one_line(text: str, limit: int = 0) -> str:
    """`clean(text)` folded onto one line (and cut at `limit` with an ellipsis)."""
    folded = " ".join(clean(text).split())
    if limit and len(folded) > limit:
        return folded[: max(limit - 1, 0)] + "…"
    return folded
