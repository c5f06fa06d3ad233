"""The audit log lists every audited action, in words, with its details on one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import col, select

from backupchecks_tui.errors import PermissionDenied
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import (
    audit_log,
    customers,
    inbox,
    operators,
    overrides,
    remarks,
    review,
    schedules,
    tickets,
)
from backupchecks_tui.views.items import ScopeSpec
from backupchecks_tui.views.overrides import OverrideSpec
from store.engine import read_scope
from store.models import JobRun, MailMessage
from tests.mailfactory import synthetic_mail
from tests.uihelpers import workspace

SERVICES = Path(audit_log.__file__).parent
AREAS = "review|run|override|ticket|remark|customer|schedule|job|operator|inbox"
NEWSLETTER = (
    b"From: news@vendor.example\r\nSubject: offers\r\n"
    b"Message-ID: <nl-9@vendor.example>\r\n\r\nBuy now!\r\n"
)


def recorded_actions() -> set[str]:
    """Every action name the services audit (literal, or built from the ticket and remark
    transitions), read from their source (the audit log's own words left out)."""
    found: set[str] = {"review"}
    for path in SERVICES.glob("*.py"):
        if path.name != "audit_log.py":
            found |= set(re.findall(rf'"((?:{AREAS})\.[a-z_]+)"', path.read_text()))
    found |= {f"ticket.{action}" for action in tickets.TRANSITIONS}
    return found | {f"remark.{a}" for a in ("resolve", "reopen", "edit", "add_scope", "link_run")}


def test_every_recorded_action_has_words() -> None:
    """No audited action falls back to its internal name."""
    missing = sorted(recorded_actions() - set(audit_log.ACTION_WORDS))
    assert missing == []


def test_details_in_one_readable_line() -> None:
    """Pairs joined by ·, empty values left out, an edit's before/after as old → new."""
    line = audit_log.details_line('{"reason": "CBT", "runs": 2, "empty": "", "none": null}')
    assert line == "reason: CBT · runs: 2"
    edit = '{"before": {"scope": "all", "reason": "x"}, "after": {"scope": "job", "reason": "x"}}'
    assert audit_log.details_line(edit) == "scope: all → job"
    assert audit_log.details_line("not json\nat all") == "not json at all"
    assert audit_log.action_words("frobnicate.widget_now") == "Frobnicate widget now"


def test_each_kind_of_action_shows_up(tmp_path: Path) -> None:
    """Reviews, unmarks, mark as success, overrides, tickets, remarks, customers,
    schedules, operators and the inbox all reach the Audit view, in words."""
    mails = [
        synthetic_mail(1, status="warning", job="job-w"),
        synthetic_mail(2, status="failed", job="job-x"),
        NEWSLETTER,
    ]
    ws = workspace(tmp_path, mails, role=Role.ADMIN, login="alice")
    engine, admin = ws.engine, ws.actor
    with read_scope(engine) as session:
        runs = {r.job_id: r.id or 0 for r in session.exec(select(JobRun))}
        mail_id = session.exec(
            select(MailMessage.id).where(col(MailMessage.subject) == "offers")
        ).one()
    (job_w, run_w), (job_x, run_x) = sorted(runs.items())
    review.review_jobs(engine, admin, {job_w: run_w})
    review.unmark_job(engine, admin, job_w)
    overrides.mark_success(engine, admin, run_x, "known")
    overrides.create_override(engine, admin, OverrideSpec("job", job_id=job_w, reason="CBT"))
    ticket = tickets.open_ticket(engine, admin, "VSS fails", scopes=[ScopeSpec.job(job_x)])
    tickets.start(engine, admin, ticket.id)
    remarks.add_remark(engine, admin, "watch this one", [ScopeSpec.job(job_w)])
    customers.assign_job(engine, admin, job_x, "Acme")
    schedules.set_paused(engine, admin, job_x, True)
    operators.set_role(engine, admin, "bob", Role.OPERATOR)
    inbox.ignore_mails(engine, admin, [mail_id or 0], "newsletter")

    entries = audit_log.audit_log(engine, admin)
    actions = [e.action for e in entries]
    for words in (
        "Reviewed",
        "Unmarked",
        "Marked as success",
        "Override created",
        "Ticket opened",
        "Ticket started",
        "Remark added",
        "Job assigned to a customer",
        "Job paused",
        "Operator role set",
        "Mail ignored",
    ):
        assert words in actions
    assert actions[0] == "Mail ignored"  # newest first
    assert all("\n" not in e.details and "{" not in e.details[:1] for e in entries)
    role = next(e for e in entries if e.action == "Operator role set")
    assert "login: bob" in role.details and "after: operator" in role.details
    with pytest.raises(PermissionDenied, match="audit"):
        audit_log.audit_log(engine, Actor("olga", Role.OPERATOR))
