"""Mark as success and the override dialog, by keyboard; the Overrides mode and its roles."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from textual.widgets import Input, Select, Static

from backupchecks_tui.domain import Changed
from backupchecks_tui.facade import bind
from backupchecks_tui.roles import Role
from backupchecks_tui.services import audit_log, overrides, schedules
from backupchecks_tui.views.overrides import OverrideSpec
from backupchecks_tui.workspace import Workspace
from screens.app import BackupChecksApp
from screens.dialogs import ConfirmDialog, TableScreen
from screens.override_dialog import OverrideDialog
from screens.overrides import OverridesScreen
from screens.widgets.run_detail import RunDetailView
from screens.widgets.tables import KeyedTable
from store.engine import read_scope
from store.models import Job, JobRun
from tests.mailfactory import synthetic_mail
from tests.uihelpers import settle, workspace


def warning_mails() -> list[bytes]:
    """job-w warns on vm-1 twice (two days); job-x warns on vm-1 once."""
    return [
        synthetic_mail(1, status="warning", job="job-w"),
        synthetic_mail(4, status="warning", job="job-w"),
        synthetic_mail(7, status="warning", job="job-x"),
    ]


async def test_mark_success_then_override_for_all_jobs(tmp_path: Path) -> None:
    """s marks the run, the dialog saves an all-jobs override, and the retroactive count is
    offered and applied: the run shows Success (override) with its reason."""
    ws = workspace(tmp_path, warning_mails(), role=Role.ADMIN, login="alice")
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, OverrideDialog)
        assert dialog.query_one("#ov-object", Input).value == "vm-1"
        assert "Covers in this run: vm-1" in str(dialog.query_one("#ov-preview", Static).render())
        # keyboard only: open the scope list, pick "All jobs", save without a reason
        assert app.focused is dialog.query_one("#ov-scope", Select)
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert dialog.query_one("#ov-scope", Select).value == "all"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "reason" in str(dialog.query_one("#ov-error", Static).render()).lower()
        reason = dialog.query_one("#ov-reason", Input)
        for _ in range(12):  # tab through the form to the reason field
            if reason.has_focus:
                break
            await pilot.press("tab")
        assert reason.has_focus
        await pilot.press(*"vm-1 always warns (CBT)")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "turn 2 unreviewed runs" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        shown = app.screen.query_one("#detail", RunDetailView).shown.plain
        assert "Success (override" in shown
    rows = overrides.list_overrides(ws.engine, "all")
    assert len(rows) == 1 and rows[0].scope == "all" and rows[0].hit_count >= 2


async def test_only_this_run(tmp_path: Path) -> None:
    """escape in the dialog keeps the mark on this run only; no override is saved."""
    ws = workspace(tmp_path, warning_mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        runs = app.screen.query_one("#runs", KeyedTable)
        cells = [str(c) for c in runs.get_row_at(runs.cursor_row)]
        assert any("Success" in c and "override" in c for c in cells)
    assert overrides.list_overrides(ws.engine, "all") == []


def saved_override(ws: Workspace, job: str = "job-w") -> int:
    """An override for every warning of `job`, made from its newest run (as the dialog
    saves it after mark as success)."""
    with read_scope(ws.engine) as session:
        run = session.exec(
            select(JobRun).join(Job).where(Job.name == job).order_by(col(JobRun.id).desc())
        ).first()
        assert run is not None
        job_id, run_id = run.job_id, run.id
    spec = OverrideSpec("job", job_id=job_id, run_id=run_id, source_run_id=run_id)
    return overrides.create_override(ws.engine, ws.actor, spec).id or 0


async def test_overrides_mode_operator_cannot_delete(tmp_path: Path) -> None:
    """In Overrides (5) an Operator may disable but not delete; expired ones stay listed."""
    ws = workspace(tmp_path, warning_mails())
    saved_override(ws)
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert isinstance(app.screen, OverridesScreen)
        assert app.screen.check_action("delete", ()) is False
        assert app.screen.query_one(KeyedTable).row_count == 1
        await pilot.press("d")
        await settle(pilot)
        assert app.screen.query_one(KeyedTable).row_count == 0  # disabled: not "active"
        await pilot.press("F")
        await settle(pilot)
        assert app.screen.query_one(KeyedTable).row_count == 1  # "expired" shows disabled


async def test_refresh_keeps_the_cursor_on_the_same_override(tmp_path: Path) -> None:
    """A new override elsewhere reloads the list with the cursor on the same override."""
    ws = workspace(tmp_path, warning_mails())
    first = saved_override(ws, "job-w")
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        table = app.screen.query_one(KeyedTable)
        assert table.current_key == first
        saved_override(ws, "job-x")  # newest first: it comes above
        app.changed(Changed.OVERRIDES)
        await settle(pilot)
        assert table.row_count == 2
        assert table.current_key == first and table.cursor_row == 1


async def test_admin_deletes_and_sees_the_audit(tmp_path: Path) -> None:
    """An Admin deletes an override after confirming, and the audit log lists it."""
    ws = workspace(tmp_path, warning_mails(), role=Role.ADMIN, login="alice")
    saved_override(ws)
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert overrides.list_overrides(ws.engine, "all") == []
        assert app.check_action("audit", ()) is True
    actions = {e.action for e in audit_log.audit_log(ws.engine, ws.actor)}
    assert "Override deleted" in actions
    assert "Override created" in actions


async def test_audit_view_lists_every_action_in_words(tmp_path: Path) -> None:
    """A opens the audit log (Admin only): actions in words, details on one line."""
    ws = workspace(tmp_path, warning_mails(), role=Role.ADMIN, login="alice")
    saved_override(ws)
    with read_scope(ws.engine) as session:
        job_id = session.exec(select(Job.id).where(Job.name == "job-x")).one() or 0
    schedules.set_paused(ws.engine, ws.actor, job_id, True)
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, TableScreen)
        shown = str(app.screen.query_one(Static).render())
        assert "Audit log" in shown or "Audit log" in app.screen.title_text
        cells = [str(c) for column in app.screen.table.columns for c in column.cells]
        assert "Override created" in cells and "Job paused" in cells
        assert any("reason:" in c or "scope: job" in c for c in cells)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OverridesScreen)


async def test_audit_is_admin_only(tmp_path: Path) -> None:
    """An Operator has no audit log."""
    ws = workspace(tmp_path, warning_mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        assert app.check_action("audit", ()) is False


def test_draft_of_a_saved_override_round_trips(tmp_path: Path) -> None:
    """The facade's draft of a saved override shows its fields and last day in force;
    saved unchanged, the override keeps the same end; the preview covers the run's VM."""
    ws = workspace(tmp_path, warning_mails())
    services = bind(ws)
    override_id = saved_override(ws)
    row = services.get_override(override_id)
    assert row.source_run_id is not None
    spec = OverrideSpec(
        "job",
        job_id=row.job_id,
        run_id=row.source_run_id,
        object_name="vm-1",
        duration=date(2099, 1, 31),
        reason="CBT",
        source_run_id=row.source_run_id,
        zone=ZoneInfo("UTC"),
    )
    saved = services.edit_override(override_id, spec)
    draft = services.override_draft(override_id)
    assert (draft.override_id, draft.run_id, draft.job_id) == (
        override_id,
        row.source_run_id,
        row.job_id,
    )
    assert (draft.object_name, draft.reason, draft.until) == ("vm-1", "CBT", date(2099, 1, 31))
    assert draft.reported_status == "warning"
    assert [(o.name, o.status) for o in draft.problems] == [("vm-1", "warning")]
    assert services.edit_override(override_id, spec).valid_until == saved.valid_until
    assert services.override_edit_preview(spec) == ["vm-1"]


async def test_a_failing_preview_is_one_notice_and_the_dialog_stays(tmp_path: Path) -> None:
    """Dialogs' workers fail like the screens' do: one line from the app's handler (their
    state changes do not bubble), and the dialog stays open to be corrected or left."""
    ws = workspace(tmp_path, warning_mails())
    services = bind(ws)
    with read_scope(ws.engine) as session:
        run_id = session.exec(select(JobRun.id).order_by(col(JobRun.id))).first()
    assert run_id is not None
    draft = services.override_draft_for_run(run_id)

    def broken(_spec: OverrideSpec) -> list[str]:
        raise RuntimeError("the database went away")

    app = BackupChecksApp(services)
    with pytest.raises(RuntimeError):  # Pilot re-raises what the handler kept, at exit
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            app.push_screen(OverrideDialog(draft, broken, ZoneInfo("UTC")))
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, OverrideDialog)
            dialog.query_one("#ov-text", Input).value = "x"
            await settle(pilot)
            lines = [n.message for n in app._notifications]
            assert any("the database went away" in line for line in lines), lines
            assert app.screen is dialog
