"""Operators: who is acting (the OS login by default) and with which role.

On an empty database the first operator becomes Admin. An unknown login on a database
that already has operators is registered as Viewer: read-only until an Admin promotes it.
"""

from __future__ import annotations

import getpass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backupchecks_tui.roles import Action, Actor, Role, require
from backupchecks_tui.services import audit
from store.engine import session_scope
from store.models import Operator


def os_login() -> str:
    """The OS login name of the person running the app."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"


def resolve_actor(engine: Engine, login: str) -> Actor:
    """The actor for `login`, registering it (Admin if first, else Viewer) when new."""
    for _attempt in range(3):
        try:
            with session_scope(engine) as session:
                return _resolve(session, login)
        except IntegrityError:
            continue  # another process registered it at the same moment
    with session_scope(engine) as session:
        return _resolve(session, login)


def _resolve(session: Session, login: str) -> Actor:
    existing = session.exec(select(Operator).where(Operator.login == login)).first()
    if existing is not None:
        return Actor(existing.login, Role(existing.role))
    count = session.exec(select(func.count()).select_from(Operator)).one()
    role = Role.ADMIN if count == 0 else Role.VIEWER
    session.add(Operator(login=login, role=role.value))
    session.flush()
    audit.record(session, login, "operator.register", "operator", None, login=login, role=role)
    return Actor(login, role)


def set_role(engine: Engine, actor: Actor, login: str, role: Role) -> Operator:
    """Add operator `login` with `role`, or change its role (Admin only)."""
    require(actor, Action.MANAGE_OPERATORS)
    with session_scope(engine) as session:
        op = session.exec(select(Operator).where(Operator.login == login)).first()
        before = op.role if op else None
        if op is None:
            op = Operator(login=login, role=role.value)
        else:
            op.role = role.value
        session.add(op)
        session.flush()
        audit.record(
            session,
            actor,
            "operator.set_role",
            "operator",
            op.id,
            login=login,
            before=before,
            after=role.value,
        )
        return op


def list_operators(engine: Engine) -> list[Operator]:
    """All operators by login."""
    with session_scope(engine) as session:
        return list(session.exec(select(Operator).order_by(col(Operator.login))))
