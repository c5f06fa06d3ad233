"""The demo database, built once and kept in the cache dir; every demo opens a copy.

Building the demo (2,000 mails through the real import path) takes seconds; a copy of a
built one takes milliseconds. The cached build is named by everything it depends on — the
app version, a fingerprint of the code that makes it (ingest, parsers, services, store,
the scenario) and of the catalogue's data files, the demo's Monday and the time zone — so
a new version, a changed parser or catalogue or a new week builds afresh, and older
builds are removed. Each demo works on its own copy in a temp folder named with its
process id: removed on exit (`q`, SIGHUP, SIGTERM) and, should a process die without
that, swept by the next demo.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from platformdirs import user_cache_path

from backupchecks_tui.database import open_database
from backupchecks_tui.demo.build import DemoSummary, build_demo, totals
from backupchecks_tui.locations import APP_NAME

COPY_PREFIX = "backupchecks-demo-"
"""Temp folders of running demos: `backupchecks-demo-<pid>-<random>`."""

_SOURCES = ("backupchecks_tui", "parsers", "store")
_SOURCE_SUFFIXES = frozenset({".py", ".toml", ".json"})  # code and package data
_STALE_UNNAMED_SECONDS = 12 * 3600  # folders of older versions carry no pid


def cache_dir() -> Path:
    """Where built demo databases are kept (the platform cache dir)."""
    return user_cache_path(APP_NAME) / "demo"


def sources() -> list[Path]:
    """The files a demo build depends on: the code and the data files (the catalogue)."""
    root = Path(__file__).resolve().parents[2]
    return sorted(
        path
        for package in _SOURCES
        for path in (root / package).rglob("*")
        if path.suffix in _SOURCE_SUFFIXES and path.is_file()
    )


def fingerprint() -> str:
    """The app version and a hash of the code and data a demo build depends on."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in sources():
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    try:
        app_version = version(APP_NAME)
    except PackageNotFoundError:  # running from a source tree that is not installed
        app_version = "src"
    return f"{app_version}-{digest.hexdigest()[:12]}"


def _zone_key(zone: tzinfo) -> str:
    """A file-name-safe name of `zone`."""
    return str(getattr(zone, "key", zone)).replace("/", "_")


def cached_build(
    morning: datetime,
    zone: tzinfo,
    detect_missed: Callable[[str], None],
    progress: Callable[[int, int], None] | None = None,
    folder: Path | None = None,
) -> tuple[Path, DemoSummary | None]:
    """The built demo database for `morning` (built now if missing) and the build summary.

    `detect_missed(url)` runs on a fresh build before it is published, so the cached
    database already holds the Missed runs of the demo's morning. The summary is None
    when the build came from the cache.
    """
    folder = folder or cache_dir()
    name = f"demo-{fingerprint()}-{morning.date():%Y%m%d}-{_zone_key(zone)}.db"
    target = folder / name
    if target.is_file():
        return target, None
    folder.mkdir(parents=True, exist_ok=True)
    building = folder / f".building-{os.getpid()}.db"
    building.unlink(missing_ok=True)
    url = f"sqlite:///{building}"
    summary = build_demo(url, today=morning.date(), progress=progress, zone=zone)
    detect_missed(url)
    building.replace(target)  # atomic: a concurrent demo sees all or nothing
    for old in folder.glob("demo-*.db"):
        if old != target:
            old.unlink(missing_ok=True)
    return target, summary


def summary_of(path: Path) -> DemoSummary:
    """The totals of a built demo database (customers, jobs, queue)."""
    engine = open_database(f"sqlite:///{path}")
    try:
        return totals(engine)
    finally:
        engine.dispose()


@contextlib.contextmanager
def session_copy(built: Path) -> Iterator[Path]:
    """A throw-away copy of `built` for one demo session (removed on exit)."""
    sweep_stale()
    folder = Path(tempfile.mkdtemp(prefix=f"{COPY_PREFIX}{os.getpid()}-"))
    try:
        copy = folder / "demo.db"
        shutil.copyfile(built, copy)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep_stale(parent: Path | None = None) -> int:
    """Remove demo copies whose process is gone; the number removed."""
    removed = 0
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{COPY_PREFIX}*"):
        if folder.is_dir() and _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _abandoned(folder: Path) -> bool:
    """Whether the demo that made `folder` no longer runs."""
    pid_text = folder.name[len(COPY_PREFIX) :].split("-", 1)[0]
    if not pid_text.isdigit():  # made by a version that did not name its pid
        with contextlib.suppress(OSError):
            return time.time() - folder.stat().st_mtime > _STALE_UNNAMED_SECONDS
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's live process
        return False
    return False
