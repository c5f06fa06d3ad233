"""Ingest benchmark: mail-parser floor vs `import` from files vs `fetch` from a local Dovecot.

    uv run python bench/ingest.py [--mails N]

Builds N synthetic mails by replaying the report mails under tests/golden (real corpus
mails and named synthetic fixtures) with varied job names, dates and Message-IDs, then
measures in one run: the bare mail-parser parse rate of those bytes (the floor), the
file import through the real pipeline into a fresh SQLite database, and the IMAP fetch
of the same mails from a throw-away Dovecot on loopback. Prints figures and ratios;
asserts nothing about time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# bench/parsers.py would shadow the `parsers` package: run with the repo root first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from backupchecks_tui.config import ImapConfig  # noqa: E402
from backupchecks_tui.database import open_database  # noqa: E402
from backupchecks_tui.ingest import files  # noqa: E402
from backupchecks_tui.ingest.imap import Fetcher  # noqa: E402
from backupchecks_tui.ingest.pipeline import IngestStats, Pipeline  # noqa: E402
from backupchecks_tui.secrets import Secret  # noqa: E402
from parsers import Outcome, default_registry  # noqa: E402
from parsers.mailview import looks_like_headers  # noqa: E402

GOLDEN = ROOT / "tests" / "golden"
ZONE = ZoneInfo("UTC")


def templates() -> list[tuple[bytes, str]]:
    """Golden mails that parse, each with the job name its report carries."""
    found: list[tuple[bytes, str]] = []
    registry = default_registry()
    for path in sorted(GOLDEN.rglob("*")):
        if path.suffix in {".json", ".py", ".tsv"} or not path.is_file():
            continue
        raw = path.read_bytes()
        if not looks_like_headers(raw):
            raw = b"From: bench@synthetic.invalid\nSubject: synthetic bench report\n\n" + raw
        result = registry.parse_bytes(raw)
        if result.outcome is Outcome.PARSED and result.reports:
            found.append((raw, result.reports[0].job_name))
    return found


def _replace_header(raw: bytes, name: bytes, value: bytes) -> bytes:
    head, sep, body = raw.partition(b"\n\n")
    if not sep:
        head, sep, body = raw.partition(b"\r\n\r\n")
    lines = [line for line in head.splitlines() if not line.lower().startswith(name.lower() + b":")]
    lines.insert(0, name + b": " + value)
    return b"\n".join(lines) + (sep or b"\n\n") + body


def build_mails(count: int) -> list[bytes]:
    """`count` synthetic variants of the golden mails (new Message-ID, date, job name)."""
    base = templates()
    mails: list[bytes] = []
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(count):
        raw, job = base[n % len(base)]
        variant = n // len(base)
        if job and variant:
            raw = raw.replace(job.encode(), f"{job}-{variant}".encode())
        raw = _replace_header(raw, b"Message-ID", f"<bench-{n}@synthetic.invalid>".encode())
        raw = _replace_header(raw, b"Date", format_datetime(start + timedelta(minutes=n)).encode())
        mails.append(raw)
    return mails


def floor_rate(mails: list[bytes]) -> float:
    """Mails per second that mail-parser alone parses (subject, bodies, headers)."""
    import mailparser

    started = time.perf_counter()
    for raw in mails:
        parsed = mailparser.parse_from_bytes(raw)
        _ = (parsed.subject, parsed.text_plain, parsed.text_html, parsed.headers)
    return len(mails) / (time.perf_counter() - started)


def import_rate(mails: list[bytes], workdir: Path) -> tuple[float, IngestStats]:
    """Mails per second through `import` (files → pipeline → SQLite)."""
    folder = workdir / "eml"
    folder.mkdir()
    for n, raw in enumerate(mails):
        (folder / f"{n:06d}.eml").write_bytes(raw)
    engine = open_database(f"sqlite:///{workdir / 'import.db'}")
    pipeline = Pipeline(engine, default_registry(), ZONE)
    stats = IngestStats()
    started = time.perf_counter()
    files.ingest_sources(pipeline, files.collect([str(folder)]), stats)  # as `import` does
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(mails) / elapsed, stats


def fetch_rate(mails: list[bytes], workdir: Path) -> tuple[float, IngestStats] | str:
    """Mails per second through `fetch` from a local Dovecot (or why it could not run)."""
    from tests.servers import ServerUnavailable, make_workdir
    from tests.servers.dovecot import start_dovecot
    from tests.servers.imap_seed import account_for, append_messages, connect

    server_dir = make_workdir("bench-dovecot-")
    try:
        server = start_dovecot(server_dir)
    except ServerUnavailable as exc:
        return f"skipped: {exc}"
    try:
        client = connect(account_for(server))
        append_messages(client, "INBOX", mails)
        client.logout()
        cfg = ImapConfig(
            host=server.host,
            port=server.imaps_port,
            security="ssl",
            username=server.username,
            ca_file=str(server.ca_file),
        )
        engine = open_database(f"sqlite:///{workdir / 'fetch.db'}")
        pipeline = Pipeline(engine, default_registry(), ZONE)
        started = time.perf_counter()
        (result,) = Fetcher(cfg, Secret(server.password), pipeline).run()
        elapsed = time.perf_counter() - started
        engine.dispose()
        return len(mails) / elapsed, result.stats
    finally:
        server.stop()
        shutil.rmtree(server_dir, ignore_errors=True)


def main() -> None:
    """Run the three measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=5000)
    args = parser.parse_args()
    mails = build_mails(args.mails)
    size = sum(len(m) for m in mails) / len(mails) / 1024
    print(
        f"{len(mails)} synthetic mails replayed from {len(templates())} golden mails, "
        f"mean {size:.1f} KiB"
    )
    floor = floor_rate(mails)
    print(f"floor  mail-parser parse_from_bytes : {floor:8.0f} mails/s")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rate, stats = import_rate(mails, workdir)
        print(
            f"import files → SQLite            : {rate:8.0f} mails/s  "
            f"= {rate / floor:5.0%} of floor  ({stats.parsed} parsed, {stats.new} new)"
        )
        fetched = fetch_rate(mails, workdir)
        if isinstance(fetched, str):
            print(f"fetch  Dovecot → SQLite          : {fetched}")
        else:
            rate, stats = fetched
            print(
                f"fetch  Dovecot (TLS) → SQLite    : {rate:8.0f} mails/s  "
                f"= {rate / floor:5.0%} of floor  ({stats.parsed} parsed, {stats.new} new)"
            )


if __name__ == "__main__":
    main()
