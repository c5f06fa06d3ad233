"""Follow-up by keyboard: t / l / m from Run Checks, the run's covering list (enter opens),
the customer and product filters of Tickets and Remarks, editing a description."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from sqlmodel import Session, select
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, RadioSet, RichLog, Static, TextArea

from backupchecks_tui.facade import bind
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import customers, follow_up, remarks, tickets
from backupchecks_tui.views.items import ScopeSpec
from backupchecks_tui.workspace import Workspace
from screens.app import BackupChecksApp
from screens.dialogs import ConfirmDialog
from screens.forms import ChecklistDialog, FollowUpForm, PickerDialog
from screens.remarks import RemarksScreen
from screens.run_follow_up import CoverList
from screens.tickets import TicketsScreen
from screens.widgets.tables import KeyedTable
from store.models import Job, JobRun
from tests.mailfactory import synthetic_mail
from tests.uihelpers import settle, workspace

ADMIN = Actor("alice", Role.ADMIN)


def mails() -> list[bytes]:
    """job-a fails (vm-1 failed) for customer A; job-b warns for customer B."""
    return [
        synthetic_mail(1, status="failed", job="job-a"),
        synthetic_mail(2, status="warning", job="job-b", sender="backup@customer-b.example"),
    ]


def job_id(ws: Workspace, name: str) -> int:
    """The id of the job called `name`."""
    with Session(ws.engine) as session:
        found = session.exec(select(Job.id).where(Job.name == name)).one()
    assert found is not None
    return found


def job_row(app: BackupChecksApp, name: str) -> list[str]:
    """The cells of `name`'s row in Run Checks."""
    table = app.screen.query_one("#jobs", KeyedTable)
    for index in range(table.row_count):
        cells = [c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(index)]
        if name in cells:
            return cells
    raise AssertionError(name)


async def go_to_job(pilot: Pilot[None], name: str) -> None:
    """Put the Run Checks cursor on job `name` and let the panes follow."""
    app = pilot.app
    assert isinstance(app, BackupChecksApp)
    table = app.screen.query_one("#jobs", KeyedTable)
    for _ in range(table.row_count):
        cells = table.get_row_at(table.cursor_row)
        if name in [c.plain if isinstance(c, Text) else str(c) for c in cells]:
            break
        await pilot.press("j")
    await settle(pilot)


def covering_labels(app: BackupChecksApp) -> list[str]:
    """The covering list's entries as plain text ([] when hidden)."""
    cover = app.screen.query_one("#covering", CoverList)
    if not cover.display:
        return []
    return [str(cover.get_option_at_index(i).prompt) for i in range(cover.option_count)]


async def test_t_opens_a_prefilled_ticket_and_enter_opens_it(tmp_path: Path) -> None:
    """t: job scope, run linked, problems in the description; 🎫 appears; enter opens it."""
    ws = workspace(tmp_path, mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await go_to_job(pilot, "job-a")
        assert "🎫" not in job_row(app, "job-a")[0]
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FollowUpForm)
        assert "job-a" in form.query_one("#form-title", Input).value
        description = form.query_one("#form-text", TextArea).text
        assert "vm-1" in description and "failed" in description
        await pilot.press("ctrl+s")
        await settle(pilot)
        (row,) = tickets.list_tickets(ws.engine, "all")
        detail = tickets.ticket_detail(ws.engine, row.id)
        assert [s.job for s in detail.scopes] == ["job-a"]
        assert [r.job for r in detail.runs] == ["job-a"]
        assert "vm-1" in detail.ticket.description
        assert "🎫" in job_row(app, "job-a")[0]
        assert covering_labels(app) and "#1" in covering_labels(app)[0]
        await pilot.press("enter", "enter")  # jobs → runs → covering list
        await settle(pilot)
        assert app.focused is app.screen.query_one("#covering", CoverList)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        assert app.screen.query_one(KeyedTable).current_key == row.id


async def test_t_can_cover_only_the_problem_objects(tmp_path: Path) -> None:
    """The second scope choice covers the failed objects of the job, not the whole job."""
    ws = workspace(tmp_path, mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await go_to_job(pilot, "job-a")
        await pilot.press("t")
        await settle(pilot)
        app.screen.query_one(RadioSet).focus()
        await pilot.press("down", "enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
    (row,) = tickets.list_tickets(ws.engine, "all")
    scopes = tickets.ticket_detail(ws.engine, row.id).scopes
    assert [(s.kind, s.job, s.object_name) for s in scopes] == [("object", "job-a", "vm-1")]


async def test_escape_cancels_without_a_ticket(tmp_path: Path) -> None:
    """escape in the form leaves nothing behind."""
    ws = workspace(tmp_path, mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await go_to_job(pilot, "job-a")
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, FollowUpForm)
    assert tickets.list_tickets(ws.engine, "all") == []


async def test_l_links_the_run_to_the_jobs_ticket_first(tmp_path: Path) -> None:
    """The picker lists the ticket of this job above newer ones; typing narrows it."""
    ws = workspace(tmp_path, mails())
    own = tickets.open_ticket(
        ws.engine, ADMIN, "repo full", scopes=[ScopeSpec.job(job_id(ws, "job-a"))]
    )
    other = tickets.open_ticket(
        ws.engine, ADMIN, "other job", scopes=[ScopeSpec.job(job_id(ws, "job-b"))]
    )
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await go_to_job(pilot, "job-a")
        await pilot.press("l")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerDialog)
        assert picker.keys == [own.id, other.id]
        await pilot.press(*"other")
        await settle(pilot)
        assert picker.keys == [other.id]
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert any("#1" in label and "linked" in label for label in covering_labels(app))
    assert [r.job for r in tickets.ticket_detail(ws.engine, own.id).runs] == ["job-a"]
    assert tickets.ticket_detail(ws.engine, other.id).runs == ()


async def test_l_without_active_tickets_says_so(tmp_path: Path) -> None:
    """No picker when there is nothing to link to."""
    app = BackupChecksApp(bind(workspace(tmp_path, mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert not isinstance(app.screen, PickerDialog)


async def test_m_adds_a_remark_and_enter_opens_it(tmp_path: Path) -> None:
    """m: a remark on the job with the run linked; 💬 appears; the covering list opens it."""
    ws = workspace(tmp_path, mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await go_to_job(pilot, "job-a")
        await pilot.press("m")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FollowUpForm)
        assert "vm-1" in form.query_one("#form-text", TextArea).text
        await pilot.press("f7", *"planned maintenance", "ctrl+s")
        await settle(pilot)
        (row,) = remarks.list_remarks(ws.engine, "all")
        detail = remarks.remark_detail(ws.engine, row.id)
        assert [r.job for r in detail.runs] == ["job-a"]
        assert "💬" in job_row(app, "job-a")[0]
        app.screen.query_one("#covering", CoverList).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RemarksScreen)
        assert app.screen.query_one(KeyedTable).current_key == row.id


async def test_opening_a_ticket_hidden_by_the_filters_clears_them(tmp_path: Path) -> None:
    """Tickets filtered to another customer: opening from Run Checks still finds the ticket."""
    ws = workspace(tmp_path, mails())
    ticket = tickets.open_ticket(ws.engine, ADMIN, "t", scopes=[ScopeSpec.job(job_id(ws, "job-a"))])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketsScreen)
        screen.text = "nothing matches this"
        screen.reload()
        app.open_item("ticket", ticket.id)
        await settle(pilot)
        assert screen.query_one(KeyedTable).current_key == ticket.id
        assert screen.text == ""


async def test_tickets_filter_by_customer_and_product(tmp_path: Path) -> None:
    """C picks a customer, P a product; the header says which; (every …) clears it."""
    ws = workspace(tmp_path, mails())
    customers.assign_job(ws.engine, ADMIN, job_id(ws, "job-a"), "Acme")
    customers.assign_job(ws.engine, ADMIN, job_id(ws, "job-b"), "Bolt")
    a = tickets.open_ticket(ws.engine, ADMIN, "on a", scopes=[ScopeSpec.job(job_id(ws, "job-a"))])
    tickets.open_ticket(ws.engine, ADMIN, "on b", scopes=[ScopeSpec.job(job_id(ws, "job-b"))])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        table = app.screen.query_one(KeyedTable)
        assert table.row_count == 2
        await pilot.press("C")
        await settle(pilot)
        await pilot.press(*"acm", "enter")
        await settle(pilot)
        assert table.row_count == 1 and table.current_key == a.id
        assert "customer: Acme" in str(app.screen.query_one("#tickets-header", Static).render())
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("enter")  # the first entry: every customer
        await settle(pilot)
        assert table.row_count == 2
        await pilot.press("P")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        assert "synthetic" in str(options.get_option_at_index(1).prompt)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert table.row_count == 2
        assert "product: synthetic" in str(app.screen.query_one("#tickets-header", Static).render())


async def test_remarks_filter_by_customer(tmp_path: Path) -> None:
    """The Remarks list has the same customer filter."""
    ws = workspace(tmp_path, mails())
    customers.assign_job(ws.engine, ADMIN, job_id(ws, "job-b"), "Bolt")
    remarks.add_remark(ws.engine, ADMIN, "on a", [ScopeSpec.job(job_id(ws, "job-a"))])
    b = remarks.add_remark(ws.engine, ADMIN, "on b", [ScopeSpec.job(job_id(ws, "job-b"))])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        await pilot.press(*"bolt", "enter")
        await settle(pilot)
        table = app.screen.query_one(KeyedTable)
        assert table.row_count == 1 and table.current_key == b.id


async def test_edit_a_ticket_description_and_a_remark(tmp_path: Path) -> None:
    """E edits title, code and description; the timeline keeps the previous text."""
    ws = workspace(tmp_path, mails())
    scope = ScopeSpec.job(job_id(ws, "job-a"))
    ticket = tickets.open_ticket(ws.engine, ADMIN, "t", description="old text", scopes=[scope])
    remark = remarks.add_remark(ws.engine, ADMIN, "first version", [scope])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3", "E")
        await settle(pilot)
        app.screen.query_one("#form-text", TextArea).focus()
        await pilot.press("f7", *"**new** text", "ctrl+s")
        await settle(pilot)
        await pilot.press("4", "E")
        await settle(pilot)
        await pilot.press("f7", *"second version", "ctrl+s")
        await settle(pilot)
    detail = tickets.ticket_detail(ws.engine, ticket.id)
    assert detail.ticket.description == "**new** text"
    assert detail.timeline[-1].details["before"] == {"description": "old text"}
    shown = remarks.remark_detail(ws.engine, remark.id)
    assert shown.remark.body == "second version"
    assert shown.timeline[-1].summary == "edited body"


def test_draft_escapes_markdown_and_terminal_sequences() -> None:
    """Object names from mail cannot format the description or reach the terminal."""
    assert follow_up.markdown_literal("*bold* [x](y) `c`") == r"\*bold\* \[x\](y) \`c\`"
    assert follow_up.markdown_literal("NAS-REPO01 (412.6 GB)") == "NAS-REPO01 (412.6 GB)"
    assert follow_up.markdown_literal("a\x1b]52;c;ZXZpbA==\x07b\nc") == "ab c"


async def test_resolve_as_reprocessed_ticks_the_later_runs(tmp_path: Path) -> None:
    """x: category, outcome picked from a list, then the later run ticked with space."""
    ws = workspace(
        tmp_path,
        [
            synthetic_mail(1, status="failed", job="job-a"),
            synthetic_mail(5, status="success", job="job-a"),
        ],
    )
    with Session(ws.engine) as session:
        first_run = min(r for r in session.exec(select(JobRun.id)).all() if r is not None)
    ticket = tickets.open_ticket(
        ws.engine, ADMIN, "t", scopes=[ScopeSpec.job(job_id(ws, "job-a"))], run_ids=[first_run]
    )
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3", "x")
        await settle(pilot)
        await pilot.press(*"rerun", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"reproc", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ChecklistDialog)
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
    detail = tickets.ticket_detail(ws.engine, ticket.id)
    assert (detail.ticket.state, detail.ticket.close_outcome) == ("resolved", "reprocessed")
    assert sorted(r.kind for r in detail.runs) == ["linked", "reprocessed"]


async def test_linking_another_jobs_run_offers_to_cover_that_job(tmp_path: Path) -> None:
    """l on job-a's run to job-b's ticket asks; y adds job-a to the ticket's scopes."""
    ws = workspace(tmp_path, mails())
    other = tickets.open_ticket(
        ws.engine, ADMIN, "shared storage", scopes=[ScopeSpec.job(job_id(ws, "job-b"))]
    )
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await go_to_job(pilot, "job-a")
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "job-a" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert "🎫" in job_row(app, "job-a")[0]
    detail = tickets.ticket_detail(ws.engine, other.id)
    assert {s.job for s in detail.scopes} == {"job-a", "job-b"}
    assert detail.timeline[-1].summary.startswith("now also covers job-a")


async def test_plus_adds_a_scope_in_tickets_and_remarks(tmp_path: Path) -> None:
    """+ picks one more job for the current ticket, then for the current remark."""
    ws = workspace(tmp_path, mails())
    scope = ScopeSpec.job(job_id(ws, "job-a"))
    ticket = tickets.open_ticket(ws.engine, ADMIN, "t", scopes=[scope])
    remark = remarks.add_remark(ws.engine, ADMIN, "r", [scope])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        for mode in ("3", "4"):
            await pilot.press(mode, "plus")
            await settle(pilot)
            assert isinstance(app.screen, PickerDialog)
            await pilot.press(*"job-b", "enter")
            await settle(pilot)
    assert {s.job for s in tickets.ticket_detail(ws.engine, ticket.id).scopes} == {
        "job-a",
        "job-b",
    }
    assert {s.job for s in remarks.remark_detail(ws.engine, remark.id).scopes} == {
        "job-a",
        "job-b",
    }


def assert_wrapped(log: RichLog, words: str) -> None:
    """Every word is in `log` and no line is wider than the pane shows (none is cropped)."""
    width = log.scrollable_content_region.width
    assert max(strip.cell_length for strip in log.lines) <= width
    shown = " ".join(strip.text for strip in log.lines)
    assert all(word in shown for word in words.split())


async def test_long_lines_wrap_in_the_detail_panes(tmp_path: Path) -> None:
    """Nothing is cut from the middle of a long line: the run's mail body and a ticket's
    description wrap at the pane's width, at 160 columns as at 80."""
    words = " ".join(f"word{n:02d}" for n in range(40))
    ws = workspace(tmp_path, [synthetic_mail(1, status="failed", job="job-a", body=words)])
    tickets.open_ticket(
        ws.engine, ADMIN, "t", description=words, scopes=[ScopeSpec.job(job_id(ws, "job-a"))]
    )
    for size in ((160, 48), (80, 24)):
        app = BackupChecksApp(bind(ws))
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            assert_wrapped(app.screen.query_one("#detail", RichLog), words)
            await pilot.press("3")
            await settle(pilot)
            assert_wrapped(app.screen.query_one("#tickets-detail", RichLog), words)


async def test_a_ticket_opened_on_a_stopped_clock_covers_the_run_at_once(tmp_path: Path) -> None:
    """The demo's clock stops on its Monday morning, but a ticket opened now is active now:
    the run's covering list shows it straight after saving, as the 🎫 marker does."""
    from dataclasses import replace
    from datetime import UTC, datetime

    ws = replace(workspace(tmp_path, mails()), frozen_now=datetime(2020, 1, 6, 7, 30, tzinfo=UTC))
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await go_to_job(pilot, "job-a")
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "🎫" in job_row(app, "job-a")[0]
        assert covering_labels(app) and "#1" in covering_labels(app)[0]
