"""The parser registry: finds the product parsers and tries them on a mail in order."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Sequence

from parsers.mailview import MailView
from parsers.model import IgnoreMail, Outcome, Parser, ParseResult


class Registry:
    """An ordered list of parsers; the first that matches and parses wins.

    A parser that raises is recorded (name and exception) and the next one is tried, so
    one broken parser never loses a mail. When every matching parser failed, the outcome
    is ERROR with the reasons; when none matched, UNPARSED.
    """

    def __init__(self, parsers: Iterable[Parser]) -> None:
        self.parsers: list[Parser] = sorted(parsers, key=lambda p: (p.priority, p.name))

    def with_parsers(self, extra: Sequence[Parser]) -> Registry:
        """A registry with `extra` parsers (user rules) added, order by priority."""
        return Registry([*self.parsers, *extra])

    def parse(self, mail: MailView) -> ParseResult:
        """Run the parsers over `mail` and return the outcome."""
        errors: list[str] = []
        first_error: Parser | None = None
        for parser in self.parsers:
            try:
                if not parser.matches(mail):
                    continue
                reports = parser.parse(mail)
            except IgnoreMail as ignored:
                return ParseResult(Outcome.IGNORED, parser.name, parser.version, ignored.reason)
            except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the mail
                errors.append(f"{parser.name}: {type(exc).__name__}: {exc}")
                first_error = first_error or parser
                continue
            if reports:
                return ParseResult(Outcome.PARSED, parser.name, parser.version, "", reports)
            errors.append(f"{parser.name}: recognised the mail but found no report in it")
            first_error = first_error or parser
        if first_error is not None:
            return ParseResult(
                Outcome.ERROR, first_error.name, first_error.version, "; ".join(errors)
            )
        return ParseResult(Outcome.UNPARSED, reason=_unparsed_reason(mail))

    def parse_bytes(self, raw: bytes) -> ParseResult:
        """Parse raw mail bytes (never raises)."""
        try:
            mail = MailView.from_bytes(raw)
        except Exception as exc:  # noqa: BLE001 - stdlib email can still trip on odd input
            return ParseResult(Outcome.ERROR, reason=f"unreadable mail: {exc}")
        return self.parse(mail)


def _unparsed_reason(mail: MailView) -> str:
    subject = mail.subject or "(no subject)"
    sender = mail.from_addr or "(no sender)"
    return f"no parser recognised this mail (from {sender}, subject {subject!r})"


def discover() -> list[Parser]:
    """Every parser in the `parsers.products` package (each module lists its `PARSERS`)."""
    from parsers import products  # noqa: PLC0415 - keeps start-up import light

    found: list[Parser] = []
    for info in pkgutil.iter_modules(products.__path__):
        module = importlib.import_module(f"{products.__name__}.{info.name}")
        found.extend(getattr(module, "PARSERS", ()))
    return found


_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The registry of all built-in parsers (built once)."""
    global _DEFAULT  # noqa: PLW0603 - a process-wide cache of immutable parsers
    if _DEFAULT is None:
        _DEFAULT = Registry(discover())
    return _DEFAULT
