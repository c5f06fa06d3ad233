"""TUI benchmark on a large database, headless with Textual's Pilot.

    uv run python bench/gen_db.py /tmp/big.db        # once: 2,000 jobs, 1M runs, 5M objects
    uv run python bench/tui.py /tmp/big.db
    uv run python bench/tui.py --url postgresql+psycopg://backupchecks@127.0.0.1:55432/big \\
        --rtt-ms 10                                   # PostgreSQL one network hop away
    uv run python bench/tui.py --code /work/wt/base /tmp/big.db   # another checkout's code

Measures, in one run: a bare Textual app's start (the baseline), the time from start to
an interactive Run Checks, p50/p95 of 200 j/k presses until the cursor row has moved on
screen and until the run list and the detail show the job now under the cursor, the
longest the event loop was blocked while those panes loaded (a task waking every 5 ms
records how late it is), SQL statements issued on the event-loop thread per j press and
for switching to Tickets and back, a review of 1,000 selected jobs, and the peak RSS.
Prints figures; asserts nothing. The review changes data, so it runs on a copy: the
SQLite file is copied, a PostgreSQL database is cloned (CREATE DATABASE … TEMPLATE) and
dropped afterwards.

--code PATH runs this same script against another checkout (its own .venv/bin/python and
its packages): today's main, where BackupChecksApp takes a Workspace and Run Checks loads
synchronously, or the new code, where it takes the services facade (`bind(workspace)`) and
the panes load in thread workers. Which one is detected from the checkout.

--rtt-ms N puts a TCP proxy on loopback between the app and PostgreSQL that delays each
direction by N/2 ms (bench/delay_proxy.py, in a background thread); without it the app
talks to PostgreSQL directly. The measured `SELECT 1` round trip is printed first.

How each figure is taken:
- start: from building the engine (migrations checked) until the jobs pane has rows,
  median of 5 starts after one cold one, next to a bare one-widget Textual app's start;
- cursor repainted: from the key press to the compositor refresh in which the jobs
  table's cursor row has moved (stamped inside Screen._compositor_refresh);
- runs + detail followed: to the first refresh at which the run list shows the job under
  the cursor (Run Checks' `runs_of`), the detail pane's view (when it holds one) is of
  that job, and `app.busy` (new code: a thread worker or a service call out) is false;
  polled between event-loop turns, no fixed waits; each press comes 0.2 s after the last
  one was followed (a person stepping, not holding the key);
- j held: 40 key events at 30 a second, sent on schedule without waiting on the app; the
  cursor latency of each is from when it was due to the refresh where the cursor had
  moved that many rows, and the panes must follow after the last one;
- longest blocked frame: a task sleeping 5 ms at a time records how late it wakes, while
  the 200 presses are handled (and, separately, over the starts);
- SQL: SQLAlchemy before_cursor_execute events on the event-loop thread (and elsewhere,
  i.e. in workers) during the presses, and for 3 (Tickets) then 1 (Run Checks), settled;
- review: 1,000 jobs selected, the review action run and settled, the queue reloaded.

The benchmark's own PostgreSQL cluster (Debian packages, as tests/servers/postgres.py does),
on port 55432 under /work/bench-data/pg, as root:

    B=/usr/lib/postgresql/15/bin; D=/work/bench-data/pg
    mkdir -p $D/sock && chown postgres $D $D/sock
    runuser -u postgres -- $B/initdb -D $D/data -U backupchecks -A trust -E UTF8 --no-sync
    runuser -u postgres -- $B/pg_ctl -D $D/data -l $D/log -w -o "-p 55432 -k $D/sock \\
        -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \\
        -c full_page_writes=off -c shared_buffers=256MB" start
    psql -h 127.0.0.1 -p 55432 -U backupchecks postgres -c 'CREATE DATABASE big'
    uv run python bench/gen_db.py postgresql+psycopg://backupchecks@127.0.0.1:55432/big

(once running, only the pg_ctl line is needed after a reboot).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _code_root() -> Path:
    """The checkout whose code is measured: --code, or the one holding this script."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--code", type=Path)
    known, _ = pre.parse_known_args()
    here = Path(__file__).resolve().parent.parent
    return Path(known.code or here).resolve()


HERE = Path(__file__).resolve().parent.parent
CODE = _code_root()
_PYTHON = CODE / ".venv" / "bin" / "python"
if (
    CODE != HERE and Path(sys.prefix).resolve() != (CODE / ".venv").resolve()
):  # run under the other checkout's interpreter and packages
    if not _PYTHON.exists():
        sys.exit(f"{_PYTHON} not found: run `uv sync --all-extras` in {CODE} first")
    os.execv(_PYTHON, [str(_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(CODE))

import asyncio  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from sqlalchemy import Engine, event, make_url, text  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import DataTable, Static  # noqa: E402

from backupchecks_tui.config import Config  # noqa: E402
from backupchecks_tui.database import open_database  # noqa: E402
from backupchecks_tui.roles import Actor, Role  # noqa: E402
from backupchecks_tui.services import checks  # noqa: E402
from backupchecks_tui.workspace import Workspace  # noqa: E402
from screens.app import BackupChecksApp  # noqa: E402

if TYPE_CHECKING:
    from bench.delay_proxy import DelayProxy
else:  # from this script's folder, whichever checkout's code is measured
    _spec = importlib.util.spec_from_file_location("delay_proxy", _BENCH / "delay_proxy.py")
    assert _spec is not None and _spec.loader is not None
    _proxy_module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_proxy_module)
    DelayProxy = _proxy_module.DelayProxy

SIZE = (160, 48)
STARTS = 5
"""App starts timed (the median is reported): one start varies by ±0.1 s on a busy host."""
PRESSES = 200
GAP = 0.2
"""Idle time before each press: a person stepping j/k, not holding it (longer than the old
code's FOLLOW_DELAY of 80 ms, so every press is followed at once). Not part of any figure."""
HELD = 40
REPEAT = 1 / 30
"""j held: 40 presses at a keyboard's repeat rate of 30 a second."""
TIMEOUT = 10.0
LAG_TICK = 0.005

HAS_FACADE = importlib.util.find_spec("backupchecks_tui.facade") is not None
"""The new code: BackupChecksApp(bind(workspace)), panes load in thread workers."""


def make_app(workspace: Workspace) -> Any:
    """The app for `workspace`, built the way the measured checkout wants."""
    app_class: Any = BackupChecksApp
    if HAS_FACADE:
        bind = importlib.import_module("backupchecks_tui.facade").bind
        return app_class(bind(workspace))
    return app_class(workspace)


class Bare(App[None]):
    """The baseline: a Textual app with one static line."""

    def compose(self) -> ComposeResult:
        """One widget."""
        yield Static("hello")


async def bare_start() -> float:
    """Seconds until a bare app is running under Pilot."""
    started = time.perf_counter()
    async with Bare().run_test(size=SIZE) as pilot:
        await pilot.pause()
        return time.perf_counter() - started


class BareTable(App[None]):
    """The keystroke baseline: a bare DataTable of 2,000 rows."""

    def compose(self) -> ComposeResult:
        """One table."""
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        """Fill it."""
        table = self.query_one(DataTable)
        table.add_columns("job", "status")
        table.add_rows([(f"job {n}", "success") for n in range(2000)])


def _ms(times: list[float], quantile: float) -> str:
    if not times:
        return "  n/a"
    ordered = sorted(times)
    return f"{ordered[max(0, int(len(ordered) * quantile) - 1)] * 1000:5.1f}"


def busy(app: Any) -> bool:
    """Whether the app waits on I/O (the new code's app.busy; the old code never does)."""
    return bool(getattr(app, "busy", False))


async def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll `predicate` between event-loop turns (no fixed sleeps); False on timeout."""
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.001)
    return True


async def settle(pilot: Pilot[Any], timeout: float = TIMEOUT * 3) -> None:
    """Wait until no worker or service call is out and the messages are handled, twice."""
    deadline = time.perf_counter() + timeout
    quiet = 0
    while quiet < 2 and time.perf_counter() < deadline:
        await pilot.pause()
        if busy(pilot.app):
            quiet = 0
            await asyncio.sleep(0.002)
        else:
            quiet += 1


class LagMeter:
    """How late a task that wakes every 5 ms is: the longest frame the loop was blocked."""

    def __init__(self) -> None:
        self.recording = False
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin ticking in the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._tick())

    def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(LAG_TICK)
            if self.recording:
                self.lags.append(time.perf_counter() - before - LAG_TICK)


class SqlCounter:
    """SQL statements issued on the event-loop thread (SQLAlchemy before_cursor_execute)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.loop_thread = threading.get_ident()
        self.on_loop = 0
        self.elsewhere = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: object) -> None:
        if threading.get_ident() == self.loop_thread:
            self.on_loop += 1
        else:
            self.elsewhere += 1

    def close(self) -> None:
        """Stop counting."""
        event.remove(self.engine, "before_cursor_execute", self._count)


RUNS_OF = ("runs_of", "runs_job", "runs_job_id", "shown_job")
"""Names Run Checks may give the job its run list shows (today: runs_of)."""


def runs_pane_job(screen: Any) -> object:
    """The job whose runs Run Checks' run list shows, or UNKNOWN."""
    for name in RUNS_OF:
        if hasattr(screen, name):
            return getattr(screen, name)
    return UNKNOWN


UNKNOWN = object()


def cursor_job(screen: Any) -> object:
    """The job under the jobs pane's cursor."""
    return screen.query_one("#jobs").current_key


def followed(app: Any, screen: Any) -> bool:
    """The run list and detail show the job under the cursor, and nothing is loading."""
    job = cursor_job(screen)
    shown = runs_pane_job(screen)
    if busy(app) or (shown is not UNKNOWN and shown != job):
        return False
    # the new code binds the detail pane a view with the job's id; the old one renders at once
    details = screen.query("#detail")
    detail = getattr(details.first(), "detail", None) if details else None
    return detail is None or getattr(detail, "job_id", job) == job


async def keystrokes(
    pilot: Pilot[Any], down: str, up: str, follow: Callable[[], bool] | None = None
) -> tuple[list[float], list[float]]:
    """Seconds from each key press until the repaint where the cursor row has moved, and
    (with `follow`) until the repaint where `follow()` holds.

    Both are stamped inside the screen's compositor refresh, so Pilot's own 20 ms polling
    does not enter the figures.
    """
    app = pilot.app
    screen = app.screen
    table = screen.query_one("#jobs" if follow else "DataTable", DataTable)
    original = screen._compositor_refresh
    marks: dict[str, float] = {}
    before = {"row": 0}

    def timed_refresh() -> None:
        original()
        now = time.perf_counter()
        if "moved" not in marks and table.cursor_row != before["row"]:
            marks["moved"] = now
        if follow is not None and "moved" in marks and "done" not in marks and follow():
            marks["done"] = now

    screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
    first: list[float] = []
    last: list[float] = []
    for n in range(PRESSES):
        await asyncio.sleep(GAP)
        marks.clear()
        before["row"] = table.cursor_row
        t0 = time.perf_counter()
        await pilot.press(down if (n // 50) % 2 == 0 else up)
        if not await wait_until(lambda: "moved" in marks and (follow is None or "done" in marks)):
            print(f"  press {n}: no repaint {'followed' if 'moved' in marks else 'moved'}")
        if "moved" in marks:
            first.append(marks["moved"] - t0)
        if "done" in marks:
            last.append(marks["done"] - t0)
    screen._compositor_refresh = original  # type: ignore[method-assign]
    return first, last


async def held_key(
    pilot: Pilot[Any], key: str, follow: Callable[[], bool], presses: int = HELD
) -> tuple[list[float], float]:
    """j held down: `presses` key events at the keyboard's repeat rate, not waiting on the
    app. Seconds from when each press was due (a busy loop delays reading it, as a
    terminal's input would be) to the refresh where the cursor had moved that far, and
    from the last press to the refresh where the panes followed."""
    app = pilot.app
    screen = app.screen
    table = screen.query_one("#jobs", DataTable)
    original = screen._compositor_refresh
    start_row = table.cursor_row
    reached: list[float] = []
    done: list[float] = []

    def timed_refresh() -> None:
        original()
        now = time.perf_counter()
        while len(reached) < table.cursor_row - start_row:
            reached.append(now)
        if len(reached) >= presses and not done and follow():
            done.append(now)

    screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
    t0 = time.perf_counter()
    due = [t0 + n * REPEAT for n in range(presses)]
    for when in due:
        await asyncio.sleep(max(0.0, when - time.perf_counter()))
        app.simulate_key(key)
    await wait_until(lambda: bool(done))
    screen._compositor_refresh = original  # type: ignore[method-assign]
    latencies = [r - d for r, d in zip(reached, due, strict=False)]
    return latencies, (done[0] - due[-1]) if done else float("nan")


async def bare_keystrokes() -> list[float]:
    """The cursor measurement on the bare table."""
    async with BareTable().run_test(size=SIZE) as pilot:
        await pilot.pause()
        first, _ = await keystrokes(pilot, "down", "up")
        return first


@contextmanager
def database_copy(db: Path | None, url: str | None) -> Iterator[tuple[str, str]]:
    """A throw-away copy of the database: (its URL, a label)."""
    if url is None:
        assert db is not None
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "bench.db"
            shutil.copy(db, copy)
            with copy.open("rb+") as written:  # flushed now, not by the app's first checkpoint
                os.fsync(written.fileno())
            yield f"sqlite:///{copy}", f"SQLite {db}"
        return
    source = make_url(url)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = open_database(source.set(database="postgres").render_as_string(False), upgrade=False)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
        try:
            yield (
                source.set(database=name).render_as_string(False),
                (f"PostgreSQL {source.host}:{source.port}/{source.database} (copy {name})"),
            )
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def through_proxy(url: str, proxy: DelayProxy | None) -> str:
    """`url` pointed at the delay proxy, when there is one."""
    if proxy is None:
        return url
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


def round_trip(url: str) -> float:
    """Seconds for one `SELECT 1` on an open connection (median of 20)."""
    engine = open_database(url, upgrade=False)
    try:
        with engine.connect() as conn:
            times = []
            for _ in range(20):
                t0 = time.perf_counter()
                conn.execute(text("SELECT 1"))
                times.append(time.perf_counter() - t0)
        return statistics.median(times)
    finally:
        engine.dispose()


def describe_code() -> str:
    """The measured checkout, its commit, and which app API it has."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(CODE), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()[:72]
    except OSError:
        commit = "?"
    api = (
        "BackupChecksApp(bind(workspace)), thread workers"
        if HAS_FACADE
        else "BackupChecksApp(workspace), synchronous loads"
    )
    return f"code: {CODE} @ {commit}\n  api: {api}"


async def measure(url: str, label: str, rtt_ms: float | None, proxy: DelayProxy | None) -> None:
    """Run every measurement and print it."""
    print(describe_code())
    hop = f", {rtt_ms:g} ms RTT via the delay proxy" if rtt_ms is not None else ""
    print(f"database: {label}{hop}")
    # The baselines first, and their garbage collected: the clock of the app under test
    # should not include tearing down the bare 2,000-row table.
    bare = statistics.median([await bare_start() for _ in range(STARTS)])
    base = await bare_keystrokes()
    config = Config.model_validate({"ui": {"timezone": "UTC"}})
    app_url = through_proxy(url, proxy)
    if proxy is not None or url.startswith("postgresql"):
        print(f"round trip (SELECT 1, p50 of 20): {round_trip(app_url) * 1000:6.1f} ms")
    starts: list[float] = []
    lag = LagMeter()
    lag.start()
    for attempt in range(STARTS + 1):  # the last start stays open for the other figures
        gc.collect()
        started = time.perf_counter()
        engine = open_database(app_url)
        app = make_app(Workspace(engine, Actor("bench", Role.ADMIN), config, label))
        lag.recording = True
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            table = app.screen.query_one("#jobs")
            await wait_until(lambda: bool(table.row_count), TIMEOUT * 3)  # noqa: B023
            starts.append(time.perf_counter() - started)
            lag.recording = False
            if attempt < STARTS:
                engine.dispose()
                continue
            start_lag = max(lag.lags, default=0.0)
            await settle(pilot)
            await measure_running(pilot, app, engine, lag, bare, base, starts, start_lag)
    lag.stop()
    if proxy is not None:
        print(f"delay proxy: {proxy.connections} connections")


async def measure_running(
    pilot: Pilot[Any],
    app: Any,
    engine: Engine,
    lag: LagMeter,
    bare: float,
    base: list[float],
    starts: list[float],
    start_lag: float,
) -> None:
    """Print the start figures, then measure keystrokes, SQL, a review on the running app."""
    ready = statistics.median(starts)
    screen = app.screen
    print(f"queue: {screen.total_jobs} jobs, {screen.total_runs} runs to review")
    print(
        f"start → interactive Run Checks : {ready * 1000:7.0f} ms median of {len(starts)} "
        f"(bare Textual app {bare * 1000:.0f} ms; {1000 * (ready - bare):.0f} ms beyond)"
    )
    print(
        f"  the first, cold start         : {starts[0] * 1000:7.0f} ms "
        f"({1000 * (starts[0] - bare):.0f} ms beyond; later starts reuse parsed CSS and "
        "compiled SQL)"
    )
    print(f"  longest blocked frame, starts : {start_lag * 1000:7.1f} ms")
    sql = SqlCounter(engine)
    lag.lags.clear()
    lag.recording = True
    first, last = await keystrokes(pilot, "j", "k", lambda: followed(app, screen))
    lag.recording = False
    presses_sql, presses_off = sql.on_loop, sql.elsewhere
    print(
        f"j/k → cursor repainted         : p50 {_ms(first, 0.5)} ms, p95 {_ms(first, 0.95)} ms"
        f" (bare DataTable p50 {_ms(base, 0.5)}, p95 {_ms(base, 0.95)} ms)"
    )
    print(
        f"j/k → runs + detail followed   : p50 {_ms(last, 0.5)} ms, p95 {_ms(last, 0.95)} ms"
        f" ({len(last)} of {PRESSES} presses followed)"
    )
    lags = sorted(lag.lags)
    print(
        f"longest blocked frame, j/k     : {max(lags, default=0.0) * 1000:7.1f} ms "
        f"(p99 {_ms(lags, 0.99)} ms of a {LAG_TICK * 1000:.0f} ms tick)"
    )
    print(
        f"SQL per j/k press, loop thread : {presses_sql / PRESSES:7.1f} "
        f"(in workers {presses_off / PRESSES:.1f})"
    )
    await settle(pilot)
    lag.lags.clear()
    lag.recording = True
    held, after = await held_key(pilot, "j", lambda: followed(app, screen))
    lag.recording = False
    await settle(pilot)
    print(
        f"j held (30/s) → cursor moved   : p50 {_ms(held, 0.5)} ms, p95 {_ms(held, 0.95)} ms"
        f" ({len(held)} of {HELD} rows; panes followed {after * 1000:.0f} ms after the last;"
        f" longest blocked frame {max(lag.lags, default=0.0) * 1000:.0f} ms)"
    )
    sql.on_loop = sql.elsewhere = 0
    await pilot.press("3")
    await settle(pilot)
    tickets = type(app.screen).__name__
    await pilot.press("1")
    await settle(pilot)
    print(
        f"SQL to Tickets and back, loop   : {sql.on_loop:7d} "
        f"(in workers {sql.elsewhere}; via {tickets}, back on {type(app.screen).__name__})"
    )
    sql.close()
    screen = app.screen
    try:
        page = checks.load_queue(engine, screen.flt, limit=1000)
    except (AttributeError, TypeError) as exc:  # the service moved: say so, measure the rest
        print(f"review of 1,000 selected jobs  : n/a ({type(exc).__name__}: {exc})")
    else:
        screen.selected = {r.job_id: r.max_run_id for r in page.rows}
        t0 = time.perf_counter()
        await screen.run_action("review")  # sync, async or a worker: all the same here
        await settle(pilot)
        await wait_until(lambda: not screen.selected)
        review = time.perf_counter() - t0
        print(
            f"review of {len(page.rows):>5} selected jobs : {review * 1000:7.0f} ms "
            f"(incl. reloading the queue; {screen.total_jobs} jobs left)"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                       : {rss:7.0f} MB")
    engine.dispose()


def main() -> None:
    """Copy the database, start the delay proxy if asked, and measure."""
    global PRESSES, STARTS
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("db", type=Path, nargs="?", help="a SQLite file (copied first)")
    parser.add_argument("--url", help="a PostgreSQL URL instead: postgresql+psycopg://…/big")
    parser.add_argument("--rtt-ms", type=float, help="delay PostgreSQL by this round trip")
    parser.add_argument("--code", type=Path, help="measure this checkout's code")
    parser.add_argument("--presses", type=int, default=PRESSES, help="j/k presses timed")
    parser.add_argument("--starts", type=int, default=STARTS, help="app starts timed")
    args = parser.parse_args()
    PRESSES, STARTS = args.presses, args.starts
    if (args.db is None) == (args.url is None):
        parser.error("give either a SQLite file or --url")
    if args.rtt_ms is not None and args.url is None:
        parser.error("--rtt-ms needs --url (PostgreSQL)")
    with database_copy(args.db, args.url) as (url, label):
        proxy = None
        if args.rtt_ms is not None:
            target = make_url(url)
            proxy = DelayProxy(target.host or "127.0.0.1", target.port or 5432, args.rtt_ms)
            proxy.start()
        try:
            asyncio.run(measure(url, label, args.rtt_ms, proxy))
        finally:
            if proxy is not None:
                proxy.stop()


if __name__ == "__main__":
    main()
