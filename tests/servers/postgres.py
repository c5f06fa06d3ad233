"""A throw-away PostgreSQL cluster: initdb in a temp dir, own port and socket dir, no fsync.

Uses the newest ``/usr/lib/postgresql/<version>/bin`` (15 on Debian 12, 17 on Debian 13).
As root the cluster runs as the ``postgres`` system user (``runuser``); otherwise as the
current user. Clients connect over TCP to 127.0.0.1 with trust authentication.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from tests.servers import (
    POLL_INTERVAL,
    ServerUnavailable,
    free_ports,
    require_traversable,
)

__all__ = ["DEFAULT_DATABASE", "DEFAULT_USER", "PostgresServer", "find_bindir", "start_postgres"]

DEFAULT_USER = "backupchecks"
DEFAULT_DATABASE = "backupchecks"
_INSTALL_HINT = "install it with scripts/install-test-deps.sh (package postgresql)"
_TIMEOUT = 30.0
_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def find_bindir() -> Path:
    """The bin dir of the newest installed PostgreSQL (holding initdb and pg_ctl)."""
    candidates: list[tuple[int, Path]] = []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        for entry in root.iterdir():
            if entry.name.isdigit() and (entry / "bin" / "initdb").is_file():
                candidates.append((int(entry.name), entry / "bin"))
    if candidates:
        return max(candidates)[1]
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).parent
    raise ServerUnavailable(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found: {_INSTALL_HINT}"
    )


@dataclass
class PostgresServer:
    """A running (or stopped) throw-away PostgreSQL cluster."""

    workdir: Path
    bindir: Path
    version: str
    host: str
    port: int
    user: str
    database: str
    data_dir: Path
    socket_dir: Path
    log_path: Path
    run_as: str | None = field(default=None, repr=False)
    """System user that owns and runs the cluster (``postgres`` as root, else ``None``)."""

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default database."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of *database* on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        """libpq connection string for psycopg."""
        return f"host={self.host} port={self.port} user={self.user} dbname={database}"

    def new_database(self, name: str | None = None) -> str:
        """Create an empty database (random name by default) and return its URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        if not _DB_NAME.fullmatch(name):
            raise ValueError(f"database name {name!r} must match {_DB_NAME.pattern}")
        with psycopg.connect(self.conninfo(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop *name*, ending any session still connected to it."""
        with psycopg.connect(self.conninfo(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    @property
    def running(self) -> bool:
        """Whether the postmaster of this cluster is alive."""
        pid = self._postmaster_pid()
        return pid is not None and _alive(pid)

    def start(self, timeout: float = _TIMEOUT) -> None:
        """Start the postmaster on :attr:`port` and wait until it accepts connections."""
        if self.running:
            return
        options = " ".join(
            shlex.quote(arg)
            for arg in (
                "-p", str(self.port),
                "-k", str(self.socket_dir),
                "-c", f"listen_addresses={self.host}",
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
            )
        )  # fmt: skip
        result = self._pg_ctl(
            "start", "-w", "-t", str(int(timeout)), "-l", str(self.log_path), "-o", options,
            timeout=timeout + 5,
        )  # fmt: skip
        if result != 0:
            raise ServerUnavailable(
                f"PostgreSQL {self.version} did not start on {self.host}:{self.port}: "
                f"{self._diagnostics()}"
            )

    def stop(self, timeout: float = _TIMEOUT) -> None:
        """Fast shutdown via ``pg_ctl stop``; SIGKILL the postmaster if that fails."""
        if not self.running:
            return
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", str(int(timeout)), timeout=timeout + 5)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the postmaster and its children at once, as a crash (or OOM kill) would."""
        pid = self._postmaster_pid()
        if pid is None:
            return
        victims = [pid, *_children(pid)]
        for victim in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + _TIMEOUT
        while any(_alive(v) for v in victims) and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
        # The dead postmaster may linger as a zombie until init reaps it; PostgreSQL would
        # take it for a live one (kill(pid, 0)) and refuse to start: drop its lock files.
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        for lock in self.socket_dir.glob(".s.PGSQL.*"):
            lock.unlink(missing_ok=True)

    def restart(self, timeout: float = _TIMEOUT) -> None:
        """Stop (if running) and start again on the same port with the same data."""
        self.stop(timeout=timeout)
        self.start(timeout=timeout)

    def log_tail(self, lines: int = 30) -> str:
        """The last *lines* lines of the server log (for failure messages)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _postmaster_pid(self) -> int | None:
        """PID from ``postmaster.pid``, or ``None`` when there is none."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        except OSError:
            return None
        return int(first) if first.strip().isdigit() else None

    def _pg_ctl(self, *args: str, timeout: float) -> int:
        """Run pg_ctl on our data dir as the cluster owner; return its exit status."""
        argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), *args]
        return _run_as(self.run_as, argv, self.workdir / "pg_ctl.out", timeout)

    def _diagnostics(self) -> str:
        """pg_ctl output plus the server log tail, for error messages."""
        try:
            out = (self.workdir / "pg_ctl.out").read_text(encoding="utf-8", errors="replace")
        except OSError:
            out = ""
        return f"{out.strip()[-1500:]} | log: {self.log_tail(10)}"


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (state, ppid, …), or ``None``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def _alive(pid: int) -> bool:
    """Whether *pid* exists and is not a zombie waiting for init to reap it."""
    fields = _proc_stat(pid)
    if fields is not None:
        return fields[0] != "Z"
    if Path("/proc/self").exists():
        return False
    try:  # no /proc: ask the kernel (zombies count as alive here)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _children(pid: int) -> list[int]:
    """PIDs of the live child processes of *pid* (the postmaster's backends)."""
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields is not None and fields[0] != "Z" and int(fields[1]) == pid:
                children.append(int(entry.name))
    return children


def _run_as(user: str | None, argv: list[str], out_path: Path, timeout: float) -> int:
    """Run *argv* (as *user* via runuser when given) with output appended to *out_path*."""
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    with out_path.open("ab") as out:
        try:
            return subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
                start_new_session=True,
            ).returncode
        except subprocess.TimeoutExpired:
            return -1


def start_postgres(workdir: Path, *, host: str = "127.0.0.1") -> PostgresServer:
    """initdb a cluster in *workdir*, start it on a free port and create the default database.

    *workdir* must be reachable by the ``postgres`` user (see
    :func:`tests.servers.make_workdir`). Raises :class:`ServerUnavailable` when PostgreSQL is
    missing or does not start.
    """
    bindir = find_bindir()
    run_as: str | None = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            raise ServerUnavailable("runuser not found (package util-linux)")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ServerUnavailable(f"system user 'postgres' missing: {_INSTALL_HINT}") from exc
        run_as = "postgres"
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    require_traversable(workdir)

    data_dir, socket_dir = workdir / "data", workdir / "socket"
    log_path = workdir / "postgres.log"
    data_dir.mkdir(mode=0o700, exist_ok=True)
    socket_dir.mkdir(mode=0o755, exist_ok=True)
    log_path.touch()
    if run_as is not None:
        for path in (data_dir, socket_dir, log_path):
            os.chown(path, owner.pw_uid, owner.pw_gid)

    version = bindir.parent.name if bindir.parent.name.isdigit() else "?"
    status = _run_as(
        run_as,
        [
            str(bindir / "initdb"), "-D", str(data_dir), "-U", DEFAULT_USER,
            "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        ],
        workdir / "initdb.out",
        _TIMEOUT * 2,
    )  # fmt: skip
    if status != 0:
        out = (workdir / "initdb.out").read_text(errors="replace")
        raise ServerUnavailable(f"initdb (PostgreSQL {version}) failed: {out.strip()[-1500:]}")

    server: PostgresServer | None = None
    for _attempt in range(3):  # the free port may be taken between probe and bind
        server = PostgresServer(
            workdir=workdir,
            bindir=bindir,
            version=version,
            host=host,
            port=free_ports(1, host)[0],
            user=DEFAULT_USER,
            database=DEFAULT_DATABASE,
            data_dir=data_dir,
            socket_dir=socket_dir,
            log_path=log_path,
            run_as=run_as,
        )
        try:
            server.start()
            break
        except ServerUnavailable:
            if "could not bind" not in server.log_tail(10) or _attempt == 2:
                raise
    assert server is not None
    atexit.register(server.stop)
    server.new_database(DEFAULT_DATABASE)
    return server
