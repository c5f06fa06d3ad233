"""Operators and roles: the first operator is Admin, the full role × action matrix."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from backupchecks_tui.errors import PermissionDenied
from backupchecks_tui.roles import ALLOWED, Action, Actor, Role, require
from backupchecks_tui.services import operators

EXPECTED = {
    Role.ADMIN: set(Action),
    Role.OPERATOR: set(Action)
    - {
        Action.SHOW_REVIEWED,
        Action.UNMARK,
        Action.OVERRIDE_DELETE,
        Action.MANAGE_OPERATORS,
        Action.VIEW_AUDIT,
    },
    Role.VIEWER: set(),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_role_action_matrix(role: Role, action: Action) -> None:
    """Every role × action pair is allowed exactly as the rules say, or refused plainly."""
    actor = Actor("alice", role)
    if action in EXPECTED[role]:
        require(actor, action)
    else:
        with pytest.raises(PermissionDenied) as info:
            require(actor, action)
        assert action.value in info.value.line
        assert role.value.capitalize() in info.value.line
    assert (action in ALLOWED[role]) == (action in EXPECTED[role])


def test_first_operator_is_admin_then_viewers(engine: Engine) -> None:
    """On an empty database the first login becomes Admin; later unknown logins Viewers."""
    first = operators.resolve_actor(engine, "alice")
    assert first.role is Role.ADMIN
    assert operators.resolve_actor(engine, "alice").role is Role.ADMIN
    assert operators.resolve_actor(engine, "bob").role is Role.VIEWER


def test_only_admin_manages_operators(engine: Engine) -> None:
    """An Admin can add and promote; an Operator cannot."""
    admin = operators.resolve_actor(engine, "alice")
    operators.set_role(engine, admin, "carol", Role.OPERATOR)
    carol = operators.resolve_actor(engine, "carol")
    assert carol.role is Role.OPERATOR
    with pytest.raises(PermissionDenied):
        operators.set_role(engine, carol, "dave", Role.ADMIN)
    operators.set_role(engine, admin, "carol", Role.ADMIN)
    assert operators.resolve_actor(engine, "carol").role is Role.ADMIN
    logins = [op.login for op in operators.list_operators(engine)]
    assert logins == ["alice", "carol"]
