"""User rules: `RuleSpec` validation and what `RuleParser` makes of a mail.

The worked example is a synthetic rsync cron mail (written for this test, not a real
report): a nightly script that mirrors shares with rsync and prints one line per share.
"""

from __future__ import annotations

import pytest

from parsers import MailView, Outcome, Registry, Status
from parsers.rules import RuleParser, RuleSpec

SYNTHETIC_RSYNC_CRON_MAIL = b"""\
From: Cron Daemon <root@nas01.example.com>
To: ops@example.com
Subject: Cron <root@nas01> /usr/local/bin/mirror-shares nightly
Date: Tue, 03 Mar 2026 02:14:09 +0100
Message-ID: <synthetic-rule-1@nas01.example.com>

mirror-shares: starting run for job nightly
share photos: OK (1204 files)
share documents: FAILED rsync error: some files could not be transferred (code 23)
share music: OK (88 files)
mirror-shares: finished with errors
"""

RSYNC_CRON_RULE = RuleSpec(
    name="mirror-shares",
    product="rsync-script",
    from_regex=r"cron daemon",
    subject_regex=r"mirror-shares",
    job_name_regex=r"mirror-shares (?P<job>\w+)",
    host_regex=r"Cron <[^@]+@(?P<host>[^>]+)>",
    status_map={"failed": "failed", "errors": "warning", "ok": "success"},
    object_regex=r"^share (?P<name>\w+): (?P<status>\w+)\s*(?P<message>.*)$",
    job_type="sync",
)


def _mail(raw: bytes = SYNTHETIC_RSYNC_CRON_MAIL) -> MailView:
    """The view of a raw test mail."""
    return MailView.from_bytes(raw)


def test_worked_example_rsync_cron_mail() -> None:
    """The rule names job and host, finds the worst word and one object per share."""
    parser = RuleParser(RSYNC_CRON_RULE)
    mail = _mail()
    assert parser.matches(mail)
    [report] = parser.parse(mail)
    assert (report.product, report.job_type, report.job_name, report.host) == (
        "rsync-script",
        "sync",
        "nightly",
        "nas01",
    )
    # The subject holds none of the words; in the body 'failed' is the first word given.
    assert report.status is Status.FAILED
    assert report.message.startswith("share documents: FAILED")
    assert [(o.name, o.type, o.status) for o in report.objects] == [
        ("photos", "object", Status.SUCCESS),
        ("documents", "object", Status.FAILED),
        ("music", "object", Status.SUCCESS),
    ]
    assert report.objects[1].message.startswith("rsync error")


def test_parser_identity_follows_the_spec() -> None:
    """name is rule:<name>, version 1, product and priority from the spec."""
    parser = RuleParser(RuleSpec(name="x", product="p", priority=7))
    assert (parser.name, parser.version, parser.product, parser.priority) == ("rule:x", "1", "p", 7)


def test_every_given_regex_must_match_case_insensitively() -> None:
    """One regex that does not match is enough to refuse the mail."""
    assert RuleParser(RuleSpec(name="a", product="p", subject_regex="MIRROR-SHARES")).matches(
        _mail()
    )
    both = RuleSpec(name="b", product="p", subject_regex="mirror", body_regex="no such text")
    assert not RuleParser(both).matches(_mail())
    sender = RuleSpec(name="c", product="p", from_regex=r"^root@nas01\.example\.com$")
    assert RuleParser(sender).matches(_mail())


def test_default_status_when_no_word_is_found() -> None:
    """Without a status word the rule's default status applies (warning by default)."""
    raw = SYNTHETIC_RSYNC_CRON_MAIL.replace(b"FAILED", b"skipped").replace(b"OK", b"done")
    raw = raw.replace(b"with errors", b"")
    spec = RuleSpec(name="d", product="p", status_map={"failed": "failed"})
    [report] = RuleParser(spec).parse(_mail(raw))
    assert report.status is Status.WARNING
    spec = RuleSpec(name="e", product="p", default_status="success")
    assert RuleParser(spec).parse(_mail(raw))[0].status is Status.SUCCESS


def test_subject_words_win_over_body_words() -> None:
    """The subject is searched before the body."""
    raw = SYNTHETIC_RSYNC_CRON_MAIL.replace(b"nightly\n", b"nightly ok\n", 1)
    [report] = RuleParser(RSYNC_CRON_RULE).parse(_mail(raw))
    assert report.status is Status.SUCCESS


def test_words_match_whole_words_only() -> None:
    """'ok' does not match inside 'broken'."""
    raw = b"Subject: job broken\n\nnothing else\n"
    spec = RuleSpec(name="w", product="p", status_map={"ok": "success"}, default_status="failed")
    assert RuleParser(spec).parse(_mail(raw))[0].status is Status.FAILED


def test_job_name_falls_back_to_the_rule_name() -> None:
    """No job regex (or no match) names the job after the rule."""
    [report] = RuleParser(RuleSpec(name="plain", product="p")).parse(_mail())
    assert report.job_name == "plain"
    assert report.host == ""


def test_job_name_from_group_one_or_the_body() -> None:
    """Without a `job` group, group 1 is used; the body is searched after the subject."""
    spec = RuleSpec(name="g", product="p", job_name_regex=r"starting run for job (\w+)")
    assert RuleParser(spec).parse(_mail())[0].job_name == "nightly"


@pytest.mark.parametrize(
    "field_name",
    ["from_regex", "subject_regex", "body_regex", "job_name_regex", "host_regex", "object_regex"],
)
def test_invalid_regex_names_rule_and_field(field_name: str) -> None:
    """A regex that does not compile is a ValueError naming the rule and the field."""
    spec = RuleSpec(name="broken", product="p", **{field_name: "(unclosed"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=rf"'broken'.*{field_name}"):
        RuleParser(spec)


def test_invalid_status_names_are_rejected() -> None:
    """Status values must be success, warning or failed."""
    with pytest.raises(ValueError, match=r"'s'.*status_map"):
        RuleParser(RuleSpec(name="s", product="p", status_map={"ok": "fine"}))
    with pytest.raises(ValueError, match=r"'t'.*default_status"):
        RuleParser(RuleSpec(name="t", product="p", default_status="missed"))


def test_object_regex_needs_a_name_group() -> None:
    """An object regex without (?P<name>…) cannot make objects."""
    with pytest.raises(ValueError, match=r"'o'.*object_regex"):
        RuleParser(RuleSpec(name="o", product="p", object_regex=r"^share (\w+)"))


def test_rules_join_the_registry_by_priority() -> None:
    """A rule parser works in a registry like any built-in parser."""
    registry = Registry([]).with_parsers([RuleParser(RSYNC_CRON_RULE)])
    result = registry.parse_bytes(SYNTHETIC_RSYNC_CRON_MAIL)
    assert (result.outcome, result.parser) == (Outcome.PARSED, "rule:mirror-shares")


def test_rule_parser_survives_garbage() -> None:
    """Empty and binary mails neither match nor break the parser."""
    parser = RuleParser(RSYNC_CRON_RULE)
    for raw in (b"", b"\x00\xff\xfe" * 100, b"Subject: \xff\n\n\xff"):
        mail = _mail(raw)
        assert not parser.matches(mail)
        assert len(parser.parse(mail)) == 1
