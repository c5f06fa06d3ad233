"""Regexes written by users (parser rules, override text matches), compiled with RE2.

Python's `re` backtracks: a pattern such as `(a+)+$` takes exponential time on a line of
`a`s, so one pattern in the config or one override could hang `import`, `fetch` and the
override dialog forever. RE2 runs every pattern in time linear in the text, at the price
of the few constructs that need backtracking (back-references, look-around, atomic
groups, possessive repeats); those are refused at compile time with a sentence naming
the construct. Matching is case-insensitive, as before. Note that in RE2 `\\w`, `\\d`,
`\\s` and `\\b` are ASCII-only (use `\\pL`, `\\pN` or explicit classes for other scripts).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, TypeAlias

import re2

if TYPE_CHECKING:  # the stubs' generic names; at run time the classes are not generic
    Pattern: TypeAlias = re2._Regexp[str]
    Match: TypeAlias = re2._Match[str]

# RE2's own message (the text after the colon names the spot) → what it is in words.
_UNSUPPORTED = (
    ("invalid perl operator: (?P", "a named back-reference ((?P=name))"),
    ("invalid perl operator: (?=", "a look-ahead ((?=…))"),
    ("invalid perl operator: (?!", "a negative look-ahead ((?!…))"),
    ("invalid perl operator: (?<=", "a look-behind ((?<=…))"),
    ("invalid perl operator: (?<!", "a negative look-behind ((?<!…))"),
    ("invalid perl operator: (?>", "an atomic group ((?>…))"),
    ("invalid perl operator: (?#", "an inline comment ((?#…))"),
    ("bad repetition operator: *+", "a possessive repeat (*+, ++, ?+)"),
    ("bad repetition operator: ++", "a possessive repeat (*+, ++, ?+)"),
    ("bad repetition operator: ?+", "a possessive repeat (*+, ++, ?+)"),
    ("invalid escape sequence: \\Z", "\\Z (write \\z for the end of the text)"),
)


class UserRegexError(ValueError):
    """A user pattern RE2 cannot compile; the message is one plain sentence."""


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    # RE2 would also print every bad pattern to stderr, over the TUI or the CLI's output.
    options.log_errors = False
    return options


def _explain(detail: str) -> str:
    """What RE2 refused, in words (`detail`: RE2's message, e.g. `missing ]: [a`)."""
    words = next((w for prefix, w in _UNSUPPORTED if detail.startswith(prefix)), None)
    if words is None and detail.startswith("invalid escape sequence: \\") and detail[-1:].isdigit():
        words = "a back-reference (\\1 … \\9)"
    if words is None:
        return detail
    return f"it uses {words}, which user regexes do not support (they run on RE2, in linear time)"


@lru_cache(maxsize=512)
def compile_user(pattern: str, *, multiline: bool = False) -> Pattern:
    """`pattern` compiled case-insensitively with RE2 (`multiline`: ^ and $ at every line).

    Raises UserRegexError with one sentence naming unsupported syntax or the error.
    """
    source = f"(?m){pattern}" if multiline else pattern
    try:
        return re2.compile(source, _options())
    except re2.error as exc:
        detail = exc.args[0] if exc.args else ""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise UserRegexError(_explain(str(detail))) from None


def search(pattern: Pattern, text: str) -> Match | None:
    """`pattern.search(text)`; text that cannot be UTF-8 encoded (lone surrogates) has
    them replaced one for one first, so offsets stay those of `text`."""
    try:
        return pattern.search(text)
    except UnicodeEncodeError:
        return pattern.search(text.encode("utf-8", "replace").decode("utf-8"))
