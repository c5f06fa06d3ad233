"""Operators: who is acting and with which role.

Identity is never what the caller claims. On SQLite it is the OS user of the process's
real uid (LOGNAME and USER are ignored: anyone can set them). On PostgreSQL it is the
database login (`session_user`), and the role is enforced by the database too: each role
has a NOLOGIN group role (migration 0004) and `set_role` grants the login its group, so a
Viewer's connection cannot write even from psql.

On an empty database the first operator becomes Admin; that registration is serialised
(BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so concurrent first starts
give exactly one Admin. An unknown login on a database that already has operators is a
Viewer: read-only until an Admin promotes it.
"""

from __future__ import annotations

import os
import pwd

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, func, select

from backupchecks_tui.database import denied_by_database
from backupchecks_tui.errors import NotFound, PermissionDenied
from backupchecks_tui.roles import Action, Actor, Role, require
from backupchecks_tui.services import audit
from backupchecks_tui.views.admin import OperatorView
from store.engine import read_connection, read_scope, session_scope
from store.models import Operator

GROUPS: dict[Role, str] = {
    Role.VIEWER: "backupchecks_viewer",
    Role.OPERATOR: "backupchecks_operator",
    Role.ADMIN: "backupchecks_admin",
}
"""The PostgreSQL group role of each role (created by migration 0004)."""

_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}
"""Strength of a role: the weaker of the app's and the database's wins."""
REGISTRATION_LOCK = 0x6263_6F70_6572_6174  # "bcoperat": advisory lock key


def os_login() -> str:
    """The OS user name of the process's real uid (never LOGNAME/USER, which lie freely)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # no passwd entry (containers): the uid still names one person
        return f"uid{uid}"


def _is_postgres(engine_or_session: Engine | Session) -> bool:
    """Whether the database is PostgreSQL (logins and group roles) rather than SQLite."""
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return bind.dialect.name == "postgresql"


def current_login(engine: Engine) -> str:
    """Who is acting: the database login on PostgreSQL, else the OS user of the real uid."""
    if not _is_postgres(engine):
        return os_login()
    with read_connection(engine) as conn:
        return str(conn.execute(text("SELECT session_user")).scalar_one())


def database_role(engine: Engine) -> Role | None:
    """The strongest group role the PostgreSQL login holds the rights of (None: none)."""
    with read_connection(engine) as conn:
        for role in (Role.ADMIN, Role.OPERATOR, Role.VIEWER):
            held = conn.execute(
                text("SELECT pg_has_role(session_user, :group, 'USAGE')"),
                {"group": GROUPS[role]},
            ).scalar_one()
            if held:
                return role
    return None


def current_actor(engine: Engine) -> Actor:
    """The actor running this process, from an identity the caller cannot forge.

    On PostgreSQL the app never allows more than the database does: the role is the
    weaker of the operator list's and the login's group role.
    """
    login = current_login(engine)
    if not _is_postgres(engine):
        return resolve_actor(engine, login)
    try:
        actor = resolve_actor(engine, login)
    except DBAPIError as exc:
        if not denied_by_database(exc):
            raise
        raise PermissionDenied(
            f"The database login {login!r} has no backupchecks role yet.",
            fix=f"Fix: ask an Admin to run: backupchecks-tui operator add {login} --role viewer",
        ) from None
    held = database_role(engine) or Role.VIEWER
    return Actor(login, min(actor.role, held, key=_RANK.__getitem__))


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


def _find(session: Session, login: str) -> Operator | None:
    """The registered operator `login`, if any."""
    return session.exec(select(Operator).where(Operator.login == login)).first()


def _resolve(session: Session, login: str) -> Actor:
    """`login`'s actor in this transaction, registering the first operator as Admin."""
    existing = _find(session, login)
    if existing is not None:
        return Actor(existing.login, Role(existing.role))
    postgres = _is_postgres(session)
    if postgres:
        # Serialise registration: without it two first starts both count zero operators
        # and both become Admin. Read committed: the re-check sees the winner's commit.
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTRATION_LOCK}
        )
        existing = _find(session, login)
        if existing is not None:
            return Actor(existing.login, Role(existing.role))
    count = session.exec(select(func.count()).select_from(Operator)).one()
    role = Role.ADMIN if count == 0 else Role.VIEWER
    if postgres and role is not Role.ADMIN:
        # A Viewer's login may not write (not even its own registration): it stays a
        # Viewer until an Admin's `operator add` registers it and grants its group.
        return Actor(login, role)
    session.add(Operator(login=login, role=role.value))
    session.flush()
    if postgres:
        _grant_group(session, login, role)
    audit.record(session, login, "operator.register", "operator", None, login=login, role=role)
    return Actor(login, role)


def _memberships(session: Session, login: str) -> dict[str, str]:
    """The group roles of ours `login` is a direct member of, each with who granted it."""
    rows = session.connection().execute(
        text(
            "SELECT g.rolname, gr.rolname FROM pg_catalog.pg_auth_members m "
            "JOIN pg_catalog.pg_roles g ON g.oid = m.roleid "
            "JOIN pg_catalog.pg_roles u ON u.oid = m.member "
            "LEFT JOIN pg_catalog.pg_roles gr ON gr.oid = m.grantor WHERE u.rolname = :login"
        ),
        {"login": login},
    )
    return {str(group): str(grantor) for group, grantor in rows if group in GROUPS.values()}


def _grant_group(session: Session, login: str, role: Role) -> None:
    """Make `login` a member of `role`'s group role only (PostgreSQL), in this transaction."""
    conn = session.connection()
    exists = conn.execute(
        text("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :login"), {"login": login}
    ).first()
    if exists is None:
        raise NotFound(
            f"There is no database login {login!r} on this PostgreSQL server.",
            fix=f'Fix: ask the DBA to create it first: CREATE ROLE "{login}" LOGIN;',
        )
    quoted = conn.dialect.identifier_preparer.quote_identifier(login)
    acting = conn.execute(text("SELECT session_user")).scalar_one()
    # Admins hold their group WITH ADMIN OPTION: it carries the right to grant the groups.
    option = " WITH ADMIN OPTION" if role is Role.ADMIN else ""
    try:
        for group in _memberships(session, login):
            if group != GROUPS[role]:
                conn.exec_driver_sql(f"REVOKE {group} FROM {quoted}")
        conn.exec_driver_sql(f"GRANT {GROUPS[role]} TO {quoted}{option}")
    except DBAPIError as exc:
        if not denied_by_database(exc):
            raise
        raise PermissionDenied(
            f"Your database login {acting!r} may not grant database roles, "
            f"so {login!r} cannot become {role.value}.",
            fix=f"Fix: ask the DBA to run: GRANT {GROUPS[role]} TO {quoted}{option}; "
            f'(or to let you: GRANT {GROUPS[Role.ADMIN]} TO "{acting}" WITH ADMIN OPTION;)',
        ) from None
    # PostgreSQL 16+ only warns when the membership was granted by another login and
    # keeps it: never leave a login with more rights in the database than in the app.
    left = {g: by for g, by in _memberships(session, login).items() if g != GROUPS[role]}
    if left:
        group, grantor = next(iter(left.items()))
        raise PermissionDenied(
            f"{login!r} keeps {group}, granted by {grantor!r}, so it cannot become {role.value}.",
            fix=f'Fix: ask the DBA to run: REVOKE {group} FROM {quoted} GRANTED BY "{grantor}";',
        )


def set_role(engine: Engine, actor: Actor, login: str, role: Role) -> Operator:
    """Add operator `login` with `role`, or change its role (Admin only).

    On PostgreSQL `login` must be a database login; it is granted `role`'s group role
    (and loses the others) in the same transaction, or nothing changes.
    """
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
        if _is_postgres(session):
            _grant_group(session, login, role)
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


def list_operators(engine: Engine) -> list[OperatorView]:
    """All operators by login."""
    with read_scope(engine) as session:
        rows = session.exec(select(Operator).order_by(col(Operator.login)))
        return [OperatorView(op.id or 0, op.login, Role(op.role)) for op in rows]
