"""The demo is built once into the cache dir; each demo opens a copy and removes it on exit.

Covers what a person trying the demo meets: the second start skips the build, a new week
or a new version builds afresh (and drops the old build), and a demo ended by a hang-up
(an SSH drop, a closed tmux) or SIGTERM leaves no copy behind; copies of demos that died
without a chance to clean up are swept by the next one.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backupchecks_tui.cli import _demo_monday
from backupchecks_tui.demo import cache

ZONE = ZoneInfo("Europe/Amsterdam")  # the tests' TZ (conftest)
MONDAY = _demo_monday(ZONE)  # what `--demo` opens today, so the app finds this build


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XDG cache home whose demo folder holds one real build (made once per module)."""
    return tmp_path_factory.mktemp("cache-home")


@pytest.fixture(scope="module")
def built(cache_home: Path) -> Iterator[tuple[Path, Path]]:
    """One real demo build into the cache folder: (folder, database)."""
    folder = cache_home / "backupchecks-tui" / "demo"
    path, summary = cache.cached_build(MONDAY, ZONE, lambda _url: None, folder=folder)
    assert summary is not None  # a fresh build reports itself
    yield folder, path


def test_second_start_uses_the_cached_build(built: tuple[Path, Path]) -> None:
    folder, path = built
    stamp = path.stat().st_mtime_ns
    again, summary = cache.cached_build(MONDAY, ZONE, lambda _url: None, folder=folder)
    assert (again, summary) == (path, None)
    assert path.stat().st_mtime_ns == stamp
    assert cache.summary_of(path).queue_jobs > 0


def test_the_cached_build_names_what_it_depends_on(built: tuple[Path, Path]) -> None:
    _folder, path = built
    assert cache.fingerprint() in path.name
    assert f"{MONDAY:%Y%m%d}" in path.name
    assert "Europe_Amsterdam" in path.name


def test_the_fingerprint_covers_the_catalogue_data() -> None:
    """A changed data file of the demo catalogue builds afresh, as changed code does."""
    names = {(p.parent.name, p.name) for p in cache.sources()}
    data = {("demo", name) for name in ("customers.toml", "products.toml", "follow_up.toml")}
    assert data | {("demo", "scenario.py")} <= names
    assert ("reports", "veeam.py") in names


def test_a_new_week_replaces_the_old_build(built: tuple[Path, Path], tmp_path: Path) -> None:
    _folder, path = built
    old = tmp_path / path.name
    old.write_bytes(path.read_bytes())
    stale_version = tmp_path / f"demo-0.0.1-000000000000-{MONDAY:%Y%m%d}-Europe_Amsterdam.db"
    stale_version.write_bytes(b"old")
    missed_on: list[str] = []

    def detect(url: str) -> None:
        missed_on.append(url)
        # Missed runs go into the build before other demos can see it.
        assert {p.name for p in tmp_path.glob("demo-*.db")} == {old.name, stale_version.name}

    new, summary = cache.cached_build(MONDAY + timedelta(days=7), ZONE, detect, folder=tmp_path)
    assert summary is not None
    assert len(missed_on) == 1
    assert [p.name for p in tmp_path.glob("demo-*.db")] == [new.name]
    assert not list(tmp_path.glob(".building-*"))


def test_a_session_copy_is_removed_on_exit(built: tuple[Path, Path]) -> None:
    _folder, path = built
    with cache.session_copy(path) as copy:
        assert copy.read_bytes()[:16] == b"SQLite format 3\x00"
        assert f"{cache.COPY_PREFIX}{os.getpid()}-" in str(copy.parent)
    assert not copy.parent.exists()


def test_copies_of_dead_demos_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = tmp_path / f"{cache.COPY_PREFIX}{dead.stdout.strip()}-abc"
    alive = tmp_path / f"{cache.COPY_PREFIX}{os.getppid()}-def"
    unnamed_old = tmp_path / f"{cache.COPY_PREFIX}x1y2z3"
    unnamed_new = tmp_path / f"{cache.COPY_PREFIX}q9r8s7"
    for folder in (gone, alive, unnamed_old, unnamed_new):
        folder.mkdir()
        (folder / "demo.db").write_bytes(b"x")
    long_ago = time.time() - 2 * 86400
    os.utime(unnamed_old, (long_ago, long_ago))
    assert cache.sweep_stale(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, unnamed_new.name])


def _read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    """Bytes from the pty until `needle` appeared (or the time ran out)."""
    seen = b""
    end = time.monotonic() + seconds
    while needle not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def _start_demo(tmp: Path, cache_home: Path) -> tuple[int, int]:
    """`backupchecks-tui --demo` in a pseudo-terminal, as a person starts it: (pid, fd)."""
    env = {
        **os.environ,
        "TMPDIR": str(tmp),
        "TERM": "xterm-256color",
        "XDG_CACHE_HOME": str(cache_home),
    }
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(sys.executable, [sys.executable, "-m", "backupchecks_tui", "--demo"], env)
    return pid, fd


def _copies(tmp: Path) -> list[Path]:
    return list(tmp.glob(f"{cache.COPY_PREFIX}*"))


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_hung_up_demo_removes_its_copy(
    cache_home: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    pid, fd = _start_demo(tmp_path, cache_home)
    try:
        shown = _read_until(fd, b"Run Checks", 120)
        assert b"Run Checks" in shown, shown[-2000:]
        assert b"built in" not in shown  # opened from the cache: no build
        assert len(_copies(tmp_path)) == 1
        os.kill(pid, sig)
        _read_until(fd, b"\x00never", 5)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert not os.WIFSIGNALED(status)  # it ended itself, as on `q`
    assert _copies(tmp_path) == []
