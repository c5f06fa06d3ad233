"""Fail-safe parsing: a damaged failed or warning report never becomes success or ignored.

For every product (one golden folder each) and every golden mail of it that reports a
failure or a warning, three kinds of damage are applied: (a) a failure line in the
product's own wording (taken from that product's own failed and warning golden mails) is
inserted anywhere, (b) one character of the subject or of a title, header or count line is
changed, dropped or doubled, (c) the body of another product's successful golden mail is
appended. The registry may then read the mail as failed or warning, or leave it for the
Inbox (unparsed, error), but never as success and never as ignored.

Each property runs 60 examples per product; set BACKUPCHECKS_FAILSAFE_EXAMPLES to run
more (a deeper search before a release, or after changing a parser).
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from functools import cache
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
from parsers.textutil import problem_line

GOLDEN = Path(__file__).parent / "golden"
PROPERTY = settings(
    max_examples=int(os.environ.get("BACKUPCHECKS_FAILSAFE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Words that mark a failure or warning line in the languages the golden mails come in.
_BAD_WORD = re.compile(
    r"fail|error|fatal|abort|warn|fehl|fejl|advarsel|interrupt|skipped|missed|not ok|"
    r"unsuccessful|unable|cannot|could not|differences|problem|alert|partial",
    re.I,
)
# Failure lines for products whose golden failed/warning mails hold none of their own
# (the Bacula mail is a cut-off warning); written in the format's documented wording.
_OWN_FAILURE_LINES = {
    "bacula": (
        "  Termination:            *** Backup Error ***",
        "baculasrv-dir JobId 1: Error: Bacula cannot write on device",
    ),
}
# A count of nothing ('Error | 0', 'Warnings: 0') is no failure line, wherever it came from.
_ZERO = re.compile(
    r"\b(?:error|warning|failed|failure|fehler|warnung|fejl)s?\s*[|:]?\s*0(?![\d.,])", re.I
)
# Lines worth damaging: the ones a parser reads its verdict from (titles, headers, counts,
# status words, labelled fields, table rows).
_STRUCTURAL = re.compile(r"\d|:|\||\b[A-Z]{3,}\b|" + _BAD_WORD.pattern, re.I)


def _expected(mail: Path) -> dict[str, object]:
    """The golden JSON of `mail`."""
    data: dict[str, object] = json.loads(mail.with_name(mail.name + ".json").read_text())
    return data


def _statuses(mail: Path) -> list[str]:
    """The report statuses the golden JSON of `mail` expects."""
    reports = _expected(mail)["reports"]
    assert isinstance(reports, list)
    return [str(r["status"]) for r in reports]


MAILS = sorted(p.with_suffix("") for p in GOLDEN.rglob("*.json") if p.with_suffix("").is_file())
BAD = [m for m in MAILS if any(s != "success" for s in _statuses(m))]
GOOD = [m for m in MAILS if _statuses(m) and all(s == "success" for s in _statuses(m))]
PRODUCTS = sorted({m.parent.name for m in BAD})


@cache
def _view(mail: Path) -> MailView:
    """The parsed golden mail (cached: the views are immutable)."""
    return MailView.from_bytes(mail.read_bytes())


def _body_lines(view: MailView) -> list[str]:
    """The lines of the body a parser reads."""
    return view.body.splitlines()


@cache
def _failure_lines(product: str) -> tuple[str, ...]:
    """Failure and warning lines in `product`'s own wording, from its own golden mails."""
    lines = {
        line.strip()
        for mail in BAD
        if mail.parent.name == product
        for line in _body_lines(_view(mail))
        if _BAD_WORD.search(line) and not _ZERO.search(line) and len(line.strip()) < 200
    }
    return tuple(sorted(lines)) + _OWN_FAILURE_LINES.get(product, ())


def _with_body(view: MailView, text: str, extra_html: str = "") -> MailView:
    """`view` with its text body replaced (and `extra_html` added to an HTML body)."""
    if view.text.strip():
        return dataclasses.replace(view, text=text)
    if extra_html:
        return dataclasses.replace(view, html=view.html + extra_html)
    return dataclasses.replace(view, text=text)


def _insert_line(view: MailView, line: str, where: float) -> MailView:
    """`view` with `line` inserted at relative position `where` of its body."""
    if not view.text.strip() and view.html:
        # An HTML body: the line becomes a paragraph between two tags of the body (in
        # the head, a title or a style it would be no text a reader sees).
        body = re.search(r"<body[^>]*>", view.html, re.I)
        offset = body.end() if body else 0
        tags = [m.end() for m in re.finditer(">", view.html[offset:])]
        tags = [offset + t for t in tags] or [len(view.html)]
        at = tags[min(int(where * len(tags)), len(tags) - 1)]
        html_body = view.html[:at] + f"<p>{html.escape(line)}</p>" + view.html[at:]
        return dataclasses.replace(view, html=html_body)
    lines = view.text.splitlines()
    at = min(int(where * (len(lines) + 1)), len(lines))
    return dataclasses.replace(view, text="\n".join([*lines[:at], line, *lines[at:]]))


def _typo(text: str, where: float, kind: int) -> str:
    """`text` with one letter changed (kind 0), dropped (1) or doubled (2)."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if not letters:
        return text
    i = letters[min(int(where * len(letters)), len(letters) - 1)]
    if kind == 0:
        return text[:i] + ("x" if text[i].lower() != "x" else "q") + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def _damage(view: MailView, pick: float, where: float, kind: int) -> MailView:
    """`view` with a typo in its subject or in one title, header or count line."""
    source = view.text if view.text.strip() or not view.html else view.html_text
    lines = source.splitlines()
    targets = [i for i, line in enumerate(lines) if _STRUCTURAL.search(line)]
    choices = len(targets) + (1 if view.subject else 0)
    if not choices:
        return view
    k = min(int(pick * choices), choices - 1)
    if k == len(targets):
        return dataclasses.replace(view, subject=_typo(view.subject, where, kind))
    lines[targets[k]] = _typo(lines[targets[k]], where, kind)
    if view.text.strip() or not view.html:
        return dataclasses.replace(view, text="\n".join(lines))
    # An HTML-only mail: the damaged line is found in the HTML and replaced there.
    original = source.splitlines()[targets[k]]
    damaged = _damaged_html(view.html, original, lines[targets[k]])
    return dataclasses.replace(view, html=damaged)


def _damaged_html(markup: str, original: str, damaged: str) -> str:
    """`markup` with the text cell(s) of `original` replaced by those of `damaged`."""
    for old, new in zip(original.split(" | "), damaged.split(" | "), strict=False):
        if old != new and old.strip():
            escaped = html.escape(old.strip(), quote=False)
            for needle in (old.strip(), escaped):
                if needle in markup:
                    return markup.replace(needle, html.escape(new.strip(), quote=False), 1)
    return markup


def _append(view: MailView, other: MailView) -> MailView:
    """`view` with the body of `other` appended (as text, and as HTML to an HTML body)."""
    tail = other.body
    extra = other.html or f"<pre>{html.escape(tail)}</pre>"
    return _with_body(view, view.text + "\n\n" + tail, extra_html=extra)


def _assert_not_good(result: ParseResult, what: str) -> None:
    """The damaged mail is neither ignored nor read as success."""
    assert result.outcome is not Outcome.IGNORED, f"{what}: ignored ({result.reason})"
    if result.outcome is Outcome.PARSED:
        worst = Status.worst([r.status for r in result.reports])
        assert worst is not Status.SUCCESS, f"{what}: read as success by {result.parser}"


def _bad_mails(product: str) -> list[Path]:
    """The failed or warning golden mails of `product`."""
    return [m for m in BAD if m.parent.name == product]


def _id(mail: Path) -> str:
    return str(mail.relative_to(GOLDEN))


def test_every_product_has_damage_material() -> None:
    """Each product with failed/warning mails has failure lines to insert."""
    assert PRODUCTS
    for product in PRODUCTS:
        assert _failure_lines(product), product


@pytest.mark.parametrize("mail", BAD, ids=_id)
def test_undamaged_bad_golden_mail_is_not_success(mail: Path) -> None:
    """The starting point holds: the failed or warning mail itself is not success."""
    _assert_not_good(default_registry().parse(_view(mail)), _id(mail))


@pytest.mark.parametrize("product", PRODUCTS)
@PROPERTY
@given(data=st.data())
def test_inserted_failure_line_never_gives_success(product: str, data: st.DataObject) -> None:
    """(a) A failure line of the product's own, inserted anywhere, never yields success."""
    mail = data.draw(st.sampled_from(_bad_mails(product)), label="mail")
    line = data.draw(st.sampled_from(_failure_lines(product)), label="line")
    where = data.draw(st.floats(0.0, 1.0), label="where")
    damaged = _insert_line(_view(mail), line, where)
    _assert_not_good(default_registry().parse(damaged), f"{_id(mail)} + {line!r}")


@pytest.mark.parametrize("product", PRODUCTS)
@PROPERTY
@given(data=st.data())
def test_damaged_header_never_gives_success(product: str, data: st.DataObject) -> None:
    """(b) A typo in the subject or a title, header or count line never yields success."""
    mail = data.draw(st.sampled_from(_bad_mails(product)), label="mail")
    pick = data.draw(st.floats(0.0, 1.0), label="pick")
    where = data.draw(st.floats(0.0, 1.0), label="where")
    kind = data.draw(st.integers(0, 2), label="kind")
    damaged = _damage(_view(mail), pick, where, kind)
    _assert_not_good(default_registry().parse(damaged), f"{_id(mail)} damaged")


@pytest.mark.parametrize("product", PRODUCTS)
@PROPERTY
@given(data=st.data())
def test_appended_other_success_never_wins(product: str, data: st.DataObject) -> None:
    """(c) Another product's success mail appended to a failed one never yields success."""
    mail = data.draw(st.sampled_from(_bad_mails(product)), label="mail")
    others = [m for m in GOOD if m.parent.name != product]
    other = data.draw(st.sampled_from(others), label="other")
    damaged = _append(_view(mail), _view(other))
    _assert_not_good(default_registry().parse(damaged), f"{_id(mail)} + {_id(other)}")


def _edited(mail: str, old: str, new: str) -> MailView:
    """Golden `mail` with the first `old` in its subject or body replaced by `new`."""
    view = _view(GOLDEN / mail)
    if old in view.subject:
        return dataclasses.replace(view, subject=view.subject.replace(old, new, 1))
    assert old in view.text, f"{old!r} not in {mail}"
    return dataclasses.replace(view, text=view.text.replace(old, new, 1))


# The cases the issue names, each a failed or warning golden mail with one edit that the
# parsers used to read as success or ignored.
NAMED_CASES = {
    "pbs-subject-worded-differently": (
        "proxmox-backup-server/pbs-gc-failed-synthetic.eml",
        "Garbage Collect Datastore 'store2' failed",
        "Garbage collection of datastore 'store2' failed",
    ),
    "amanda-failure-summary-typo": (
        "amanda/amreport-retried-failure-summary.txt",
        "FAILURE DUMP SUMMARY:",
        "FAILURE DUMP SUMAMRY:",
    ),
    "hyperv-log-level-typo": (
        "hyperv-backup-utility/issue-27-comment-subject-9-of-9-with-error.txt",
        "[ERROR]",
        "[EROR]",
    ),
    "urbackup-count-line-typo": (
        "urbackup/urbackup-incremental-file-success-1warning-synthetic.eml",
        "1 warning,",
        "1 warnng,",
    ),
    "bareos-termination-typo": (
        "bareos/hyperv-restore-ok-with-warnings-partial.txt",
        "Restore OK -- with warnings",
        "Restore OK -- with warnxngs",
    ),
    "nakivo-subject-typo": (
        "nakivo/replication-warning-synthetic.eml",
        "completed with warnings",
        "completed with wxrnings",
    ),
    "burp-saved-body-warning-typo": (
        "burp/issue-814-backup-succeeded-body-partial.txt",
        "WARNING: Client",
        "WxRNING: Client",
    ),
    "xen-orchestra-global-status-typo": (
        "xen-orchestra/issue-3163-backupng-report-interrupted-7of7-header-partial.txt",
        "Global status:",
        "GGlobal status:",
    ),
}


@pytest.mark.parametrize("case", sorted(NAMED_CASES))
def test_named_damage_is_not_success_or_ignored(case: str) -> None:
    """Each damage the issue names leaves a failed or warning mail not success, not ignored."""
    mail, old, new = NAMED_CASES[case]
    _assert_not_good(default_registry().parse(_edited(mail, old, new)), case)


def test_reworded_pbs_failure_is_read_as_failed() -> None:
    """A PBS failure under an unknown subject wording is a failure from its body sentence."""
    mail, old, new = NAMED_CASES["pbs-subject-worded-differently"]
    result = default_registry().parse(_edited(mail, old, new))
    assert result.outcome is Outcome.PARSED
    assert [r.status for r in result.reports] == [Status.FAILED]
    assert "Garbage collection failed" in result.reports[0].message


def test_pbs_notice_is_still_ignored() -> None:
    """A PBS tape load request (positively a notice) stays ignored."""
    mail = GOLDEN / "proxmox-backup-server/pbs-tape-load-request-ignored-synthetic.eml"
    assert default_registry().parse(_view(mail)).outcome is Outcome.IGNORED


def test_appended_amanda_success_does_not_beat_a_veeam_failure() -> None:
    """A failed Veeam mail with an Amanda success report appended stays a Veeam failure."""
    failed = _view(GOLDEN / "veeam/backup-failed-synthetic.eml")
    success = _view(GOLDEN / "amanda/amreport-normal-rpt1-success.txt")
    result = default_registry().parse(_append(failed, success))
    assert result.parser == "veeam"
    assert [r.status for r in result.reports] == [Status.FAILED]
    assert "amanda read it as" in result.reason


class _Fixed:
    """A parser for registry tests: matches every mail and reads one fixed verdict."""

    version = "0"
    product = "fixed"

    def __init__(self, name: str, priority: int, status: Status | None) -> None:
        """A parser named `name` reading `status` (None: it ignores the mail)."""
        self.name = name
        self.priority = priority
        self.status = status

    def matches(self, mail: MailView) -> bool:  # noqa: ARG002 - the protocol's signature
        """Every mail."""
        return True

    def parse(self, mail: MailView) -> list[Report]:  # noqa: ARG002 - the protocol's signature
        """One report with the fixed status, or IgnoreMail; [] for an empty reading."""
        if self.status is None:
            raise IgnoreMail("not a report")
        return [Report(self.name, "backup", "job", "host", self.status)]


@pytest.mark.parametrize("first", [Status.SUCCESS, None], ids=["success", "ignored"])
def test_later_parser_failure_beats_earlier_success_or_ignore(first: Status | None) -> None:
    """A failure found by a later parser wins over an earlier success or ignore."""
    registry = Registry([_Fixed("first", 1, first), _Fixed("second", 2, Status.FAILED)])
    result = registry.parse(MailView(subject="s", text="body"))
    assert (result.outcome, result.parser) == (Outcome.PARSED, "second")
    assert [r.status for r in result.reports] == [Status.FAILED]
    assert "first" in result.reason


def test_equal_readings_keep_parser_order() -> None:
    """Two parsers reading the same severity: the first in order still wins."""
    registry = Registry([_Fixed("first", 1, Status.WARNING), _Fixed("second", 2, Status.WARNING)])
    assert registry.parse(MailView(text="body")).parser == "first"


def test_success_is_doubted_when_another_parser_could_not_read_the_mail() -> None:
    """A success is a warning when another parser recognised the mail but found nothing."""

    class _Empty(_Fixed):
        """Recognises every mail and reads no report in it."""

        def parse(self, mail: MailView) -> list[Report]:  # noqa: ARG002 - protocol
            """No report."""
            return []

    registry = Registry([_Empty("empty", 1, None), _Fixed("good", 2, Status.SUCCESS)])
    result = registry.parse(MailView(text="body"))
    assert result.parser == "good"
    assert [r.status for r in result.reports] == [Status.WARNING]
    assert "success not proven" in result.reports[0].message


def _parser_of(mail: Path) -> str:
    """The parser the golden JSON of `mail` names."""
    return str(_expected(mail)["parser"])


@cache
def _parser_failure_lines(parser: str) -> tuple[str, ...]:
    """Failure and warning lines from the failed/warning golden mails one parser reads."""
    return tuple(
        sorted(
            {
                line.strip()
                for mail in BAD
                if _parser_of(mail) == parser
                for line in _body_lines(_view(mail))
                if _BAD_WORD.search(line) and not _ZERO.search(line) and len(line.strip()) < 200
            }
        )
    )


# Success mails whose parser also reads failed or warning golden mails (the lines to
# insert come from those, so they are in that very format's wording).
GOOD_WITH_LINES = [m for m in GOOD if _parser_failure_lines(_parser_of(m))]
GOOD_PARSERS = sorted({_parser_of(m) for m in GOOD_WITH_LINES})


@pytest.mark.parametrize("parser", GOOD_PARSERS)
@PROPERTY
@given(data=st.data())
def test_failure_line_in_a_success_mail_is_not_left_unaccounted(
    parser: str, data: st.DataObject
) -> None:
    """A failure line of the format's own, inserted into its success mail, is no success."""
    mails = [m for m in GOOD_WITH_LINES if _parser_of(m) == parser]
    mail = data.draw(st.sampled_from(mails), label="mail")
    line = data.draw(st.sampled_from(_parser_failure_lines(parser)), label="line")
    where = data.draw(st.floats(0.0, 1.0), label="where")
    damaged = _insert_line(_view(mail), line, where)
    _assert_not_good(default_registry().parse(damaged), f"{_id(mail)} + {line!r}")


def test_nakivo_object_status_it_does_not_know_is_a_warning() -> None:
    """A machine whose Status cell carries an unknown word ('Faild') is not a success,
    even when the subject and the Status field say nothing readable either."""
    view = _edited("nakivo/backup-failed-synthetic.eml", "Failed", "Faild")
    view = dataclasses.replace(
        view, subject="", text=view.text.replace("Failed", "Faild").replace("Error", "Eror")
    )
    result = default_registry().parse(view)
    assert result.outcome is Outcome.PARSED
    (report,) = result.reports
    assert report.status is not Status.SUCCESS
    assert any("not recognised" in o.message for o in report.objects)


def test_synology_abb_zero_failed_devices_stay_a_success() -> None:
    """'Devices: 1 succeeded, 0 partially, 0 failed' counts nothing that went wrong
    (synthetic mail in DSM's Active Backup wording)."""
    raw = (
        b"From: nas@meridian.example\nTo: reports@msp.example\n"
        b"Subject: [NAS] Active Backup for Business - Backup task CAD on NAS has completed\n"
        b"Content-Type: text/plain\n\nBackup task CAD on NAS has completed.\nTask: CAD\n"
        b"Devices: 1 succeeded, 0 partially, 0 failed\n"
    )
    result = default_registry().parse_bytes(raw)
    assert [r.status for r in result.reports] == [Status.SUCCESS]
    failed = raw.replace(b"0 failed", b"1 failed")
    assert [r.status for r in default_registry().parse_bytes(failed).reports] == [Status.FAILED]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Errors: 0", ""),
        ("( 4 infos, 0 warnings, 0 errors)", ""),
        ("Success | 3 | Warning | 0 | Error | 0", ""),
        ("Warnings: []", ""),
        ("BeforeJob: UserWarning: TLS-PSK is not available", ""),
        ("( 4 infos, 0 warnings, 2 errors)", "( 4 infos, 0 warnings, 2 errors)"),
        ("srv-file02 | Failed | 0 B", "srv-file02 | Failed | 0 B"),
        ("ok\nSR_BACKEND_FAILURE_44(, no space, )", "SR_BACKEND_FAILURE_44(, no space, )"),
        ("Die Sicherung ist fehlgeschlagen.", "Die Sicherung ist fehlgeschlagen."),
    ],
)
def test_problem_line_skips_zero_counts_only(text: str, found: str) -> None:
    """Counts of nothing are no evidence; any other failure or warning wording is."""
    assert problem_line(text) == found


def test_problem_line_is_bounded_on_a_huge_body() -> None:
    """A million zero counts: past 200 candidate words the answer is a doubt (bounded)."""
    body = "Errors: 0\n" * 1_000_000
    assert problem_line(body) == "Errors: 0"
