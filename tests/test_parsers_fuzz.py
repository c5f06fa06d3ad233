"""Robustness: the parser registry survives broken, hostile and huge mails.

Truncated and byte-mutated golden mails, random bytes, mails that declare a wrong or
unknown charset and a 20 MB body must all come back as a `ParseResult` without raising.
No built-in parser may raise on any of them either (the registry would catch it, but a
parser that raises on garbage is a bug), and a parser that does raise is recorded by
name while the next parser is still tried.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import (
    IgnoreMail,
    MailView,
    Outcome,
    ParseResult,
    Registry,
    Report,
    Status,
    default_registry,
)

GOLDEN = Path(__file__).parent / "golden"
MAILS = sorted(p.with_suffix("") for p in GOLDEN.rglob("*.json") if p.with_suffix("").is_file())
RAW = {str(p.relative_to(GOLDEN)): p.read_bytes() for p in MAILS}
NAMES = sorted(RAW)
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CHARSETS = [
    "x-unknown-42",
    "utf-16",
    "utf-7",
    "iso-2022-jp",
    "us-ascii",
    "windows-1252",
    "koi8-r",
    "",
    "b\u00e4d",
]


def _check_no_parser_raises(raw: bytes) -> ParseResult:
    """Parse `raw` through the registry and then every matching parser on its own."""
    registry = default_registry()
    result = registry.parse_bytes(raw)
    assert isinstance(result, ParseResult)
    try:
        mail = MailView.from_bytes(raw)
    except (AttributeError, ValueError):
        # Should MailView ever fail to decode, the registry turns it into an
        # "unreadable mail" error instead of raising, which is all this check can ask.
        assert result.outcome is Outcome.ERROR
        assert result.reason.startswith("unreadable mail")
        return result
    for parser in registry.parsers:
        if not parser.matches(mail):
            continue
        try:
            reports = parser.parse(mail)
        except IgnoreMail:
            continue
        assert isinstance(reports, list)
        assert all(isinstance(r, Report) for r in reports), parser.name
    return result


def test_there_are_golden_mails_to_fuzz() -> None:
    """The fuzz tests below have material."""
    assert len(NAMES) >= 10


@FUZZ
@given(name=st.sampled_from(NAMES), cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_golden_mails(name: str, cut: float) -> None:
    """A golden mail cut off anywhere still parses to a result without raising."""
    raw = RAW[name]
    _check_no_parser_raises(raw[: int(len(raw) * cut)])


@FUZZ
@given(
    name=st.sampled_from(NAMES),
    edits=st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=1.0), st.integers(0, 255)), max_size=20
    ),
)
def test_byte_mutated_golden_mails(name: str, edits: list[tuple[float, int]]) -> None:
    """Golden mails with random bytes overwritten still parse without raising."""
    raw = bytearray(RAW[name])
    for where, value in edits:
        if raw:
            raw[min(int(where * len(raw)), len(raw) - 1)] = value
    _check_no_parser_raises(bytes(raw))


@FUZZ
@given(raw=st.binary(max_size=4096))
def test_random_bytes(raw: bytes) -> None:
    """Arbitrary bytes are a result (mostly unparsed), never an exception."""
    _check_no_parser_raises(raw)


@FUZZ
@given(
    name=st.sampled_from(NAMES),
    charset=st.sampled_from(CHARSETS),
    encoding=st.sampled_from(["8bit", "base64", "quoted-printable", "x-bogus"]),
)
def test_wrong_and_unknown_charsets(name: str, charset: str, encoding: str) -> None:
    """A golden body re-sent under a wrong or unknown charset/encoding never raises."""
    mail = MailView.from_bytes(RAW[name])
    body = (mail.text or mail.html or RAW[name].decode("latin-1")).encode("utf-8")
    headers = (
        "From: Backup <backup@example.com>\r\n"
        f"Subject: {mail.subject or 'report'}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: text/plain; charset="{charset}"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("utf-8", "replace")
    _check_no_parser_raises(headers + body)


@FUZZ
@given(charset=st.sampled_from(CHARSETS), body=st.binary(max_size=2048))
def test_random_bodies_under_declared_charsets(charset: str, body: bytes) -> None:
    """Random bytes declared in any charset, as text and as HTML, never raise."""
    for ctype in ("text/plain", "text/html"):
        head = f"Subject: =?{charset or 'x'}?B?//79?=\r\nContent-Type: {ctype}; charset={charset}"
        _check_no_parser_raises(head.encode("utf-8", "replace") + b"\r\n\r\n" + body)


def test_charset_with_embedded_nul_decodes_with_fallback() -> None:
    """A declared charset containing NUL should fall back like any unknown charset."""
    raw = b'Subject: x\r\nContent-Type: text/plain; charset="utf-8\x00"\r\n\r\nbody\r\n'
    assert MailView.from_bytes(raw).text.strip() == "body"


def test_non_ascii_message_id_is_read() -> None:
    """A Message-ID holding a raw non-ASCII byte should not make the mail unreadable."""
    raw = b"Subject: x\r\nMessage-ID: <\x80abc@example.com>\r\n\r\nbody\r\n"
    assert MailView.from_bytes(raw).text.strip() == "body"


@pytest.mark.parametrize("filler", ["plain", "golden"])
def test_twenty_megabyte_body(filler: str) -> None:
    """A 20 MB body (filler text, or golden bodies repeated) is parsed in bounded time."""
    if filler == "plain":
        body = b"lorem ipsum dolor sit amet " * (20 * 1024 * 1024 // 27)
    else:
        sample = b"\n".join(RAW[name] for name in NAMES if not name.endswith(".eml"))
        body = sample * (20 * 1024 * 1024 // max(len(sample), 1) + 1)
    raw = b"From: backup@example.com\r\nSubject: big report\r\n\r\n" + body
    started = time.monotonic()
    result = _check_no_parser_raises(raw)
    assert result.outcome in set(Outcome)
    assert time.monotonic() - started < 120


class _FakeParser:
    """A tiny parser for registry tests: matches everything, then reports or raises."""

    version = "0"
    product = "fake"

    def __init__(self, name: str, priority: int, *, fail_in: str = "") -> None:
        """A fake named `name` that raises in `fail_in` ('matches', 'parse' or nowhere)."""
        self.name = name
        self.priority = priority
        self.fail_in = fail_in

    def matches(self, mail: MailView) -> bool:  # noqa: ARG002 - the protocol's signature
        """True, unless told to raise here."""
        if self.fail_in == "matches":
            raise RuntimeError(f"{self.name} cannot tell")
        return True

    def parse(self, mail: MailView) -> list[Report]:  # noqa: ARG002 - the protocol's signature
        """One success report, unless told to raise here."""
        if self.fail_in == "parse":
            raise ValueError(f"{self.name} broke")
        return [Report("fake", "backup", "job", "host", Status.SUCCESS)]


RAW_MAIL = b"From: a@example.com\r\nSubject: s\r\n\r\nbody\r\n"


@pytest.mark.parametrize("fail_in", ["matches", "parse"])
def test_raising_parser_is_skipped_for_the_next(fail_in: str) -> None:
    """A parser that raises does not lose the mail: the next parser still parses it."""
    registry = Registry(
        [_FakeParser("good", priority=2), _FakeParser("boom", priority=1, fail_in=fail_in)]
    )
    result = registry.parse_bytes(RAW_MAIL)
    assert (result.outcome, result.parser) == (Outcome.PARSED, "good")


@pytest.mark.parametrize("fail_in", ["matches", "parse"])
def test_raising_parser_is_recorded_as_error(fail_in: str) -> None:
    """When no parser succeeds, the outcome is error, naming the parser and exception."""
    registry = Registry(
        [_FakeParser("boom", priority=1, fail_in=fail_in), _FakeParser("bang", 2, fail_in="parse")]
    )
    result = registry.parse_bytes(RAW_MAIL)
    assert result.outcome is Outcome.ERROR
    assert result.parser == "boom"
    assert "boom: " in result.reason
    assert "bang: ValueError: bang broke" in result.reason
