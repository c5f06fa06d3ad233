"""The admin part of the facade (see `backupchecks_tui.api.admin`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from backupchecks_tui.errors import NotFound
from backupchecks_tui.facade.base import Bound
from backupchecks_tui.roles import Role
from backupchecks_tui.services import inbox, operators, overrides
from backupchecks_tui.views.admin import (
    InboxPage,
    MailText,
    OperatorView,
    OverrideFilter,
    OverrideRow,
    ReparseOutcome,
)
from backupchecks_tui.views.overrides import DraftObject, OverrideDraft, OverrideSpec


class AdminFacade(Bound):
    """The admin services, bound to the workspace."""

    # ------------------------------------------------------------------ overrides
    def list_overrides(self, which: OverrideFilter = "active") -> list[OverrideRow]:
        """Overrides newest first, filtered by state."""
        return overrides.list_overrides(self.engine, which)

    def get_override(self, override_id: int) -> OverrideRow:
        """One override by id."""
        return overrides.get_override(self.engine, override_id)

    def override_draft(self, override_id: int) -> OverrideDraft:
        """The dialog's starting point for a saved override, previewed on its source run.

        An end is shown as the last day in force (the stored end is the next midnight in
        the operator's zone), so saving unchanged keeps the same end.
        """
        row = overrides.get_override(self.engine, override_id)
        run_id = row.source_run_id or row.run_id
        if run_id is None:
            raise overrides.OverrideError(
                f"Override #{override_id} was not made from a run, so it cannot be edited here."
            )
        zone = self.workspace.config.ui.zone
        until = (
            (row.valid_until - timedelta(microseconds=1)).astimezone(zone).date()
            if row.valid_until is not None
            else None
        )
        facts = overrides.run_facts(self.engine, run_id)
        return OverrideDraft(
            run_id=run_id,
            job_id=row.job_id,
            reported_status=facts.reported_status,
            problems=tuple(DraftObject(o.name, o.status, o.message) for o in facts.problems),
            scope=row.scope,
            match_status=row.match_status,
            object_name=row.object_name,
            text_match=row.text_match,
            text_pattern=row.text_pattern,
            duration=until if until is not None else "permanent",
            until=until,
            reason=row.reason,
            override_id=row.id,
        )

    def override_edit_preview(self, spec: OverrideSpec) -> list[str]:
        """What `spec` covers in its source run (or its run)."""
        run_id = spec.source_run_id or spec.run_id
        if run_id is None:
            raise NotFound("The override has no run to preview it on.")
        return overrides.preview(self.engine, spec, run_id)

    def edit_override(self, override_id: int, spec: OverrideSpec) -> OverrideRow:
        """Change an override to `spec`."""
        overrides.edit_override(self.engine, self.actor, override_id, spec)
        return overrides.get_override(self.engine, override_id)

    def set_override_active(self, override_id: int, active: bool) -> None:
        """Enable or disable an override."""
        change = overrides.enable_override if active else overrides.disable_override
        change(self.engine, self.actor, override_id)

    def delete_override(self, override_id: int) -> int:
        """Admin: delete an override; runs detached."""
        return overrides.delete_override(self.engine, self.actor, override_id)

    # ---------------------------------------------------------------------- inbox
    def inbox(self, states: Iterable[str], text: str = "") -> InboxPage:
        """The newest matching Inbox mails and how many match."""
        rows, total = inbox.list_mails(self.engine, frozenset(states), text)
        return InboxPage(tuple(rows), total)

    def inbox_mail(self, mail_id: int) -> MailText:
        """One mail as text."""
        return MailText(mail_id, inbox.mail_text(self.engine, mail_id))

    def reparse_mails(self, mail_ids: list[int] | None) -> ReparseOutcome:
        """Re-parse mails with the configured parsers."""
        counts = inbox.reparse_mails(self.workspace.pipeline(), self.actor, mail_ids)
        return ReparseOutcome(tuple(sorted(counts.items())))

    def ignore_mails(self, mail_ids: list[int], reason: str) -> int:
        """Mark mails as ignored."""
        return inbox.ignore_mails(self.engine, self.actor, mail_ids, reason)

    def assign_sender(self, mail_id: int, customer: str) -> str:
        """Map the sender domain to a customer."""
        return inbox.assign_sender(self.engine, self.actor, mail_id, customer)

    def export_mail(self, mail_id: int, path: str) -> int:
        """Write the original message to `path`."""
        return inbox.export_mail(self.engine, mail_id, Path(path).expanduser())

    # ------------------------------------------------------------------ operators
    def list_operators(self) -> list[OperatorView]:
        """Every operator by login."""
        return operators.list_operators(self.engine)

    def set_operator_role(self, login: str, role: Role) -> OperatorView:
        """Add an operator or change its role."""
        op = operators.set_role(self.engine, self.actor, login, role)
        return OperatorView(op.id or 0, op.login, Role(op.role))
