"""Run Checks driven by keyboard with Textual's Pilot: review, undo, selection, roles, safety."""

from __future__ import annotations

import threading
from pathlib import Path

from rich.text import Text
from sqlalchemy import Engine, event
from textual.widgets import Input, Static

from backupchecks_tui.domain import Changed
from backupchecks_tui.facade import bind
from backupchecks_tui.roles import Role
from screens.app import BackupChecksApp
from screens.dialogs import HelpScreen, PromptDialog
from screens.run_checks import RunChecksScreen
from screens.widgets.key_bar import KeyBar
from screens.widgets.run_detail import RunDetailView
from screens.widgets.tables import KeyedTable
from tests.mailfactory import synthetic_mail
from tests.uihelpers import settle, workspace


def queue_mails() -> list[bytes]:
    """Three failing, two warning and three successful jobs (one run each, job-a run twice)."""
    mails = [
        synthetic_mail(1, status="failed", job="job-a"),
        synthetic_mail(2, status="failed", job="job-a"),
    ]
    mails += [synthetic_mail(10 + n, status="failed", job=f"job-f{n}") for n in range(2)]
    mails += [synthetic_mail(20 + n, status="warning", job=f"job-w{n}") for n in range(2)]
    mails += [synthetic_mail(30 + n, status="success", job=f"job-s{n}") for n in range(3)]
    return mails


def header(app: BackupChecksApp) -> str:
    """The queue header line as plain text."""
    widget = app.screen.query_one("#queue-header", Static)
    content = widget.render()
    return str(content)


def jobs_table(app: BackupChecksApp) -> KeyedTable:
    """The job list."""
    return app.screen.query_one("#jobs", KeyedTable)


def row_text(table: KeyedTable, index: int) -> list[str]:
    """Plain text of the cells of row `index`."""
    return [c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(index)]


async def test_review_current_job_moves_to_next_and_undo(tmp_path: Path) -> None:
    """`r` reviews the current job's runs and the cursor lands on the next job; ctrl+z undoes."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "8 jobs · 9 runs to review" in header(app)
        table = jobs_table(app)
        second = row_text(table, 1)[3]
        await pilot.press("r")
        await settle(pilot)
        assert "7 jobs · 7 runs to review" in header(app)
        assert table.cursor_row == 0
        assert row_text(table, 0)[3] == second
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert "8 jobs · 9 runs to review" in header(app)


async def test_jk_move_and_failed_first(tmp_path: Path) -> None:
    """Failed jobs come first; j/k move the cursor and the run list follows."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        table = jobs_table(app)
        statuses = [row_text(table, i)[1] for i in range(table.row_count)]
        assert statuses[:3] == ["✖ Failed"] * 3
        assert statuses[-1] == "✔ Success"
        await pilot.press("j", "j", "k")
        await settle(pilot)
        assert table.cursor_row == 1
        runs = app.screen.query_one("#runs", KeyedTable)
        assert runs.row_count >= 1


async def test_selection_bulk_review_and_select_successful(tmp_path: Path) -> None:
    """space selects, `a` adds every all-success job, `r` reviews the whole selection."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await pilot.press("a")
        await settle(pilot)
        assert "4 selected" in header(app)
        await pilot.press("r")
        await settle(pilot)
        assert "4 jobs · 4 runs to review" in header(app)
        table = jobs_table(app)
        assert all(row_text(table, i)[1] != "✔ Success" for i in range(table.row_count))


async def test_selection_survives_filters(tmp_path: Path) -> None:
    """A job selected before a text filter stays selected and is reviewed with `r`."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("space")  # job-a (failed, first)
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.focused, Input)
        await pilot.press(*"job-s", "enter")
        await settle(pilot)
        assert "3 jobs" in header(app)
        assert "1 selected" in header(app)
        await pilot.press("space", "r")
        await settle(pilot)
        await pilot.press("slash", "ctrl+u", "enter")
        await settle(pilot)
        assert "6 jobs · 6 runs to review" in header(app)


async def test_status_filter_and_sort(tmp_path: Path) -> None:
    """F cycles the status filter; o cycles the sort order."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        assert "3 jobs" in header(app)
        assert "status: failed + missed" in header(app)
        await pilot.press("F", "o")
        await settle(pilot)
        assert "2 jobs" in header(app)
        assert "sort: customer" in header(app)


async def test_viewer_is_refused_with_a_clear_line(tmp_path: Path) -> None:
    """Viewers see why they cannot review, and `r` does nothing."""
    app = BackupChecksApp(
        bind(workspace(tmp_path, queue_mails(), role=Role.VIEWER, login="victor"))
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        refused = app.screen.query_one("#refused", Static)
        assert "Viewers cannot open Run Checks" in str(refused.render())
        assert not app.screen.query("#jobs")
        await pilot.press("r")
        assert app.screen.check_action("review", ()) is False


async def test_operator_cannot_show_reviewed_or_unmark(tmp_path: Path) -> None:
    """R and u are hidden for Operators."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.check_action("toggle_reviewed", ()) is False
        assert screen.check_action("unmark", ()) is False
        await pilot.press("R")
        await settle(pilot)
        assert "including reviewed" not in header(app)


async def test_admin_shows_reviewed_and_unmarks(tmp_path: Path) -> None:
    """An Admin includes reviewed runs with R and puts a review back with u."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails(), role=Role.ADMIN, login="alice")))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "7 jobs" in header(app)
        await pilot.press("R")
        await settle(pilot)
        assert "8 jobs" in header(app) and "including reviewed" in header(app)
        table = jobs_table(app)
        reviewed_row = next(i for i in range(table.row_count) if row_text(table, i)[3] == "job-a")
        table.move_cursor(row=reviewed_row)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert "8 jobs · 9 runs to review" in header(app)


async def test_export_mail_writes_the_original(tmp_path: Path) -> None:
    """e asks for a path and writes the run's original mail byte for byte."""
    mails = [synthetic_mail(1, status="failed", job="only")]
    app = BackupChecksApp(bind(workspace(tmp_path, mails)))
    target = tmp_path / "out" / "run.eml"
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        field = app.screen.query_one(Input)
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    assert target.read_bytes() == mails[0]


async def test_key_bar_shows_the_screens_keys_and_a_click_presses_one(tmp_path: Path) -> None:
    """The bottom line lists the keys that apply (undo only after a review); a click on
    one works like pressing it."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        shown = {key.description: key for key in bar.keys}
        assert {"Reviewed", "Ticket", "Filter"} <= set(shown)
        assert "Undo" not in shown  # nothing to undo yet
        assert "palette" in str(bar.render())
        await pilot.press("r")
        await settle(pilot)
        assert "Undo" in {key.description for key in bar.keys}
        start = next(s for s, _end, key in bar._spans if key.description == "Filter")
        await pilot.click(KeyBar, offset=(start + 1, 0))
        await settle(pilot)
        assert app.screen.query_one("#filter", Input).has_focus


async def test_panes_stack_at_80x24_and_stand_side_by_side_at_200x60(tmp_path: Path) -> None:
    """80×24: jobs above runs above the run, each full width. 200×60: jobs left, the runs
    and the run right, and the queue shows every column without scrolling."""
    ws = workspace(tmp_path, queue_mails())
    for size, stacked in [((80, 24), True), ((200, 60), False)]:
        app = BackupChecksApp(bind(ws))
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            jobs = jobs_table(app)
            runs = app.screen.query_one("#runs", KeyedTable)
            detail = app.screen.query_one("#detail", RunDetailView)
            assert min(jobs.region.height, runs.region.height, detail.region.height) >= 3
            if stacked:
                assert jobs.region.bottom <= runs.region.y < detail.region.y
                assert jobs.region.width == detail.region.width == size[0]
            else:
                assert jobs.region.right <= runs.region.x
                assert runs.region.x == detail.region.x
                assert jobs.virtual_size.width <= jobs.scrollable_content_region.width


async def test_a_job_opens_on_its_worst_run(tmp_path: Path) -> None:
    """Failed on day 1, fine on day 2: the job is in the queue as Failed, and its run list
    opens on day 1's failure (newest first still), not on the success above it."""
    mails = [
        synthetic_mail(1, status="failed", job="job-a"),
        synthetic_mail(2, status="success", job="job-a"),
    ]
    app = BackupChecksApp(bind(workspace(tmp_path, mails)))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        runs = app.screen.query_one("#runs", KeyedTable)
        assert [row_text(runs, i)[1] for i in range(runs.row_count)] == [
            "✔ Success",
            "✖ Failed",
        ]
        assert runs.cursor_row == 1
        detail = app.screen.query_one("#detail", RunDetailView).shown.plain
        assert "Failed" in detail.split("\n")[0]


async def test_an_empty_queue_says_so_and_offers_no_review_keys(tmp_path: Path) -> None:
    """The goal of the day: after the last review the header says the queue is empty and
    r, space and a leave the key bar; ctrl+z (undo) stays."""
    app = BackupChecksApp(
        bind(workspace(tmp_path, [synthetic_mail(1, status="failed", job="job-a")]))
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "Queue empty" in header(app)
        shown = {key.key for key in app.screen.query_one(KeyBar).keys}
        assert not {"r", "space", "a"} & shown
        assert "ctrl+z" in shown


async def test_key_bar_follows_the_queue_through_a_filter(tmp_path: Path) -> None:
    """A filter that empties the queue takes r and space out of the key bar; clearing it
    brings them back."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        assert {"r", "space"} <= {key.key for key in bar.keys}
        await pilot.press("slash", *"no-such-job", "enter")
        await settle(pilot)
        assert not {"r", "space"} & {key.key for key in bar.keys}
        await pilot.press("slash", "ctrl+u", "enter")
        await settle(pilot)
        assert {"r", "space"} <= {key.key for key in bar.keys}


async def test_review_notices_replace_each_other_but_leave_other_notices(
    tmp_path: Path,
) -> None:
    """Reviewing job after job shows one review notice at a time; a warning stays."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.notify("Fetch failed: the server did not answer.", severity="warning")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        notices = [(n.severity, n.message) for n in app._notifications]
        assert [s for s, _ in notices].count("warning") == 1
        reviews = [m for _, m in notices if m.startswith("Reviewed")]
        assert len(reviews) == 1 and "ctrl+z undoes" in reviews[0]


async def test_enter_goes_right_and_escape_comes_back(tmp_path: Path) -> None:
    """enter: jobs → runs → the run; escape: the run → runs → jobs, where j moves jobs."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        jobs = jobs_table(app)
        runs = app.screen.query_one("#runs", KeyedTable)
        detail = app.screen.query_one("#detail", RunDetailView)
        await pilot.press("enter")
        assert runs.has_focus
        await pilot.press("enter")
        assert detail.has_focus
        await pilot.press("escape")
        assert runs.has_focus
        await pilot.press("escape")
        assert jobs.has_focus
        await pilot.press("j")
        await settle(pilot)
        assert jobs.cursor_row == 1


async def test_help_lists_the_keys(tmp_path: Path) -> None:
    """? shows every key of Run Checks; escape closes it."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        labels = {c.label for _, commands in app.screen.sections for c in commands}
        assert {"Reviewed", "Select", "Undo", "Filter", "Export", "Quit"} <= labels
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RunChecksScreen)


HOSTILE_JOB = "[bold red]PWNED[/] \x1b]52;c;ZXZpbA==\x07\x1b[2J\u202eevil"


async def test_hostile_mail_is_shown_literally(tmp_path: Path) -> None:
    """Rich markup, OSC 52, CSI and bidi overrides from a mail are shown, never obeyed."""
    body = (
        "object [link=file:///etc/passwd]vm[/link]: failed\n"
        "Clear screen: \x1b[2J and title: \x1b]0;owned\x07 and \x1b]52;c;ZXZpbA==\x07\n"
    )
    mails = [synthetic_mail(1, status="failed", job=HOSTILE_JOB, body=body)]
    app = BackupChecksApp(bind(workspace(tmp_path, mails)))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        cells = jobs_table(app).get_row_at(0)
        job_cell = cells[3]
        assert isinstance(job_cell, Text)
        assert "[bold red]PWNED[/]" in job_cell.plain
        assert "\x1b" not in job_cell.plain
        assert not job_cell.spans
        await settle(pilot)
        plain = app.screen.query_one("#detail", RunDetailView).shown.plain
        assert "[bold red]PWNED[/] <U+202E>evil" in plain
        assert "[link=file:///etc/passwd]vm[/link]" in plain
        assert "\x1b" not in plain and "\x07" not in plain
        svg = app.export_screenshot()
        assert "PWNED" in svg
        await pilot.press("r")  # the notice names the job: literally, too
        await settle(pilot)
        (notice,) = app._notifications
        assert "[bold red]PWNED[/] <U+202E>evil" in notice.message
        assert not notice.markup and "\x1b" not in notice.message


async def test_a_burst_of_j_runs_no_sql_on_the_loop_and_ends_on_the_job_under_the_cursor(
    tmp_path: Path,
) -> None:
    """Holding j: every press repaints the cursor without a statement on the event-loop
    thread (the loads run in workers); once they answer, the run list and the detail are
    those of the job under the cursor."""
    mails = [synthetic_mail(n, status="failed", job=f"job-{n:02d}") for n in range(30)]
    app = BackupChecksApp(bind(workspace(tmp_path, mails)))
    on_loop: list[str] = []

    def count(*_args: object, **_kwargs: object) -> None:
        if threading.current_thread() is threading.main_thread():
            on_loop.append(str(_args[2])[:60])

    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunChecksScreen)
        jobs = jobs_table(app)
        event.listen(Engine, "before_cursor_execute", count)
        try:
            await pilot.press(*["j"] * 17)
            await settle(pilot)
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        assert on_loop == []
        assert jobs.cursor_row == 17
        name = row_text(jobs, 17)[3]
        assert screen.runs_of == jobs.current_key == screen.job_id
        runs = app.screen.query_one("#runs", KeyedTable)
        assert runs.row_count == 1
        assert screen.detail is not None and screen.detail.job_name == name
        assert screen.detail.run.id == runs.current_key
        detail = app.screen.query_one("#detail", RunDetailView).shown.plain
        assert name in detail


async def test_a_reload_answering_after_a_move_leaves_the_cursor_where_it_was_put(
    tmp_path: Path,
) -> None:
    """The data changed (a reload asked on the first job), then the operator moved down
    before the queue answered: the cursor stays on the job moved to, and the runs and the
    detail are that job's."""
    app = BackupChecksApp(bind(workspace(tmp_path, queue_mails())))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunChecksScreen)
        jobs = jobs_table(app)
        screen.refresh_data(Changed.RUNS)  # asked with the cursor on row 0 …
        jobs.move_cursor(row=2, animate=False)  # … moved before the answer is handled
        await settle(pilot)
        assert jobs.cursor_row == 2
        name = row_text(jobs, 2)[3]
        assert screen.detail is not None and screen.detail.job_name == name
