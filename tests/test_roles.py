"""Operators and roles: the first operator is Admin, the full role × action matrix."""

from __future__ import annotations

import secrets

import psycopg
import pytest
from psycopg import sql
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


@pytest.fixture
def names(engine: Engine, request: pytest.FixtureRequest) -> dict[str, str]:
    """Logins for alice, bob, carol and dave; on PostgreSQL real login roles (cluster-wide,
    hence a random suffix), since operators there are database logins."""
    if engine.dialect.name != "postgresql":
        return {name: name for name in ("alice", "bob", "carol", "dave")}
    server = request.getfixturevalue("postgres_server")
    suffix = secrets.token_hex(4)
    logins = {name: f"{name}_{suffix}" for name in ("alice", "bob", "carol", "dave")}
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        for login in logins.values():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))
    return logins


def test_first_operator_is_admin_then_viewers(engine: Engine, names: dict[str, str]) -> None:
    """On an empty database the first login becomes Admin; later unknown logins Viewers."""
    first = operators.resolve_actor(engine, names["alice"])
    assert first.role is Role.ADMIN
    assert operators.resolve_actor(engine, names["alice"]).role is Role.ADMIN
    assert operators.resolve_actor(engine, names["bob"]).role is Role.VIEWER


def test_only_admin_manages_operators(engine: Engine, names: dict[str, str]) -> None:
    """An Admin can add and promote; an Operator cannot."""
    admin = operators.resolve_actor(engine, names["alice"])
    operators.set_role(engine, admin, names["carol"], Role.OPERATOR)
    carol = operators.resolve_actor(engine, names["carol"])
    assert carol.role is Role.OPERATOR
    with pytest.raises(PermissionDenied):
        operators.set_role(engine, carol, names["dave"], Role.ADMIN)
    operators.set_role(engine, admin, names["carol"], Role.ADMIN)
    assert operators.resolve_actor(engine, names["carol"]).role is Role.ADMIN
    logins = [op.login for op in operators.list_operators(engine)]
    assert logins == [names["alice"], names["carol"]]
