"""A throw-away Dovecot IMAP server: own config, own ports, own TLS CA, no system service.

Works with Dovecot 2.3 (Debian 12) and 2.4 (Debian 13, new config syntax); the version is
read from ``dovecot --version``. Needs root (mail processes switch to ``nobody``).
"""

from __future__ import annotations

import atexit
import contextlib
import grp
import os
import pwd
import re
import signal
import ssl
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import (
    POLL_INTERVAL,
    ServerUnavailable,
    free_ports,
    require_binary,
    require_traversable,
    wait_for_listen,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "HELPER_PASSWORD",
    "HELPER_USERNAME",
    "DovecotServer",
    "dovecot_version",
    "start_dovecot",
]

DEFAULT_USERNAME = "backup@example.test"
DEFAULT_PASSWORD = "s3cret-pa55"
HELPER_USERNAME = "helper@example.test"
HELPER_PASSWORD = "helper-pa55"

_INSTALL_HINT = "install it with scripts/install-test-deps.sh (package dovecot-imapd)"
_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0


def dovecot_version(dovecot: str) -> tuple[int, int]:
    """Return (major, minor) of the Dovecot binary *dovecot*, e.g. ``(2, 3)``."""
    result = subprocess.run(
        [dovecot, "--version"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    match = re.match(r"\s*(\d+)\.(\d+)", result.stdout)
    if result.returncode != 0 or match is None:
        raise ServerUnavailable(
            f"cannot read the Dovecot version: {result.stdout.strip()} {result.stderr.strip()}"
        )
    return int(match.group(1)), int(match.group(2))


@dataclass
class DovecotServer:
    """A running (or stopped) throw-away Dovecot instance and everything a test needs of it."""

    workdir: Path
    version: tuple[int, int]
    host: str
    imap_port: int
    """Plain IMAP port; offers STARTTLS (cleartext LOGIN is allowed too)."""
    imaps_port: int
    """Implicit-TLS IMAP port."""
    ca_file: Path
    """PEM of the CA that signed the server certificate (localhost, 127.0.0.1)."""
    wrong_ca_file: Path
    """PEM of an unrelated CA: verifying the server against it must fail."""
    username: str
    password: str
    config_path: Path
    log_path: Path
    passwd_dir: Path
    """One passwd-file per user, named after the user (see :meth:`add_user`)."""
    mail_root: Path
    instance_name: str
    dovecot_bin: str = field(repr=False)
    doveadm_bin: str = field(repr=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        """Whether the master process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """PID of the Dovecot master process while it runs."""
        return self._process.pid if self.running and self._process is not None else None

    def ssl_context(self, ca_file: Path | None = None) -> ssl.SSLContext:
        """A verifying client TLS context that trusts *ca_file* (default: :attr:`ca_file`)."""
        return ssl.create_default_context(cafile=str(ca_file or self.ca_file))

    def start(self, timeout: float = _START_TIMEOUT) -> None:
        """Start the master in the foreground of its own session; wait for both ports."""
        if self.running:
            return
        # A SIGKILLed master leaves its pid file; a recycled pid must not block the start.
        (self.workdir / "run" / "master.pid").unlink(missing_ok=True)
        out_path = self.workdir / "dovecot.out"
        with out_path.open("ab") as out:
            self._process = subprocess.Popen(
                [self.dovecot_bin, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        deadline = time.monotonic() + timeout
        for port in (self.imap_port, self.imaps_port):
            while not wait_for_listen(self.host, port, POLL_INTERVAL * 5):
                if self._process.poll() is not None or time.monotonic() >= deadline:
                    self.kill()
                    raise ServerUnavailable(
                        f"Dovecot {self.version[0]}.{self.version[1]} did not start on "
                        f"{self.host}:{port}: {self._diagnostics()}"
                    )

    def stop(self, timeout: float = _STOP_TIMEOUT) -> None:
        """Stop gracefully (``doveadm -c CONFIG stop``); SIGKILL what is left after *timeout*."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            # doveadm polls the master pid until it is gone: reap the master (our child)
            # while doveadm runs, or it sees a zombie and waits its full 3 s.
            doveadm: subprocess.Popen[bytes] | None = None
            with contextlib.suppress(OSError):
                doveadm = subprocess.Popen(
                    [self.doveadm_bin, "-c", str(self.config_path), "stop"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=timeout)
            if doveadm is not None:
                try:
                    doveadm.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    doveadm.kill()
                    doveadm.wait()
        self.kill()

    def kill(self) -> None:
        """SIGKILL the master and every process of its session (as a crash would), then reap.

        Open client connections break at once: use it for "server died mid-fetch" tests.
        """
        process = self._process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()
        # Children that left the process group (none known) would still hold the ports.
        deadline = time.monotonic() + _STOP_TIMEOUT
        while _session_members(process.pid) and time.monotonic() < deadline:
            for pid in _session_members(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(POLL_INTERVAL)

    def restart(self, timeout: float = _START_TIMEOUT) -> None:
        """Stop (if running) and start again on the same ports with the same mail."""
        self.stop()
        self.start(timeout=timeout)

    def add_user(self, username: str, password: str) -> None:
        """Add a passdb user with a ``{PLAIN}`` password, usable at once.

        Each user has its own passwd-file (``passwd.d/<username>``): Dovecot re-reads a
        changed passwd-file at most once a second, but opens a file it has not seen right away.
        (So replacing an existing user's password may take up to a second to apply.)
        """
        if not username or any(c in f"{username}{password}" for c in ":/\n\r\0"):
            raise ValueError("username/password must be non-empty without ':', '/', line breaks")
        target = self.passwd_dir / username.lower()
        tmp = self.passwd_dir / f".{username.lower()}.tmp"
        tmp.write_text(f"{username.lower()}:{{PLAIN}}{password}::::::\n", encoding="utf-8")
        tmp.chmod(0o644)
        tmp.replace(target)

    def log_tail(self, lines: int = 30) -> str:
        """The last *lines* lines of the Dovecot log (for failure messages)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _diagnostics(self) -> str:
        """Startup output plus the log tail, for error messages."""
        try:
            out = (self.workdir / "dovecot.out").read_text(encoding="utf-8", errors="replace")
        except OSError:
            out = ""
        return f"{out.strip()} | log: {self.log_tail(10)}".strip()


def _session_members(session_id: int) -> list[int]:
    """PIDs of live processes whose session id is *session_id* (Linux ``/proc``)."""
    members: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the ")" closing comm: state ppid pgrp session ...
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == session_id:
            members.append(int(entry.name))
    return members


_OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no

[dn]
CN = placeholder

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


def _openssl(openssl: str, *args: str) -> None:
    """Run openssl quietly; raise :class:`ServerUnavailable` with its stderr on failure."""
    result = subprocess.run(
        [openssl, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise ServerUnavailable(f"openssl {args[0]} failed: {result.stderr.strip()}")


def _make_ca(openssl: str, cnf: Path, key: Path, cert: Path, name: str) -> None:
    """Create a self-signed CA (EC P-256, valid 30 days)."""
    _openssl(
        openssl, "req", "-x509", "-config", str(cnf), "-extensions", "ca_ext",
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(cert), "-days", "30", "-subj", f"/CN={name}",
    )  # fmt: skip


def make_certificates(workdir: Path, openssl: str) -> tuple[Path, Path, Path, Path]:
    """Create test CA, server cert/key (localhost, 127.0.0.1) and an unrelated CA.

    Returns (ca_file, cert_file, key_file, wrong_ca_file).
    """
    tls = workdir / "tls"
    tls.mkdir(mode=0o755, exist_ok=True)
    cnf = tls / "openssl.cnf"
    cnf.write_text(_OPENSSL_CNF)
    ca_key, ca_file = tls / "ca.key", tls / "ca.pem"
    wrong_key, wrong_ca = tls / "wrong-ca.key", tls / "wrong-ca.pem"
    key, csr, cert = tls / "server.key", tls / "server.csr", tls / "server.pem"
    _make_ca(openssl, cnf, ca_key, ca_file, "backupchecks test CA")
    _make_ca(openssl, cnf, wrong_key, wrong_ca, "backupchecks unrelated CA")
    _openssl(
        openssl, "req", "-new", "-config", str(cnf), "-newkey", "ec",
        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
        "-out", str(csr), "-subj", "/CN=localhost",
    )  # fmt: skip
    _openssl(
        openssl, "x509", "-req", "-in", str(csr), "-CA", str(ca_file), "-CAkey", str(ca_key),
        "-set_serial", str(uuid.uuid4().int >> 64), "-days", "30",
        "-extfile", str(cnf), "-extensions", "server_ext", "-out", str(cert),
    )  # fmt: skip
    return ca_file, cert, key, wrong_ca


def _config_common_head(server: DovecotServer) -> list[str]:
    """Settings whose syntax is the same in 2.3 and 2.4."""
    run = server.workdir / "run"
    return [
        f"instance_name = {server.instance_name}",
        f"base_dir = {run}",
        f"state_dir = {server.workdir / 'state'}",
        f"log_path = {server.log_path}",
        "protocols = imap",
        f"listen = {server.host}",
        "ssl = yes",
        "auth_mechanisms = plain login",
        "auth_failure_delay = 0",
        "mail_fsync = never",
        "# No stats process handshakes: they delay shutdown by 5 s.",
        "stats_writer_socket_path =",
    ]


def _config_common_tail(server: DovecotServer) -> list[str]:
    """Namespace, listeners and anvil settings shared by 2.3 and 2.4."""
    return [
        "namespace inbox {",
        "  inbox = yes",
        "  separator = /",
        "}",
        "service imap-login {",
        "  inet_listener imap {",
        f"    port = {server.imap_port}",
        "  }",
        "  inet_listener imaps {",
        f"    port = {server.imaps_port}",
        "    ssl = yes",
        "  }",
        "}",
        "# No growing delays after failed logins (tests log in wrongly on purpose).",
        "service anvil {",
        "  unix_listener anvil-auth-penalty {",
        "    mode = 0",
        "  }",
        "}",
    ]


def render_config(server: DovecotServer, cert: Path, key: Path) -> str:
    """The dovecot.conf text for *server* in the syntax of its Dovecot version."""
    if server.version >= (2, 4):
        # Dovecot 2.4: versioned config, named passdb/userdb filters, mail_driver/mail_path,
        # ssl_server_*_file paths (no "<"), auth_allow_cleartext, %{user} variables.
        lines = [
            "dovecot_config_version = 2.4.0",
            "dovecot_storage_version = 2.4.0",
            *_config_common_head(server),
            f"ssl_server_cert_file = {cert}",
            f"ssl_server_key_file = {key}",
            "auth_allow_cleartext = yes",
            "mail_driver = maildir",
            "mail_path = ~/Maildir",
            "passdb passwd-file {",
            f"  passwd_file_path = {server.passwd_dir}/%{{user}}",
            "}",
            "userdb static {",
            "  fields {",
            "    uid = nobody",
            "    gid = nogroup",
            f"    home = {server.mail_root}/%{{user}}",
            "  }",
            "}",
            *_config_common_tail(server),
        ]
    else:
        lines = [
            *_config_common_head(server),
            f"ssl_cert = <{cert}",
            f"ssl_key = <{key}",
            "disable_plaintext_auth = no",
            "mail_location = maildir:~/Maildir",
            "passdb {",
            "  driver = passwd-file",
            f"  args = {server.passwd_dir}/%u",
            "}",
            "userdb {",
            "  driver = static",
            f"  args = uid=nobody gid=nogroup home={server.mail_root}/%u",
            "}",
            *_config_common_tail(server),
        ]
    return "\n".join(lines) + "\n"


def start_dovecot(workdir: Path, *, host: str = "127.0.0.1") -> DovecotServer:
    """Configure and start a Dovecot instance living entirely in *workdir*.

    *workdir* must be reachable by ``nobody`` (see :func:`tests.servers.make_workdir`).
    Users: ``backup@example.test`` / ``s3cret-pa55`` and ``helper@example.test``.
    Raises :class:`ServerUnavailable` when Dovecot/openssl are missing, we are not root, or
    the server does not come up.
    """
    dovecot_bin = require_binary("dovecot", _INSTALL_HINT)
    doveadm_bin = require_binary("doveadm", _INSTALL_HINT)
    openssl = require_binary("openssl", "install the openssl package")
    if os.geteuid() != 0:
        raise ServerUnavailable("the Dovecot test server needs root (mail runs as nobody)")
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    require_traversable(workdir)
    version = dovecot_version(dovecot_bin)

    ca_file, cert, key, wrong_ca = make_certificates(workdir, openssl)
    mail_root = workdir / "mail"
    mail_root.mkdir(mode=0o755, exist_ok=True)
    os.chown(mail_root, _uid("nobody"), _gid("nogroup"))
    (workdir / "state").mkdir(mode=0o755, exist_ok=True)
    imap_port, imaps_port = free_ports(2, host)
    server = DovecotServer(
        workdir=workdir,
        version=version,
        host=host,
        imap_port=imap_port,
        imaps_port=imaps_port,
        ca_file=ca_file,
        wrong_ca_file=wrong_ca,
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        config_path=workdir / "dovecot.conf",
        log_path=workdir / "dovecot.log",
        passwd_dir=workdir / "passwd.d",
        mail_root=mail_root,
        instance_name=f"backupchecks-test-{uuid.uuid4().hex[:12]}",
        dovecot_bin=dovecot_bin,
        doveadm_bin=doveadm_bin,
    )
    server.passwd_dir.mkdir(mode=0o755, exist_ok=True)
    server.add_user(DEFAULT_USERNAME, DEFAULT_PASSWORD)
    server.add_user(HELPER_USERNAME, HELPER_PASSWORD)
    server.config_path.write_text(render_config(server, cert, key))
    server.start()
    atexit.register(server.stop)
    return server


def _uid(name: str) -> int:
    """UID of system user *name*."""
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError as exc:
        raise ServerUnavailable(f"system user {name!r} missing") from exc


def _gid(name: str) -> int:
    """GID of system group *name*."""
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError as exc:
        raise ServerUnavailable(f"system group {name!r} missing") from exc
