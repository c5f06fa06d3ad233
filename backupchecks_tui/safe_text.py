"""Make mail-derived text safe to show in a terminal: no escape sequences, no bidi tricks.

Everything a mail carries (subjects, job and object names, messages, bodies) passes
through `clean` before it reaches a terminal, and is then printed as plain text
(never interpreted as Rich markup).
"""

from __future__ import annotations

import re

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
# Bidirectional overrides and isolates (Trojan Source), made visible instead of obeyed.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def clean(text: str) -> str:
    """`text` without terminal escape sequences or controls; bidi marks shown as <U+XXXX>."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


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
