"""Overrides: the matching matrix (pure), the ingest hook, mark as success, retroactive
apply, edit / disable / delete with roles and audit, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from itertools import product
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from backupchecks_tui.errors import PermissionDenied
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import audit_log
from backupchecks_tui.services import overrides as ov
from backupchecks_tui.services.overrides import ObjectFacts, Rule, RunFacts
from backupchecks_tui.views.overrides import OverrideSpec
from store.engine import session_scope
from store.models import AuditEvent, Job, JobRun, Override, RunObject

ADMIN = Actor("alice", Role.ADMIN)
OPERATOR = Actor("olga", Role.OPERATOR)
VIEWER = Actor("victor", Role.VIEWER)
NOW = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MESSAGE = "Snapshot failed: VSS timeout after 600 s"

# match kind → (a pattern matching MESSAGE, one that does not)
KINDS = {
    "contains": ("vss TIMEOUT", "disk full"),
    "exact": ("snapshot failed: vss timeout after 600 S", "snapshot failed"),
    "starts": ("SNAPSHOT failed", "vss"),
    "ends": ("after 600 S", "vss timeout"),
    "regex": (r"vss\s+time\w+", r"^vss"),
}
# scope → (rule fields, whether run 7 of job 3 is in scope)
SCOPES: dict[str, tuple[dict[str, Any], bool]] = {
    "this run": ({"scope": "run", "run_id": 7, "job_id": 3}, True),
    "other run": ({"scope": "run", "run_id": 8, "job_id": 3}, False),
    "this job": ({"scope": "job", "job_id": 3}, True),
    "other job": ({"scope": "job", "job_id": 4}, False),
    "all jobs": ({"scope": "all"}, True),
}
# validity → (rule fields, whether in force at NOW)
VALIDITY: dict[str, tuple[dict[str, Any], bool]] = {
    "not yet valid": ({"valid_from": NOW + DAY}, False),
    "valid": ({"valid_from": NOW - DAY, "valid_until": NOW + DAY}, True),
    "permanent": ({"valid_from": NOW - DAY}, True),
    "expired": ({"valid_from": NOW - 8 * DAY, "valid_until": NOW - DAY}, False),
    "ends now": ({"valid_from": NOW - DAY, "valid_until": NOW}, False),
    "disabled": ({"valid_from": NOW - DAY, "active": False}, False),
}


def one_object_run(status: str, message: str = MESSAGE, name: str = "VM01") -> RunFacts:
    """Run 7 of job 3 with one problem object."""
    return RunFacts(7, 3, status, "", (ObjectFacts(name, status, message),))


@pytest.mark.parametrize("validity", VALIDITY)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scope", SCOPES)
def test_matrix(scope: str, kind: str, validity: str) -> None:
    """Scope × match kind × status × validity: covered exactly when everything agrees."""
    scope_fields, in_scope = SCOPES[scope]
    valid_fields, in_force = VALIDITY[validity]
    for match_status, status, hit in product(ov.MATCH_STATUSES, ov.PROBLEM_STATUSES, (1, 0)):
        rule = Rule(
            1,
            **scope_fields,
            **valid_fields,
            match_status=match_status,
            text_match=kind,
            text_pattern=KINDS[kind][1 - hit],
        )
        expected = in_scope and in_force and bool(hit) and match_status in ("any", status)
        verdict = ov.evaluate(one_object_run(status), [rule], NOW)
        assert (verdict is not None) == expected, (match_status, status, hit)


@pytest.mark.parametrize("kind", KINDS)
def test_a_run_without_objects_is_matched_on_its_status_and_message(kind: str) -> None:
    """Run-level: the run's own message and status; a rule naming an object never covers it."""
    good, bad = KINDS[kind]
    for status in ov.PROBLEM_STATUSES:
        run = RunFacts(7, 3, status, MESSAGE)
        assert ov.evaluate(run, [Rule(1, "job", 3, text_match=kind, text_pattern=good)], NOW)
        assert not ov.evaluate(run, [Rule(1, "job", 3, text_match=kind, text_pattern=bad)], NOW)
        named = Rule(1, "job", 3, object_name="VM01", text_match=kind, text_pattern=good)
        assert not ov.evaluate(run, [named], NOW)


def test_object_name_is_exact_and_case_insensitive() -> None:
    """ "vm01" covers VM01 but not VM011; name and text must both match."""
    rule = Rule(1, "all", object_name=" vm01 ", text_pattern="vss")
    assert ov.evaluate(one_object_run("failed"), [rule], NOW)
    assert not ov.evaluate(one_object_run("failed", name="VM011"), [rule], NOW)
    assert not ov.evaluate(one_object_run("failed", message="disk full"), [rule], NOW)


def test_object_level_rules_come_before_run_level() -> None:
    """The most specific rule decides: object-level over run-level, narrower scope first."""
    run_level = Rule(1, "run", 3, 7, reason="job is noisy")
    by_text = Rule(2, "all", text_pattern="vss", reason="VSS is flaky")
    by_name = Rule(3, "all", object_name="VM01", text_pattern="vss", reason="VM01 VSS")
    verdict = ov.evaluate(one_object_run("warning"), [run_level, by_text, by_name], NOW)
    assert verdict == ov.Verdict(3, "override #3: VM01 VSS", (3,))
    verdict = ov.evaluate(one_object_run("warning"), [run_level, by_text], NOW)
    assert verdict is not None
    assert verdict.override_id == 2


def test_run_level_covers_what_object_rules_leave() -> None:
    """Objects not named by a rule fall back to a run-level rule; the reason names both."""
    run = RunFacts(
        7,
        3,
        "warning",
        "",
        (ObjectFacts("VM01", "warning", MESSAGE), ObjectFacts("VM02", "warning")),
    )
    rules = [
        Rule(1, "job", 3, match_status="warning", reason="r"),
        Rule(2, "all", object_name="VM01", reason="known"),
    ]
    verdict = ov.evaluate(run, rules, NOW)
    assert verdict == ov.Verdict(2, "override #2: known (with #1)", (1, 2))


def test_partial_coverage_keeps_the_reported_status() -> None:
    """One object covered, another not: the run is not success."""
    run = RunFacts(
        7, 3, "failed", "", (ObjectFacts("VM01", "failed", MESSAGE), ObjectFacts("VM02", "failed"))
    )
    assert ov.evaluate(run, [Rule(1, "job", 3, object_name="VM01")], NOW) is None


def test_a_new_error_on_the_same_vm_is_not_hidden() -> None:
    """The VM silenced for its VSS timeout still fails on a different error."""
    rule = Rule(1, "job", 3, object_name="VM01", text_pattern="VSS timeout")
    assert ov.evaluate(one_object_run("failed", "Disk full on repository"), [rule], NOW) is None
    warning_only = Rule(2, "job", 3, object_name="VM01", match_status="warning")
    assert ov.evaluate(one_object_run("failed"), [warning_only], NOW) is None


def test_a_run_worse_than_its_objects_must_be_covered_itself() -> None:
    """A failed run with only a warning object: covering the object is not enough."""
    run = RunFacts(7, 3, "failed", "Job aborted", (ObjectFacts("VM01", "warning", "slow"),))
    object_rule = Rule(1, "job", 3, object_name="VM01")
    assert ov.evaluate(run, [object_rule], NOW) is None
    run_rule = Rule(2, "job", 3, match_status="failed", text_pattern="aborted")
    assert ov.evaluate(run, [object_rule, run_rule], NOW) is not None


def test_success_and_missed_runs_are_left_alone() -> None:
    """Only warnings and failures can be overridden."""
    for status in ("success", "missed"):
        assert ov.evaluate(RunFacts(7, 3, status), [Rule(1, "all")], NOW) is None


def test_invalid_regex_is_refused_and_a_stored_one_matches_nothing() -> None:
    """A broken pattern is refused with a clear error; one already stored never crashes."""
    spec = OverrideSpec("job", job_id=3, text_match="regex", text_pattern="vss(")
    with pytest.raises(ov.OverrideError, match=r"regular expression 'vss\(' is invalid"):
        ov.validate(spec, NOW)
    rule = Rule(1, "job", 3, text_match="regex", text_pattern="vss(")
    assert ov.evaluate(one_object_run("failed"), [rule], NOW) is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (OverrideSpec("all", text_pattern="vss"), "needs a reason"),
        (OverrideSpec("all", reason="everything"), "silence every warning"),
        (OverrideSpec("all", text_pattern="  ", reason="blank"), "silence every warning"),
        (OverrideSpec("job"), "needs the job"),
        (OverrideSpec("run"), "needs the run"),
        (OverrideSpec("tenant"), "Unknown scope"),
        (OverrideSpec("job", job_id=3, match_status="bad"), "Unknown match status"),
        (OverrideSpec("job", job_id=3, text_match="like"), "Unknown text match"),
        (OverrideSpec("job", job_id=3, duration=date(2026, 11, 1)), "already past"),
    ],
)
def test_validation(spec: OverrideSpec, message: str) -> None:
    """Specs that cannot be saved are refused with a readable message."""
    with pytest.raises(ov.OverrideError, match=message):
        ov.validate(spec, NOW)


def test_durations() -> None:
    """Week, calendar month (clamped), permanent, through a date's end, an exact time."""
    jan31 = datetime(2027, 1, 31, 9, tzinfo=UTC)
    assert ov.valid_until("week", NOW) == NOW + 7 * DAY
    assert ov.valid_until("month", jan31) == datetime(2027, 2, 28, 9, tzinfo=UTC)
    dec5 = datetime(2026, 12, 5, tzinfo=UTC)
    assert ov.valid_until("month", dec5) == datetime(2027, 1, 5, tzinfo=UTC)
    assert ov.valid_until("permanent", NOW) is None
    zone = ZoneInfo("Europe/Amsterdam")
    assert ov.valid_until(date(2026, 11, 20), NOW, zone) == datetime(2026, 11, 20, 23, tzinfo=UTC)
    assert ov.valid_until(NOW + DAY, NOW) == NOW + DAY


# ------------------------------------------------------------------- database tests


def seed_job(engine: Engine, name: str = "nightly") -> int:
    """A job; returns its id."""
    with session_scope(engine) as s:
        job = Job(product="veeam", name=name, sender="nas@example.test")
        s.add(job)
        s.flush()
        assert job.id is not None
        return job.id


def seed_run(
    engine: Engine,
    job_id: int,
    status: str,
    objects: tuple[tuple[str, str, str], ...] = (),
    *,
    reviewed: bool = False,
) -> int:
    """A run with (name, status, message) objects, as ingest writes it; returns its id."""
    with session_scope(engine) as s:
        run = JobRun(
            job_id=job_id,
            status=status,
            reported_status=status,
            run_day=date(2026, 11, 15),
            message="",
            reviewed_at=NOW - DAY if reviewed else None,
            reviewed_by="bob" if reviewed else "",
        )
        s.add(run)
        s.flush()
        assert run.id is not None
        for name, obj_status, message in objects:
            s.add(RunObject(run_id=run.id, name=name, status=obj_status, message=message))
        return run.id


def run_of(engine: Engine, run_id: int) -> JobRun:
    """The run as stored now."""
    with session_scope(engine) as s:
        run = s.get(JobRun, run_id)
        assert run is not None
        return run


def override_of(engine: Engine, override_id: int) -> Override:
    """The override as stored now."""
    with session_scope(engine) as s:
        found = s.get(Override, override_id)
        assert found is not None
        return found


def audits(engine: Engine) -> list[tuple[str, str, int | None, dict[str, Any]]]:
    """(action, actor, entity id, details) of every audit row, oldest first."""
    with session_scope(engine) as s:
        rows = s.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        return [(a.action, a.actor, a.entity_id, json.loads(a.details)) for a in rows]


VSS = ("VM01", "failed", MESSAGE)
VM01_SPEC = OverrideSpec(
    "all",
    object_name="vm01",
    text_pattern="VSS timeout",
    duration="week",
    reason="VSS on VM01 is known",
    zone=UTC,
)


def test_apply_to_runs_in_the_ingest_transaction(engine: Engine) -> None:
    """Covered runs become success with the override and its reason; others stay as reported."""
    job = seed_job(engine)
    covered = seed_run(engine, job, "failed", (VSS, ("VM02", "success", "")))
    new_error = seed_run(engine, job, "failed", (("VM01", "failed", "Disk full"),))
    partial = seed_run(engine, job, "failed", (VSS, ("VM02", "warning", "slow")))
    rule = ov.create_override(engine, OPERATOR, VM01_SPEC, now=NOW)
    later = NOW + DAY
    with session_scope(engine) as s:
        assert ov.apply_to_runs(s.connection(), [covered, new_error, partial], later) == 1
    run = run_of(engine, covered)
    assert (run.status, run.reported_status, run.override_id) == ("success", "failed", rule.id)
    assert run.override_reason == f"override #{rule.id}: VSS on VM01 is known"
    assert run_of(engine, new_error).status == run_of(engine, partial).status == "failed"
    stored = override_of(engine, rule.id or 0)
    assert (stored.hit_count, stored.last_hit_at) == (1, later)
    ov.disable_override(engine, OPERATOR, rule.id or 0, now=later)
    again = seed_run(engine, job, "failed", (VSS,))
    with session_scope(engine) as s:  # nothing cached: the disabled rule no longer applies
        assert ov.apply_to_runs(s.connection(), [again], later) == 0


def test_mark_success_with_roles_and_audit(engine: Engine) -> None:
    """Operators mark a warning/failed run; Viewers cannot; a success run is refused."""
    job = seed_job(engine)
    run_id = seed_run(engine, job, "warning", (("VM01", "warning", "slow"),))
    with pytest.raises(PermissionDenied, match="may not mark runs as success"):
        ov.mark_success(engine, VIEWER, run_id, "checked")
    ov.mark_success(engine, OPERATOR, run_id, "checked with customer", now=NOW)
    run = run_of(engine, run_id)
    assert (run.status, run.reported_status) == ("success", "warning")
    assert (run.marked_success_by, run.marked_success_at) == ("olga", NOW)
    assert run.override_reason == "marked as success by olga: checked with customer"
    with pytest.raises(ov.OverrideError, match="only warning or failed"):
        ov.mark_success(engine, OPERATOR, run_id, "again")
    ((action, actor, entity_id, details),) = audits(engine)
    assert (action, actor, entity_id) == ("run.mark_success", "olga", run_id)
    assert details["reason"] == "checked with customer"


def test_retroactive_count_and_apply(engine: Engine) -> None:
    """Count before saving equals what apply changes; reviewed and other jobs untouched."""
    job, other = seed_job(engine), seed_job(engine, "other")
    open_runs = [seed_run(engine, job, "failed", (VSS,)) for _ in range(3)]
    reviewed = seed_run(engine, job, "failed", (VSS,), reviewed=True)
    elsewhere = seed_run(engine, other, "failed", (VSS,))
    seed_run(engine, job, "failed", (VSS, ("VM02", "failed", "x")))  # partial
    spec = OverrideSpec("job", job_id=job, object_name="VM01", source_run_id=open_runs[0])
    assert ov.count_retroactive(engine, spec, now=NOW) == 3
    rule = ov.create_override(engine, OPERATOR, spec, now=NOW)
    assert ov.count_retroactive(engine, rule.id or 0, now=NOW) == 3
    assert ov.apply_retroactive(engine, OPERATOR, rule.id or 0, now=NOW) == 3
    assert {run_of(engine, r).override_id for r in open_runs} == {rule.id}
    assert run_of(engine, reviewed).status == run_of(engine, elsewhere).status == "failed"
    assert ov.count_retroactive(engine, rule.id or 0, now=NOW) == 0
    assert ov.apply_retroactive(engine, OPERATOR, rule.id or 0, now=NOW) == 0
    assert override_of(engine, rule.id or 0).hit_count == 3
    actions = [(a, d.get("runs"), d["source_run_id"]) for a, _, _, d in audits(engine)]
    assert actions == [
        ("override.create", None, open_runs[0]),
        ("override.apply", 3, open_runs[0]),
        ("override.apply", 0, open_runs[0]),
    ]


def test_preview_lists_the_covered_objects(engine: Engine) -> None:
    """The dialog's live preview: which of this run's problem objects the spec covers."""
    job = seed_job(engine)
    run_id = seed_run(
        engine, job, "failed", (VSS, ("VM02", "warning", "VSS slow"), ("ok", "success", ""))
    )
    assert ov.preview(engine, OverrideSpec("job", job_id=job, text_pattern="vss"), run_id) == [
        "VM01",
        "VM02",
    ]
    spec = OverrideSpec("run", run_id=run_id, match_status="failed", text_pattern="vss")
    assert ov.preview(engine, spec, run_id) == ["VM01"]
    bare = seed_run(engine, job, "warning")
    assert ov.preview(engine, OverrideSpec("job", job_id=job), bare) == [ov.RUN_ITSELF]
    with pytest.raises(ov.OverrideError, match="invalid"):
        ov.preview(
            engine, OverrideSpec("job", job_id=job, text_match="regex", text_pattern="("), run_id
        )


def test_lifecycle_roles_listing_and_audit(engine: Engine) -> None:
    """Create (Viewer refused, bad regex refused), edit, disable, list, delete (Admin only)."""
    job = seed_job(engine)
    run_id = seed_run(engine, job, "failed", (VSS,))
    spec = OverrideSpec(
        "job", job_id=job, object_name="VM01", duration="week", source_run_id=run_id
    )
    with pytest.raises(PermissionDenied):
        ov.create_override(engine, VIEWER, spec)
    with pytest.raises(ov.OverrideError, match="invalid"):
        ov.create_override(
            engine, OPERATOR, OverrideSpec("job", job_id=job, text_match="regex", text_pattern="[")
        )
    first = ov.create_override(engine, OPERATOR, spec, now=NOW).id or 0
    assert ov.apply_retroactive(engine, OPERATOR, first, now=NOW) == 1
    second = ov.create_override(engine, OPERATOR, VM01_SPEC, now=NOW).id or 0
    edited = ov.edit_override(
        engine, OPERATOR, second, OverrideSpec("job", job_id=job, reason="narrowed"), now=NOW
    )
    assert (edited.scope, edited.valid_until, edited.reason) == ("job", None, "narrowed")
    ov.disable_override(engine, OPERATOR, second, now=NOW)
    later = NOW + 8 * DAY  # the first one (a week) has expired by then
    assert [r.id for r in ov.list_overrides(engine, "active", now=NOW)] == [first]
    rows = ov.list_overrides(engine, "expired", now=later)
    assert [(r.id, r.state) for r in rows] == [(second, "disabled"), (first, "expired")]
    assert (rows[1].hit_count, rows[1].source_run_id, rows[1].scope_text) == (
        1,
        run_id,
        "job nightly",
    )
    assert len(ov.list_overrides(engine, "all", now=later)) == 2
    with pytest.raises(PermissionDenied, match="may not delete overrides"):
        ov.delete_override(engine, OPERATOR, first)
    assert ov.delete_override(engine, ADMIN, first, now=NOW) == 1
    run = run_of(engine, run_id)
    assert (run.status, run.override_id) == ("success", None)
    assert run.override_reason.startswith(f"override #{first}:")
    with pytest.raises(PermissionDenied, match="audit"):
        audit_log.audit_log(engine, OPERATOR)
    entries = audit_log.audit_log(engine, ADMIN)
    assert [e.action for e in reversed(entries)] == [
        "Override created",
        "Override applied to runs",
        "Override created",
        "Override edited",
        "Override disabled",
        "Override deleted",
    ]
    assert {e.at for e in entries} == {NOW}
    assert "scope: all → job" in entries[2].details
    assert "match: warning or failed · object 'VM01'" in entries[0].details
