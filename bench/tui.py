"""TUI benchmark on a large database, headless with Textual's Pilot.

    uv run python bench/gen_db.py /tmp/big.db        # once: 2,000 jobs, 1M runs, 5M objects
    uv run python bench/tui.py /tmp/big.db

Measures, in one run: a bare Textual app's start (the baseline), the time from start to
an interactive Run Checks, p50/p95 of 200 j/k presses until the screen has repainted,
a review of 1,000 selected jobs, and the peak RSS. Prints figures; asserts nothing.
The database is copied first, so the review does not change the original.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import DataTable, Static  # noqa: E402

from backupchecks_tui.config import Config  # noqa: E402
from backupchecks_tui.database import open_database  # noqa: E402
from backupchecks_tui.facade import bind  # noqa: E402
from backupchecks_tui.roles import Actor, Role  # noqa: E402
from backupchecks_tui.services import checks  # noqa: E402
from backupchecks_tui.workspace import Workspace  # noqa: E402
from screens.app import BackupChecksApp  # noqa: E402
from screens.run_checks import RunChecksScreen  # noqa: E402
from screens.widgets.tables import KeyedTable  # noqa: E402

SIZE = (160, 48)
STARTS = 5
"""App starts timed (the median is reported): one start varies by ±0.1 s on a busy host."""


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
    ordered = sorted(times)
    return f"{ordered[max(0, int(len(ordered) * quantile) - 1)] * 1000:5.1f}"


async def keystrokes(pilot: Pilot[None], down: str, up: str) -> tuple[list[float], list[float]]:
    """Seconds from each key press to the end of its first and of its last repaint.

    Pilot's own waits poll in 20 ms steps, so the clock stops at the last compositor
    refresh rather than when Pilot notices the app is idle.
    """
    app = pilot.app
    done: list[float] = []
    original = app.screen._compositor_refresh

    def timed_refresh() -> None:
        original()
        done.append(time.perf_counter())

    app.screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
    first: list[float] = []
    last: list[float] = []
    for n in range(200):
        done.clear()
        t0 = time.perf_counter()
        await pilot.press(down if (n // 50) % 2 == 0 else up)
        await pilot.pause(0.15)  # let the panes that follow the cursor finish too
        if done:
            first.append(done[0] - t0)
            last.append(done[-1] - t0)
    app.screen._compositor_refresh = original  # type: ignore[method-assign]
    return first, last


async def bare_keystrokes() -> tuple[list[float], list[float]]:
    """The same measurement on the bare table."""
    async with BareTable().run_test(size=SIZE) as pilot:
        await pilot.pause()
        return await keystrokes(pilot, "down", "up")


async def measure(db: Path) -> None:
    """Run every measurement and print it."""
    # The baselines first, and their garbage collected: the clock of the app under test
    # should not include tearing down the bare 2,000-row table.
    bare = statistics.median([await bare_start() for _ in range(STARTS)])
    base, _ = await bare_keystrokes()
    config = Config.model_validate({"ui": {"timezone": "UTC"}})
    starts: list[float] = []
    for attempt in range(STARTS + 1):  # the last start stays open for the other figures
        gc.collect()
        started = time.perf_counter()
        engine = open_database(f"sqlite:///{db}")
        app = BackupChecksApp(bind(Workspace(engine, Actor("bench", Role.ADMIN), config, str(db))))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            table = app.screen.query_one("#jobs", KeyedTable)
            while not table.row_count:
                await pilot.pause(0.01)
            starts.append(time.perf_counter() - started)
            if attempt < STARTS:
                engine.dispose()
                continue
            await measure_running(pilot, app, engine, bare, base, starts)


async def measure_running(
    pilot: Pilot[None],
    app: BackupChecksApp,
    engine: Engine,
    bare: float,
    base: list[float],
    starts: list[float],
) -> None:
    """Print the start figures, then measure keystrokes and a review on the running app."""
    ready = statistics.median(starts)
    screen = app.screen
    assert isinstance(screen, RunChecksScreen)
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
    first, last = await keystrokes(pilot, "j", "k")
    print(
        f"j/k → cursor repainted        : p50 {_ms(first, 0.5)} ms, p95 {_ms(first, 0.95)} ms"
        f" (bare DataTable p50 {_ms(base, 0.5)}, p95 {_ms(base, 0.95)} ms)"
    )
    print(
        f"j/k → runs + detail repainted : p50 {_ms(last, 0.5)} ms, p95 {_ms(last, 0.95)} ms"
        " (200 presses)"
    )
    page = checks.load_queue(engine, screen.flt, limit=1000)
    screen.selected = {r.job_id: r.max_run_id for r in page.rows}
    t0 = time.perf_counter()
    screen.action_review()
    await pilot.pause()
    review = time.perf_counter() - t0
    print(
        f"review of {len(page.rows)} selected jobs   : {review * 1000:7.0f} ms "
        f"(incl. reloading the queue)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                      : {rss:7.0f} MB")
    engine.dispose()


def main() -> None:
    """Copy the database and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "bench.db"
        shutil.copy(args.db, copy)
        with copy.open("rb+") as written:  # flushed now, not by the app's first checkpoint
            os.fsync(written.fileno())
        asyncio.run(measure(copy))


if __name__ == "__main__":
    main()
