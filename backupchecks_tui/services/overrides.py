"""Overrides in the database: load rules, apply them to runs, and the audited services.

The matcher itself (Rule, RunFacts, evaluate, validate…) is pure and lives in
`services.override_rules`, the listing (OverrideRow views) in `services.override_list`;
their public names are re-exported here (`__all__`), so callers keep importing
everything from `backupchecks_tui.services.overrides`.

`apply_to_runs` is the ingest hook (Core, on the caller's connection); the rest are
services that check the actor's role and write audit entries in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from backupchecks_tui.domain import PROBLEM_STATUSES, OverrideScope, RunStatus
from backupchecks_tui.errors import NotFound
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from backupchecks_tui.services.override_list import Which, get_override, get_row, list_overrides
from backupchecks_tui.services.override_rules import (
    MATCH_STATUSES,
    RUN_ITSELF,
    SCOPES,
    TEXT_MATCHES,
    ObjectFacts,
    OverrideError,
    Rule,
    RunFacts,
    Verdict,
    check_match,
    covered_names,
    describe_match,
    duration_text,
    evaluate,
    override_state,
    spec_rule,
    text_matches,
    valid_until,
    validate,
)
from backupchecks_tui.views.admin import OverrideRow
from backupchecks_tui.views.overrides import Duration, OverrideSpec
from store.engine import read_scope, session_scope
from store.models import Job, JobRun, Override, RunObject
from store.types import utcnow

__all__ = [
    "MATCH_STATUSES",
    "PROBLEM_STATUSES",
    "RULES_PROBE",
    "RUN_ITSELF",
    "SCOPES",
    "TEXT_MATCHES",
    "Duration",
    "ObjectFacts",
    "OverrideError",
    "OverrideRow",
    "OverrideSpec",
    "Rule",
    "RunFacts",
    "Verdict",
    "Which",
    "apply_retroactive",
    "apply_to_runs",
    "check_match",
    "count_retroactive",
    "covered_names",
    "create_override",
    "delete_override",
    "describe_match",
    "disable_override",
    "edit_override",
    "enable_override",
    "evaluate",
    "get_override",
    "list_overrides",
    "load_rules",
    "mark_success",
    "override_state",
    "preview",
    "run_facts",
    "spec_rule",
    "text_matches",
    "valid_until",
    "validate",
]

RUN = JobRun.__table__  # type: ignore[attr-defined]
OBJ = RunObject.__table__  # type: ignore[attr-defined]
OVR = Override.__table__  # type: ignore[attr-defined]

_CHUNK = 5000
_PROBLEMS = sorted(PROBLEM_STATUSES)


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
        RUN.c.reported_status.in_(_PROBLEMS),
        RUN.c.status == RUN.c.reported_status,
        RUN.c.override_id.is_(None),
        RUN.c.marked_success_by == "",
        *conditions,
    )


_PROBLEM_OBJECTS = (
    select(OBJ.c.run_id, OBJ.c.name, OBJ.c.status, OBJ.c.message)
    .where(OBJ.c.run_id.in_(bindparam("b_ids", expanding=True)), OBJ.c.status != RunStatus.SUCCESS)
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
        status=RunStatus.SUCCESS,
        override_id=bindparam("b_override"),
        override_reason=bindparam("b_reason"),
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
    if rule.scope == OverrideScope.RUN:
        return [RUN.c.id == rule.run_id]
    if rule.scope == OverrideScope.JOB:
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
        "duration": duration_text(duration) if duration is not None else None,
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


def _target(session: Session, spec: OverrideSpec) -> tuple[int | None, int | None]:
    """(job id, run id) the spec's scope points at, checked to exist."""
    if spec.scope == OverrideScope.RUN:
        run = _get_run(session, spec.run_id or 0)
        return run.job_id, run.id
    if spec.scope == OverrideScope.JOB:
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
        run.status, run.marked_success_by, run.marked_success_at = (
            RunStatus.SUCCESS,
            actor.login,
            at,
        )
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
        override = get_row(session, override_id)
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
        override = get_row(session, override_id)
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
        override = get_row(session, override_id)
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
    return covered_names(run_facts(engine, run_id), spec_rule(spec, utcnow()))


def run_facts(engine: Engine, run_id: int) -> RunFacts:
    """What matching knows of one run (verdict, message, problem objects), or NotFound."""
    with read_scope(engine) as session:
        facts = _facts(session.connection(), _run_query(run_id))
    if not facts:
        raise NotFound(f"Run {run_id} no longer exists.")
    return facts[0]


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
            rule = _rule_of(get_row(session, spec_or_override_id))
        return len(_retro(session.connection(), rule, at))


def apply_retroactive(
    engine: Engine, actor: Actor, override_id: int, *, now: datetime | None = None
) -> int:
    """Apply a saved override to the unreviewed runs it covers; runs changed (audited)."""
    require(actor, Action.OVERRIDE_CREATE)
    at = now or utcnow()
    with session_scope(engine) as session:
        override = get_row(session, override_id)
        details = _details(override)
        conn = session.connection()
        changed = _write(conn, _retro(conn, _rule_of(override), at), at)
        _audit(
            session, actor, at, "override.apply", ("override", override_id), runs=changed, **details
        )
        return changed
