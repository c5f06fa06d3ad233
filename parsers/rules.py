"""User-defined parsers: a `RuleSpec` of regexes and status words read by `RuleParser`.

A rule recognises a mail when every regex it gives matches (From, Subject, body; all
case-insensitive), names the job and host with capture groups, maps status words found
in the subject (then the body) to a status and can turn body lines into objects. Bad
regexes or status names raise `ValueError` naming the rule and the field, at construction,
so the configuration layer can report them as user errors. The regexes run on RE2
(`parsers.userregex`): linear in the mail's size whatever the pattern, so a rule such as
`(a+)+$` cannot hang `import` or `fetch`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parsers.mailview import MailView
from parsers.model import Report, ReportObject, Status
from parsers.userregex import UserRegexError, compile_user, search

if TYPE_CHECKING:
    from parsers.userregex import Match, Pattern

_STATUSES = {s.value: s for s in Status}


@dataclass(frozen=True)
class RuleSpec:
    """One user rule. Every regex is optional; all that are given must match.

    `job_name_regex` / `host_regex` take their named group (`job` / `host`) or group 1
    (or the whole match) from the subject, else the body. `status_map` maps words
    (matched as whole words, case-insensitive) to success/warning/failed: the subject is
    searched first, then the body, and within each the first word in the order given
    wins; `default_status` applies when none is found. `object_regex` is applied to each
    body line: groups `name` (required), `status`, `type`, `message`; an object's status
    text goes through `status_map` (`default_status` when no word fits), and an object
    without a status group takes the report's status.
    """

    name: str
    product: str
    priority: int = 50
    from_regex: str | None = None
    subject_regex: str | None = None
    body_regex: str | None = None
    job_name_regex: str | None = None
    host_regex: str | None = None
    status_map: dict[str, str] = field(default_factory=dict, hash=False)
    default_status: str = "warning"
    object_regex: str | None = None
    job_type: str = "backup"


def _compile(spec: RuleSpec, field_name: str, pattern: str | None) -> Pattern | None:
    """Compile one regex of `spec`, raising ValueError that names rule and field."""
    if pattern is None:
        return None
    try:
        return compile_user(pattern, multiline=True)
    except UserRegexError as exc:
        raise ValueError(f"rule {spec.name!r}: invalid regex in {field_name}: {exc}") from exc


def _status(spec: RuleSpec, field_name: str, value: str) -> Status:
    """A status name of `spec` as a Status, raising ValueError when it is not one."""
    status = _STATUSES.get(value.strip().lower())
    if status is None:
        allowed = ", ".join(_STATUSES)
        raise ValueError(f"rule {spec.name!r}: {field_name} {value!r} is not one of {allowed}")
    return status


def _word_patterns(spec: RuleSpec) -> list[tuple[re.Pattern[str], Status]]:
    """The status words of `spec` as whole-word patterns, in the order given."""
    out: list[tuple[re.Pattern[str], Status]] = []
    for word, value in spec.status_map.items():
        if not word.strip():
            raise ValueError(f"rule {spec.name!r}: status_map has an empty word")
        pattern = re.compile(rf"(?<!\w){re.escape(word.strip())}(?!\w)", re.I)
        out.append((pattern, _status(spec, f"status_map[{word!r}]", value)))
    return out


def _group(match: Match, name: str) -> str:
    """Named group `name`, else group 1, else the whole match (stripped)."""
    if name in match.re.groupindex:
        return (match.group(name) or "").strip()
    if match.re.groups:
        return (match.group(1) or "").strip()
    return match.group(0).strip()


def _optional_group(match: Match, name: str) -> str:
    """Named group `name` when the regex has it and it matched, else ''."""
    if name in match.re.groupindex:
        return (match.group(name) or "").strip()
    return ""


class RuleParser:
    """A parser built from a `RuleSpec` (implements the parser protocol)."""

    version = "1"

    def __init__(self, spec: RuleSpec) -> None:
        """Check and compile `spec`; raise ValueError naming the rule and field if bad."""
        if not spec.name.strip():
            raise ValueError("rule without a name")
        self.spec = spec
        self.name = f"rule:{spec.name}"
        self.product = spec.product
        self.priority = spec.priority
        self._from = _compile(spec, "from_regex", spec.from_regex)
        self._subject = _compile(spec, "subject_regex", spec.subject_regex)
        self._body = _compile(spec, "body_regex", spec.body_regex)
        self._job = _compile(spec, "job_name_regex", spec.job_name_regex)
        self._host = _compile(spec, "host_regex", spec.host_regex)
        self._object = _compile(spec, "object_regex", spec.object_regex)
        if self._object is not None and "name" not in self._object.groupindex:
            raise ValueError(f"rule {spec.name!r}: object_regex needs a (?P<name>…) group")
        self._words = _word_patterns(spec)
        self._default = _status(spec, "default_status", spec.default_status)

    def matches(self, mail: MailView) -> bool:
        """Whether every regex the rule gives matches its part of the mail."""
        if self._from is not None:
            senders = (mail.from_addr, mail.from_name, f"{mail.from_name} <{mail.from_addr}>")
            if not any(search(self._from, s) for s in senders):
                return False
        if self._subject is not None and not search(self._subject, mail.subject):
            return False
        return self._body is None or bool(search(self._body, mail.body))

    def _find(self, pattern: Pattern | None, group: str, mail: MailView) -> str:
        """A capture from the subject, else the body ('' when absent)."""
        if pattern is None:
            return ""
        for text in (mail.subject, mail.body):
            m = search(pattern, text)
            if m:
                return _group(m, group)
        return ""

    def _word_status(self, texts: tuple[str, ...]) -> tuple[Status, str] | None:
        """The status of the first word found (texts in order), with the line holding it."""
        for text in texts:
            for pattern, status in self._words:
                m = pattern.search(text)
                if m:
                    start = text.rfind("\n", 0, m.start()) + 1
                    end = text.find("\n", m.end())
                    return status, text[start : end if end >= 0 else len(text)].strip()
        return None

    def _objects(self, body: str, fallback: Status) -> tuple[ReportObject, ...]:
        """One object per body line the object regex matches."""
        if self._object is None:
            return ()
        objects: list[ReportObject] = []
        for line in body.splitlines():
            m = search(self._object, line)
            if not m or not _optional_group(m, "name"):
                continue
            status_text = _optional_group(m, "status")
            found = self._word_status((status_text,)) if status_text else None
            status = found[0] if found else (self._default if status_text else fallback)
            kind = _optional_group(m, "type") or "object"
            objects.append(
                ReportObject(_group(m, "name"), kind, status, _optional_group(m, "message"))
            )
        return tuple(objects)

    def parse(self, mail: MailView) -> list[Report]:
        """One report: job and host from the captures, status from the status words."""
        body = mail.body
        found = self._word_status((mail.subject, body))
        status, message = found if found else (self._default, "")
        report = Report(
            product=self.spec.product,
            job_type=self.spec.job_type,
            job_name=self._find(self._job, "job", mail) or self.spec.name,
            host=self._find(self._host, "host", mail),
            status=status,
            message=message[:300],
            objects=self._objects(body, status),
        )
        return [report]
