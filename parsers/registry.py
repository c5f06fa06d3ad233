"""The parser registry: finds the product parsers and tries them on a mail in order."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Sequence
from dataclasses import replace

from parsers.mailview import MailView
from parsers.model import IgnoreMail, Outcome, Parser, ParseResult, Status


class Registry:
    """An ordered list of parsers; the first that matches and parses wins, unless worse.

    A parser that raises is recorded (name and exception) and the next one is tried, so
    one broken parser never loses a mail. When every matching parser failed, the outcome
    is ERROR with the reasons; when none matched, UNPARSED.

    Every matching parser reads the mail, not only the first: when a later parser finds
    a worse run in it (a failure behind another product's success text, or behind a
    notice the first parser ignores), the worse reading wins, so appended or quoted text
    of another product can never turn a failure into a success or hide it as ignored.
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
        verdicts: list[ParseResult] = []
        for parser in self.parsers:
            try:
                if not parser.matches(mail):
                    continue
                reports = parser.parse(mail)
            except IgnoreMail as ignored:
                verdicts.append(
                    ParseResult(Outcome.IGNORED, parser.name, parser.version, ignored.reason)
                )
                continue
            except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the mail
                errors.append(f"{parser.name}: {type(exc).__name__}: {exc}")
                first_error = first_error or parser
                continue
            if reports:
                verdicts.append(
                    ParseResult(Outcome.PARSED, parser.name, parser.version, "", reports)
                )
                continue
            errors.append(f"{parser.name}: recognised the mail but found no report in it")
            first_error = first_error or parser
        if verdicts:
            return _unproven_if_doubted(_worst_verdict(verdicts), errors)
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


def _severity(verdict: ParseResult) -> int:
    """How bad a verdict is: the rank of its worst report (an ignored mail ranks as success)."""
    return Status.worst([r.status for r in verdict.reports]).rank


def _worst_verdict(verdicts: list[ParseResult]) -> ParseResult:
    """The first verdict (in parser order) unless a later one reads a worse run.

    The chosen reading says in its reason which parser's milder reading it overrode, so
    the operator sees why, e.g., a Veeam failure won over an appended Amanda success.
    """
    first = verdicts[0]
    worst = max(verdicts, key=_severity)  # max keeps the earliest of equal severity
    if _severity(worst) <= _severity(first):
        return first
    if first.outcome is Outcome.PARSED:
        milder = f"read it as {Status.worst([r.status for r in first.reports]).value}"
    else:
        milder = "ignored it"
    worst.reason = f"{first.parser} {milder}, but {worst.parser} found a worse run in it"
    return worst


def _unproven_if_doubted(verdict: ParseResult, errors: list[str]) -> ParseResult:
    """`verdict`, with a success turned into a warning when another parser broke on the mail.

    A parser that recognised the mail as its own but could not read it (or raised) leaves
    evidence nobody accounted for: the run may have failed in a way only that parser knows.
    """
    if verdict.outcome is not Outcome.PARSED or not errors:
        return verdict
    doubt = f"success not proven: {'; '.join(errors)}"
    verdict.reports = [
        replace(r, status=Status.WARNING, message=f"{r.message} ({doubt})" if r.message else doubt)
        if r.status is Status.SUCCESS
        else r
        for r in verdict.reports
    ]
    verdict.reason = "; ".join(filter(None, (verdict.reason, doubt)))
    return verdict


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
