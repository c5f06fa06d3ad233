"""Overrides, the Inbox of unparsed mail, operators."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from backupchecks_tui.roles import Role
from backupchecks_tui.views.admin import (
    InboxPage,
    MailText,
    OperatorView,
    OverrideFilter,
    OverrideRow,
    ReparseOutcome,
)
from backupchecks_tui.views.overrides import OverrideDraft, OverrideSpec


class AdminApi(Protocol):
    """The admin part of the facade."""

    # ------------------------------------------------------------------ overrides
    def list_overrides(self, which: OverrideFilter = "active") -> list[OverrideRow]:
        """Overrides newest first: in force or pending, ended or disabled, or all."""
        ...

    def get_override(self, override_id: int) -> OverrideRow:
        """One override (NotFound when it was deleted meanwhile)."""
        ...

    def override_draft(self, override_id: int) -> OverrideDraft:
        """The override dialog's starting point for editing a saved override."""
        ...

    def override_edit_preview(self, spec: OverrideSpec) -> list[str]:
        """What `spec` covers in its source run (the edit dialog's live preview); an
        invalid regex raises OverrideError."""
        ...

    def edit_override(self, override_id: int, spec: OverrideSpec) -> OverrideRow:
        """Change an override to `spec` (audited before/after)."""
        ...

    def set_override_active(self, override_id: int, active: bool) -> None:
        """Disable an override, or enable a disabled one (audited)."""
        ...

    def delete_override(self, override_id: int) -> int:
        """Admin: delete an override; how many runs were detached (they keep their status)."""
        ...

    # ---------------------------------------------------------------------- inbox
    def inbox(self, states: Iterable[str], text: str = "") -> InboxPage:
        """The newest mails in `states` whose sender, subject or reason contains `text`."""
        ...

    def inbox_mail(self, mail_id: int) -> MailText:
        """One mail as text: headers, then the body (still raw: screens clean it)."""
        ...

    def reparse_mails(self, mail_ids: list[int] | None) -> ReparseOutcome:
        """Parse the mails again (every Inbox mail when None)."""
        ...

    def ignore_mails(self, mail_ids: list[int], reason: str) -> int:
        """Mark mails as not backup reports (kept: a re-parse brings them back)."""
        ...

    def assign_sender(self, mail_id: int, customer: str) -> str:
        """Map the mail's sender domain to a customer (created when new); the domain."""
        ...

    def export_mail(self, mail_id: int, path: str) -> int:
        """Write the original message byte for byte to `path`; bytes written."""
        ...

    # ------------------------------------------------------------------ operators
    def list_operators(self) -> list[OperatorView]:
        """Every registered operator, by login."""
        ...

    def set_operator_role(self, login: str, role: Role) -> OperatorView:
        """Admin: add an operator or change its role."""
        ...
