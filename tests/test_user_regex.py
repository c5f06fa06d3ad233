"""User regexes (parser rules, override text matches) run on RE2, in linear time.

With Python's backtracking `re`, `(a+)+$` on a line of `a`s that ends in another letter
takes exponential time: 30 characters already take minutes, so one such rule or override
hung `import`, `parse` and the override dialog's preview forever. The inputs below are
generated, of growing size, and the tests assert what comes out (no match, the mail in
the Inbox as unparsed, a clear error naming unsupported syntax), never the clock.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from backupchecks_tui.config import parse_config
from backupchecks_tui.errors import ConfigError
from backupchecks_tui.services import overrides as ov
from backupchecks_tui.services.overrides import Rule
from backupchecks_tui.views.overrides import OverrideSpec
from parsers import MailView, Outcome, Registry
from parsers.rules import RuleParser, RuleSpec
from tests.test_overrides import NOW, one_object_run, seed_job, seed_run

SIZES = [30, 1_000, 100_000, 1_000_000]
EVIL = r"(a+)+$"


def evil_text(size: int) -> str:
    """`size` a's and a b: exponential for a backtracking engine on EVIL."""
    return "a" * size + "b"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("field_name", ["subject_regex", "body_regex"])
def test_rule_with_a_catastrophic_pattern_does_not_match_and_the_mail_stays_unparsed(
    size: int, field_name: str
) -> None:
    """The rule simply does not match; the registry reports the mail as unparsed."""
    if field_name == "subject_regex":
        spec = RuleSpec(name="evil", product="x", subject_regex=EVIL)
    else:
        spec = RuleSpec(name="evil", product="x", body_regex=EVIL)
    mail = MailView(subject=evil_text(size), text=evil_text(size) + "\n")
    registry = Registry([RuleParser(spec)])
    assert registry.parse(mail).outcome is Outcome.UNPARSED


@pytest.mark.parametrize("size", SIZES)
def test_rule_object_and_job_captures_stay_linear(size: int) -> None:
    """A matching rule with nested-quantifier captures still parses a huge body."""
    spec = RuleSpec(
        name="nested",
        product="x",
        subject_regex=r"^nightly",
        job_name_regex=r"job (?P<job>(\w+\s?)+)$",
        object_regex=r"^(?P<name>(a+)+)$",
    )
    body = f"job {'w ' * size}!\n{evil_text(size)}\naaa\n"
    [report] = RuleParser(spec).parse(MailView(subject="nightly", text=body))
    assert report.job_name == "nested"  # the job regex found nothing: the rule's name
    assert [o.name for o in report.objects] == ["aaa"]


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        (r"(\w+) \1", "back-reference"),
        (r"(?P<x>a)(?P=x)", "back-reference"),
        (r"ok(?=\s)", "look-ahead"),
        (r"(?<!not )ok", "look-behind"),
        (r"(?>a+)b", "atomic group"),
        (r"a++", "possessive"),
    ],
)
def test_unsupported_syntax_is_named_in_one_sentence(pattern: str, named: str) -> None:
    """Config load refuses the rule: one line naming rule, field and the construct."""
    data = {"parser_rules": [{"name": "r1", "product": "x", "body_regex": pattern}]}
    with pytest.raises(ConfigError) as caught:
        parse_config(data, Path("c.toml"))
    text = str(caught.value)
    assert "'r1'" in text and "body_regex" in text and named in text
    assert "\n" not in text


@pytest.mark.parametrize("size", SIZES)
def test_override_regex_on_a_huge_message_matches_nothing(size: int) -> None:
    """An Operator's catastrophic override regex neither hangs nor covers the object."""
    rule = Rule(1, "job", 3, text_match="regex", text_pattern=EVIL)
    run = one_object_run("failed", message=evil_text(size))
    assert ov.evaluate(run, [rule], NOW) is None
    assert ov.text_matches("regex", r"(a+)+b$", evil_text(size))


def test_override_dialog_preview_with_a_catastrophic_regex(engine: Engine) -> None:
    """The live preview (overrides.preview) answers for a huge error message."""
    job = seed_job(engine)
    run_id = seed_run(engine, job, "failed", (("VM01", "failed", evil_text(1_000_000)),))
    spec = OverrideSpec("job", job_id=job, text_match="regex", text_pattern=EVIL)
    assert ov.preview(engine, spec, run_id) == []
    spec = OverrideSpec("job", job_id=job, text_match="regex", text_pattern=r"(a+)+b")
    assert ov.preview(engine, spec, run_id) == ["VM01"]


def test_override_with_look_ahead_is_refused_naming_it() -> None:
    """Saving an override whose regex RE2 cannot run: the error names the construct."""
    spec = OverrideSpec(
        "job", job_id=3, text_match="regex", text_pattern=r"vss(?!ok)", reason="known"
    )
    with pytest.raises(ov.OverrideError, match="negative look-ahead"):
        ov.validate(spec, NOW)
