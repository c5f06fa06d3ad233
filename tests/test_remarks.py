"""Remarks through the service, on SQLite and PostgreSQL: lifecycle, detail and timeline,
list filters, coverage and markers next to tickets, roles and audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from backupchecks_tui.errors import NotFound, PermissionDenied
from backupchecks_tui.services import coverage, remarks, tickets
from backupchecks_tui.services.tickets import InvalidInput, TransitionRefused
from backupchecks_tui.views.items import ScopeSpec
from store.engine import session_scope
from store.models import AuditEvent
from tests.test_tickets import ADMIN, LATER, NOW, OPERATOR, VIEWER, World, seed


@pytest.fixture
def world(engine: Engine) -> World:
    """The seeded customers, jobs and runs (both backends)."""
    return seed(engine)


def test_remark_lifecycle_and_detail(engine: Engine, world: World) -> None:
    """Add with scopes and a run; resolve; reopen; refusals in one sentence; timeline."""
    remark = remarks.add_remark(
        engine,
        OPERATOR,
        "  Planned maintenance on the NAS\nuntil Friday  ",
        [ScopeSpec.job(world.acme_nas), ScopeSpec.object(world.acme_vm, "VM02")],
        [world.nas_run],
        now=NOW,
    )
    assert (remark.state, remark.active, remark.created_by, remark.created_at) == (
        "active", True, "olga", NOW,
    )  # fmt: skip
    assert remark.body == "Planned maintenance on the NAS\nuntil Friday"
    assert remark.summary == "Planned maintenance on the NAS"
    with pytest.raises(
        TransitionRefused, match=r"^Remark \d+ is active, so it cannot be reopened\.$"
    ):
        remarks.reopen_remark(engine, OPERATOR, remark.id)
    done = remarks.resolve_remark(engine, ADMIN, remark.id, now=LATER)
    assert (done.state, done.resolved_at, done.resolved_by) == ("resolved", LATER, "alice")
    with pytest.raises(TransitionRefused, match="is already resolved"):
        remarks.resolve_remark(engine, OPERATOR, remark.id)
    again = remarks.reopen_remark(engine, OPERATOR, remark.id, now=LATER)
    assert (again.state, again.resolved_at, again.resolved_by) == ("active", None, "")
    remarks.link_run(engine, OPERATOR, remark.id, world.vm_runs[1], now=LATER)
    remarks.link_run(engine, OPERATOR, remark.id, world.vm_runs[1], now=LATER)  # once only
    detail = remarks.remark_detail(engine, remark.id)
    assert [s.label for s in detail.scopes] == [
        "Acme / acme-nas", "VM02 on Acme / acme-vm",
    ]  # fmt: skip
    assert [(r.run_id, r.job, r.status) for r in detail.runs] == [
        (world.nas_run, "acme-nas", "failed"), (world.vm_runs[1], "acme-vm", "warning"),
    ]  # fmt: skip
    assert [(e.kind, e.summary) for e in detail.timeline] == [
        ("opened", "opened"),
        ("linked_run", f"linked run {world.nas_run} (acme-nas, failed, 2026-11-10)"),
        ("resolved", "resolved"),
        ("reopened", "reopened"),
        ("linked_run", f"linked run {world.vm_runs[1]} (acme-vm, warning, 2026-11-11)"),
    ]


def test_remark_input_is_checked(engine: Engine, world: World) -> None:
    """Empty body, no scopes, bad scopes and unknown ids are refused; nothing is stored."""
    with pytest.raises(InvalidInput, match="cannot be empty"):
        remarks.add_remark(engine, OPERATOR, "  \n ", [ScopeSpec.job(world.acme_vm)])
    with pytest.raises(InvalidInput, match="at least one scope"):
        remarks.add_remark(engine, OPERATOR, "note", [])
    with pytest.raises(InvalidInput, match="needs the job"):
        remarks.add_remark(engine, OPERATOR, "note", [ScopeSpec(object_name="VM01")])
    with pytest.raises(NotFound, match="no run with id 999"):
        remarks.add_remark(engine, OPERATOR, "note", [ScopeSpec.job(world.acme_vm)], [999])
    assert remarks.list_remarks(engine, "all") == []
    with pytest.raises(NotFound, match="no remark with id 999"):
        remarks.resolve_remark(engine, OPERATOR, 999)
    with pytest.raises(NotFound, match="no remark with id 999"):
        remarks.reopen_remark(engine, OPERATOR, 999)
    with pytest.raises(NotFound, match="no remark with id 999"):
        remarks.remark_detail(engine, 999)


def test_list_remarks_filters(engine: Engine, world: World) -> None:
    """State, customer (directly or via a job), product and text in the body."""
    nas = remarks.add_remark(engine, OPERATOR, "NAS firmware 7.2", [ScopeSpec.job(world.acme_nas)])
    beta = remarks.add_remark(engine, OPERATOR, "Beta quirk", [ScopeSpec.customer(world.beta)])
    old = remarks.add_remark(engine, OPERATOR, "Old 50% note", [ScopeSpec.job(world.acme_vm)])
    remarks.resolve_remark(engine, OPERATOR, old.id)

    def ids(**kw: object) -> list[int]:
        """Remark ids the list shows under the filters `kw`."""
        return [r.id for r in remarks.list_remarks(engine, **kw)]  # type: ignore[arg-type]

    assert ids() == [beta.id, nas.id]
    assert ids(state="resolved") == [old.id]
    assert ids(state="all") == [old.id, beta.id, nas.id]
    assert ids(state="all", customer_id=world.acme) == [old.id, nas.id]
    assert ids(state="all", customer_id=world.beta) == [beta.id]
    assert ids(state="all", product="veeam") == [old.id]
    assert ids(state="all", text="FIRMWARE") == [nas.id]
    assert ids(state="all", text="50%") == [old.id]
    assert ids(state="all", text="5_%") == []
    (row,) = remarks.list_remarks(engine, "all", customer_id=world.beta)
    assert (row.scope_summary, row.summary, row.state) == ("Beta", "Beta quirk", "active")


def test_remark_markers_and_coverage(engine: Engine, world: World) -> None:
    """Remarks mark their jobs next to tickets; resolving removes the marker; the run detail
    lists both, tickets first."""
    note = remarks.add_remark(engine, OPERATOR, "known quirk", [ScopeSpec.customer(world.acme)])
    ticket = tickets.open_ticket(
        engine, OPERATOR, "VM down", scopes=[ScopeSpec.job(world.acme_vm)], now=NOW
    )
    jobs = [world.acme_vm, world.acme_nas, world.beta_job]
    assert coverage.markers(engine, jobs, now=LATER) == {
        world.acme_vm: (True, True),
        world.acme_nas: (False, True),
        world.beta_job: (False, False),
    }
    items = coverage.covering(engine, world.vm_runs[0], now=LATER)
    assert [(i.kind, i.label, i.title, i.linked) for i in items] == [
        ("ticket", f"#{ticket.number}", "VM down", False),
        ("remark", f"R{note.id}", "known quirk", False),
    ]
    remarks.resolve_remark(engine, OPERATOR, note.id)
    assert coverage.markers(engine, jobs, now=LATER)[world.acme_nas] == (False, False)
    assert [i.kind for i in coverage.covering(engine, world.vm_runs[0], now=LATER)] == ["ticket"]
    linked = remarks.add_remark(
        engine, OPERATOR, "odd run", [ScopeSpec.job(world.beta_job)], [world.loose_run]
    )
    (item,) = coverage.covering(engine, world.loose_run, now=LATER)
    assert (item.kind, item.id, item.linked, item.number) == ("remark", linked.id, True, None)
    assert coverage.markers(engine, [world.beta_job], now=LATER)[world.beta_job] == (False, True)


def test_remark_roles_and_audit(engine: Engine, world: World) -> None:
    """Viewers read but cannot change remarks; each change by others is audited."""
    remark = remarks.add_remark(engine, OPERATOR, "note", [ScopeSpec.job(world.acme_vm)])
    writes: list[Callable[[], object]] = [
        lambda: remarks.add_remark(engine, VIEWER, "x", [ScopeSpec.job(world.acme_vm)]),
        lambda: remarks.resolve_remark(engine, VIEWER, remark.id),
        lambda: remarks.reopen_remark(engine, VIEWER, remark.id),
        lambda: remarks.link_run(engine, VIEWER, remark.id, world.vm_runs[0]),
    ]
    for write in writes:
        with pytest.raises(PermissionDenied, match="may not create or change remarks"):
            write()
    assert remarks.remark_detail(engine, remark.id).remark.active
    assert len(remarks.list_remarks(engine)) == 1
    remarks.link_run(engine, ADMIN, remark.id, world.vm_runs[0])
    remarks.resolve_remark(engine, ADMIN, remark.id, now=LATER)
    remarks.reopen_remark(engine, OPERATOR, remark.id, now=LATER + timedelta(minutes=1))
    with session_scope(engine) as s:
        rows = s.exec(
            select(AuditEvent.actor, AuditEvent.action)
            .where(AuditEvent.entity == "remark", AuditEvent.entity_id == remark.id)
            .order_by(col(AuditEvent.id))
        ).all()
    assert [tuple(r) for r in rows] == [
        ("olga", "remark.add"),
        ("alice", "remark.link_run"),
        ("alice", "remark.resolve"),
        ("olga", "remark.reopen"),
    ]


def test_remark_edit_and_add_scope(engine: Engine, world: World) -> None:
    """Editing keeps the previous text in the timeline; an unchanged text records nothing;
    a new scope widens the markers."""
    remark = remarks.add_remark(engine, OPERATOR, "first", [ScopeSpec.job(world.acme_vm)], now=NOW)
    remarks.edit_remark(engine, OPERATOR, remark.id, "  second  ", now=LATER)
    remarks.edit_remark(engine, OPERATOR, remark.id, "second", now=LATER)
    remarks.add_scope(engine, OPERATOR, remark.id, ScopeSpec.job(world.beta_job), now=LATER)
    detail = remarks.remark_detail(engine, remark.id)
    assert detail.remark.body == "second"
    edits = [e for e in detail.timeline if e.kind == "edit"]
    assert [e.details["before"] for e in edits] == [{"body": "first"}]
    assert coverage.markers(engine, [world.beta_job], now=LATER)[world.beta_job] == (False, True)
    with pytest.raises(InvalidInput):
        remarks.edit_remark(engine, OPERATOR, remark.id, "   ", now=LATER)
    with pytest.raises(PermissionDenied):
        remarks.edit_remark(engine, VIEWER, remark.id, "x", now=LATER)
