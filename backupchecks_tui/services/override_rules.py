"""The override matcher: rules, the facts of a run, and the verdict (no SQL, no session).

A rule has a scope (one run, one job, all jobs), a status it matches (warning, failed,
any), optionally an object name (exact, case-insensitive) and a text pattern (contains /
exact / starts / ends / regex, case-insensitive) matched against an object's message, or
the run's message for a run without problem objects. It is in force while active and
`valid_from <= now < valid_until` (no end: permanent).

Evaluation (`evaluate`): each problem object (status != success) must be covered by
a rule in force whose scope includes the run; object-level rules (with an object name or
a text pattern) are tried before run-level ones. A run whose own verdict is worse than
all its objects (or that has no problem objects) must be covered itself, by a rule
matching its status and message. Anything not covered keeps the run's reported status,
so a new error on a silenced VM still reaches the queue. A covered run gets status
"success", the most specific rule as `override_id`, and a reason naming it;
`reported_status` stays the product's verdict.

`services.overrides` loads rules from the database, applies verdicts and keeps the audit.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol

from backupchecks_tui.domain import (
    PROBLEM_STATUSES,
    MatchStatus,
    OverrideScope,
    RunStatus,
    TextMatch,
)
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.views.overrides import Duration, OverrideSpec
from parsers import userregex

SCOPES = tuple(OverrideScope)
MATCH_STATUSES = tuple(MatchStatus)
TEXT_MATCHES = tuple(TextMatch)
RUN_ITSELF = "(the run itself)"
"""What `preview` lists when a rule covers a run that has no problem objects."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class OverrideError(BackupChecksError):
    """An override could not be created, changed or applied as asked."""

    title = "Invalid override"


class Matching(Protocol):
    """What `describe_match` reads: a Rule, or an override row."""

    @property
    def match_status(self) -> str: ...
    @property
    def object_name(self) -> str: ...
    @property
    def text_match(self) -> str: ...
    @property
    def text_pattern(self) -> str: ...


class Validity(Protocol):
    """What `override_state` reads: a Rule, or an override row."""

    @property
    def active(self) -> bool: ...
    @property
    def valid_from(self) -> datetime: ...
    @property
    def valid_until(self) -> datetime | None: ...


# --------------------------------------------------------------------------- matching


def text_matches(kind: str, pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` by `kind`, ignoring case; no pattern matches all."""
    if not pattern:
        return True
    if kind == TextMatch.REGEX:
        return _regex_search(pattern, text)
    needle, hay = pattern.casefold(), text.casefold()
    tests: dict[str, bool] = {
        TextMatch.CONTAINS: needle in hay,
        TextMatch.EXACT: needle == hay.strip(),
        TextMatch.STARTS: hay.lstrip().startswith(needle),
        TextMatch.ENDS: hay.rstrip().endswith(needle),
    }
    return tests.get(kind, False)


def _regex_search(pattern: str, text: str) -> bool:
    """Case-insensitive regex search on RE2 (linear time: an Operator's `(a+)+$` cannot
    hang ingest or the dialog's preview); a broken stored pattern matches nothing."""
    try:
        return userregex.search(userregex.compile_user(pattern), text) is not None
    except userregex.UserRegexError:
        return False


@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """What matching needs of one problem object."""

    name: str
    status: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What matching needs of one run: its identity, verdict, message and problem objects."""

    id: int
    job_id: int
    reported_status: str
    message: str = ""
    problems: tuple[ObjectFacts, ...] = ()

    @property
    def needs_own_cover(self) -> bool:
        """Whether the run's own verdict is not explained by its problem objects."""
        worst = max((RunStatus.of(o.status).rank for o in self.problems), default=0)
        return not self.problems or RunStatus.of(self.reported_status).rank > worst


@dataclass(frozen=True, slots=True)
class Rule:
    """An override as the matcher sees it (id 0: not saved yet)."""

    id: int
    scope: str
    job_id: int | None = None
    run_id: int | None = None
    match_status: str = MatchStatus.ANY
    object_name: str = ""
    text_match: str = TextMatch.CONTAINS
    text_pattern: str = ""
    valid_from: datetime = EPOCH
    valid_until: datetime | None = None
    active: bool = True
    reason: str = ""

    @property
    def object_level(self) -> bool:
        """Whether the rule names an object or a text (applies per problem object)."""
        return bool(self.object_name.strip() or self.text_pattern)

    @property
    def specificity(self) -> tuple[int, ...]:
        """Sort key: object-level, named, with text, narrow scope, exact status, oldest."""
        return (
            int(self.object_level),
            int(bool(self.object_name.strip())),
            int(bool(self.text_pattern)),
            OverrideScope(self.scope).rank if self.scope in SCOPES else -1,
            int(self.match_status != MatchStatus.ANY),
            -self.id,
        )

    def in_force(self, now: datetime) -> bool:
        """Active and inside its validity window at `now`."""
        ended = self.valid_until is not None and now >= self.valid_until
        return self.active and self.valid_from <= now and not ended

    def includes(self, run: RunFacts) -> bool:
        """Whether the rule's scope includes `run`."""
        if self.scope == OverrideScope.RUN:
            return self.run_id == run.id
        if self.scope == OverrideScope.JOB:
            return self.job_id == run.job_id
        return self.scope == OverrideScope.ALL

    def status_ok(self, status: str) -> bool:
        """Whether the rule matches a warning or failure `status`."""
        return status in PROBLEM_STATUSES and self.match_status in (MatchStatus.ANY, status)

    def covers_object(self, obj: ObjectFacts) -> bool:
        """Whether the rule covers one problem object (name, status and message)."""
        name = self.object_name.strip().casefold()
        return (
            (not name or name == obj.name.strip().casefold())
            and self.status_ok(obj.status)
            and text_matches(self.text_match, self.text_pattern, obj.message)
        )

    def covers_run(self, run: RunFacts) -> bool:
        """Whether the rule covers the run's own verdict (status and run message)."""
        return (
            not self.object_name.strip()
            and self.status_ok(run.reported_status)
            and text_matches(self.text_match, self.text_pattern, run.message)
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """A run covered by overrides: the deciding rule, the reason and every rule used."""

    override_id: int
    reason: str
    used: tuple[int, ...]


def evaluate(run: RunFacts, rules: Iterable[Rule], now: datetime) -> Verdict | None:
    """The verdict for `run` under `rules` at `now`, or None when it stays as reported."""
    if run.reported_status not in PROBLEM_STATUSES:
        return None
    live = [r for r in rules if r.in_force(now) and r.includes(run)]
    chosen = [_best(r for r in live if r.covers_object(o)) for o in run.problems]
    if run.needs_own_cover:
        chosen.append(_best(r for r in live if r.covers_run(run)))
    if not chosen or None in chosen:
        return None
    return _verdict([r for r in chosen if r is not None])


def _best(rules: Iterable[Rule]) -> Rule | None:
    """The most specific of `rules` (object-level before run-level), or None."""
    return max(rules, key=lambda r: r.specificity, default=None)


def _verdict(chosen: list[Rule]) -> Verdict:
    """The verdict naming the most specific rule used (and the others, if any)."""
    main = max(chosen, key=lambda r: r.specificity)
    used = tuple(sorted({r.id for r in chosen}))
    reason = f"override #{main.id}: {main.reason or 'no reason given'}"
    others = [f"#{i}" for i in used if i != main.id]
    if others:
        reason += f" (with {', '.join(others)})"
    return Verdict(main.id, reason, used)


def covered_names(run: RunFacts, rule: Rule) -> list[str]:
    """The problem objects of `run` that `rule` covers (validity ignored), for a preview."""
    if not rule.includes(run):
        return []
    names = [o.name for o in run.problems if rule.covers_object(o)]
    if not run.problems and rule.covers_run(run):
        names.append(RUN_ITSELF)
    return names


# ------------------------------------------------------------------------- the spec


def spec_rule(spec: OverrideSpec, now: datetime) -> Rule:
    """The spec as an unsaved rule (id 0) in force from `now`."""
    return Rule(
        0,
        spec.scope,
        spec.job_id,
        spec.run_id,
        spec.match_status,
        spec.object_name.strip(),
        spec.text_match,
        spec.pattern,
        now,
        valid_until(spec.duration, now, spec.zone),
        True,
        spec.reason.strip(),
    )


def check_match(spec: OverrideSpec) -> None:
    """Refuse an unknown status or match kind, or a regex that does not compile."""
    _one_of("match status", spec.match_status, MATCH_STATUSES)
    _one_of("text match", spec.text_match, TEXT_MATCHES)
    if spec.text_match == TextMatch.REGEX and spec.pattern:
        try:
            userregex.compile_user(spec.pattern)
        except userregex.UserRegexError as exc:
            raise OverrideError(
                f"The regular expression {spec.text_pattern!r} is invalid: {exc}.",
                fix="Fix: correct it, or choose another match kind (contains, exact…).",
            ) from exc


def validate(spec: OverrideSpec, now: datetime) -> None:
    """Refuse a spec that cannot be saved (scope, match, reason, duration)."""
    _check_scope(spec)
    check_match(spec)
    broad = not spec_rule(spec, now).object_level and spec.match_status == MatchStatus.ANY
    if spec.scope == OverrideScope.ALL and broad:
        raise OverrideError(
            "This override would silence every warning and failure of every job.",
            fix="Fix: narrow it by status, object name or text.",
        )
    _check_until(valid_until(spec.duration, now, spec.zone), now)


def _check_scope(spec: OverrideSpec) -> None:
    """Refuse an unknown scope, a job or run scope without its target, "all" without reason."""
    _one_of("scope", spec.scope, SCOPES)
    if spec.scope == OverrideScope.JOB and spec.job_id is None:
        raise OverrideError("A job override needs the job it applies to.")
    if spec.scope == OverrideScope.RUN and spec.run_id is None:
        raise OverrideError("A run override needs the run it applies to.")
    if spec.scope == OverrideScope.ALL and not spec.reason.strip():
        raise OverrideError(
            "An override for all jobs needs a reason.", fix="Fix: say why it is safe."
        )


def _one_of(what: str, value: str, allowed: Sequence[str]) -> None:
    """Refuse `value` unless it is one of `allowed`."""
    if value not in allowed:
        raise OverrideError(f"Unknown {what} {value!r}; use one of: {', '.join(allowed)}.")


def _check_until(until: datetime | None, now: datetime) -> None:
    """Refuse an end that is already past."""
    if until is not None and until <= now:
        raise OverrideError(
            f"The override would end at {until:%Y-%m-%d %H:%M} UTC, which is already past."
        )


def valid_until(duration: Duration, now: datetime, zone: tzinfo = UTC) -> datetime | None:
    """The end of a rule lasting `duration` from `now` (None: permanent)."""
    if isinstance(duration, datetime):
        if duration.tzinfo is None:
            raise OverrideError("An override end time needs a time zone.")
        return duration.astimezone(UTC)
    if isinstance(duration, date):
        return datetime.combine(duration + timedelta(days=1), time(), zone).astimezone(UTC)
    ends = {"week": now + timedelta(days=7), "month": _next_month(now), "permanent": None}
    if duration not in ends:
        raise OverrideError(f"Unknown duration {duration!r}; use week, month, permanent or a date.")
    return ends[duration]


def _next_month(moment: datetime) -> datetime:
    """The same day and time one calendar month later (clamped to the month's end)."""
    year = moment.year + moment.month // 12
    month = moment.month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def duration_text(duration: Duration) -> str:
    """The duration as the audit log shows it."""
    return duration.isoformat() if isinstance(duration, date) else duration


def describe_match(rule: Matching) -> str:
    """What a rule matches, in words (for lists and the audit log)."""
    parts = ["warning or failed" if rule.match_status == MatchStatus.ANY else rule.match_status]
    if rule.object_name:
        parts.append(f"object {rule.object_name!r}")
    if rule.text_pattern:
        parts.append(f"message {rule.text_match} {rule.text_pattern!r}")
    return " · ".join(parts)


def override_state(override: Validity, now: datetime) -> str:
    """disabled, expired, pending (not yet valid) or active, at `now`."""
    if not override.active:
        return "disabled"
    if override.valid_until is not None and now >= override.valid_until:
        return "expired"
    return "pending" if now < override.valid_from else "active"
