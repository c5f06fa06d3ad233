"""Start-up of the whole process, measured from outside, in a pseudo-terminal of 160×48.

    uv run python bench/start.py                       # this checkout
    uv run python bench/start.py --code /work/wt/base  # and another checkout, alternating

Times, per checkout, from the launch until the terminal shows a painted screen:
(a) a bare Textual app printing one Static (the baseline), (b) `backupchecks-tui` on a
small database (40 mails from tests/golden, through the real `import`), (c) on the
1,000,000-run database (bench/gen_db.py; copied first, the original stays untouched), and
(d) `backupchecks-tui --help` until it exits. The app counts as painted when the Run Checks
header ("to review" or "Queue empty") appears in the output; it is then quit with `q`.
Launches alternate (bare, small, big, help, bare, …) so a busy moment of the host hits all
alike; the median of each is printed with its difference to the bare app. Standard library
only (pty, os.fork); each checkout runs with its own .venv.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS, LINES = 160, 48
SMALL_MAILS = 40
DEFAULT_BIG = Path("/work/bench-data/big.db")
TIMEOUT_SECONDS = 60.0
APP_MARKERS = (b"to review", b"Queue empty")

BARE_APP = """\
from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("bare app painted")


Bare().run()
"""
BARE_MARKER = b"bare app painted"


@dataclass
class Launch:
    """One kind of launch: its command line and what says it is done."""

    name: str
    argv: list[str]
    marker: tuple[bytes, ...] | None
    """Bytes whose appearance means painted (then `q`); None: wait for the exit."""
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """CPU seconds of the whole process, start to exit (`q` included): steadier than the
    wall clock on a busy host."""


def spawn(argv: list[str], env: dict[str, str]) -> tuple[int, int]:
    """Start `argv` on a new pseudo-terminal of COLUMNS×LINES; (pid, master fd)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    pid = os.fork()
    if pid == 0:  # the child: the slave end becomes its controlling terminal
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(slave)
    return pid, master


def _read(master: int, wait: float) -> bytes | None:
    """What the child wrote within `wait` seconds; b"" when nothing, None at its end."""
    ready, _, _ = select.select([master], [], [], wait)
    if not ready:
        return b""
    try:
        return os.read(master, 65536) or None
    except OSError:  # EIO: the child closed the terminal
        return None


def _reap(pid: int, options: int = 0) -> float | None:
    """Wait for `pid`; the CPU seconds it used, or None while it still runs (WNOHANG)."""
    done, _status, usage = os.wait4(pid, options)
    return usage.ru_utime + usage.ru_stime if done else None


def run_once(launch: Launch, env: dict[str, str]) -> float:
    """Seconds from the launch until its marker appears (or until it exits); the CPU
    seconds of the process are added to `launch.cpu`."""
    started = time.perf_counter()
    pid, master = spawn(launch.argv, env)
    seen = b""
    elapsed: float | None = None
    try:
        while time.perf_counter() - started < TIMEOUT_SECONDS:
            chunk = _read(master, 0.5)
            if chunk is None:
                break
            seen = (seen + chunk)[-65536:]
            if launch.marker and any(m in seen for m in launch.marker):
                elapsed = time.perf_counter() - started
                os.write(master, b"q")
                break
        if launch.marker is None:
            launch.cpu.append(_reap(pid) or 0.0)
            pid = 0
            elapsed = time.perf_counter() - started
        # Drain until the app has left (it restores the terminal on the way out).
        deadline = time.perf_counter() + 10
        while pid and time.perf_counter() < deadline:
            cpu = _reap(pid, os.WNOHANG)
            if cpu is not None:
                launch.cpu.append(cpu)
                pid = 0
                break
            _read(master, 0.05)
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(master)
    if elapsed is None:
        tail = seen[-400:].decode(errors="replace")
        raise SystemExit(f"{launch.name}: no marker within {TIMEOUT_SECONDS:.0f} s; end: {tail!r}")
    return elapsed


def write_config(folder: Path, db: Path) -> Path:
    """A config on the SQLite file `db`, no mailbox."""
    path = folder / f"{db.stem}.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{db}"\n\n[ui]\ntimezone = "UTC"\n')
    return path


def small_database(code: Path, folder: Path, env: dict[str, str]) -> Path:
    """40 golden mails imported through the checkout's own `import` command."""
    db = folder / "small.db"
    mails = sorted((ROOT / "tests" / "golden").rglob("*.eml"))[:SMALL_MAILS]
    cfg = write_config(folder, db)
    subprocess.run(
        [
            str(code / ".venv/bin/backupchecks-tui"),
            "--config",
            str(cfg),
            "import",
            *map(str, mails),
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return cfg


def big_database(source: Path, folder: Path) -> Path:
    """A copy of the 1,000,000-run database (waits while bench/gen_db.py writes it)."""
    while not source.exists():
        print(f"waiting for {source} …", file=sys.stderr)
        time.sleep(10)
    db = folder / "big.db"
    shutil.copyfile(source, db)
    return write_config(folder, db)


def launches(code: Path, folder: Path, big: Path | None, env: dict[str, str]) -> list[Launch]:
    """The four launches of one checkout."""
    python = str(code / ".venv/bin/python")
    cli = str(code / ".venv/bin/backupchecks-tui")
    bare = folder / "bare.py"
    bare.write_text(BARE_APP)
    chosen = [
        Launch("bare Textual app", [python, str(bare)], (BARE_MARKER,)),
        Launch(
            "app, 40 mails", [cli, "--config", str(small_database(code, folder, env))], APP_MARKERS
        ),
    ]
    if big is not None:
        chosen.append(Launch("app, 1M runs", [cli, "--config", str(big)], APP_MARKERS))
    chosen.append(Launch("--help", [cli, "--help"], None))
    return chosen


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", action="append", type=Path, default=[], help="another checkout")
    parser.add_argument("--big", type=Path, default=DEFAULT_BIG, help="the 1M-run database")
    parser.add_argument("--no-big", action="store_true", help="skip the 1M-run database")
    parser.add_argument("--runs", type=int, default=5, help="launches of each kind")
    args = parser.parse_args()
    codes = [ROOT, *(c.resolve() for c in args.code)]
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES)}
    # PYTHONDONTWRITEBYTECODE would compile every module of the checkout from source at
    # each launch (~80 ms): an installed app has its .pyc files, so the warm-up writes them.
    for name in ("TEXTUAL", "NO_COLOR", "BACKUPCHECKS_TUI_CONFIG", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        work = Path(tmp)
        big = None if args.no_big else big_database(args.big, work)
        plan: dict[Path, list[Launch]] = {}
        for n, code in enumerate(codes):
            folder = work / f"code{n}"
            folder.mkdir()
            plan[code] = launches(code, folder, big, {**env, "HOME": str(folder)})
        for code, chosen in plan.items():  # one launch each first: warm the file cache
            for launch in chosen:
                run_once(launch, {**env, "HOME": str(work / f"code{codes.index(code)}")})
        for _ in range(args.runs):
            for code, chosen in plan.items():
                for launch in chosen:
                    home = str(work / f"code{codes.index(code)}")
                    launch.times.append(run_once(launch, {**env, "HOME": home}))
        for code, chosen in plan.items():
            print(f"\n{code}  (median of {args.runs}, {COLUMNS}x{LINES} pty)")
            bare_s = statistics.median(chosen[0].times)
            for launch in chosen:
                median = statistics.median(launch.times)
                spread = f"{min(launch.times):.3f}–{max(launch.times):.3f}"
                diff = "" if launch is chosen[0] else f"  ({median - bare_s:+.3f} s vs bare)"
                cpu = statistics.median(launch.cpu[-args.runs :]) if launch.cpu else 0.0
                print(f"  {launch.name:<18} {median:6.3f} s  [{spread}]  cpu {cpu:5.3f} s{diff}")


if __name__ == "__main__":
    main()
