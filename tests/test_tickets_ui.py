"""Tickets (3) and Remarks (4) by keyboard: lifecycle, merge, roles, Run Checks markers;
snapshots of both lists and of a ticket's detail with its timeline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from rich.text import Text
from sqlmodel import Session, select
from textual.pilot import Pilot
from textual.widgets import OptionList, RichLog

from backupchecks_tui.domain import Changed
from backupchecks_tui.facade import bind
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import remarks, tickets
from backupchecks_tui.views.items import ScopeSpec
from backupchecks_tui.workspace import Workspace
from screens.app import BackupChecksApp
from screens.dialogs import ConfirmDialog, PromptDialog
from screens.forms import FollowUpForm, PickerDialog
from screens.widgets.tables import KeyedTable
from store.models import Job
from tests.mailfactory import synthetic_mail
from tests.uihelpers import settle, workspace

SnapCompare = Callable[..., bool]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
OPERATOR = Actor("olga", Role.OPERATOR)


def mails() -> list[bytes]:
    """job-a fails, job-b warns."""
    return [
        synthetic_mail(1, status="failed", job="job-a"),
        synthetic_mail(2, status="warning", job="job-b"),
    ]


def job_scope(ws: Workspace, name: str) -> ScopeSpec:
    """The scope of the job called `name`."""
    with Session(ws.engine) as session:
        job_id = session.exec(select(Job.id).where(Job.name == name)).one()
    assert job_id is not None
    return ScopeSpec.job(job_id)


async def answer(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the open prompt and confirm."""
    assert isinstance(pilot.app.screen, PromptDialog)
    await pilot.press(*text, "enter")
    await settle(pilot)


async def pick(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the open fuzzy picker and take the best entry."""
    assert isinstance(pilot.app.screen, PickerDialog)
    await pilot.press(*text)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def fill(pilot: Pilot[None], *, title: str = "", text: str = "") -> None:
    """Type a title (tickets) and a text into the open follow-up form, then save."""
    assert isinstance(pilot.app.screen, FollowUpForm)
    if title:
        await pilot.press(*title, "enter")
        await pilot.press("tab")  # past the code to the text
    for index, line in enumerate(text.split("\n")):
        await pilot.press(*(["enter"] if index else []), *line)
    await pilot.press("ctrl+s")
    await settle(pilot)


def detail_text(app: BackupChecksApp, pane: str) -> str:
    """The detail pane as plain text."""
    log = app.screen.query_one(pane, RichLog)
    return "\n".join(strip.text for strip in log.lines)


def active_keys(app: BackupChecksApp) -> set[str]:
    """The keys of the screen's bindings that are available now."""
    return {key for key, active in app.screen.active_bindings.items() if active.enabled}


async def test_ticket_lifecycle_by_keyboard(tmp_path: Path) -> None:
    """n, s, h, c, x (false alarm), o: every step lands in the timeline."""
    ws = workspace(tmp_path, mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pick(pilot, "job-a")
        await fill(pilot, title="job-a fails every night", text="The *repository* is full")
        rows = tickets.list_tickets(ws.engine, "all")
        assert [r.title for r in rows] == ["job-a fails every night"]
        assert "job-a" in rows[0].scope_summary
        assert rows[0].description == "The *repository* is full"
        assert "s" in active_keys(app) and "o" not in active_keys(app)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await answer(pilot, "2099-01-01")
        await pilot.press("c")
        await settle(pilot)
        await answer(pilot, "vendor says *fixed*")
        await pilot.press("x")
        await settle(pilot)
        await pick(pilot, "vendor bug")  # a new category: what was typed
        await pick(pilot, "false")
        ticket = tickets.ticket_detail(ws.engine, rows[0].id).ticket
        assert (ticket.state, ticket.close_outcome) == ("resolved", "false_alarm")
        await pilot.press("F")  # active → resolved
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        kinds = [e.kind for e in tickets.ticket_detail(ws.engine, rows[0].id).timeline]
        assert kinds == ["opened", "started", "put_on_hold", "comment", "resolved", "reopened"]
        await pilot.press("F")  # resolved → all: the reopened ticket is back in view
        await settle(pilot)
        shown = detail_text(app, "#tickets-detail")
        assert "vendor says *fixed*" in shown and "olga" in shown and "reopened" in shown


async def test_merge_target_is_picked_from_the_selection(tmp_path: Path) -> None:
    """Three selected: typing in the picker chooses the target; the other two merge into it."""
    ws = workspace(tmp_path, mails())
    made = [
        tickets.open_ticket(ws.engine, ws.actor, title, scopes=[job_scope(ws, "job-a")])
        for title in ("alpha", "bravo", "charlie")
    ]
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("space", "space", "space")
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot)
        await pick(pilot, "bravo")
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question == "Merge #1, #3 into #2?"
        await pilot.press("y")
        await settle(pilot)
    assert tickets.ticket_detail(ws.engine, made[1].id).merged_from == (1, 3)


async def test_merge_two_tickets_by_keyboard(tmp_path: Path) -> None:
    """space selects the top ticket (the newest, #2) and moves to #1; M, enter (the target
    picker offers the current ticket first) and y merge #2 into #1."""
    ws = workspace(tmp_path, mails())
    first = tickets.open_ticket(ws.engine, ws.actor, "first", scopes=[job_scope(ws, "job-a")])
    second = tickets.open_ticket(ws.engine, ws.actor, "second", scopes=[job_scope(ws, "job-b")])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        table = app.screen.query_one(KeyedTable)
        assert table.current_key == second.id
        assert "M" not in active_keys(app)
        await pilot.press("space")
        await settle(pilot)
        assert table.current_key == first.id
        assert "M" in active_keys(app)
        await pilot.press("M")
        await settle(pilot)
        assert isinstance(app.screen, PickerDialog)  # the target: the current one first
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "#2 into #1" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert table.row_count == 1
    merged = tickets.ticket_detail(ws.engine, first.id)
    assert merged.merged_from == (second.number,)
    assert {s.job for s in merged.scopes} == {"job-a", "job-b"}
    assert tickets.ticket_detail(ws.engine, second.id).ticket.state == "merged"


async def test_viewer_reads_but_cannot_act(tmp_path: Path) -> None:
    """A Viewer sees both lists; no write key is available."""
    ws = workspace(tmp_path, mails(), role=Role.VIEWER, login="vera")
    tickets.open_ticket(ws.engine, OPERATOR, "seen", scopes=[job_scope(ws, "job-a")])
    remarks.add_remark(ws.engine, OPERATOR, "a note", [job_scope(ws, "job-b")])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert app.screen.query_one(KeyedTable).row_count == 1
        assert not {"n", "s", "c", "x", "E", "M", "space"} & active_keys(app)
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, PromptDialog)
        await pilot.press("4")
        await settle(pilot)
        assert app.screen.query_one(KeyedTable).row_count == 1
        assert not {"n", "x", "o"} & active_keys(app)


async def test_remark_created_and_resolved(tmp_path: Path) -> None:
    """n with a two-line text and a job, then x."""
    ws = workspace(tmp_path, mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pick(pilot, "job-b")
        await fill(pilot, text="planned maintenance\nuntil Friday")
        found = remarks.list_remarks(ws.engine, "all")
        assert [r.body for r in found] == ["planned maintenance\nuntil Friday"]
        assert "until Friday" in detail_text(app, "#remarks-detail")
        await pilot.press("x")
        await settle(pilot)
    assert not remarks.list_remarks(ws.engine, "all")[0].active


async def test_scope_picker_searches_off_the_event_loop(tmp_path: Path) -> None:
    """Typing in the scope picker asks the facade in a thread worker (the autouse loop
    guard fails any SQL from the event loop) and shows the matches when they arrive; the
    same for adding a scope to a ticket."""
    ws = workspace(tmp_path, mails())
    tickets.open_ticket(ws.engine, ws.actor, "seen", scopes=[job_scope(ws, "job-a")])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        for key in ("n", "plus"):
            await pilot.press(key)
            await settle(pilot)
            picker = app.screen
            assert isinstance(picker, PickerDialog)
            await pilot.press(*"job-b")
            await settle(pilot)
            options = picker.query_one(OptionList)
            shown = [
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            ]
            assert shown and "job-b" in shown[0]
            assert not any("job-a" in line for line in shown)
            await pilot.press("escape")
            await settle(pilot)


async def test_enter_before_the_search_answers_takes_its_best_match(tmp_path: Path) -> None:
    """Typing and enter at once: the picker waits for the newest results, then picks."""
    ws = workspace(tmp_path, mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"job-b", "enter")  # no wait between the text and enter
        await settle(pilot)
        assert isinstance(app.screen, FollowUpForm)
        assert "job-b" in app.screen.fixed_scope


async def test_cursor_stays_on_the_ticket_across_reloads(tmp_path: Path) -> None:
    """A new ticket made elsewhere and the data-changed signal reload the list: the cursor
    stays on the ticket it was on, whose detail is shown."""
    ws = workspace(tmp_path, mails())
    first = tickets.open_ticket(ws.engine, ws.actor, "first", scopes=[job_scope(ws, "job-a")])
    tickets.open_ticket(ws.engine, ws.actor, "second", scopes=[job_scope(ws, "job-b")])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        table = app.screen.query_one(KeyedTable)
        assert table.current_key == first.id
        tickets.open_ticket(ws.engine, OPERATOR, "third", scopes=[job_scope(ws, "job-a")])
        app.changed(Changed.TICKETS)
        await settle(pilot)
        assert table.row_count == 3
        assert table.current_key == first.id
        assert "first" in detail_text(app, "#tickets-detail")


async def test_open_item_shows_a_ticket_the_filters_hide(tmp_path: Path) -> None:
    """open_item on a resolved ticket: the filters are cleared and the cursor lands on it."""
    ws = workspace(tmp_path, mails())
    done = tickets.open_ticket(ws.engine, ws.actor, "done", scopes=[job_scope(ws, "job-a")])
    tickets.resolve(ws.engine, ws.actor, done.id, "storage full", "false_alarm")
    tickets.open_ticket(ws.engine, ws.actor, "open one", scopes=[job_scope(ws, "job-b")])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert app.screen.query_one(KeyedTable).row_count == 1
        app.open_item("ticket", done.id)
        await settle(pilot)
        table = app.screen.query_one(KeyedTable)
        assert table.row_count == 2
        assert table.current_key == done.id
        assert "storage full" in detail_text(app, "#tickets-detail")


def job_flags(app: BackupChecksApp, job: str) -> str:
    """The marker cell of `job`'s row in Run Checks."""
    table = app.screen.query_one("#jobs", KeyedTable)
    for index in range(table.row_count):
        cells = [c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(index)]
        if job in cells:
            return cells[0]
    raise AssertionError(job)


async def test_markers_follow_active_tickets_and_remarks(tmp_path: Path) -> None:
    """🎫/💬 on job-a's row while covered; gone after resolving both."""
    ws = workspace(tmp_path, mails())
    scope = job_scope(ws, "job-a")
    ticket = tickets.open_ticket(ws.engine, ws.actor, "t", scopes=[scope])
    remark = remarks.add_remark(ws.engine, ws.actor, "r", [scope])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "🎫" in job_flags(app, "job-a") and "💬" in job_flags(app, "job-a")
        assert "🎫" not in job_flags(app, "job-b")
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("x")  # resolve the ticket by keyboard: false alarm
        await settle(pilot)
        await pilot.press("enter")  # enter on the empty box closes nothing
        await settle(pilot)
        assert isinstance(app.screen, PickerDialog)
        await pick(pilot, "storage")  # a suggested category: "storage full"
        await pick(pilot, "false")
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("x")  # and the remark
        await settle(pilot)
        await pilot.press("1")  # Run Checks reloads on the data-changed signal
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "🎫" not in job_flags(app, "job-a") and "💬" not in job_flags(app, "job-a")
    closed = tickets.ticket_detail(ws.engine, ticket.id).ticket
    assert (closed.state, closed.close_category) == ("resolved", "storage full")
    assert not remarks.remark_detail(ws.engine, remark.id).remark.active


# ---------------------------------------------------------------------------- snapshots


@pytest.fixture
def snap_ws(tmp_path: Path) -> Workspace:
    """Two tickets (one with a full timeline) and two remarks, on a fixed clock."""
    ws = workspace(tmp_path, mails(), role=Role.ADMIN, login="alice")
    engine, actor = ws.engine, ws.actor
    a, b = job_scope(ws, "job-a"), job_scope(ws, "job-b")
    one = tickets.open_ticket(
        engine,
        actor,
        "job-a fails every night",
        code="PSA-1042",
        description="The **repository** is full.\n\n- clean old points\n- add a disk",
        scopes=[a],
        now=NOW,
    )
    tickets.start(engine, actor, one.id, now=NOW.replace(hour=9))
    tickets.comment(engine, actor, one.id, "asked the customer", now=NOW.replace(hour=10))
    tickets.hold(engine, actor, one.id, datetime(2026, 12, 1, tzinfo=UTC), now=NOW.replace(hour=11))
    tickets.open_ticket(engine, actor, "job-b warns on vm-1", scopes=[b], now=NOW)
    remarks.add_remark(engine, actor, "planned maintenance\nuntil Friday", [a], now=NOW)
    remarks.add_remark(engine, actor, "known quirk: CBT warning", [b], now=NOW)
    return ws


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Monday 12:00 UTC, not ticking, in a UTC process (timeline sentences use local time)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    with time_machine.travel(NOW.replace(hour=12), tick=False):
        yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("frozen")
def test_tickets_list_and_detail_snapshot(snap_compare: SnapCompare, snap_ws: Workspace) -> None:
    """The Tickets list with the first ticket's detail and timeline."""

    async def go(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("j")  # the newest (#2) is on top; #1 has the timeline
        await settle(pilot)

    app = BackupChecksApp(bind(snap_ws))
    assert snap_compare(app, terminal_size=(160, 40), run_before=go)


@pytest.mark.usefixtures("frozen")
def test_remarks_list_snapshot(snap_compare: SnapCompare, snap_ws: Workspace) -> None:
    """The Remarks list with the first remark's detail."""

    async def go(pilot: Pilot[None]) -> None:
        await pilot.press("4")
        await settle(pilot)

    app = BackupChecksApp(bind(snap_ws))
    assert snap_compare(app, terminal_size=(160, 40), run_before=go)
