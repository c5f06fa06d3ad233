"""Hostile-mail rerun: what one attacker's mailbox does to ingest, the parsers and the terminal.

    uv run python bench/hostile.py [--skip-tui] [--size-mb N]

Everything here is synthetic and named so (generated below; no real mail is invented). The
run reports five figures, each of which should be zero, and the evidence behind them:

1. **blocked** — hostile mails interleaved with ordinary ones in a real Dovecot folder; one
   `backupchecks-tui fetch` pass; mails delivered minus mails stored.
2. **over the deadline** — each pathological mail parsed in a child process with a 60 s
   guard; parses that did not return, and the slowest parse.
3. **control sequences** — the real app run in a pseudo-terminal over those mails, every
   pane and dialog opened by keystrokes, plus the CLI's output: hostile sequences (each
   payload carries a marker) found in the bytes written.
4. **false successes** — every failed or warning golden mail damaged (failure line added,
   header or count line damaged, another product's success text appended): parses that
   came out as success or ignored.
5. **identity forgeries** — `LOGNAME`/`USER` set to the Admin's name by someone else.

Prints figures; asserts nothing (tests do that).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import multiprocessing as mp
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from datetime import UTC, datetime, timedelta  # noqa: E402

from parsers import Outcome, Status, default_registry  # noqa: E402
from parsers.mailview import looks_like_headers  # noqa: E402

GOLDEN = ROOT / "tests" / "golden"
NOW = datetime.now(UTC).replace(microsecond=0)

# Each payload carries a marker so its bytes can be told from the app's own escapes.
PAYLOADS: dict[str, str] = {
    "osc52": "\x1b]52;c;SE9TVElMRQ==\x07",
    "osc8": "\x1b]8;;http://evil.example/\x1b\\clickme\x1b]8;;\x1b\\",
    "title": "\x1b]0;PWNED-TITLE\x07",
    "csi": "\x1b[2J\x1b[1;1H\x1b[31mRED-MARK",
    "altscreen": "\x1b[?1049lLEFT-ALT",
    "c1": "\x9b31mC1-MARK\x9d0;C1-TITLE\x9c",
    "bidi": "\u202eKRAM-IDIB\u202c",
    "zero_width": "ZW\u200bMA\u200dRK\ufeff",
    "markup": "[bold red]MARKUP[/] [/] [link=http://evil.example/markup]LINK[/link]",
}
# What must never appear in the bytes the app or the CLI writes. (The payloads' visible
# text, "[link=http://evil.example/markup]" shown literally, is fine: that is the mail.)
FORBIDDEN: dict[str, re.Pattern[bytes]] = {
    "OSC 52 clipboard write": re.compile(rb"\x1b\]52;c;SE9TVElMRQ"),
    "OSC 8 link to the mail's URL": re.compile(rb"\x1b\]8;[^;\x07\x1b]*;http://evil\.example"),
    "OSC 0 window title": re.compile(rb"\x1b\]0;PWNED-TITLE"),
    "CSI from the mail": re.compile(rb"\x1b\[31mRED-MARK"),
    "leaving the alternate screen": re.compile(rb"\x1b\[\?1049lLEFT-ALT"),
    "C1 CSI / OSC": re.compile(re.escape("\x9b31mC1".encode())),
    "C1 raw byte": re.compile(rb"\x9b31mC1"),
    "RIGHT-TO-LEFT OVERRIDE": re.compile(re.escape("\u202e".encode())),
    "zero-width space": re.compile(re.escape("\u200b".encode())),
    "zero-width joiner": re.compile(re.escape("\u200d".encode())),
}


def hostile_text() -> str:
    """All payloads in one line (for subjects, names and messages)."""
    return " ".join(PAYLOADS.values())


# --- the hostile set -----------------------------------------------------------------


def _vzdump(n: int, guest: str, error: str, host: str, *, status: str = "failed") -> bytes:
    """A synthetic Proxmox VE vzdump report (text), one guest OK and one failed."""
    msg = EmailMessage()
    msg["From"] = f"Proxmox VE <root@{host}>"
    msg["To"] = "backup-reports@msp.example"
    msg["Subject"] = f"vzdump backup status ({host}): backup {status}"
    msg["Date"] = format_datetime(NOW - timedelta(hours=2, minutes=n))
    msg["Message-ID"] = f"<hostile-{n}@synthetic.invalid>"
    body = (
        "\nDetails\n=======\n"
        "VMID    Name     Status    Time       Size        Filename\n"
        "100     web01    ok        1min 4s    12.5 GiB    vm/100/2025-06-02T23:00:02Z\n"
        f"101     {guest}    err       41s        0 B         null\n\n"
        "Total running time: 1min 45s\nTotal size: 12.5 GiB\n\nLogs\n====\n"
        "101: 2025-06-03 01:01:06 INFO: Starting Backup of VM 101 (qemu)\n"
        f"101: 2025-06-03 01:01:47 ERROR: Backup of VM 101 failed - {error}\n"
    )
    msg.set_content(body)
    return bytes(msg)


def _unknown(n: int, subject: str, body: str, sender: str = "noreply@hostile.invalid") -> bytes:
    """A synthetic mail no parser knows (lands in the Inbox)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "backup-reports@msp.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(NOW - timedelta(hours=1, minutes=n))
    msg["Message-ID"] = f"<hostile-unknown-{n}@synthetic.invalid>"
    msg.set_content(body)
    return bytes(msg)


def _deep_mime(depth: int) -> bytes:
    """A synthetic mail whose multipart nests `depth` levels deep."""
    head = (
        "From: deep@hostile.invalid\nTo: backup-reports@msp.example\n"
        "Subject: synthetic deep MIME\nMessage-ID: <hostile-deep@synthetic.invalid>\n"
        f"Date: {format_datetime(NOW - timedelta(minutes=50))}\nMIME-Version: 1.0\n"
    )
    parts = []
    for level in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\n\n--b{level}\n')
    middle = "Content-Type: text/plain\n\ninnermost\n"
    tail = "".join(f"--b{level}--\n" for level in reversed(range(depth)))
    return (head + "".join(parts) + middle + tail).encode()


def _bareos_log(kib: int) -> bytes:
    """A synthetic Bareos job report with a huge job log (worst case for line scans)."""
    line = "01-Jun 01:00 bareos-sd JobId 42: Sending spooled attrs to the Director. " * 1
    log = (line + "\n") * (kib * 1024 // (len(line) + 1))
    body = (
        "01-Jun 01:00 bareos-dir JobId 42: Start Backup JobId 42, Job=hostile.2026\n"
        + log
        + "  Build OS:               x86_64-pc-linux-gnu\n  JobId:                  42\n"
        "  Job:                    hostile.2026-06-01_01.00.00_42\n"
        '  Backup Level:           Full\n  Client:                 "fd" \n'
        "  SD Bytes Written:       99999999999999999999999 (100 EB)\n"
        "  Termination:            Backup Error\n"
    )
    msg = EmailMessage()
    msg["From"] = "bareos@hostile.invalid"
    msg["To"] = "backup-reports@msp.example"
    msg["Subject"] = "Bareos: Backup Error of fd Full"
    msg["Date"] = format_datetime(NOW - timedelta(minutes=40))
    msg["Message-ID"] = f"<hostile-bareos-{kib}@synthetic.invalid>"
    msg.set_content(body)
    return bytes(msg)


def hostile_set(size_mb: int) -> list[tuple[str, bytes]]:
    """The hostile mails, each with a name."""
    text = hostile_text()
    long_label = "x" * 300
    mails = [
        (
            "names and messages carry every payload",
            _vzdump(
                1,
                "db" + "".join(p for p in PAYLOADS.values() if " " not in p),
                text,
                "pve1.hostile.invalid",
            ),
        ),
        ("host label of 300 characters", _vzdump(2, "db02", "timeout", f"{long_label}.invalid")),
        ("byte count of 10^23 and a 2 MiB job log", _bareos_log(2048)),
        (
            "entities that decode to escapes",
            _unknown(3, "synthetic entities", "", sender="html@hostile.invalid"),
        ),
        ("subject and body with every payload", _unknown(4, text[:900], text * 3)),
        ("a 10,000-character line", _unknown(5, "synthetic long line", "A" * 10_000)),
        ("1,000-deep MIME", _deep_mime(1000)),
        (f"{size_mb} MB unparsed body", _unknown(6, "synthetic big mail", "B" * 76 + "\n")),
        (
            "20,000 spaces in a vzdump table",
            _vzdump(7, "db03", " " * 20_000 + "x", "pve2.hostile.invalid"),
        ),
        ("NUL bytes", _unknown(8, "synthetic nul", "a\x00b\x00c")),
    ]
    # The entity mail is HTML: &#x1b; and friends decode into real controls.
    html = EmailMessage()
    html["From"] = "html@hostile.invalid"
    html["To"] = "backup-reports@msp.example"
    html["Subject"] = "synthetic entities &#x202E;"
    html["Date"] = format_datetime(NOW - timedelta(minutes=45))
    html["Message-ID"] = "<hostile-entities@synthetic.invalid>"
    html.set_content(
        "<html><body><p>&#x1b;]52;c;SE9TVElMRQ==&#x07; &#x202E;KRAM-IDIB &#x9b;31mC1-MARK "
        "&#x1b;]0;PWNED-TITLE&#x07;</p></body></html>",
        subtype="html",
    )
    mails[3] = ("entities that decode to escapes", bytes(html))
    big = mails[7][1]
    mails[7] = (mails[7][0], big.rstrip(b"\n") + b"\n" + (b"B" * 76 + b"\n") * (size_mb * 13_000))
    # A reused Message-ID: Monday OK, Tuesday FAILED, same ID.
    ok = _vzdump(9, "db04", "none", "pve3.hostile.invalid", status="successful")
    ok = ok.replace(b"101     db04    err", b"101     db04    ok ").replace(
        b"ERROR: Backup of VM 101 failed - none", b"INFO: Finished Backup of VM 101 (00:00:41)"
    )
    failed = _vzdump(9, "db04", "disk full", "pve3.hostile.invalid").replace(
        b"hostile-9@", b"hostile-9@"
    )
    failed = re.sub(
        rb"Date: .*\n",
        f"Date: {format_datetime(NOW - timedelta(minutes=30))}\n".encode(),
        failed,
        count=1,
    )
    mails.append(("reused Message-ID: the OK mail", ok))
    mails.append(("reused Message-ID: the FAILED mail", failed))
    return mails


def ordinary(count: int) -> list[bytes]:
    """Synthetic ordinary vzdump reports to interleave with the hostile ones."""
    out = []
    for n in range(count):
        raw = _vzdump(100 + n, f"vm{n}", "timeout", f"pve-ok{n}.example.invalid")
        out.append(raw)
    return out


# --- 1. blocked ------------------------------------------------------------------------


def write_config(workdir: Path, db: str, imap: dict[str, Any] | None = None) -> Path:
    """A config file for the CLI (database, and IMAP when given)."""
    lines = ["[database]", f'url = "{db}"', ""]
    if imap:
        lines.append("[imap]")
        for key, value in imap.items():
            lines.append(f"{key} = {json.dumps(value)}")
    path = workdir / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(
    config: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[bytes]:
    """Run `backupchecks-tui --config CONFIG ARGS…` and capture its bytes."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "backupchecks_tui", "--config", str(config), *args],
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def stored_mails(config: Path) -> int:
    """How many mails the database holds (any state)."""
    out = cli(config, "stats", "--json")
    return int(json.loads(out.stdout)["mails_total"])


def blocked(mails: list[bytes], workdir: Path) -> tuple[int, int, int, bytes]:
    """Fetch `mails` from a real Dovecot in one pass: (delivered, stored, exit code, output)."""
    from tests.servers import make_workdir
    from tests.servers.dovecot import start_dovecot
    from tests.servers.imap_seed import account_for, append_messages, connect

    server_dir = make_workdir("hostile-dovecot-")
    server = start_dovecot(server_dir)
    try:
        client = connect(account_for(server))
        append_messages(client, "INBOX", mails)
        client.logout()
        config = write_config(
            workdir,
            f"sqlite:///{workdir / 'fetch.db'}",
            {
                "host": server.host,
                "port": server.imaps_port,
                "security": "ssl",
                "username": server.username,
                "ca_file": str(server.ca_file),
            },
        )
        out = cli(config, "fetch", env={"BACKUPCHECKS_TUI_IMAP_PASSWORD": server.password})
        return len(mails), stored_mails(config), out.returncode, out.stdout + out.stderr
    finally:
        server.stop()
        shutil.rmtree(server_dir, ignore_errors=True)


# --- 2. deadline -----------------------------------------------------------------------


def _parse_child(raw: bytes, queue: Any) -> None:
    started = time.perf_counter()
    result = default_registry().parse_bytes(raw)
    queue.put((result.outcome.value, time.perf_counter() - started))


def timed_parse(raw: bytes, guard: float = 60.0) -> tuple[str, float] | None:
    """(outcome, seconds) of parsing `raw` in a child process; None if it did not return."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_parse_child, args=(raw, queue))
    child.start()
    child.join(guard)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    with contextlib.suppress(Exception):
        outcome, seconds = queue.get(timeout=1)
        return str(outcome), float(seconds)
    return None


def pathological() -> list[tuple[str, bytes]]:
    """Inputs that were super-linear for the built-in patterns."""
    return [
        ("Bareos 1 MiB job log", _bareos_log(1024)),
        ("Bareos 4 MiB job log", _bareos_log(4096)),
        ("vzdump 200,000 spaces", _vzdump(11, "db", " " * 200_000 + "x", "pve.hostile.invalid")),
        ("1,000-deep MIME", _deep_mime(1000)),
        ("10,000-deep MIME", _deep_mime(10_000)),
    ]


# --- 3. the terminal -------------------------------------------------------------------


def found_sequences(data: bytes) -> dict[str, int]:
    """How often each forbidden sequence occurs in `data`."""
    found = {name: len(pattern.findall(data)) for name, pattern in FORBIDDEN.items()}
    return {name: count for name, count in found.items() if count}


def _read_until_quiet(fd: int, sink: bytearray, quiet: float = 0.6, limit: float = 20) -> bool:
    """Read from `fd` into `sink` until nothing came for `quiet` s; False when the child ended."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        sink.extend(chunk)
    return True


# Keys that open every pane and dialog the hostile mails reach (with escapes back out).
TUI_KEYS: list[str] = [
    "1",
    "j",
    "j",
    "enter",
    "enter",
    "tab",
    "tab",
    "escape",
    "escape",
    "s",
    "escape",
    "escape",
    "c",
    "escape",
    "t",
    "escape",
    "m",
    "escape",
    "l",
    "escape",
    "j",
    "enter",
    "enter",
    "escape",
    "escape",
    "j",
    "enter",
    "escape",
    "2",
    "j",
    "enter",
    "escape",
    "3",
    "j",
    "enter",
    "escape",
    "4",
    "5",
    "6",
    "j",
    "enter",
    "j",
    "enter",
    "j",
    "enter",
    "j",
    "enter",
    "j",
    "enter",
    "escape",
    "?",
    "escape",
    "escape",
    "escape",
    "q",
]
KEY_BYTES = {"enter": b"\r", "escape": b"\x1b", "tab": b"\t"}


def run_tui(config: Path, keys: list[str]) -> tuple[bytes, int | None]:
    """Run the real app in a pseudo-terminal (120×40), press `keys`; (bytes written, status)."""
    pid, fd = pty.fork()
    if pid == 0:  # child: the app, as a user starts it
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"})
        os.execv(
            sys.executable, [sys.executable, "-m", "backupchecks_tui", "--config", str(config)]
        )
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    out = bytearray()
    alive = _read_until_quiet(fd, out, quiet=2.0, limit=30)
    for key in keys:
        if not alive:
            break
        os.write(fd, KEY_BYTES.get(key, key.encode()))
        alive = _read_until_quiet(fd, out)
    status: int | None = None
    for _ in range(50):
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code
            break
        _read_until_quiet(fd, out, quiet=0.1, limit=1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        os.close(fd)
    return bytes(out), status


# --- 4. false successes ----------------------------------------------------------------


def golden_mails() -> Iterator[tuple[Path, bytes, dict[str, Any]]]:
    """Every golden mail with its expected JSON."""
    for expected in sorted(GOLDEN.rglob("*.json")):
        mail = expected.with_suffix("")
        if not mail.is_file():
            continue
        raw = mail.read_bytes()
        if not looks_like_headers(raw):
            raw = b"From: golden@synthetic.invalid\nSubject: golden report\n\n" + raw
        yield mail, raw, json.loads(expected.read_text())


def _worst(result: dict[str, Any]) -> str:
    statuses = [r["status"] for r in result.get("reports", [])]
    for status in ("failed", "warning", "success"):
        if status in statuses:
            return status
    return ""


def _damage_headers(raw: bytes) -> bytes:
    """Typos in the words reports use for their verdicts and counts."""
    swaps = [
        (b"FAILURE", b"FAILRE"),
        (b"Failed", b"Faild"),
        (b"failed", b"faild"),
        (b"Error", b"Eror"),
        (b"ERROR", b"EROR"),
        (b"Warning", b"Warnig"),
        (b"warning", b"warnig"),
        (b"error", b"eror"),
        (b"Subject:", b"Subjekt:"),
    ]
    for old, new in swaps:
        raw = raw.replace(old, new)
    return raw


def _insert_failure(raw: bytes) -> bytes:
    head, sep, body = raw.partition(b"\n\n")
    return head + sep + b"ERROR: backup of object db01 failed - disk full\n" + body


MUTATIONS: dict[str, Callable[[bytes, bytes], bytes]] = {
    "failure line inserted": lambda raw, _ok: _insert_failure(raw),
    "verdict words damaged": lambda raw, _ok: _damage_headers(raw),
    "another product's success appended": lambda raw, ok: (
        raw.rstrip() + b"\n\n" + ok.partition(b"\n\n")[2]
    ),
}


def false_successes() -> tuple[int, int, list[str]]:
    """(mutants tried, mutants read as success or ignored, examples)."""
    registry = default_registry()
    golden = list(golden_mails())
    bad = [(p, raw) for p, raw, exp in golden if _worst(exp) in {"failed", "warning"}]
    good = [(p, raw) for p, raw, exp in golden if _worst(exp) == "success"]
    tried = 0
    wrong: list[str] = []
    for index, (path, raw) in enumerate(bad):
        for label, mutate in MUTATIONS.items():
            other = [g for g in good if g[0].parent != path.parent]
            ok_raw = other[index % len(other)][1]
            result = registry.parse_bytes(mutate(raw, ok_raw))
            tried += 1
            statuses = {r.status for r in result.reports}
            if result.outcome is Outcome.IGNORED or (
                result.outcome is Outcome.PARSED and statuses <= {Status.SUCCESS}
            ):
                wrong.append(f"{path.relative_to(GOLDEN)}: {label} → {result.outcome.value}")
    return tried, len(wrong), wrong


# --- 5. identity -----------------------------------------------------------------------


def forged_identity(workdir: Path) -> tuple[int, int, str]:
    """(attempts, forgeries that worked, what was said) on SQLite."""
    from backupchecks_tui.database import open_database
    from backupchecks_tui.services import operators

    db = f"sqlite:///{workdir / 'identity.db'}"
    engine = open_database(db)
    operators.resolve_actor(engine, "alice-admin")  # alice is the first, so the Admin
    engine.dispose()
    config = write_config(workdir, db)
    attempts = 0
    worked = 0
    said = ""
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        attempts += 1
        out = cli(
            config,
            "operator",
            "add",
            f"mallory-{variable.lower()}",
            "--role",
            "admin",
            env={variable: "alice-admin"},
        )
        if out.returncode == 0:
            worked += 1
        lines = (out.stdout + out.stderr).decode(errors="replace").strip().splitlines()
        said = lines[-1] if lines else ""
    return attempts, worked, said


# --- main ------------------------------------------------------------------------------


def check_blocked(hostile: list[tuple[str, bytes]], workdir: Path) -> int:
    """1: every hostile mail second of a group of seven, one fetch pass over IMAP."""
    normal = ordinary(6 * len(hostile))
    mails: list[bytes] = []
    for index, (_name, raw) in enumerate(hostile):
        group = normal[6 * index : 6 * index + 6]
        mails += [group[0], raw, *group[1:]]
    delivered, stored, code, output = blocked(mails, workdir)
    said = output.decode(errors="replace").strip().splitlines()
    print(
        f"1. fetch of {delivered} mails ({len(hostile)} hostile, each second of seven): "
        f"{stored} stored, exit {code} → blocked {delivered - stored}"
    )
    for line in said[-4:]:
        print(f"   fetch: {line}")
    seqs = found_sequences(output)
    if seqs:
        print(f"   fetch output carried {seqs}")
    return delivered - stored + sum(seqs.values())


def check_deadline(hostile: list[tuple[str, bytes]]) -> int:
    """2: parse time of the pathological inputs and of the hostile set."""
    over = 0
    slowest = ("", 0.0)
    inputs = pathological() + hostile
    for name, raw in inputs:
        timing = timed_parse(raw)
        if timing is None:
            over += 1
            print(f"   {name}: did not return in 60 s")
            continue
        if timing[1] > slowest[1]:
            slowest = (name, timing[1])
    print(
        f"2. {len(inputs)} parses: {over} did not return; slowest "
        f"{slowest[1] * 1000:.0f} ms ({slowest[0]})"
    )
    return over


def check_terminal(hostile: list[tuple[str, bytes]], workdir: Path, tui: bool) -> int:
    """3: the CLI's output on the hostile mails, and the app driven in a pty over them."""
    db = workdir / "terminal.db"
    config = write_config(workdir, f"sqlite:///{db}")
    cli_bytes = bytearray()
    mail_dir = workdir / "mails [" / "] \x1b]0;PWNED-TITLE\x07"  # a path holding "[/]"
    mail_dir.mkdir(parents=True)
    for index, (_name, raw) in enumerate(hostile):
        path = mail_dir / f"{index}.eml"
        path.write_bytes(raw)
        for extra in (["--json"], []):
            out = cli(config, "parse", str(path), *extra)
            cli_bytes += out.stdout + out.stderr
    for args in (
        ["import", str(mail_dir)],
        ["import", str(mail_dir / "nope")],
        ["stats"],
        ["reparse", "--all"],
    ):
        out = cli(config, *args)
        cli_bytes += out.stdout + out.stderr
    cli_seqs = found_sequences(bytes(cli_bytes))
    tui_seqs: dict[str, int] = {}
    if tui:
        output, status = run_tui(config, TUI_KEYS)
        tui_seqs = found_sequences(output)
        print(
            f"   the app wrote {len(output):,} bytes over {len(TUI_KEYS)} keys "
            f"(exit status {status})"
        )
    print(f"3. control sequences from the mails: CLI {cli_seqs or 0}, app {tui_seqs or 0}")
    return sum(cli_seqs.values()) + sum(tui_seqs.values())


def check_false_successes() -> int:
    """4: damaged failed and warning golden mails."""
    tried, wrong, examples = false_successes()
    print(f"4. {tried} damaged failed/warning golden mails: {wrong} read as success/ignored")
    for line in examples[:15]:
        print(f"   {line}")
    return wrong


def check_identity(workdir: Path) -> int:
    """5: acting as the Admin through the environment."""
    attempts, worked, said = forged_identity(workdir)
    print(
        f"5. {attempts} attempts to act as the Admin through the environment: {worked} "
        f"worked; the app said: {said}"
    )
    return worked


def main() -> None:
    """Run the five checks and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-tui", action="store_true", help="leave out the terminal check")
    ap.add_argument("--size-mb", type=int, default=20, help="size of the big unparsed mail")
    ap.add_argument("--only", default="12345", help="which checks to run (digits), e.g. 13")
    args = ap.parse_args()
    hostile = hostile_set(args.size_mb)
    print(f"hostile set: {len(hostile)} synthetic mails")
    figures: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "1" in args.only:
            figures["blocked"] = check_blocked(hostile, workdir)
        if "2" in args.only:
            figures["over the deadline"] = check_deadline(hostile)
        if "3" in args.only:
            figures["control sequences"] = check_terminal(hostile, workdir, not args.skip_tui)
        if "4" in args.only:
            figures["false successes"] = check_false_successes()
        if "5" in args.only:
            figures["identity forgeries"] = check_identity(workdir)
    print()
    print("  ".join(f"{name}: {value}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
