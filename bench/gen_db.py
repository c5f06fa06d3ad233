"""Build a large synthetic database for the TUI benchmark (MSP scale).

    uv run python bench/gen_db.py PATH.db [--jobs 2000] [--runs 1000000] [--objects 5000000]
    uv run python bench/gen_db.py postgresql+psycopg://backupchecks@127.0.0.1:55432/big

The target is a new SQLite file or the URL of an empty PostgreSQL database (see
bench/tui.py for starting the benchmark's own cluster); on PostgreSQL the id sequences
are moved past the inserted ids and the tables analysed afterwards.

Jobs spread over 300 customers and 8 products; each job gets runs on consecutive days
going back from today (runs / jobs days), about objects / runs objects per run, a share
of warnings and failures, and everything older than two days marked reviewed — so the
queue holds the last two days, as on a real Monday morning. All data is synthetic.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, text  # noqa: E402

from backupchecks_tui.database import open_database  # noqa: E402
from store.models import Customer, Job, JobRun, RunObject  # noqa: E402

PRODUCTS = [
    ("veeam", "backup"),
    ("veeam", "backup-copy"),
    ("proxmox", "vzdump"),
    ("synology", "hyper-backup"),
    ("bareos", "backup"),
    ("duplicati", "backup"),
    ("xen-orchestra", "backup"),
    ("veeam", "m365-backup"),
]
BATCH = 20_000


def _status(rng: random.Random) -> str:
    roll = rng.random()
    return "failed" if roll < 0.03 else "warning" if roll < 0.10 else "success"


def build(target: str, jobs: int, runs: int, objects: int, seed: int = 7) -> None:
    """Fill a fresh database: a SQLite file path or a PostgreSQL URL."""
    rng = random.Random(seed)
    url = target if "://" in target else f"sqlite:///{target}"
    engine = open_database(url)
    today = datetime.now(UTC).date()
    per_job = max(1, runs // jobs)
    per_run = max(0, objects // max(runs, 1))
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            insert(Customer.__table__),  # type: ignore[attr-defined]
            [
                {"name": f"Customer {c:03d}", "active": True, "created_at": datetime.now(UTC)}
                for c in range(1, 301)
            ],
        )
        conn.execute(
            insert(Job.__table__),  # type: ignore[attr-defined]
            [
                {
                    "customer_id": 1 + j % 300,
                    "suggested_customer": "",
                    "product": PRODUCTS[j % 8][0],
                    "job_type": PRODUCTS[j % 8][1],
                    "name": f"Job {j:05d}",
                    "sender": f"backup@customer{j % 300:03d}.example",
                    "active": True,
                    "paused": False,
                    "schedule_kind": "",
                    "schedule_json": "",
                    "schedule_manual": False,
                    "created_at": datetime.now(UTC),
                }
                for j in range(jobs)
            ],
        )
    run_id = 0
    pending_runs: list[dict[str, object]] = []
    pending_objects: list[dict[str, object]] = []

    def flush() -> None:
        with engine.begin() as conn:
            if pending_runs:
                conn.execute(insert(JobRun.__table__), pending_runs)  # type: ignore[attr-defined]
            if pending_objects:
                conn.execute(insert(RunObject.__table__), pending_objects)  # type: ignore[attr-defined]
        pending_runs.clear()
        pending_objects.clear()

    now = datetime.now(UTC)
    for day_back in range(per_job):
        day: date = today - timedelta(days=day_back)
        reviewed = now if day_back >= 2 else None
        for j in range(jobs):
            run_id += 1
            status = _status(rng)
            start = datetime(day.year, day.month, day.day, 1, tzinfo=UTC) + timedelta(
                minutes=j % 300
            )
            problems = 0
            for o in range(per_run):
                ostatus = status if o == 0 else "success"
                problems += ostatus != "success"
                pending_objects.append(
                    {
                        "run_id": run_id,
                        "name": f"vm-{j:05d}-{o}",
                        "type": "vm",
                        "status": ostatus,
                        "message": "" if ostatus == "success" else "Snapshot timed out",
                    }
                )
            pending_runs.append(
                {
                    "id": run_id,
                    "job_id": j + 1,
                    "status": status,
                    "reported_status": status,
                    "override_reason": "",
                    "started_at": start,
                    "ended_at": start + timedelta(minutes=20),
                    "run_day": day,
                    "message": "",
                    "object_count": per_run,
                    "problem_count": problems,
                    "reviewed_at": reviewed,
                    "reviewed_by": "bench" if reviewed else "",
                    "marked_success_by": "",
                    "created_at": now,
                }
            )
            if len(pending_objects) + len(pending_runs) >= BATCH:
                flush()
        print(f"\r{run_id:>9} runs", end="", flush=True)
    flush()
    if engine.dialect.name == "postgresql":
        _settle_postgres(engine)
    engine.dispose()
    print(
        f"\n{jobs} jobs, {run_id} runs, {run_id * per_run} objects in "
        f"{time.perf_counter() - started:.0f} s → {target}"
    )


def _settle_postgres(engine: Engine) -> None:
    """Move each serial id sequence past the ids inserted explicitly, then ANALYZE."""
    with engine.begin() as conn:
        tables = [
            Customer.__table__.name,  # type: ignore[attr-defined]
            Job.__table__.name,  # type: ignore[attr-defined]
            JobRun.__table__.name,  # type: ignore[attr-defined]
            RunObject.__table__.name,  # type: ignore[attr-defined]
        ]
        for table in tables:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def main() -> None:
    """Parse arguments and build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="a new SQLite file, or an empty PostgreSQL database's URL")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--objects", type=int, default=5_000_000)
    args = parser.parse_args()
    if "://" not in args.target and Path(args.target).exists():
        parser.error(f"{args.target} exists; give a new path")
    build(args.target, args.jobs, args.runs, args.objects)


if __name__ == "__main__":
    main()
