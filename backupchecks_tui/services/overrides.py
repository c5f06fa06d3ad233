"""Overrides: rules that turn known warnings and failures into *Success (override)*.

A rule has a scope (one run, one job, all jobs), a status it matches (warning, failed,
any), optionally an object name (exact, case-insensitive) and a text pattern (contains /
exact / starts / ends / regex, case-insensitive) matched against an object's message, or
the run's message for a run without problem objects. It is in force while active and
`valid_from <= now < valid_until` (no end: permanent).

Evaluation (`evaluate`, pure): each problem object (status != success) must be covered by
a rule in force whose scope includes the run; object-level rules (with an object name or
a text pattern) are tried before run-level ones. A run whose own verdict is worse than
all its objects (or that has no problem objects) must be covered itself, by a rule
matching its status and message. Anything not covered keeps the run's reported status,
so a new error on a silenced VM still reaches the queue. A covered run gets status
"success", the most specific rule as `override_id`, and a reason naming it;
`reported_status` stays the product's verdict.

`apply_to_runs` is the ingest hook (Core, on the caller's connection); the rest are
services that check the actor's role and write audit entries in one transaction.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from sqlalchemy import Connection, Engine, bindparam, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from backupchecks_tui.errors import BackupChecksError, NotFound
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from backupchecks_tui.views.overrides import Duration, OverrideSpec
from parsers import userregex
from store.engine import read_scope, session_scope
from store.models import AuditEvent, Job, JobRun, Override, RunObject
from store.types import utcnow

RUN = JobRun.__table__  # type: ignore[attr-defined]
OBJ = RunObject.__table__  # type: ignore[attr-defined]
OVR = Override.__table__  # type: ignore[attr-defined]

SCOPES = ("run", "job", "all")
MATCH_STATUSES = ("warning", "failed", "any")
TEXT_MATCHES = ("contains", "exact", "starts", "ends", "regex")
PROBLEM_STATUSES = ("warning", "failed")
RUN_ITSELF = "(the run itself)"
"""What `preview` lists when a rule covers a run that has no problem objects."""

_RANK = {"success": 0, "warning": 1, "failed": 2}
_SCOPE_RANK = {"run": 2, "job": 1, "all": 0}
_CHUNK = 5000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

"""How long a rule lasts: a week or a calendar month from now, forever, or until a day
(through its end, in the spec's time zone) or an exact aware datetime."""

Which = Literal["active", "expired", "all"]


class OverrideError(BackupChecksError):
    """An override could not be created, changed or applied as asked."""

    title = "Invalid override"


# --------------------------------------------------------------------------- matching


def text_matches(kind: str, pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` by `kind`, ignoring case; no pattern matches all."""
    if not pattern:
        return True
    if kind == "regex":
        return _regex_search(pattern, text)
    needle, hay = pattern.casefold(), text.casefold()
    tests = {
        "contains": needle in hay,
        "exact": needle == hay.strip(),
        "starts": hay.lstrip().startswith(needle),
        "ends": hay.rstrip().endswith(needle),
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
        worst = max((_RANK.get(o.status, 0) for o in self.problems), default=0)
        return not self.problems or _RANK.get(self.reported_status, 0) > worst


@dataclass(frozen=True, slots=True)
class Rule:
    """An override as the matcher sees it (id 0: not saved yet)."""

    id: int
    scope: str
    job_id: int | None = None
    run_id: int | None = None
    match_status: str = "any"
    object_name: str = ""
    text_match: str = "contains"
    text_pattern: str = ""
    valid_from: datetime = _EPOCH
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
            _SCOPE_RANK.get(self.scope, -1),
            int(self.match_status != "any"),
            -self.id,
        )

    def in_force(self, now: datetime) -> bool:
        """Active and inside its validity window at `now`."""
        ended = self.valid_until is not None and now >= self.valid_until
        return self.active and self.valid_from <= now and not ended

    def includes(self, run: RunFacts) -> bool:
        """Whether the rule's scope includes `run`."""
        if self.scope == "run":
            return self.run_id == run.id
        if self.scope == "job":
            return self.job_id == run.job_id
        return self.scope == "all"

    def status_ok(self, status: str) -> bool:
        """Whether the rule matches a warning or failure `status`."""
        return status in PROBLEM_STATUSES and self.match_status in ("any", status)

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
    if spec.text_match == "regex" and spec.pattern:
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
    if spec.scope == "all" and not spec_rule(spec, now).object_level and spec.match_status == "any":
        raise OverrideError(
            "This override would silence every warning and failure of every job.",
            fix="Fix: narrow it by status, object name or text.",
        )
    _check_until(valid_until(spec.duration, now, spec.zone), now)


def _check_scope(spec: OverrideSpec) -> None:
    """Refuse an unknown scope, a job or run scope without its target, "all" without reason."""
    _one_of("scope", spec.scope, SCOPES)
    if spec.scope == "job" and spec.job_id is None:
        raise OverrideError("A job override needs the job it applies to.")
    if spec.scope == "run" and spec.run_id is None:
        raise OverrideError("A run override needs the run it applies to.")
    if spec.scope == "all" and not spec.reason.strip():
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


def _duration_text(duration: Duration) -> str:
    """The duration as the audit log shows it."""
    return duration.isoformat() if isinstance(duration, date) else duration


def describe_match(rule: Rule | Override) -> str:
    """What a rule matches, in words (for lists and the audit log)."""
    parts = ["warning or failed" if rule.match_status == "any" else rule.match_status]
    if rule.object_name:
        parts.append(f"object {rule.object_name!r}")
    if rule.text_pattern:
        parts.append(f"message {rule.text_match} {rule.text_pattern!r}")
    return " · ".join(parts)


# ------------------------------------------------------------- database: load and write


def _rule_of(row: Any) -> Rule:
    """A Rule from an override row (Core row or ORM object)."""
    return Rule(
        int(row.id or 0),
        row.scope,
        row.job_id,
        row.run_id,
        row.match_status,
        row.object_name,
        row.text_match,
        row.text_pattern,
        row.valid_from,
        row.valid_until,
        bool(row.active),
        row.reason,
    )


_ACTIVE_RULES = select(OVR).where(OVR.c.active.is_(True))


def load_rules(conn: Connection, now: datetime) -> list[Rule]:
    """Every override in force at `now` (read fresh on every call)."""
    rows = conn.execute(_ACTIVE_RULES).all()
    return [rule for rule in map(_rule_of, rows) if rule.in_force(now)]


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """`ids` in bounded slices (databases limit the size of an IN list)."""
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _open_runs(*conditions: ColumnElement[bool]) -> Any:
    """Runs still showing a warning or failure as reported (no override, not marked)."""
    return select(RUN.c.id, RUN.c.job_id, RUN.c.reported_status, RUN.c.message).where(
        RUN.c.reported_status.in_(PROBLEM_STATUSES),
        RUN.c.status == RUN.c.reported_status,
        RUN.c.override_id.is_(None),
        RUN.c.marked_success_by == "",
        *conditions,
    )


_PROBLEM_OBJECTS = (
    select(OBJ.c.run_id, OBJ.c.name, OBJ.c.status, OBJ.c.message)
    .where(OBJ.c.run_id.in_(bindparam("b_ids", expanding=True)), OBJ.c.status != "success")
    .order_by(OBJ.c.id)
)
# The ingest hook's query, built once (values as parameters: the compiled SQL is reused).
_OPEN_RUNS_BY_ID = _open_runs(RUN.c.id.in_(bindparam("b_ids", expanding=True)))


def _facts(conn: Connection, query: Any, params: dict[str, Any] | None = None) -> list[RunFacts]:
    """The runs `query` selects (id, job_id, reported_status, message), with problems."""
    runs = conn.execute(query, params).all()
    problems: dict[int, list[ObjectFacts]] = {}
    for chunk in _chunks([int(r.id) for r in runs]):
        rows = conn.execute(_PROBLEM_OBJECTS, {"b_ids": list(chunk)}).all()
        for o in rows:
            problems.setdefault(int(o.run_id), []).append(ObjectFacts(o.name, o.status, o.message))
    return [
        RunFacts(
            int(r.id), int(r.job_id), r.reported_status, r.message, tuple(problems.get(r.id, []))
        )
        for r in runs
    ]


_WRITE_VERDICT = (
    update(RUN)
    .where(
        RUN.c.id == bindparam("b_id"),
        RUN.c.override_id.is_(None),
        RUN.c.status == RUN.c.reported_status,
    )
    .values(
        status="success", override_id=bindparam("b_override"), override_reason=bindparam("b_reason")
    )
)


def _write(conn: Connection, verdicts: Sequence[tuple[int, Verdict]], now: datetime) -> int:
    """Store verdicts on their runs (if still open) and count the hits; runs changed."""
    hits: Counter[int] = Counter()
    changed = 0
    for run_id, verdict in verdicts:
        params = {"b_id": run_id, "b_override": verdict.override_id, "b_reason": verdict.reason}
        if conn.execute(_WRITE_VERDICT, params).rowcount:
            hits.update(verdict.used)
            changed += 1
    _bump_hits(conn, hits, now)
    return changed


def _bump_hits(conn: Connection, hits: Counter[int], now: datetime) -> None:
    """Add each override's new hits to its count and stamp its last hit."""
    for override_id, count in sorted(hits.items()):
        conn.execute(
            update(OVR)
            .where(OVR.c.id == override_id)
            .values(hit_count=OVR.c.hit_count + count, last_hit_at=now)
        )


RULES_PROBE = select(OVR.c.id).where(OVR.c.active.is_(True)).exists().label("active_overrides")
"""Whether any override is active: ingest asks along with the mail insert (RETURNING) and
skips `apply_to_runs` when none is (it could not change anything)."""


def apply_to_runs(conn: Connection, run_ids: list[int], now: datetime) -> int:
    """Ingest hook: apply the overrides in force at `now` to `run_ids`; runs changed.

    Works inside the caller's transaction (SQLite or PostgreSQL). Only runs still showing
    their reported warning or failure are evaluated (not marked, no override yet).
    """
    rules = load_rules(conn, now) if run_ids else []
    if not rules:
        return 0
    verdicts: list[tuple[int, Verdict]] = []
    for chunk in _chunks(run_ids):
        for run in _facts(conn, _OPEN_RUNS_BY_ID, {"b_ids": list(chunk)}):
            verdict = evaluate(run, rules, now)
            if verdict is not None:
                verdicts.append((run.id, verdict))
    return _write(conn, verdicts, now)


def _scope_filter(rule: Rule) -> list[ColumnElement[bool]]:
    """SQL conditions narrowing runs to the rule's scope."""
    if rule.scope == "run":
        return [RUN.c.id == rule.run_id]
    if rule.scope == "job":
        return [RUN.c.job_id == rule.job_id]
    return []


def _retro(conn: Connection, rule: Rule, now: datetime) -> list[tuple[int, Verdict]]:
    """Unreviewed open runs that `rule` turns to success (the others alone would not)."""
    others = [r for r in load_rules(conn, now) if r.id != rule.id]
    found: list[tuple[int, Verdict]] = []
    for run in _facts(conn, _open_runs(RUN.c.reviewed_at.is_(None), *_scope_filter(rule))):
        verdict = evaluate(run, [*others, rule], now)
        if verdict is not None and evaluate(run, others, now) is None:
            found.append((run.id, verdict))
    return found


# ------------------------------------------------------------------------- services


def _audit(
    session: Session,
    actor: Actor,
    at: datetime,
    action: str,
    entity: tuple[str, int | None],
    **details: Any,
) -> None:
    """An audit entry on `entity` (kind, id), stamped `at`, in the caller's transaction."""
    audit.record(session, actor, action, *entity, **details).at = at


def _details(override: Override, duration: Duration | None = None) -> dict[str, Any]:
    """What the audit log keeps of an override: scope, match, validity, source run."""
    return {
        "scope": override.scope,
        "job_id": override.job_id,
        "run_id": override.run_id,
        "match": describe_match(override),
        "match_status": override.match_status,
        "object_name": override.object_name,
        "text_match": override.text_match,
        "text_pattern": override.text_pattern,
        "duration": _duration_text(duration) if duration is not None else None,
        "valid_from": override.valid_from,
        "valid_until": override.valid_until,
        "reason": override.reason,
        "source_run_id": override.source_run_id,
        "active": override.active,
    }


def _get_run(session: Session, run_id: int) -> JobRun:
    """The run `run_id`, or NotFound."""
    run = session.get(JobRun, run_id)
    if run is None:
        raise NotFound(f"Run {run_id} no longer exists.")
    return run


def _get_override(session: Session, override_id: int) -> Override:
    """The override `override_id`, or NotFound."""
    override = session.get(Override, override_id)
    if override is None:
        raise NotFound(f"Override #{override_id} no longer exists.")
    return override


def _target(session: Session, spec: OverrideSpec) -> tuple[int | None, int | None]:
    """(job id, run id) the spec's scope points at, checked to exist."""
    if spec.scope == "run":
        run = _get_run(session, spec.run_id or 0)
        return run.job_id, run.id
    if spec.scope == "job":
        if session.get(Job, spec.job_id) is None:
            raise NotFound(f"Job {spec.job_id} no longer exists.")
        return spec.job_id, None
    return None, None


def _columns(session: Session, spec: OverrideSpec, now: datetime) -> dict[str, Any]:
    """The override columns a validated spec sets (validity counted from `now`)."""
    job_id, run_id = _target(session, spec)
    return {
        "scope": spec.scope,
        "job_id": job_id,
        "run_id": run_id,
        "match_status": spec.match_status,
        "object_name": spec.object_name.strip(),
        "text_match": spec.text_match,
        "text_pattern": spec.pattern,
        "valid_until": valid_until(spec.duration, now, spec.zone),
        "reason": spec.reason.strip(),
        "source_run_id": spec.source_run_id,
    }


def mark_success(
    engine: Engine, actor: Actor, run_id: int, reason: str = "", *, now: datetime | None = None
) -> JobRun:
    """Mark one warning or failed run as success now (who and when kept; audited)."""
    require(actor, Action.MARK_SUCCESS)
    at = now or utcnow()
    with session_scope(engine) as session:
        run = _get_run(session, run_id)
        if run.status not in PROBLEM_STATUSES:
            raise OverrideError(
                f"Run {run_id} is {run.status}; only warning or failed runs can be marked."
            )
        text = f"marked as success by {actor.login}"
        run.status, run.marked_success_by, run.marked_success_at = "success", actor.login, at
        run.override_reason = f"{text}: {reason.strip()}" if reason.strip() else text
        session.add(run)
        _audit(
            session,
            actor,
            at,
            "run.mark_success",
            ("run", run_id),
            job_id=run.job_id,
            reported_status=run.reported_status,
            reason=reason.strip(),
        )
        return run


def create_override(
    engine: Engine, actor: Actor, spec: OverrideSpec, *, now: datetime | None = None
) -> Override:
    """Save a new override in force from now (not yet applied to existing runs)."""
    require(actor, Action.OVERRIDE_CREATE)
    at = now or utcnow()
    validate(spec, at)
    with session_scope(engine) as session:
        columns = _columns(session, spec, at)
        override = Override(**columns, valid_from=at, created_by=actor.login, created_at=at)
        session.add(override)
        session.flush()
        _audit(
            session,
            actor,
            at,
            "override.create",
            ("override", override.id),
            **_details(override, spec.duration),
        )
        return override


def edit_override(
    engine: Engine,
    actor: Actor,
    override_id: int,
    spec: OverrideSpec,
    *,
    now: datetime | None = None,
) -> Override:
    """Change an override to `spec` (its duration counted from now); audited before/after."""
    require(actor, Action.OVERRIDE_EDIT)
    at = now or utcnow()
    validate(spec, at)
    with session_scope(engine) as session:
        override = _get_override(session, override_id)
        before = _details(override)
        for name, value in _columns(session, spec, at).items():
            setattr(override, name, value)
        session.add(override)
        _audit(
            session,
            actor,
            at,
            "override.edit",
            ("override", override_id),
            before=before,
            after=_details(override, spec.duration),
        )
        return override


def disable_override(
    engine: Engine, actor: Actor, override_id: int, *, now: datetime | None = None
) -> None:
    """Stop an override from applying (it stays listed; runs it changed keep their reason)."""
    _set_active(engine, actor, override_id, active=False, now=now)


def enable_override(
    engine: Engine, actor: Actor, override_id: int, *, now: datetime | None = None
) -> None:
    """Let a disabled override apply again (within its validity)."""
    _set_active(engine, actor, override_id, active=True, now=now)


def _set_active(
    engine: Engine, actor: Actor, override_id: int, *, active: bool, now: datetime | None
) -> None:
    """Switch an override on or off, audited as enable / disable."""
    require(actor, Action.OVERRIDE_EDIT)
    at = now or utcnow()
    with session_scope(engine) as session:
        override = _get_override(session, override_id)
        override.active = active
        session.add(override)
        action = "override.enable" if active else "override.disable"
        _audit(session, actor, at, action, ("override", override_id), **_details(override))


def delete_override(
    engine: Engine, actor: Actor, override_id: int, *, now: datetime | None = None
) -> int:
    """Admin: delete an override; runs it changed keep their reason text. Runs detached."""
    require(actor, Action.OVERRIDE_DELETE)
    at = now or utcnow()
    with session_scope(engine) as session:
        override = _get_override(session, override_id)
        details = _details(override)
        detach = update(RUN).where(RUN.c.override_id == override_id).values(override_id=None)
        runs = session.connection().execute(detach).rowcount
        session.delete(override)
        _audit(
            session,
            actor,
            at,
            "override.delete",
            ("override", override_id),
            runs_detached=runs,
            **details,
        )
        return runs


def preview(engine: Engine, spec: OverrideSpec, run_id: int) -> list[str]:
    """Names of the run's problem objects `spec` covers (`RUN_ITSELF` for a run without).

    Validity is ignored; an invalid regex raises OverrideError (show it in the dialog).
    """
    check_match(spec)
    with read_scope(engine) as session:
        facts = _facts(session.connection(), _run_query(run_id))
    if not facts:
        raise NotFound(f"Run {run_id} no longer exists.")
    return covered_names(facts[0], spec_rule(spec, utcnow()))


def _run_query(run_id: int) -> Any:
    """The columns `_facts` needs, for one run whatever its state."""
    columns = (RUN.c.id, RUN.c.job_id, RUN.c.reported_status, RUN.c.message)
    return select(*columns).where(RUN.c.id == run_id)


def count_retroactive(
    engine: Engine, spec_or_override_id: OverrideSpec | int, *, now: datetime | None = None
) -> int:
    """How many unreviewed runs the override (saved, or about to be) would change now."""
    at = now or utcnow()
    with read_scope(engine) as session:
        if isinstance(spec_or_override_id, OverrideSpec):
            check_match(spec_or_override_id)
            rule = spec_rule(spec_or_override_id, at)
        else:
            rule = _rule_of(_get_override(session, spec_or_override_id))
        return len(_retro(session.connection(), rule, at))


def apply_retroactive(
    engine: Engine, actor: Actor, override_id: int, *, now: datetime | None = None
) -> int:
    """Apply a saved override to the unreviewed runs it covers; runs changed (audited)."""
    require(actor, Action.OVERRIDE_CREATE)
    at = now or utcnow()
    with session_scope(engine) as session:
        override = _get_override(session, override_id)
        details = _details(override)
        conn = session.connection()
        changed = _write(conn, _retro(conn, _rule_of(override), at), at)
        _audit(
            session, actor, at, "override.apply", ("override", override_id), runs=changed, **details
        )
        return changed


# ---------------------------------------------------------------------- listing


@dataclass(frozen=True, slots=True)
class OverrideRow:
    """One override as the Overrides mode lists it."""

    id: int
    scope: str
    job_id: int | None
    job_name: str
    run_id: int | None
    match: str
    state: str  # active | pending | expired | disabled
    valid_from: datetime
    valid_until: datetime | None
    created_by: str
    created_at: datetime
    reason: str
    source_run_id: int | None
    hit_count: int
    last_hit_at: datetime | None

    @property
    def scope_text(self) -> str:
        """The scope in words: "run #12", "job NAME" or "all jobs"."""
        if self.scope == "run":
            return f"run #{self.run_id}"
        return f"job {self.job_name}" if self.scope == "job" else "all jobs"


def override_state(override: Override | Rule, now: datetime) -> str:
    """disabled, expired, pending (not yet valid) or active, at `now`."""
    if not override.active:
        return "disabled"
    if override.valid_until is not None and now >= override.valid_until:
        return "expired"
    return "pending" if now < override.valid_from else "active"


_WHICH = {
    "active": {"active", "pending"},
    "expired": {"expired", "disabled"},
    "all": {"active", "pending", "expired", "disabled"},
}


def list_overrides(
    engine: Engine, which: Which = "active", *, now: datetime | None = None
) -> list[OverrideRow]:
    """Overrides newest first: in force or pending ("active"), ended or disabled
    ("expired"), or all; expired ones stay listed."""
    at = now or utcnow()
    query = (
        select(Override, col(Job.name))
        .outerjoin(Job, col(Override.job_id) == col(Job.id))
        .order_by(col(Override.id).desc())
    )
    with read_scope(engine) as session:
        rows = [_row(o, name or "", at) for o, name in session.execute(query).all()]
    return [row for row in rows if row.state in _WHICH[which]]


def _row(override: Override, job_name: str, now: datetime) -> OverrideRow:
    """An OverrideRow for `override` at `now`."""
    return OverrideRow(
        override.id or 0,
        override.scope,
        override.job_id,
        job_name,
        override.run_id,
        describe_match(override),
        override_state(override, now),
        override.valid_from,
        override.valid_until,
        override.created_by,
        override.created_at,
        override.reason,
        override.source_run_id,
        override.hit_count,
        override.last_hit_at,
    )


def audit_entries(engine: Engine, actor: Actor, limit: int = 500) -> list[AuditEvent]:
    """Admin: the newest override and mark-as-success audit entries first."""
    require(actor, Action.VIEW_AUDIT)
    query = (
        select(AuditEvent)
        .where(
            or_(col(AuditEvent.entity) == "override", col(AuditEvent.action) == "run.mark_success")
        )
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    with read_scope(engine) as session:
        return list(session.scalars(query))


def get_override(engine: Engine, override_id: int) -> Override:
    """One override by id (for editing)."""
    with read_scope(engine) as session:
        return _get_override(session, override_id)
