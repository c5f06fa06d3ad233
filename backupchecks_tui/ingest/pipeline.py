"""The ingest pipeline for one mail: dedupe, store (raw kept, zlib), parse, create runs.

Each mail is committed in its own transaction together with the fetch position that led
to it, so a crash at any point loses nothing and a re-run duplicates nothing: the unique
`dedupe_key` (Message-ID, or a content hash when there is none) decides what is new.
A long pass feeds its mails through `Pipeline.ahead`, which has a worker process parse
them ahead (see `prepare`); storing stays here, one mail and one commit at a time.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Generator, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from backupchecks_tui.ingest import prepare
from backupchecks_tui.ingest.prepare import Prepared
from backupchecks_tui.safe_text import storable
from backupchecks_tui.services import missed, overrides, runs
from parsers import MailView, Outcome, ParseResult, Registry
from store.engine import read_connection
from store.models import ImapState, MailMessage
from store.types import utcnow

MAIL = MailMessage.__table__  # type: ignore[attr-defined]
STATE = ImapState.__table__  # type: ignore[attr-defined]
# Built once; values go in as parameters so the compiled SQL is reused for every mail.
_UPSERTS = {
    "sqlite": sqlite.insert(MAIL).on_conflict_do_nothing(index_elements=[MAIL.c.dedupe_key]),
    "postgresql": postgresql.insert(MAIL).on_conflict_do_nothing(
        index_elements=[MAIL.c.dedupe_key]
    ),
}
# A mail with reports asks along with its insert whether the ingest hooks can have work:
# any active override; an unresolved missed run of its known jobs (one, or several) near
# its run days. Mail parsed already (by the worker) is inserted ON CONFLICT DO NOTHING,
# which tells a duplicate by returning no row.
_PROBES: dict[str, tuple[Any, ...]] = {
    "": (),
    "rules": (overrides.RULES_PROBE,),
    "one": (overrides.RULES_PROBE, missed.PENDING_PROBE_ONE),
    "many": (overrides.RULES_PROBE, missed.PENDING_PROBE),
}
_INSERT_MAIL = {probes: insert(MAIL).returning(MAIL.c.id, *c) for probes, c in _PROBES.items()}
_UPSERT_MAIL = {
    (dialect, probes): stmt.returning(MAIL.c.id, *c)
    for dialect, stmt in _UPSERTS.items()
    for probes, c in _PROBES.items()
}
_FIND_MAIL = select(MAIL.c.id).where(MAIL.c.dedupe_key == bindparam("b_key"))


@dataclass(frozen=True)
class Origin:
    """Where a raw mail came from."""

    source: str = "file"
    account: str = ""
    folder: str = ""
    uidvalidity: int | None = None
    uid: int | None = None
    path: str = ""


@dataclass(frozen=True)
class Ingested:
    """What happened to one mail."""

    mail_id: int
    new: bool
    outcome: Outcome | None = None
    runs: int = 0


@dataclass
class IngestStats:
    """Counts over a pass (fetch or import), for the summary line and `--json`."""

    seen: int = 0
    new: int = 0
    duplicates: int = 0
    parsed: int = 0
    unparsed: int = 0
    ignored: int = 0
    errors: int = 0
    failed: int = 0
    runs: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, result: Ingested) -> None:
        """Count one ingested mail."""
        self.seen += 1
        if not result.new:
            self.duplicates += 1
            return
        self.new += 1
        self.runs += result.runs
        if result.outcome is Outcome.PARSED:
            self.parsed += 1
        elif result.outcome is Outcome.IGNORED:
            self.ignored += 1
        elif result.outcome is Outcome.ERROR:
            self.errors += 1
        else:
            self.unparsed += 1

    def merge(self, other: IngestStats) -> None:
        """Add the counts of another pass (one folder) to these."""
        for key in ("seen", "new", "duplicates", "parsed", "unparsed", "ignored", "errors"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.failed += other.failed
        self.runs += other.runs
        self.failures.extend(other.failures)

    def fail(self, where: str, exc: BaseException) -> None:
        """Count a mail that could not be stored at all."""
        self.seen += 1
        self.failed += 1
        self.failures.append(f"{where}: {type(exc).__name__}: {exc}")

    def summary(self, seconds: float) -> str:
        """The one summary line printed at the end of a pass."""
        return (
            f"{self.seen} mails seen, {self.new} new, {self.duplicates} duplicates skipped, "
            f"{self.parsed} parsed ({self.runs} runs), {self.unparsed} unparsed, "
            f"{self.ignored} ignored, {self.errors + self.failed} errors, in {seconds:.1f} s"
        )


class Pipeline:
    """Stores and parses mails into the database given.

    One pipeline serves one pass (fetch, import, re-parse): it caches job ids and the
    customer rules for that pass.
    """

    def __init__(self, engine: Engine, registry: Registry, zone: tzinfo) -> None:
        self.engine = engine
        self.registry = registry
        self.zone = zone
        self.jobs = runs.JobCache()
        self._lookahead = prepare.Lookahead(registry)
        # While `ahead` runs: the mail it yielded last with its prepared form, and the
        # connection it holds for the pass (and the thread that may use it).
        self._ready: tuple[bytes, Prepared | None] | None = None
        self._conn: Connection | None = None
        self._thread: int | None = None

    def ahead(
        self, mails: Iterable[tuple[bytes, Origin]], expected: int
    ) -> Generator[tuple[bytes, Origin]]:
        """`mails` unchanged and in order, for `ingest` one by one, parsed ahead.

        With `expected` mails or more to come (this call and later ones of the pass) a
        worker process parses them ahead of `ingest`, which then only stores; shorter
        passes parse in-process. The pass keeps one connection meanwhile. Call `close`
        when the pass is over (the worker is kept between calls).
        """
        with self.engine.connect() as conn:
            self._conn, self._thread = conn, threading.get_ident()
            try:
                for raw, origin, ready in self._lookahead.stream(mails, expected):
                    self._ready = (raw, ready)
                    yield raw, origin
            finally:
                self._ready = self._conn = self._thread = None

    def close(self) -> None:
        """Stop the worker of `ahead`, if one runs (the pipeline stays usable)."""
        self._lookahead.close()

    def ingest(self, raw: bytes, origin: Origin) -> Ingested:
        """Store one raw mail (if new) and turn it into runs; one transaction."""
        ready = self._take_ready(raw)
        view: MailView | None = None
        if ready is None:
            view = prepare.view_of(raw)
            key = prepare.key_of(raw, view)
        else:
            key = ready.key
        mark = len(self.jobs.added)
        try:
            with self._begin() as conn:
                # Parsed already (by the worker): the insert itself tells a duplicate
                # (ON CONFLICT DO NOTHING). Else look first, and parse only what is new.
                # On SQLite the transaction holds the write lock (BEGIN IMMEDIATE), so the
                # check and the insert cannot race; elsewhere the unique key decides.
                upsert = ready is not None and conn.dialect.name in _UPSERTS
                found = None if upsert else conn.execute(_FIND_MAIL, {"b_key": key}).scalar()
                if found is None:
                    if ready is None:
                        ready = prepare.prepare_view(raw, view, self.registry)
                    stored = self._store(conn, ready, origin, upsert=upsert)
                    if stored is not None:
                        _remember_position(conn, origin)
                        return stored
                    found = conn.execute(_FIND_MAIL, {"b_key": key}).scalar_one()
                _remember_position(conn, origin)
                return Ingested(int(found), new=False)
        except IntegrityError:
            self.jobs.forget_since(mark)
            # Another process stored the same mail between our check and our insert.
            found = self._known(key)
            if found is None:
                raise
            return Ingested(found, new=False)
        except BaseException:
            self.jobs.forget_since(mark)
            raise

    def _store(
        self, conn: Connection, ready: Prepared, origin: Origin, *, upsert: bool
    ) -> Ingested | None:
        """Insert the mail and its runs; None when ON CONFLICT found it stored already."""
        result = ready.result
        values = _mail_values(ready, origin)
        _set_parse_state(values, result)
        info = runs.MailInfo(0, values["from_addr"], values["sent_at"], values["received_at"])
        asked: list[int] = []
        probes, params = "", {}
        if result.reports:
            window = runs.pending_probe(conn, info, result.reports, self.zone, self.jobs)
            asked = window.pop("b_jobs")
            if len(asked) > 1:
                probes, params = "many", {**window, "b_jobs": asked}
            elif asked:
                probes, params = "one", {**window, "b_job": asked[0]}
            else:
                probes = "rules"
        statement = _UPSERT_MAIL[conn.dialect.name, probes] if upsert else _INSERT_MAIL[probes]
        row = conn.execute(statement, {**values, **params}).first()
        if row is None:
            return None
        info = replace(info, id=int(row[0]))
        made = runs.apply_reports(conn, info, result.reports, self.zone, self.jobs, new_mail=True)
        if made:
            # A job the probe did not ask about is new; unless another process made it
            # meanwhile (then it is not among ours), it cannot have missed runs.
            unasked = {r.job_id for r in made} - set(asked) - self.jobs.created
            pending = bool(unasked) or (bool(asked) and bool(row[2]))
            _after_runs(conn, made, pending=pending, active=bool(row[1]))
        return Ingested(info.id, new=True, outcome=result.outcome, runs=len(made))

    def _take_ready(self, raw: bytes) -> Prepared | None:
        """The worker's form of `raw` if it is the mail `ahead` just yielded."""
        ready, self._ready = self._ready, None
        if ready is not None and (ready[0] is raw or ready[0] == raw):
            return ready[1]
        return None

    def _begin(self) -> AbstractContextManager[Connection]:
        """A transaction: on the pass's connection inside `ahead`, else a pooled one."""
        conn = self._conn
        if conn is not None and self._thread == threading.get_ident():
            return _transaction(conn)
        return self.engine.begin()

    def _known(self, key: str) -> int | None:
        with read_connection(self.engine) as conn:
            value = conn.execute(_FIND_MAIL, {"b_key": key}).scalar()
        return int(value) if value is not None else None

    def reparse(self, mail_id: int) -> ParseResult:
        """Parse a stored mail again and update its runs in place (no new runs)."""
        mark = len(self.jobs.added)
        try:
            return self._reparse(mail_id)
        except BaseException:
            self.jobs.forget_since(mark)
            raise

    def _reparse(self, mail_id: int) -> ParseResult:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(MAIL.c.raw_gz, MAIL.c.from_addr, MAIL.c.sent_at, MAIL.c.received_at).where(
                    MAIL.c.id == mail_id
                )
            ).one()
            result = prepare.parse(prepare.view_of(zlib.decompress(row.raw_gz)), self.registry)
            state: dict[str, Any] = {}
            _set_parse_state(state, result)
            conn.execute(update(MAIL).where(MAIL.c.id == mail_id).values(state))
            info = runs.MailInfo(mail_id, row.from_addr, row.sent_at, row.received_at)
            made = runs.apply_reports(
                conn, info, result.reports, self.zone, self.jobs, new_mail=False
            )
            _after_runs(conn, made, pending=True, active=True)
        return result


def _after_runs(
    conn: Connection, made: list[runs.StoredRun], *, pending: bool, active: bool
) -> None:
    """The ingest hooks on the runs just written: overrides, then late-report resolution.

    Each is skipped when the probes of the mail insert tell it cannot change anything:
    only a run reported as a warning or failure can take an override, and only when
    one is `active`; a late report needs an unresolved missed run of its job nearby
    (`pending`). The runs' facts come from the inserts, not from a query.
    """
    problems = [r.id for r in made if r.status in overrides.PROBLEM_STATUSES] if active else []
    if problems:
        overrides.apply_to_runs(conn, problems, utcnow())
    if pending and made:
        missed.resolve_late_runs(conn, [(r.id, r.job_id, r.run_day, r.moment) for r in made])


@contextmanager
def _transaction(conn: Connection) -> Iterator[Connection]:
    with conn.begin():
        yield conn


def _mail_values(ready: Prepared, origin: Origin) -> dict[str, Any]:
    return {
        **ready.columns,
        "source": origin.source,
        "account": origin.account,
        "folder": origin.folder,
        "uidvalidity": origin.uidvalidity,
        "uid": origin.uid,
        "source_path": storable(origin.path[:2000]),
        "received_at": utcnow(),
    }


def _set_parse_state(values: dict[str, Any], result: ParseResult) -> None:
    values["parse_state"] = result.outcome.value
    values["parse_reason"] = storable(result.reason)
    values["parser_name"] = result.parser or ""
    values["parser_version"] = result.parser_version or ""
    values["parsed_at"] = utcnow()


_WHERE_STATE = (
    STATE.c.account == bindparam("b_account"),
    STATE.c.folder == bindparam("b_folder"),
)
# Built once (the fetch position is written with every IMAP mail); a lower UID never
# moves the position back within the same UIDVALIDITY.
_ADVANCE_POSITION = (
    update(STATE)
    .where(*_WHERE_STATE)
    .values(
        uidvalidity=bindparam("b_uidvalidity"),
        last_uid=case(
            (
                and_(
                    STATE.c.uidvalidity == bindparam("b_uidvalidity"),
                    STATE.c.last_uid > bindparam("b_uid"),
                ),
                STATE.c.last_uid,
            ),
            else_=bindparam("b_uid"),
        ),
        last_fetch_at=bindparam("b_at"),
    )
)
_INSERT_POSITION = insert(STATE)


def _remember_position(conn: Connection, origin: Origin) -> None:
    """Advance the folder's highest ingested UID in the same transaction as the mail."""
    if origin.source != "imap" or origin.uid is None or origin.uidvalidity is None:
        return
    now = utcnow()
    params = {
        "b_account": origin.account,
        "b_folder": origin.folder,
        "b_uidvalidity": origin.uidvalidity,
        "b_uid": origin.uid,
        "b_at": now,
    }
    if conn.execute(_ADVANCE_POSITION, params).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(
                _INSERT_POSITION,
                {
                    "account": origin.account,
                    "folder": origin.folder,
                    "uidvalidity": origin.uidvalidity,
                    "last_uid": origin.uid,
                    "last_fetch_at": now,
                },
            )
    except IntegrityError:  # created concurrently: update it instead
        conn.execute(_ADVANCE_POSITION, params)


def raw_message(mail: MailMessage) -> bytes:
    """The original message, byte for byte."""
    return zlib.decompress(mail.raw_gz)
