"""Mark as success and the override dialog, by keyboard; the Overrides mode and its roles."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, Static

from backupchecks_tui.facade import bind
from backupchecks_tui.roles import Role
from backupchecks_tui.services import overrides
from screens.app import BackupChecksApp
from screens.dialogs import ConfirmDialog
from screens.override_dialog import OverrideDialog
from screens.overrides import OverridesScreen
from screens.widgets.run_detail import RunDetailView
from screens.widgets.tables import KeyedTable
from tests.mailfactory import synthetic_mail
from tests.uihelpers import workspace


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
        await pilot.pause(0.2)
        await pilot.press("s")
        await pilot.pause(0.2)
        dialog = app.screen
        assert isinstance(dialog, OverrideDialog)
        assert dialog.query_one("#ov-object", Input).value == "vm-1"
        assert "Covers in this run: vm-1" in str(dialog.query_one("#ov-preview", Static).render())
        # keyboard only: open the scope list, pick "All jobs", save without a reason
        assert app.focused is dialog.query_one("#ov-scope", Select)
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert dialog.query_one("#ov-scope", Select).value == "all"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "reason" in str(dialog.query_one("#ov-error", Static).render()).lower()
        reason = dialog.query_one("#ov-reason", Input)
        for _ in range(12):  # tab through the form to the reason field
            if reason.has_focus:
                break
            await pilot.press("tab")
        assert reason.has_focus
        await pilot.press(*"vm-1 always warns (CBT)")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmDialog)
        assert "turn 2 unreviewed runs" in app.screen.question
        await pilot.press("y")
        await pilot.pause(0.3)
        shown = app.screen.query_one("#detail", RunDetailView).shown.plain
        assert "Success (override" in shown
    rows = overrides.list_overrides(ws.engine, "all")
    assert len(rows) == 1 and rows[0].scope == "all" and rows[0].hit_count >= 2


async def test_only_this_run(tmp_path: Path) -> None:
    """escape in the dialog keeps the mark on this run only; no override is saved."""
    ws = workspace(tmp_path, warning_mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("s")
        await pilot.pause(0.2)
        await pilot.press("escape")
        await pilot.pause(0.2)
        runs = app.screen.query_one("#runs", KeyedTable)
        cells = [str(c) for c in runs.get_row_at(runs.cursor_row)]
        assert any("Success" in c and "override" in c for c in cells)
    assert overrides.list_overrides(ws.engine, "all") == []


async def test_overrides_mode_operator_cannot_delete(tmp_path: Path) -> None:
    """In Overrides (5) an Operator may disable but not delete; expired ones stay listed."""
    ws = workspace(tmp_path, warning_mails())
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("s")
        await pilot.pause(0.2)
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        if isinstance(app.screen, ConfirmDialog):
            await pilot.press("n")
        await pilot.press("5")
        await pilot.pause(0.2)
        assert isinstance(app.screen, OverridesScreen)
        assert app.screen.check_action("delete", ()) is False
        assert app.screen.query_one(KeyedTable).row_count == 1
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.query_one(KeyedTable).row_count == 0  # disabled: not "active"
        await pilot.press("F")
        await pilot.pause()
        assert app.screen.query_one(KeyedTable).row_count == 1  # "expired" shows disabled


async def test_admin_deletes_and_sees_the_audit(tmp_path: Path) -> None:
    """An Admin deletes an override after confirming, and the audit log lists it."""
    ws = workspace(tmp_path, warning_mails(), role=Role.ADMIN, login="alice")
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("s")
        await pilot.pause(0.2)
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        if isinstance(app.screen, ConfirmDialog):
            await pilot.press("n")
        await pilot.press("5")
        await pilot.pause(0.2)
        await pilot.press("x")
        await pilot.pause(0.2)
        await pilot.press("y")
        await pilot.pause(0.2)
        assert overrides.list_overrides(ws.engine, "all") == []
        assert app.check_action("audit", ()) is True
    actions = {e.action for e in overrides.audit_entries(ws.engine, ws.actor)}
    assert any("delete" in a for a in actions)
    assert any("create" in a for a in actions)
