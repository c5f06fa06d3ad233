"""Run Checks' actions on one run or job: mark as success (then the override dialog),
put the job under a customer, export the run's mail."""

from __future__ import annotations

from pathlib import Path

from textual import work

from backupchecks_tui.domain import PROBLEM_STATUSES, Changed
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.views.checks import RunDetail
from backupchecks_tui.views.overrides import OverrideSpec
from screens.dialogs import ConfirmDialog, PromptDialog
from screens.override_dialog import OverrideDialog
from screens.run_follow_up import RunFollowUp
from screens.widgets.tables import KeyedTable
from screens.widgets.words import counted


class RunActions(RunFollowUp):
    """Mark as success, customer, export (mixed into the Run Checks screen)."""

    detail: RunDetail | None = None
    """The run the detail pane shows (the screen sets it)."""

    def _current_job(self) -> int | None:
        return self.query_one("#jobs", KeyedTable).current_key

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_mark_success(self) -> None:
        """Mark the current run as success, then ask about an override for future runs."""
        run_id = self.current_run()
        if run_id is None:
            return
        services = self.services
        detail = self.detail if self.detail and self.detail.run.id == run_id else None
        if detail is None:
            detail = await self.io(services.run_detail, run_id)
        if detail.run.status not in PROBLEM_STATUSES:
            self.notify(
                "Only a warning or failed run can be marked as success.", severity="warning"
            )
            return
        try:
            await self.io(services.mark_success, run_id)
            draft = await self.io(services.override_draft_for_run, run_id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.bc_app.changed(Changed.RUNS)  # the cursor stays on the run marked

        def preview(spec: OverrideSpec) -> list[str]:
            return services.override_preview(spec, run_id)

        choice = await self.app.push_screen_wait(OverrideDialog(draft, preview, self.bc_app.zone))
        if choice is None or choice.spec is None:
            self.notify("Marked as success (this run only).")
            return
        await self._save_override(choice.spec)

    async def _save_override(self, spec: OverrideSpec) -> None:
        services = self.services
        try:
            override_id = await self.io(services.create_override, spec)
            count = await self.io(services.count_retroactive, override_id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        message = f"Override #{override_id} saved."
        if count:
            question = (
                f"Override #{override_id} would turn {count} unreviewed runs into success. "
                "Apply now?"
            )
            if await self.app.push_screen_wait(ConfirmDialog(question)):
                applied = await self.io(services.apply_retroactive, override_id)
                message += f" Applied to {counted(applied, 'run')}."
        self.bc_app.changed(Changed.RUNS | Changed.OVERRIDES)
        self.notify(message)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_assign_customer(self) -> None:
        """Ask for the customer (prefilled with the suggestion) and map the job's sender."""
        job_id = self._current_job()
        if job_id is None:
            return
        suggestion = await self.io(self.services.customer_suggestion, job_id)
        answer = await self.app.push_screen_wait(PromptDialog("Customer for this job", suggestion))
        if not answer.value:
            return
        try:
            rule = await self.io(self.services.assign_customer, job_id, answer.value)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.bc_app.changed(Changed.JOBS)
        self.notify(f"Reports from {rule} now belong to {answer.value}.")

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_export_mail(self) -> None:
        """Ask for a path and export the current run's mail there."""
        run_id = self.current_run()
        if run_id is None:
            self.notify("No run selected.", severity="warning")
            return
        default = str(Path.cwd() / f"run-{run_id}.eml")
        result = await self.app.push_screen_wait(PromptDialog("Export the mail to", default))
        if not result.value:
            return
        try:
            size = await self.io(self.services.export_run_mail, run_id, result.value)
        except (BackupChecksError, OSError) as error:
            message = error.line if isinstance(error, BackupChecksError) else str(error)
            self.notify(message, severity="error", title="Export failed")
            return
        self.notify(f"Wrote {size} bytes to {result.value}")
