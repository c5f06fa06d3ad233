"""Roles, actions and the permission matrix; services call `require` before acting."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from backupchecks_tui.errors import PermissionDenied


class Role(enum.StrEnum):
    """What an operator may do: Admin ⊃ Operator ⊃ Viewer."""

    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class Action(enum.StrEnum):
    """Every role-relevant action, with the words used in refusals."""

    REVIEW = "review runs"
    MARK_SUCCESS = "mark runs as success"
    SHOW_REVIEWED = "show reviewed runs"
    UNMARK = "unmark reviewed runs"
    OVERRIDE_CREATE = "create overrides"
    OVERRIDE_EDIT = "edit overrides"
    OVERRIDE_DELETE = "delete overrides"
    TICKET_WRITE = "create or change tickets"
    REMARK_WRITE = "create or change remarks"
    INGEST = "fetch or import mail"
    REPARSE = "re-parse mail"
    MANAGE_CUSTOMERS = "manage customers and mapping rules"
    MANAGE_SCHEDULES = "edit job schedules"
    MANAGE_OPERATORS = "manage operators"
    VIEW_AUDIT = "view the audit log"


_OPERATOR_ACTIONS = frozenset(
    {
        Action.REVIEW,
        Action.MARK_SUCCESS,
        Action.OVERRIDE_CREATE,
        Action.OVERRIDE_EDIT,
        Action.TICKET_WRITE,
        Action.REMARK_WRITE,
        Action.INGEST,
        Action.REPARSE,
        Action.MANAGE_CUSTOMERS,
        Action.MANAGE_SCHEDULES,
    }
)

ALLOWED: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.OPERATOR: _OPERATOR_ACTIONS,
    Role.VIEWER: frozenset(),
}


@dataclass(frozen=True)
class Actor:
    """The operator acting: login name and role."""

    login: str
    role: Role

    def can(self, action: Action) -> bool:
        """Whether this actor's role allows `action`."""
        return action in ALLOWED[self.role]


def require(actor: Actor, action: Action) -> None:
    """Raise PermissionDenied unless `actor` may do `action`."""
    if not actor.can(action):
        raise PermissionDenied(
            f"{actor.role.value.capitalize()} {actor.login!r} may not {action.value}.",
            fix="Fix: ask an Admin to change your role "
            "(backupchecks-tui operator add NAME --role …).",
        )
