"""Tickets through the service, on SQLite and PostgreSQL: the state machine (every allowed
and refused transition), holds that expire, reopen, merge, closing outcomes, coverage and
markers, the link picker, sequence numbers under two writers, roles and audit.

The seeded `World` lives here too; `tests/test_remarks.py` imports it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlmodel import col, select

from backupchecks_tui.database import open_database
from backupchecks_tui.errors import NotFound, PermissionDenied
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import coverage, tickets
from backupchecks_tui.services.tickets import (
    InvalidInput,
    TicketView,
    TransitionRefused,
)
from backupchecks_tui.views.items import ScopeSpec
from store.engine import session_scope
from store.models import AuditEvent, Customer, Job, JobRun, RunObject, TimelineEvent
from tests.servers.postgres import PostgresServer

ADMIN = Actor("alice", Role.ADMIN)
OPERATOR = Actor("olga", Role.OPERATOR)
VIEWER = Actor("victor", Role.VIEWER)
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


# ---------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    """Ids of the seeded rows.

    Acme has `acme_vm` (veeam; runs on 10, 11, 12 Nov with objects VM01/VM02) and
    `acme_nas` (synology); Beta has `beta_job` (veeam); `loose_job` has no customer.
    """

    acme: int
    beta: int
    acme_vm: int
    acme_nas: int
    beta_job: int
    loose_job: int
    vm_runs: tuple[int, int, int]
    nas_run: int
    beta_run: int
    loose_run: int


def _add(engine: Engine, row: Customer | Job | JobRun) -> int:
    """Insert one row; its id."""
    with session_scope(engine) as s:
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def _run(engine: Engine, job_id: int, day: int, status: str, objects: tuple[str, ...]) -> int:
    """Insert a run on `day` November 2026 with `objects`; its id."""
    started = datetime(2026, 11, day, 1, tzinfo=UTC)
    run_id = _add(
        engine,
        JobRun(
            job_id=job_id,
            status=status,
            reported_status=status,
            run_day=date(2026, 11, day),
            started_at=started,
            ended_at=started + timedelta(hours=1),
        ),
    )
    with session_scope(engine) as s:
        for name in objects:
            s.add(RunObject(run_id=run_id, name=name, status=status))
    return run_id


def seed(engine: Engine, prefix: str = "") -> World:
    """Seed the world (names prefixed, so one database can hold several worlds)."""
    acme = _add(engine, Customer(name=f"{prefix}Acme"))
    beta = _add(engine, Customer(name=f"{prefix}Beta"))

    def job(customer: int | None, name: str, product: str) -> int:
        """Insert a job of the world."""
        return _add(engine, Job(customer_id=customer, product=product, name=f"{prefix}{name}"))

    acme_vm = job(acme, "acme-vm", "veeam")
    acme_nas = job(acme, "acme-nas", "synology")
    beta_job = job(beta, "beta-job", "veeam")
    loose_job = job(None, "loose-job", "bareos")
    vm_runs = (
        _run(engine, acme_vm, 10, "failed", ("VM01", "VM02")),
        _run(engine, acme_vm, 11, "warning", ("VM02",)),
        _run(engine, acme_vm, 12, "success", ("VM01", "VM02")),
    )
    return World(
        acme=acme,
        beta=beta,
        acme_vm=acme_vm,
        acme_nas=acme_nas,
        beta_job=beta_job,
        loose_job=loose_job,
        vm_runs=vm_runs,
        nas_run=_run(engine, acme_nas, 10, "failed", ("share",)),
        beta_run=_run(engine, beta_job, 10, "failed", ("DC01",)),
        loose_run=_run(engine, loose_job, 10, "warning", ()),
    )


@pytest.fixture
def world(engine: Engine) -> World:
    """The world in the per-test database (both backends)."""
    return seed(engine)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One database per backend for the whole transition table (each case its own tickets)."""
    server: PostgresServer | None = None
    name = f"t_{secrets.token_hex(8)}"
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('tickets')) / 'table.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.new_database(name)
    eng = open_database(url)
    yield eng
    eng.dispose()
    if server is not None:
        server.drop_database(name)


@pytest.fixture(scope="module")
def shared_world(shared_engine: Engine) -> World:
    """The world in the shared database."""
    return seed(shared_engine)


def new_ticket(
    engine: Engine,
    w: World,
    title: str = "VM01 fails",
    *,
    scopes: Sequence[ScopeSpec] | None = None,
    code: str = "",
    description: str = "",
) -> TicketView:
    """A ticket (default: on acme-vm with its first run linked), opened at NOW."""
    return tickets.open_ticket(
        engine,
        OPERATOR,
        title,
        code=code,
        description=description,
        scopes=scopes if scopes is not None else [ScopeSpec.job(w.acme_vm)],
        run_ids=[w.vm_runs[0]] if scopes is None else [],
        now=NOW,
    )


def events(engine: Engine, ticket_id: int) -> list[str]:
    """The timeline kinds of a ticket, oldest first."""
    return [e.kind for e in tickets.ticket_detail(engine, ticket_id, now=LATER).timeline]


# ---------------------------------------------------------------------------- transition table


def ticket_in(engine: Engine, w: World, state: str) -> TicketView:
    """A fresh ticket brought to `state` through the service."""
    ticket = new_ticket(engine, w)
    if state in {"in_progress", "on_hold"}:
        tickets.start(engine, OPERATOR, ticket.id, now=NOW)
    if state == "on_hold":
        tickets.hold(engine, OPERATOR, ticket.id, NOW + timedelta(days=7), now=NOW)
    if state == "resolved":
        tickets.resolve(engine, OPERATOR, ticket.id, "noise", "false_alarm", now=NOW)
    if state == "merged":
        other = new_ticket(engine, w, "target")
        tickets.merge(engine, OPERATOR, other.id, [ticket.id], now=NOW)
    return ticket


def act(engine: Engine, w: World, action: str, ticket_id: int) -> TicketView:
    """Do `action` on the ticket, with valid arguments."""
    do: dict[str, Callable[[], TicketView]] = {
        "start": lambda: tickets.start(engine, ADMIN, ticket_id, now=LATER),
        "hold": lambda: tickets.hold(
            engine, ADMIN, ticket_id, LATER + timedelta(days=1), now=LATER
        ),
        "resume": lambda: tickets.resume(engine, ADMIN, ticket_id, now=LATER),
        "resolve": lambda: tickets.resolve(
            engine, ADMIN, ticket_id, "fixed", "data_lost", now=LATER
        ),
        "reopen": lambda: tickets.reopen(engine, ADMIN, ticket_id, now=LATER),
        "comment": lambda: tickets.comment(engine, ADMIN, ticket_id, "looking", now=LATER),
        "edit": lambda: tickets.edit(engine, ADMIN, ticket_id, title="renamed", now=LATER),
        "link_run": lambda: tickets.link_run(engine, ADMIN, ticket_id, w.vm_runs[1], now=LATER),
        "merge": lambda: tickets.merge(
            engine, ADMIN, new_ticket(engine, w, "merge target").id, [ticket_id], now=LATER
        ),
    }
    return do[action]()


R = None  # refused
TABLE: dict[str, dict[str, str | None]] = {
    # state → action → resulting state of the ticket (R: refused)
    "open": {
        "start": "in_progress", "hold": R, "resume": R, "resolve": "resolved", "reopen": R,
        "comment": "open", "edit": "open", "link_run": "open", "merge": "merged",
    },
    "in_progress": {
        "start": R, "hold": "on_hold", "resume": R, "resolve": "resolved", "reopen": R,
        "comment": "in_progress", "edit": "in_progress", "link_run": "in_progress",
        "merge": "merged",
    },
    "on_hold": {
        "start": R, "hold": "on_hold", "resume": "in_progress", "resolve": "resolved",
        "reopen": R, "comment": "on_hold", "edit": "on_hold", "link_run": "on_hold",
        "merge": "merged",
    },
    "resolved": {
        "start": R, "hold": R, "resume": R, "resolve": R, "reopen": "open",
        "comment": "resolved", "edit": "resolved", "link_run": "resolved", "merge": "merged",
    },
    "merged": dict.fromkeys(
        ["start", "hold", "resume", "resolve", "reopen", "comment", "edit", "link_run", "merge"],
        R,
    ),
}  # fmt: skip
CASES = [(state, action, result) for state, row in TABLE.items() for action, result in row.items()]


@pytest.mark.parametrize(("state", "action", "result"), CASES)
def test_transition_table(
    shared_engine: Engine, shared_world: World, state: str, action: str, result: str | None
) -> None:
    """Every action from every state: the resulting state, or a one-sentence refusal that
    changes nothing."""
    ticket = ticket_in(shared_engine, shared_world, state)
    before = events(shared_engine, ticket.id)
    assert tickets.ticket_detail(shared_engine, ticket.id, now=LATER).ticket.state == state
    if result is None:
        with pytest.raises(TransitionRefused) as refused:
            act(shared_engine, shared_world, action, ticket.id)
        message = refused.value.message
        assert message.endswith(".")
        assert message.count(". ") == 0
        assert f"#{ticket.number}" in message
        assert events(shared_engine, ticket.id) == before
        assert action not in tickets.allowed_actions(state)
    else:
        act(shared_engine, shared_world, action, ticket.id)
        detail = tickets.ticket_detail(shared_engine, ticket.id, now=LATER)
        assert detail.ticket.state == result
        assert len(detail.timeline) > len(before)
        assert action in tickets.allowed_actions(state)


def test_refusal_sentences(engine: Engine, world: World) -> None:
    """Refusals read as plain sentences naming the ticket (and the merge target)."""
    ticket = new_ticket(engine, world)
    with pytest.raises(TransitionRefused, match=r"^Ticket #1 is open, so it cannot be reopened"):
        tickets.reopen(engine, OPERATOR, ticket.id)
    target = new_ticket(engine, world, "target")
    tickets.merge(engine, OPERATOR, target.id, [ticket.id])
    with pytest.raises(TransitionRefused, match=r"was merged into #2; change #2 instead\.$"):
        tickets.comment(engine, OPERATOR, ticket.id, "hello")
    with pytest.raises(TransitionRefused):
        tickets.merge(engine, OPERATOR, ticket.id, [target.id])


# ---------------------------------------------------------------------------- lifecycle


def test_open_ticket_and_detail(engine: Engine, world: World) -> None:
    """Numbers count from 1; the detail names scopes and runs; the timeline starts 'opened'."""
    first = tickets.open_ticket(
        engine,
        OPERATOR,
        "  Acme backups fail  ",
        description="**VM01** times out",
        code="PSA-123",
        scopes=[
            ScopeSpec.customer(world.acme),
            ScopeSpec.job(world.acme_vm),
            ScopeSpec.object(world.acme_vm, " VM01 "),
            ScopeSpec.job(world.acme_vm),  # duplicate: kept once
        ],
        run_ids=[world.vm_runs[0]],
        now=NOW,
    )
    assert (first.number, first.label, first.title, first.state) == (
        1,
        "#1",
        "Acme backups fail",
        "open",
    )
    assert (first.created_by, first.created_at, first.active_from) == ("olga", NOW, NOW)
    second = new_ticket(engine, world, "second")
    assert second.number == 2
    detail = tickets.ticket_detail(engine, first.id, now=NOW)
    assert [s.label for s in detail.scopes] == [
        "Acme",
        "Acme / acme-vm",
        "VM01 on Acme / acme-vm",
    ]
    assert [s.kind for s in detail.scopes] == ["customer", "job", "object"]
    (run,) = detail.runs
    assert (run.run_id, run.job, run.customer, run.status, run.run_day, run.kind) == (
        world.vm_runs[0], "acme-vm", "Acme", "failed", date(2026, 11, 10), "linked",
    )  # fmt: skip
    assert [(e.kind, e.actor) for e in detail.timeline] == [
        ("opened", "olga"),
        ("linked_run", "olga"),
    ]
    assert (
        detail.timeline[1].summary == f"linked run {world.vm_runs[0]} (acme-vm, failed, 2026-11-10)"
    )
    with session_scope(engine) as s:
        audits = s.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "ticket.open")
            .order_by(col(AuditEvent.id))
        ).all()
        assert [a.entity_id for a in audits] == [first.id, second.id]


def test_open_ticket_refuses_bad_input(engine: Engine, world: World) -> None:
    """Empty title, no scope, malformed or unknown scopes and runs: plain refusals, no ticket."""
    bad: list[tuple[type[Exception], str, dict[str, object]]] = [
        (InvalidInput, "title cannot be empty", {"title": "  "}),
        (InvalidInput, "at least one scope", {"scopes": []}),
        (InvalidInput, "not both", {"scopes": [ScopeSpec(world.acme, world.acme_vm)]}),
        (InvalidInput, "needs the job", {"scopes": [ScopeSpec(object_name="VM01")]}),
        (InvalidInput, "needs a customer", {"scopes": [ScopeSpec()]}),
        (NotFound, "no job with id 999", {"scopes": [ScopeSpec.job(999)]}),
        (NotFound, "no customer with id 999", {"scopes": [ScopeSpec.customer(999)]}),
        (NotFound, "no run with id 999", {"run_ids": [999]}),
    ]  # fmt: skip
    for error, words, override in bad:
        args: dict[str, object] = {
            "title": "t", "scopes": [ScopeSpec.job(world.acme_vm)], "run_ids": [], **override,
        }  # fmt: skip
        with pytest.raises(error, match=words):
            tickets.open_ticket(engine, OPERATOR, **args)  # type: ignore[arg-type]
    assert tickets.list_tickets(engine, "all") == []
    assert new_ticket(engine, world).number == 1  # no number was used up


def test_comment_edit_and_link(engine: Engine, world: World) -> None:
    """Comments are appended; edits keep the previous text; linking twice links once."""
    ticket = new_ticket(engine, world, code="OLD-1")
    tickets.comment(engine, OPERATOR, ticket.id, "Called the customer.", now=NOW)
    with pytest.raises(InvalidInput):
        tickets.comment(engine, OPERATOR, ticket.id, "   ")
    edited = tickets.edit(
        engine, ADMIN, ticket.id, title="VM01 and VM02 fail", code="NEW-2", description="x", now=NOW
    )
    assert (edited.title, edited.code, edited.description) == ("VM01 and VM02 fail", "NEW-2", "x")
    tickets.edit(engine, ADMIN, ticket.id, title="VM01 and VM02 fail")  # no change: no event
    tickets.link_run(engine, OPERATOR, ticket.id, world.vm_runs[1], now=NOW)
    tickets.link_run(engine, OPERATOR, ticket.id, world.vm_runs[1], now=NOW)  # again: no-op
    detail = tickets.ticket_detail(engine, ticket.id, now=NOW)
    kinds = [e.kind for e in detail.timeline]
    assert kinds == ["opened", "linked_run", "comment", "edit", "linked_run"]
    comment_entry, edit_entry = detail.timeline[2], detail.timeline[3]
    assert comment_entry.summary == "Called the customer."
    assert edit_entry.details["before"] == {
        "title": "VM01 fails",
        "code": "OLD-1",
        "description": "",
    }
    assert edit_entry.details["after"]["code"] == "NEW-2"
    assert edit_entry.summary == "edited code and description and title"
    assert [r.run_id for r in detail.runs] == list(world.vm_runs[:2])


def test_comments_cannot_be_changed(engine: Engine, world: World) -> None:
    """No service changes a comment: the timeline only grows (the API has no such function)."""
    assert not any(hasattr(tickets, name) for name in ("edit_comment", "delete_comment"))
    ticket = new_ticket(engine, world)
    tickets.comment(engine, OPERATOR, ticket.id, "first words")
    tickets.edit(engine, OPERATOR, ticket.id, description="changed")
    bodies = [
        e.summary for e in tickets.ticket_detail(engine, ticket.id).timeline if e.kind == "comment"
    ]
    assert bodies == ["first words"]


def test_on_hold_expires_with_an_explicit_clock(engine: Engine, world: World) -> None:
    """A hold ends by itself when its date passes: refresh_holds (once), or lazily on read
    and on write."""
    until = NOW + timedelta(days=2)
    a, b, c = (new_ticket(engine, world, t) for t in ("a", "b", "c"))
    for t in (a, b, c):
        tickets.start(engine, OPERATOR, t.id, now=NOW)
        tickets.hold(engine, OPERATOR, t.id, until, now=NOW)
    with pytest.raises(InvalidInput, match="in the future"):
        tickets.hold(engine, OPERATOR, a.id, NOW - timedelta(minutes=1), now=NOW)
    assert tickets.refresh_holds(engine, until - timedelta(seconds=1)) == []
    detail = tickets.ticket_detail(engine, a.id, now=until - timedelta(seconds=1))
    assert (detail.ticket.state, detail.ticket.on_hold_until) == ("on_hold", until)
    # lazily on write: b's hold expired, so "resume" finds it in progress already
    with pytest.raises(TransitionRefused, match="is in progress"):
        tickets.resume(engine, OPERATOR, b.id, now=until)
    tickets.comment(engine, OPERATOR, b.id, "still failing", now=until)
    assert tickets.refresh_holds(engine, until) == [a.number, c.number]
    assert tickets.refresh_holds(engine, until) == []
    for t in (a, b, c):
        detail = tickets.ticket_detail(engine, t.id, now=until)
        assert (detail.ticket.state, detail.ticket.on_hold_until) == ("in_progress", None)
        (back,) = [e for e in detail.timeline if e.kind == "back_from_hold"]
        assert (back.at, back.actor, back.summary) == (
            until, "system", "back from hold (the hold date passed)",
        )  # fmt: skip
    assert events(engine, b.id)[-2:] == ["back_from_hold", "comment"]


def test_hold_expires_lazily_on_read(engine: Engine, world: World) -> None:
    """Reading a list after the date brings the ticket back (with its timeline event)."""
    ticket = new_ticket(engine, world)
    tickets.start(engine, OPERATOR, ticket.id, now=NOW)
    tickets.hold(engine, OPERATOR, ticket.id, NOW + timedelta(hours=2), now=NOW)
    (row,) = tickets.list_tickets(engine, now=NOW + timedelta(hours=1))
    assert row.state == "on_hold"
    (row,) = tickets.list_tickets(engine, now=NOW + timedelta(hours=3))
    assert row.state == "in_progress"
    assert events(engine, ticket.id)[-1] == "back_from_hold"
    with pytest.raises(ValueError, match="naive"):
        tickets.refresh_holds(engine, datetime(2026, 1, 1))  # noqa: DTZ001 - the point


def test_close_categories_offer_the_teams_own_first(engine: Engine, world: World) -> None:
    """Categories used before come first (most used first), then the common ones."""
    assert tickets.close_categories(engine)[:2] == ["storage full", "target unreachable"]
    for title, category in [("a", "NAS quota"), ("b", "NAS quota"), ("c", "target unreachable")]:
        made = new_ticket(engine, world, title=title)
        tickets.resolve(engine, OPERATOR, made.id, category, "false_alarm", now=LATER)
    offered = tickets.close_categories(engine)
    assert offered[:3] == ["NAS quota", "target unreachable", "storage full"]
    assert offered.count("target unreachable") == 1


def test_resolve_and_reopen(engine: Engine, world: World) -> None:
    """Resolve records who, when and how; reopen clears it and keeps the history."""
    ticket = new_ticket(engine, world)
    done = tickets.resolve(engine, OPERATOR, ticket.id, "Disk full", "data_lost", now=LATER)
    assert (done.state, done.closed_at, done.closed_by) == ("resolved", LATER, "olga")
    assert (done.close_category, done.close_outcome, done.active) == (
        "Disk full",
        "data_lost",
        False,
    )
    again = tickets.reopen(engine, ADMIN, ticket.id, now=LATER)
    assert (again.state, again.closed_at, again.close_category, again.close_outcome) == (
        "open",
        None,
        "",
        "",
    )
    detail = tickets.ticket_detail(engine, ticket.id, now=LATER)
    assert [e.summary for e in detail.timeline[-2:]] == [
        "resolved: Disk full — data lost",
        "reopened",
    ]
    assert detail.timeline[-1].details["previous"] == {
        "category": "Disk full",
        "outcome": "data_lost",
    }


def test_closing_outcomes(engine: Engine, world: World) -> None:
    """false alarm / data lost take no runs; reprocessed needs later runs of a covered job."""
    ticket = new_ticket(engine, world)  # acme-vm, run of 10 Nov linked
    refusals: list[tuple[str, str, list[int], str]] = [
        ("cat", "false_alarm", [world.vm_runs[2]], "Only the reprocessed outcome"),
        ("cat", "reprocessed", [], "needs the run or runs"),
        ("cat", "bogus", [], "must be one of"),
        ("  ", "false_alarm", [], "category cannot be empty"),
        ("cat", "reprocessed", [world.vm_runs[0]], f"Run {world.vm_runs[0]} is not a later run"),
        ("cat", "reprocessed", [world.beta_run], "is not a later run of a job ticket #1 covers"),
        ("cat", "reprocessed", [world.vm_runs[2], world.nas_run], f"Run {world.nas_run}"),
    ]
    for category, outcome, runs, words in refusals:
        with pytest.raises(InvalidInput, match=words):
            tickets.resolve(
                engine, OPERATOR, ticket.id, category, outcome,  # type: ignore[arg-type]
                reprocessed_run_ids=runs, now=LATER,
            )  # fmt: skip
    assert [r.run_id for r in tickets.reprocess_candidates(engine, ticket.id)] == list(
        world.vm_runs[1:]
    )
    done = tickets.resolve(
        engine, OPERATOR, ticket.id, "Re-run", "reprocessed",
        reprocessed_run_ids=[world.vm_runs[2]], now=LATER,
    )  # fmt: skip
    assert done.close_outcome == "reprocessed"
    detail = tickets.ticket_detail(engine, ticket.id, now=LATER)
    assert [(r.run_id, r.kind) for r in detail.runs] == [
        (world.vm_runs[0], "linked"), (world.vm_runs[2], "reprocessed"),
    ]  # fmt: skip
    assert (
        detail.timeline[-1].summary == f"resolved: Re-run — reprocessed (runs {world.vm_runs[2]})"
    )
    for outcome in ("false_alarm", "data_lost"):
        other = new_ticket(engine, world, outcome)
        closed = tickets.resolve(engine, OPERATOR, other.id, "x", outcome, now=LATER)  # type: ignore[arg-type]
        assert closed.close_outcome == outcome


def test_reprocess_candidates_of_a_customer_scope(engine: Engine, world: World) -> None:
    """A customer scope makes every job of the customer count; without a linked run of a job,
    runs after the ticket became active count."""
    ticket = tickets.open_ticket(
        engine, OPERATOR, "Acme", scopes=[ScopeSpec.customer(world.acme)],
        run_ids=[world.vm_runs[1]], active_from=datetime(2026, 11, 9, tzinfo=UTC), now=NOW,
    )  # fmt: skip
    ids = {r.run_id for r in tickets.reprocess_candidates(engine, ticket.id)}
    assert ids == {world.vm_runs[2], world.nas_run}


def test_merge_carries_scopes_links_and_timeline(engine: Engine, world: World) -> None:
    """Sources become merged into the target; scopes, runs and events are carried over; both
    timelines record it; tickets merged earlier into a source now point at the target."""
    target = new_ticket(engine, world, "VM01 fails")
    source = tickets.open_ticket(
        engine, OPERATOR, "Beta DC01", scopes=[ScopeSpec.customer(world.beta)],
        run_ids=[world.beta_run], now=NOW,
    )  # fmt: skip
    tickets.comment(engine, OPERATOR, source.id, "same root cause", now=NOW)
    earlier = tickets.open_ticket(
        engine, OPERATOR, "share", scopes=[ScopeSpec.object(world.acme_nas, "share")], now=NOW
    )
    tickets.merge(engine, OPERATOR, source.id, [earlier.id], now=NOW)
    merged = tickets.merge(engine, ADMIN, target.id, [target.id, source.id], now=LATER)
    assert merged.state == "open"
    detail = tickets.ticket_detail(engine, target.id, now=LATER)
    assert {s.label for s in detail.scopes} == {
        "Acme / acme-vm", "Beta", "share on Acme / acme-nas",
    }  # fmt: skip
    assert {r.run_id for r in detail.runs} == {world.vm_runs[0], world.beta_run}
    summaries = [e.summary for e in detail.timeline]
    assert "[#2] same root cause" in summaries
    assert "[#2] merged #3 into this ticket" in summaries
    assert summaries[-1] == "merged #2 into this ticket"
    assert detail.merged_from == (source.number, earlier.number)
    src = tickets.ticket_detail(engine, source.id, now=LATER)
    assert (src.ticket.state, src.ticket.merged_into_number, src.ticket.active) == (
        "merged",
        1,
        False,
    )
    assert src.timeline[-1].summary == "merged into #1"
    assert tickets.ticket_detail(engine, earlier.id).ticket.merged_into_id == target.id
    assert [r.number for r in tickets.list_tickets(engine, "active")] == [target.number]
    assert {r.number for r in tickets.list_tickets(engine, "resolved")} == {2, 3}
    with pytest.raises(InvalidInput, match="at least one other ticket"):
        tickets.merge(engine, OPERATOR, target.id, [target.id])
    with session_scope(engine) as s:
        audit = s.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "ticket.merge")
            .order_by(col(AuditEvent.id))
        ).all()
        assert [a.entity_id for a in audit] == [source.id, target.id]


# ---------------------------------------------------------------------------- lists and search


def test_list_filters(engine: Engine, world: World) -> None:
    """State, customer (directly or via a job), product and text (#N, code, title,
    description; wildcards are literal)."""
    vm = new_ticket(engine, world, "VM01 fails", code="PSA-77", description="100% full disk")
    beta = tickets.open_ticket(
        engine, OPERATOR, "Beta down", scopes=[ScopeSpec.customer(world.beta)], now=NOW
    )
    nas = tickets.open_ticket(
        engine, OPERATOR, "NAS share", scopes=[ScopeSpec.object(world.acme_nas, "share")], now=NOW
    )
    tickets.resolve(engine, OPERATOR, nas.id, "done", "false_alarm", now=NOW)

    def numbers(**kw: object) -> list[int]:
        """Ticket numbers the list shows under the filters `kw`."""
        return [r.number for r in tickets.list_tickets(engine, now=LATER, **kw)]  # type: ignore[arg-type]

    assert numbers() == [beta.number, vm.number]
    assert numbers(state="resolved") == [nas.number]
    assert numbers(state="all") == [nas.number, beta.number, vm.number]
    assert numbers(state="all", customer_id=world.acme) == [nas.number, vm.number]
    assert numbers(state="all", customer_id=world.beta) == [beta.number]
    assert numbers(state="all", product="synology") == [nas.number]
    assert numbers(state="all", product="veeam") == [vm.number]
    assert numbers(state="all", text="psa-77") == [vm.number]
    assert numbers(state="all", text="#2") == [beta.number]
    assert numbers(state="all", text="beta") == [beta.number]
    assert numbers(state="all", text="100%") == [vm.number]
    assert numbers(state="all", text="0%f") == []
    rows = tickets.list_tickets(engine, "all", now=LATER)
    assert rows[0].scope_summary == "share on Acme / acme-nas"
    with pytest.raises(ValueError, match="unknown state filter"):
        tickets.list_tickets(engine, "closed")  # type: ignore[arg-type]


def test_find_for_link_orders_job_then_customer_then_all(engine: Engine, world: World) -> None:
    """The link picker: active tickets of this job, then of its customer, then the rest;
    text matches substrings and subsequences, case-insensitively."""
    other = tickets.open_ticket(
        engine, OPERATOR, "Beta backup", scopes=[ScopeSpec.job(world.beta_job)], now=NOW
    )
    customer = tickets.open_ticket(
        engine, OPERATOR, "Acme backup", scopes=[ScopeSpec.customer(world.acme)], now=NOW
    )
    job = new_ticket(engine, world, "VM backup")
    obj = tickets.open_ticket(
        engine, OPERATOR, "VM02 backup", scopes=[ScopeSpec.object(world.acme_vm, "VM02")], now=NOW
    )
    done = new_ticket(engine, world, "old backup")
    tickets.resolve(engine, OPERATOR, done.id, "x", "false_alarm", now=NOW)

    def picked(text: str = "") -> list[int]:
        """Ticket numbers the link picker offers for acme-vm."""
        return [r.number for r in coverage.find_for_link(engine, world.acme_vm, text)]

    assert picked() == [obj.number, job.number, customer.number, other.number]
    assert picked("BACKUP") == [job.number, obj.number, customer.number, other.number]
    assert picked("vm02") == [obj.number]
    assert picked("bta bkp") == [other.number]
    assert picked("#3") == [job.number]
    assert picked("zzz") == []
    assert coverage.fuzzy_score("abc", "xabcx") > coverage.fuzzy_score("abc", "a-b-c")  # type: ignore[operator]
    with pytest.raises(NotFound):
        coverage.find_for_link(engine, 999)


# ---------------------------------------------------------------------------- coverage


def test_scope_matching_for_jobs_and_runs(engine: Engine, world: World) -> None:
    """A customer scope covers all its jobs and runs; a job scope its job; an object scope its
    job (for markers) and only runs holding that object."""
    by_customer = tickets.open_ticket(
        engine, OPERATOR, "Beta", scopes=[ScopeSpec.customer(world.beta)], now=NOW
    )
    by_job = tickets.open_ticket(
        engine, OPERATOR, "NAS", scopes=[ScopeSpec.job(world.acme_nas)], now=NOW
    )
    by_object = tickets.open_ticket(
        engine, OPERATOR, "VM01", scopes=[ScopeSpec.object(world.acme_vm, "vm01")], now=NOW
    )
    jobs = [world.acme_vm, world.acme_nas, world.beta_job, world.loose_job]
    assert coverage.markers(engine, jobs, now=LATER) == {
        world.acme_vm: (True, False),
        world.acme_nas: (True, False),
        world.beta_job: (True, False),
        world.loose_job: (False, False),
    }

    def covering(run_id: int) -> list[str]:
        """Labels of the items covering the run."""
        return [i.label for i in coverage.covering(engine, run_id, now=LATER)]

    assert covering(world.beta_run) == [f"#{by_customer.number}"]
    assert covering(world.nas_run) == [f"#{by_job.number}"]
    assert covering(world.vm_runs[0]) == [f"#{by_object.number}"]  # has VM01 (case ignored)
    assert covering(world.vm_runs[1]) == []  # VM02 only
    assert covering(world.loose_run) == []
    assert [i.id for i in coverage.covering_job(engine, world.acme_vm, now=LATER)] == [by_object.id]
    # a run linked to an active ticket is covered by it, whatever the scopes
    tickets.link_run(engine, OPERATOR, by_customer.id, world.loose_run)
    (item,) = coverage.covering(engine, world.loose_run, now=LATER)
    assert (item.kind, item.number, item.title, item.state, item.linked) == (
        "ticket", by_customer.number, "Beta", "open", True,
    )  # fmt: skip
    with pytest.raises(NotFound):
        coverage.covering(engine, 999)


def test_markers_appear_while_active_and_disappear_on_resolve(engine: Engine, world: World) -> None:
    """Active tickets mark their jobs; a resolved or merged one, or one not yet active, does not."""
    assert coverage.markers(engine, [world.acme_vm], now=LATER) == {world.acme_vm: (False, False)}
    ticket = new_ticket(engine, world)
    future = tickets.open_ticket(
        engine, OPERATOR, "planned", scopes=[ScopeSpec.job(world.beta_job)],
        active_from=NOW + timedelta(days=1), now=NOW,
    )  # fmt: skip
    assert coverage.markers(engine, [world.acme_vm, world.beta_job], now=LATER) == {
        world.acme_vm: (True, False),
        world.beta_job: (False, False),
    }
    assert coverage.markers(engine, [world.beta_job], now=NOW + timedelta(days=2)) == {
        world.beta_job: (True, False)
    }
    tickets.start(engine, OPERATOR, ticket.id, now=NOW)
    tickets.hold(engine, OPERATOR, ticket.id, NOW + timedelta(days=3), now=NOW)
    assert coverage.markers(engine, [world.acme_vm], now=LATER)[world.acme_vm] == (True, False)
    tickets.resolve(engine, OPERATOR, ticket.id, "ok", "false_alarm", now=LATER)
    assert coverage.markers(engine, [world.acme_vm], now=LATER)[world.acme_vm] == (False, False)
    tickets.reopen(engine, OPERATOR, ticket.id, now=LATER)
    with session_scope(engine) as s:  # a caller's session works too
        assert coverage.markers(s, [world.acme_vm], now=LATER)[world.acme_vm] == (True, False)
    target = new_ticket(engine, world, "elsewhere", scopes=[ScopeSpec.job(world.loose_job)])
    tickets.merge(engine, OPERATOR, target.id, [future.id], now=LATER)
    later = NOW + timedelta(days=2)
    assert coverage.markers(engine, [world.beta_job], now=later)[world.beta_job] == (True, False)
    tickets.resolve(engine, OPERATOR, target.id, "ok", "false_alarm", now=later)
    assert coverage.markers(engine, [world.beta_job], now=later)[world.beta_job] == (False, False)
    assert coverage.markers(engine, []) == {}


def test_markers_take_a_couple_of_statements(engine: Engine, world: World) -> None:
    """However many jobs and tickets, markers issue at most two SQL statements."""
    for _ in range(5):
        new_ticket(engine, world)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        """Collect SELECT statements."""
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        coverage.markers(engine, [world.acme_vm, world.acme_nas, world.beta_job], now=LATER)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert 1 <= len(statements) <= 2


# ---------------------------------------------------------------------------- writers and roles


def test_sequence_numbers_unique_with_two_writers(db_url: str) -> None:
    """Two app instances (own engines) open tickets at once: numbers 1..N, no gaps, no errors."""
    setup = open_database(db_url)
    w = seed(setup)
    setup.dispose()
    engines = [open_database(db_url), open_database(db_url)]
    errors: list[BaseException] = []
    numbers: list[int] = []
    barrier = threading.Barrier(2)

    def work(engine: Engine, actor: Actor) -> None:
        """Open tickets as fast as possible after the barrier."""
        try:
            barrier.wait()
            for i in range(15):
                t = tickets.open_ticket(
                    engine, actor, f"{actor.login} {i}", scopes=[ScopeSpec.job(w.acme_vm)]
                )
                numbers.append(t.number)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(engines[0], OPERATOR)),
        threading.Thread(target=work, args=(engines[1], ADMIN)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(numbers) == list(range(1, 31))
    for e in engines:
        e.dispose()


WRITES: dict[str, Callable[[Engine, Actor, World, int], object]] = {
    "open": lambda e, a, w, _t: tickets.open_ticket(e, a, "x", scopes=[ScopeSpec.job(w.acme_vm)]),
    "start": lambda e, a, _w, t: tickets.start(e, a, t),
    "hold": lambda e, a, _w, t: tickets.hold(e, a, t, datetime(2099, 1, 1, tzinfo=UTC)),
    "resume": lambda e, a, _w, t: tickets.resume(e, a, t),
    "comment": lambda e, a, _w, t: tickets.comment(e, a, t, "hi"),
    "edit": lambda e, a, _w, t: tickets.edit(e, a, t, title="new"),
    "link_run": lambda e, a, w, t: tickets.link_run(e, a, t, w.vm_runs[2]),
    "resolve": lambda e, a, _w, t: tickets.resolve(e, a, t, "c", "false_alarm"),
    "reopen": lambda e, a, _w, t: tickets.reopen(e, a, t),
    "merge": lambda e, a, w, t: tickets.merge(e, a, t, [new_ticket(e, w).id]),
}


def test_viewers_read_but_cannot_write(engine: Engine, world: World) -> None:
    """Every ticket write refuses a Viewer in the service; reading works."""
    ticket = new_ticket(engine, world)
    for name, write in WRITES.items():
        with pytest.raises(PermissionDenied, match="may not create or change tickets"):
            write(engine, VIEWER, world, ticket.id)
        assert name  # every write covered
    assert tickets.ticket_detail(engine, ticket.id).ticket.state == "open"
    assert ticket.id in {row.id for row in tickets.list_tickets(engine)}
    assert coverage.covering(engine, world.vm_runs[0])


@pytest.mark.parametrize("actor", [OPERATOR, ADMIN], ids=["operator", "admin"])
def test_operators_and_admins_write_and_everything_is_audited(
    engine: Engine, world: World, actor: Actor
) -> None:
    """Operators and Admins do the whole lifecycle; each change leaves an audit entry."""
    ticket = new_ticket(engine, world)
    for name in (
        "start",
        "hold",
        "resume",
        "comment",
        "edit",
        "link_run",
        "resolve",
        "reopen",
        "merge",
        "open",
    ):
        WRITES[name](engine, actor, world, ticket.id)
    with session_scope(engine) as s:
        mine = s.exec(
            select(AuditEvent.action).where(
                AuditEvent.actor == actor.login, AuditEvent.entity == "ticket"
            )
        ).all()
        timeline = s.exec(
            select(TimelineEvent.kind)
            .where(TimelineEvent.ticket_id == ticket.id)
            .order_by(col(TimelineEvent.id))
        ).all()
    assert sorted(set(mine)) == sorted(
        {"ticket.open", "ticket.start", "ticket.hold", "ticket.resume", "ticket.comment",
         "ticket.edit", "ticket.link_run", "ticket.resolve", "ticket.reopen", "ticket.merge"}
    )  # fmt: skip
    assert list(timeline) == [
        "opened", "linked_run", "started", "put_on_hold", "back_from_hold", "comment", "edit",
        "linked_run", "resolved", "reopened",
        "opened", "linked_run",  # copied from the merged ticket
        "merged",
    ]  # fmt: skip


def test_add_scope_widens_coverage_once_and_only_while_active(engine: Engine, world: World) -> None:
    """A ticket on one job is given the NAS job: markers follow; twice is once; a resolved
    ticket refuses; the timeline names the scope."""
    ticket = tickets.open_ticket(
        engine, OPERATOR, "t", scopes=[ScopeSpec.job(world.acme_vm)], now=NOW
    )
    assert not tickets.covers_job(engine, "ticket", ticket.id, world.acme_nas)
    tickets.add_scope(engine, OPERATOR, ticket.id, ScopeSpec.job(world.acme_nas), now=LATER)
    tickets.add_scope(engine, OPERATOR, ticket.id, ScopeSpec.job(world.acme_nas), now=LATER)
    detail = tickets.ticket_detail(engine, ticket.id, now=LATER)
    assert [s.job_id for s in detail.scopes] == [world.acme_vm, world.acme_nas]
    assert [e.summary for e in detail.timeline if e.kind == "scope_added"] == [
        "now also covers Acme / acme-nas"
    ]
    assert tickets.covers_job(engine, "ticket", ticket.id, world.acme_nas)
    assert coverage.markers(engine, [world.acme_nas], now=LATER)[world.acme_nas][0]
    tickets.resolve(engine, OPERATOR, ticket.id, "fixed", "false_alarm", now=LATER)
    with pytest.raises(TransitionRefused, match="cannot be given another scope"):
        tickets.add_scope(engine, OPERATOR, ticket.id, ScopeSpec.job(world.beta_job), now=LATER)
    with pytest.raises(PermissionDenied):
        tickets.add_scope(engine, VIEWER, ticket.id, ScopeSpec.job(world.beta_job), now=LATER)


def test_covers_job_through_the_customer(engine: Engine, world: World) -> None:
    """A customer scope covers each of the customer's jobs, an object scope not the job."""
    by_customer = tickets.open_ticket(
        engine, OPERATOR, "c", scopes=[ScopeSpec.customer(world.acme)], now=NOW
    )
    by_object = tickets.open_ticket(
        engine, OPERATOR, "o", scopes=[ScopeSpec.object(world.acme_vm, "VM01")], now=NOW
    )
    assert tickets.covers_job(engine, "ticket", by_customer.id, world.acme_nas)
    assert not tickets.covers_job(engine, "ticket", by_customer.id, world.beta_job)
    assert not tickets.covers_job(engine, "ticket", by_object.id, world.acme_vm)
