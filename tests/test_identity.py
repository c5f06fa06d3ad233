"""Identity cannot be forged: the real uid on SQLite, the database login on PostgreSQL.

PostgreSQL tests use three real login roles on the throw-away server (alice, bob, carol
with a random suffix: roles are cluster-wide) and connect as each of them, so the
database itself, not only the app, is what refuses a Viewer's write.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from psycopg import sql
from sqlalchemy import Engine
from sqlmodel import col, select

from backupchecks_tui.config import Config
from backupchecks_tui.database import open_database
from backupchecks_tui.demo.build import build_demo
from backupchecks_tui.errors import PermissionDenied, StoreError
from backupchecks_tui.facade import bind
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import (
    checks,
    coverage,
    daily,
    inbox,
    operators,
    remarks,
    review,
    schedules,
    stats,
    tickets,
)
from backupchecks_tui.services import overrides as override_ops
from backupchecks_tui.views.checks import QueueFilter
from backupchecks_tui.views.overrides import OverrideSpec
from backupchecks_tui.workspace import Workspace
from screens.app import BackupChecksApp
from store import migrate
from store.engine import make_engine, read_scope
from store.models import JobRun
from tests.servers import make_workdir
from tests.servers.postgres import PostgresServer
from tests.uihelpers import settle

REAL_USER = pwd.getpwuid(os.getuid()).pw_name


@dataclass
class Team:
    """A fresh database on the test server and three login roles that may use it."""

    server: PostgresServer
    database: str
    alice: str
    bob: str
    carol: str

    def url(self, login: str) -> str:
        """SQLAlchemy URL of the database, connecting as `login`."""
        return f"postgresql+psycopg://{login}@{self.server.host}:{self.server.port}/{self.database}"

    def connect(self, login: str) -> psycopg.Connection[tuple[object, ...]]:
        """A raw psycopg connection as `login`: what psql would give that person."""
        return psycopg.connect(
            f"host={self.server.host} port={self.server.port} user={login} dbname={self.database}",
            autocommit=True,
        )

    @property
    def logins(self) -> list[str]:
        """The three logins."""
        return [self.alice, self.bob, self.carol]


def _superuser(
    server: PostgresServer, database: str = "postgres"
) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(server.conninfo(database), autocommit=True)


def _make_team(server: PostgresServer, *, all_may_create: bool = False) -> Team:
    """alice owns a new database and may create roles (what the README asks of the DBA);
    with `all_may_create` bob and carol may create the schema too (the worst case for
    concurrent first starts)."""
    if not server.running:
        server.start()
    suffix = secrets.token_hex(4)
    alice, bob, carol = (f"{name}_{suffix}" for name in ("alice", "bob", "carol"))
    team = Team(server, f"t_{secrets.token_hex(8)}", alice, bob, carol)
    with _superuser(server) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(team.alice)))
        for login in (team.bob, team.carol):
            extra = sql.SQL(" CREATEROLE") if all_may_create else sql.SQL("")
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)) + extra)
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(team.database), sql.Identifier(team.alice)
            )
        )
    if all_may_create:
        with _superuser(server, team.database) as conn:
            for login in (team.bob, team.carol):
                conn.execute(
                    sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(sql.Identifier(login))
                )
    return team


@pytest.fixture
def team(postgres_server: PostgresServer) -> Iterator[Team]:
    """A fresh database owned by alice; bob and carol are plain logins."""
    made = _make_team(postgres_server)
    yield made
    if postgres_server.running:
        postgres_server.drop_database(made.database)


def _open(team: Team, login: str) -> Engine:
    return open_database(team.url(login))


# --- SQLite / OS identity ---------------------------------------------------------------


def test_os_login_is_the_real_uid_not_logname(monkeypatch: pytest.MonkeyPatch) -> None:
    """LOGNAME and USER are the caller's claim; the identity is the real uid's user."""
    monkeypatch.setenv("LOGNAME", "mallory")
    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("LNAME", "mallory")
    monkeypatch.setenv("USERNAME", "mallory")
    assert operators.os_login() == REAL_USER


def test_sqlite_current_actor_ignores_logname(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the first real user becomes Admin under its own name, whatever LOGNAME says."""
    monkeypatch.setenv("LOGNAME", "mallory")
    monkeypatch.setenv("USER", "mallory")
    actor = operators.current_actor(sqlite_engine)
    assert actor == Actor(REAL_USER, Role.ADMIN)
    assert [op.login for op in operators.list_operators(sqlite_engine)] == [REAL_USER]


def _as_nobody(db_url: str) -> str:
    """In a forked child whose real uid is nobody's and whose LOGNAME/USER say root: try
    `operator add vera --role admin` on `db_url`; return what happened, in words."""
    nobody = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        outcome = "crashed"
        try:
            os.close(read_end)
            os.environ["LOGNAME"] = os.environ["USER"] = "root"
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)  # as root this sets the real uid too
            engine = make_engine(db_url)
            actor = operators.current_actor(engine)
            try:
                operators.set_role(engine, actor, "vera", Role.ADMIN)
                outcome = f"{actor.login} {actor.role.value}: added vera"
            except PermissionDenied as exc:
                outcome = f"{actor.login} {actor.role.value}: {exc.line}"
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            outcome = f"crashed: {exc!r}"
        finally:
            os.write(write_end, outcome.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    return outcome


def test_concurrent_first_registrations_on_sqlite_give_one_admin(tmp_path: Path) -> None:
    """SQLite's writers queue on BEGIN IMMEDIATE: three first logins at once, one Admin."""
    url = f"sqlite:///{tmp_path / 'first.db'}"
    open_database(url).dispose()
    engines = {login: make_engine(url) for login in ("alice", "bob", "carol")}
    results = _register_at_once(engines)
    for engine in engines.values():
        engine.dispose()
    roles = sorted(r.role.value for r in results.values() if isinstance(r, Actor))
    assert roles == ["admin", "viewer", "viewer"], results


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_logname_root_does_not_make_another_user_an_admin() -> None:
    """The issue's attack: `LOGNAME=root backupchecks-tui operator add vera --role admin`
    run by another OS user on a database where root is Admin is refused."""
    workdir = make_workdir("backupchecks-identity-")
    try:
        workdir.chmod(0o777)  # nobody writes the SQLite file and its WAL next to it
        db_url = f"sqlite:///{workdir / 'shared.db'}"
        engine = open_database(db_url)
        assert operators.current_actor(engine) == Actor("root", Role.ADMIN)
        engine.dispose()
        for path in workdir.iterdir():
            path.chmod(0o666)
        outcome = _as_nobody(db_url)
        assert outcome.startswith("nobody viewer: Viewer 'nobody' may not manage operators")
        engine = open_database(db_url)
        assert [op.login for op in operators.list_operators(engine)] == ["nobody", "root"]
        engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- PostgreSQL: the database login and group roles -------------------------------------


def test_postgres_identity_is_the_database_login(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the actor is session_user: LOGNAME and the OS user do not matter."""
    monkeypatch.setenv("LOGNAME", team.bob)
    monkeypatch.setenv("USER", team.bob)
    engine = _open(team, team.alice)
    try:
        assert operators.current_actor(engine) == Actor(team.alice, Role.ADMIN)
    finally:
        engine.dispose()


def _three_roles(team: Team) -> None:
    """alice (first, Admin) makes bob a Viewer and carol an Operator through the service."""
    engine = _open(team, team.alice)
    try:
        admin = operators.current_actor(engine)
        operators.set_role(engine, admin, team.bob, Role.VIEWER)
        operators.set_role(engine, admin, team.carol, Role.OPERATOR)
    finally:
        engine.dispose()


def test_roles_are_enforced_by_the_database(team: Team) -> None:
    """A Viewer's own connection cannot write even with raw SQL; an Operator can do an
    Operator's writes but not manage operators or rewrite the audit log."""
    _three_roles(team)
    with team.connect(team.bob) as bob:
        assert bob.execute("SELECT count(*) FROM job_run").fetchone() == (0,)
        for statement in (
            "INSERT INTO customer (name, active, created_at) VALUES ('x', true, now())",
            "UPDATE job_run SET reviewed_by = 'bob'",
            "DELETE FROM audit_event",
            "UPDATE operator SET role = 'admin'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bob.execute(statement)
    with team.connect(team.carol) as carol:
        carol.execute("INSERT INTO customer (name, active, created_at) VALUES ('x', true, now())")
        for statement in (
            "UPDATE operator SET role = 'admin'",
            "INSERT INTO operator (login, role, created_at) VALUES ('eve', 'admin', now())",
            "DELETE FROM audit_event",
            "UPDATE audit_event SET actor = 'someone else'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                carol.execute(statement)


# What the Operator group may not do on a table (beyond TRUNCATE, refused everywhere).
OPERATOR_LIMITS = {
    "operator": {"INSERT", "UPDATE", "DELETE"},
    "audit_event": {"UPDATE", "DELETE"},
    "override": {"DELETE"},
    "alembic_version": {"INSERT", "UPDATE", "DELETE"},
}
WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


def _privileges(team: Team, login: str) -> dict[str, set[str]]:
    """Per table of the schema, the privileges `login` holds (SELECT and the writes)."""
    with team.connect(login) as conn:
        tables = [
            str(name)
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        ]
        held: dict[str, set[str]] = {}
        for table in tables:
            held[table] = {
                privilege
                for privilege in ("SELECT", *WRITES)
                if conn.execute(
                    "SELECT has_table_privilege(session_user, %s, %s)", (table, privilege)
                ).fetchone()
                == (True,)
            }
    return held


def test_every_table_carries_each_groups_grants(team: Team) -> None:
    """Table by table: a Viewer reads and writes nothing; an Operator writes everything
    but the operator list, the audit log's past and override deletion; an Admin all.
    (A later migration's new table fails here until it grants the Operator's writes.)"""
    _three_roles(team)
    viewer, operator_ = _privileges(team, team.bob), _privileges(team, team.carol)
    assert {"job_run", "operator", "audit_event", "override", "ticket"} <= set(viewer)
    for table, held in viewer.items():
        assert held == {"SELECT"}, table
    for table, held in operator_.items():
        expected = {"SELECT", *WRITES} - {"TRUNCATE"} - OPERATOR_LIMITS.get(table, set())
        assert held == expected, table
    engine = _open(team, team.alice)
    try:
        operators.set_role(engine, operators.current_actor(engine), team.carol, Role.ADMIN)
    finally:
        engine.dispose()
    for table, held in _privileges(team, team.carol).items():
        assert held == {"SELECT", *WRITES}, table


def test_operator_add_grants_and_moves_the_group(team: Team) -> None:
    """Each login's actor follows `operator add`; promoting moves the group role."""
    _three_roles(team)
    roles = {}
    for login in team.logins:
        engine = _open(team, login)
        try:
            roles[login] = operators.current_actor(engine).role
            if login == team.bob:
                with pytest.raises(PermissionDenied):
                    operators.set_role(engine, operators.current_actor(engine), login, Role.ADMIN)
        finally:
            engine.dispose()
    assert roles == {team.alice: Role.ADMIN, team.bob: Role.VIEWER, team.carol: Role.OPERATOR}

    engine = _open(team, team.alice)
    try:
        operators.set_role(engine, operators.current_actor(engine), team.bob, Role.OPERATOR)
    finally:
        engine.dispose()
    with team.connect(team.bob) as bob:
        bob.execute("INSERT INTO customer (name, active, created_at) VALUES ('y', true, now())")
        held = bob.execute(
            "SELECT pg_has_role(session_user, 'backupchecks_viewer', 'MEMBER')"
        ).fetchone()
        assert held == (False,)


def test_a_login_without_a_role_is_told_what_to_do(team: Team) -> None:
    """A colleague with a login but no group yet gets one plain sentence and the fix."""
    engine = _open(team, team.alice)
    operators.current_actor(engine)
    engine.dispose()
    engine = _open(team, team.bob)
    try:
        with pytest.raises(PermissionDenied) as info:
            operators.current_actor(engine)
    finally:
        engine.dispose()
    assert f"operator add {team.bob} --role viewer" in info.value.line


def test_operator_add_for_a_missing_login_says_what_the_dba_does(team: Team) -> None:
    """`operator add` of a name with no database login changes nothing and says why."""
    engine = _open(team, team.alice)
    try:
        admin = operators.current_actor(engine)
        with pytest.raises(Exception, match="CREATE ROLE") as info:
            operators.set_role(engine, admin, "nobody_here", Role.VIEWER)
        assert "no database login" in str(info.value)
        assert [op.login for op in operators.list_operators(engine)] == [team.alice]
    finally:
        engine.dispose()


def test_an_admin_without_grant_rights_is_told_what_to_do(team: Team) -> None:
    """An Admin whose login may not grant roles gets the DBA's GRANT to run, and the
    operator list stays as it was."""
    _three_roles(team)
    with _superuser(team.server, team.database) as conn:
        conn.execute("UPDATE operator SET role = 'admin' WHERE login = %s", (team.carol,))
        conn.execute(sql.SQL("GRANT backupchecks_admin TO {}").format(sql.Identifier(team.carol)))
    engine = _open(team, team.carol)
    try:
        carol = operators.current_actor(engine)
        assert carol.role is Role.ADMIN
        with pytest.raises(PermissionDenied) as info:
            operators.set_role(engine, carol, team.bob, Role.ADMIN)
        assert "GRANT backupchecks_admin TO" in info.value.line
        roles = {op.login: op.role for op in operators.list_operators(engine)}
        assert roles[team.bob] == "viewer"
    finally:
        engine.dispose()


def _registered_admins(team: Team) -> list[str]:
    with _superuser(team.server, team.database) as conn:
        rows = conn.execute("SELECT login FROM operator WHERE role = 'admin'").fetchall()
    return [str(login) for (login,) in rows]


def _register_at_once(engines: dict[str, Engine]) -> dict[str, Actor | BaseException]:
    """Each login resolves itself on its own engine, all released at the same instant."""
    barrier = threading.Barrier(len(engines))
    results: dict[str, Actor | BaseException] = {}

    def register(login: str) -> None:
        barrier.wait()
        try:
            results[login] = operators.resolve_actor(engines[login], login)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller's assert
            results[login] = exc

    threads = [threading.Thread(target=register, args=(login,)) for login in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_first_registrations_give_one_admin(postgres_server: PostgresServer) -> None:
    """Three logins registering at the same instant on a fresh database: one Admin."""
    for _round in range(5):
        team = _make_team(postgres_server, all_may_create=True)
        _open(team, team.alice).dispose()
        engines = {login: open_database(team.url(login), upgrade=False) for login in team.logins}
        with _superuser(postgres_server, team.database) as conn:  # everyone may read
            for login in (team.bob, team.carol):
                conn.execute(
                    sql.SQL("GRANT backupchecks_admin TO {}").format(sql.Identifier(login))
                )
        results = _register_at_once(engines)
        for engine in engines.values():
            engine.dispose()
        admins = [
            r.login for r in results.values() if isinstance(r, Actor) and r.role is Role.ADMIN
        ]
        assert len(admins) == 1, results
        assert _registered_admins(team) == admins
        postgres_server.drop_database(team.database)


def test_concurrent_first_starts_migrate_once(postgres_server: PostgresServer) -> None:
    """Three people start the app at once on a fresh database (all may create the schema):
    the schema is made once (no UniqueViolation on alembic_version), exactly one becomes
    Admin, and the others are told, in one line, to ask that Admin for a role."""
    workdir = make_workdir("backupchecks-first-start-")
    try:
        for _round in range(3):
            team = _make_team(postgres_server, all_may_create=True)
            procs = []
            for login in team.logins:
                config = workdir / f"{login}.toml"
                config.write_text(f"[database]\nurl = '{team.url(login)}'\n")
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "backupchecks_tui", "--config", str(config),
                         "operator", "list"],
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                        # The old code took LOGNAME as the identity: give each its own.
                        env={**os.environ, "LOGNAME": login, "USER": login},
                    )
                )  # fmt: skip
            outcomes = []
            for proc in procs:
                out, err = proc.communicate(timeout=120)
                outcomes.append((proc.returncode, out, err))
            for code, _out, err in outcomes:
                assert "Traceback" not in err and "UniqueViolation" not in err, err
                assert code == 0 or "has no backupchecks role yet" in err, err
                assert len(err.strip().splitlines()) <= 1, err
            assert len(_registered_admins(team)) == 1
            with _superuser(postgres_server, team.database) as conn:
                versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
            assert versions == [(migrate.head_revision(),)]
            postgres_server.drop_database(team.database)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_an_operator_does_a_mornings_work_on_their_own_login(team: Team) -> None:
    """The Operator group's grants are enough for real work through the services (ingest
    of the synthetic demo mail, tickets, remarks, review, mark as success, an override),
    and the Admin group's for an Admin's: a colleague promoted to Admin deletes it."""
    _three_roles(team)
    build_demo(team.url(team.carol), today=date(2026, 11, 30))  # ingest, tickets, remarks
    engine = _open(team, team.carol)
    try:
        carol = operators.current_actor(engine)
        assert carol.role is Role.OPERATOR
        with read_scope(engine) as session:
            run = session.exec(
                select(JobRun).where(
                    col(JobRun.reviewed_at).is_(None), col(JobRun.status) == "failed"
                )
            ).first()
            assert run is not None and run.id is not None
            run_id, job_id = run.id, run.job_id
        override_ops.mark_success(engine, carol, run_id, "checked by hand")
        override = override_ops.create_override(
            engine, carol, OverrideSpec("job", job_id=job_id, reason="known noise")
        )
        receipt = review.review_jobs(engine, carol, {job_id: run_id})
        assert len(receipt.run_ids) >= 1
        with pytest.raises(PermissionDenied):
            override_ops.delete_override(engine, carol, override.id or 0)
    finally:
        engine.dispose()
    with team.connect(team.carol) as raw, pytest.raises(psycopg.errors.InsufficientPrivilege):
        raw.execute("DELETE FROM override")

    engine = _open(team, team.alice)
    try:
        operators.set_role(engine, operators.current_actor(engine), team.bob, Role.ADMIN)
    finally:
        engine.dispose()
    engine = _open(team, team.bob)
    try:
        bob = operators.current_actor(engine)
        assert bob.role is Role.ADMIN
        override_ops.delete_override(engine, bob, override.id or 0)
        operators.set_role(engine, bob, team.carol, Role.VIEWER)  # Admins grant roles too
    finally:
        engine.dispose()
    with team.connect(team.carol) as raw, pytest.raises(psycopg.errors.InsufficientPrivilege):
        raw.execute("UPDATE job_run SET reviewed_by = NULL")


def test_a_login_that_does_not_own_the_schema_cannot_migrate_it(team: Team) -> None:
    """An Operator starting a newer app on an older schema gets one line naming who fixes it."""
    _three_roles(team)
    engine = _open(team, team.alice)
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0002")
    engine.dispose()
    with pytest.raises(StoreError) as info:
        _open(team, team.carol)
    assert "may not create or migrate the schema" in info.value.line
    assert "db upgrade" in info.value.line


def test_the_readme_setup_without_createrole(postgres_server: PostgresServer) -> None:
    """The README's tighter set-up: the DBA makes the group roles and gives the schema owner
    ADMIN OPTION on them (no CREATEROLE); the owner migrates, becomes Admin and grants."""
    team = _make_team(postgres_server)
    try:
        with _superuser(postgres_server) as conn:
            owner = sql.Identifier(team.alice)
            conn.execute(sql.SQL("ALTER ROLE {} NOCREATEROLE").format(owner))
            for group in operators.GROUPS.values():
                conn.execute(
                    sql.SQL(
                        "DO $$ BEGIN CREATE ROLE {} NOLOGIN; "
                        "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                    ).format(sql.Identifier(group))
                )
                conn.execute(
                    sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(sql.Identifier(group), owner)
                )
        _three_roles(team)
        with team.connect(team.bob) as bob, pytest.raises(psycopg.errors.InsufficientPrivilege):
            bob.execute("INSERT INTO customer (name, active, created_at) VALUES ('x', true, now())")
        with team.connect(team.carol) as carol:
            carol.execute(
                "INSERT INTO customer (name, active, created_at) VALUES ('x', true, now())"
            )
    finally:
        postgres_server.drop_database(team.database)


async def test_a_viewers_login_on_postgres_reads_every_area(team: Team) -> None:
    """A Viewer's own login reads every area, also once a ticket's hold has expired
    (expiring it is a write, left to a login that may make it). Its app looks for missed
    runs like anyone's but may not write them: the look is left to the apps of those who
    may ingest, and the app goes on through every area instead of failing."""
    monday = date(2026, 11, 30)
    _three_roles(team)
    build_demo(team.url(team.alice), today=monday)  # a week of runs missing by now
    later = datetime(2026, 12, 15, 12, tzinfo=UTC)  # the demo's hold (14 days) expired
    engine = _open(team, team.bob)
    try:
        bob = operators.current_actor(engine)
        assert bob.role is Role.VIEWER
        page = checks.load_queue(engine, QueueFilter())
        assert page.rows
        job_id = page.rows[0].job_id
        runs = checks.job_runs(engine, job_id, include_reviewed=False)
        checks.run_detail(engine, runs[0].id)
        daily.day_grid(engine, monday, UTC, later)
        daily.job_history(engine, job_id)
        schedules.job_schedule(engine, job_id)
        inbox.list_mails(engine)
        assert tickets.list_tickets(engine, now=later)
        remarks.list_remarks(engine)
        coverage.covering_job(engine, job_id, now=later)
        stats.collect(engine)

        config = Config.model_validate({"ui": {"timezone": "UTC"}})
        app = BackupChecksApp(bind(Workspace(engine, bob, config, "postgresql (bob)")))
        async with app.run_test(size=(120, 40)) as pilot:
            app.detect_missed()
            await app.workers.wait_for_complete()
            for key in "234561":
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await settle(pilot)
            assert app.return_code is None
    finally:
        engine.dispose()
    with _superuser(team.server, team.database) as conn:
        made = conn.execute("SELECT count(*) FROM job_run WHERE status = 'missed'").fetchone()
    assert made == (0,)
