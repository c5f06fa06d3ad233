"""The ingest pipeline for one mail: dedupe, store (raw kept, zlib), parse, create runs.

Each mail is committed in its own transaction together with the fetch position that led
to it (and the server-side action it still needs), so a crash at any point loses nothing
and a re-run duplicates nothing: the unique `dedupe_key` (Message-ID plus a normalised
content hash) decides what is new. Every value is made storable before it is written,
and a mail whose processing still fails is stored raw with the reason (state `error`),
so one hostile mail never blocks the ones after it.
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
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    NoResultFound,
    OperationalError,
)

from backupchecks_tui.ingest import prepare
from backupchecks_tui.ingest.prepare import Prepared
from backupchecks_tui.safe_text import storable
from backupchecks_tui.services import missed, overrides, runs
from parsers import MailView, Outcome, ParseResult, Registry
from store.engine import read_connection
from store.fit import fit
from store.models import ImapPending, ImapState, MailMessage
from store.types import utcnow

MAIL = MailMessage.__table__  # type: ignore[attr-defined]
STATE = ImapState.__table__  # type: ignore[attr-defined]
PENDING = ImapPending.__table__  # type: ignore[attr-defined]
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
_SAME_ID = select(MAIL.c.id, MAIL.c.content_hash).where(MAIL.c.id_key == bindparam("b_id_key"))
_RAW_OF = select(MAIL.c.raw_gz).where(MAIL.c.id == bindparam("b_id"))
_INSERT_PENDING = {
    "sqlite": sqlite.insert(PENDING).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(PENDING).on_conflict_do_nothing(),
}
# Trouble with the database, the connection or the machine (a full disk, no memory) is no
# fault of the mail: the pass stops there and the next one retries the mail.
_NOT_THE_MAILS_FAULT = (OperationalError, InterfaceError, OSError, MemoryError)
_DECODED = ("message_id", "from_addr", "to_addr", "subject", "text_body", "html_body")
"""The mail_message columns decoded from the mail (its raw bytes are kept apart)."""


@dataclass(frozen=True)
class Origin:
    """Where a raw mail came from."""

    source: str = "file"
    account: str = ""
    folder: str = ""
    uidvalidity: int | None = None
    uid: int | None = None
    path: str = ""
    pending: bool = False
    """The server still has to flag or move this mail (`after_fetch`): kept with it."""


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
        """Store one raw mail (if new) and turn it into runs; one transaction.

        A mail that cannot be processed or stored is stored raw in state `error` with the
        reason instead; only when even that fails (the database is gone) does this raise.
        """
        ready = self._take_ready(raw)
        view: MailView | None = None
        key = ""
        mark = len(self.jobs.added)
        try:
            if ready is None:
                view = prepare.view_of(raw)
                key = prepare.key_of(raw, view)
            else:
                key = ready.key
            return self._ingest(raw, origin, ready, view, key)
        except _NOT_THE_MAILS_FAULT:
            self.jobs.forget_since(mark)
            raise
        except Exception as exc:  # noqa: BLE001 - kept as an error mail; the pass goes on
            self.jobs.forget_since(mark)
            if isinstance(exc, IntegrityError) and key:
                # Another process stored the same mail between our check and our insert.
                found = self._known(key)
                if found is not None:
                    return Ingested(found, new=False)
            return self._store_failed(raw, origin, key, exc)
        except BaseException:
            self.jobs.forget_since(mark)
            raise

    def _ingest(
        self, raw: bytes, origin: Origin, ready: Prepared | None, view: MailView | None, key: str
    ) -> Ingested:
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
                stored = self._store(conn, raw, ready, origin, upsert=upsert)
                if stored is not None:
                    _remember_position(conn, origin)
                    return stored
                found = conn.execute(_FIND_MAIL, {"b_key": key}).scalar_one()
            _remember_position(conn, origin)
            return Ingested(int(found), new=False)

    def _store_failed(self, raw: bytes, origin: Origin, key: str, exc: Exception) -> Ingested:
        """Store `raw` as it came, in state `error` with why it could not be processed."""
        reason = (
            f"this mail could not be stored as parsed ({_describe(exc)}); it is kept as "
            "it came, re-parse it once the parser or the data is fixed"
        )
        try:
            view = prepare.view_of(raw)
            key = key or prepare.key_of(raw, view)
            values = prepare.mail_columns(raw, view, key)
        except Exception:  # noqa: BLE001 - the bytes alone still make a storable mail
            key = key or prepare.legacy_key(raw)
            values = {"dedupe_key": key, "raw_size": len(raw), "raw_gz": zlib.compress(raw, 6)}
        values.update(
            _mail_values_of(origin),
            parse_state=Outcome.ERROR.value,
            parse_reason=reason,
            parser_name="",
            parser_version="",
            parsed_at=utcnow(),
        )
        fit(MAIL, values)
        # Should a decoded field still be refused, the bytes and where they came from are
        # stored without it: the mail is kept, whatever it holds.
        bare = {**values, **dict.fromkeys(_DECODED, ""), "sent_at": None}
        for attempt, row in enumerate((values, bare)):
            try:
                with self._begin() as conn:
                    mail_id = conn.execute(insert(MAIL).returning(MAIL.c.id), row).scalar_one()
                    _remember_position(conn, origin)
                return Ingested(int(mail_id), new=True, outcome=Outcome.ERROR)
            except IntegrityError:
                found = self._known(key)
                if found is None:
                    raise
                return Ingested(found, new=False)
            except _NOT_THE_MAILS_FAULT:
                raise
            except Exception:
                if attempt:
                    raise
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _duplicate_or_reused(
        self, conn: Connection, raw: bytes, ready: Prepared
    ) -> tuple[int | None, bool]:
        """(the id of the mail `ready` repeats under an older key, or None; whether its
        Message-ID is reused: another mail, other content, the same Message-ID).

        Mails stored before revision 0003 carry no content hash: theirs is worked out
        here, only for the few mails sharing this Message-ID.
        """
        columns = ready.columns
        if not columns.get("id_key"):
            found = conn.execute(_FIND_MAIL, {"b_key": prepare.legacy_key(raw)}).scalar()
            return (int(found) if found is not None else None), False
        same = conn.execute(_SAME_ID, {"b_id_key": columns["id_key"]}).all()
        for mail_id, stored_hash in same:
            digest = stored_hash or _legacy_hash(conn, int(mail_id))
            if digest == columns["content_hash"]:
                return int(mail_id), False
        return None, bool(same)

    def _store(
        self, conn: Connection, raw: bytes, ready: Prepared, origin: Origin, *, upsert: bool
    ) -> Ingested | None:
        """Insert the mail and its runs; None when ON CONFLICT found it stored already."""
        known, reused = self._duplicate_or_reused(conn, raw, ready)
        if known is not None:
            return Ingested(known, new=False)
        result = ready.result
        values = _mail_values(ready, origin)
        values["reused_id"] = reused
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
        """Parse a stored mail again and update its runs in place (no new runs).

        A mail whose new parse cannot be stored keeps its runs as they were and goes to
        state `error` with the reason (the next mails of a re-parse go on).
        """
        mark = len(self.jobs.added)
        try:
            return self._reparse(mail_id)
        except (*_NOT_THE_MAILS_FAULT, NoResultFound):
            self.jobs.forget_since(mark)
            raise
        except Exception as exc:  # noqa: BLE001 - the mail is marked; re-parse goes on
            self.jobs.forget_since(mark)
            reason = f"re-parse could not be stored ({_describe(exc)}); its runs are unchanged"
            with self.engine.begin() as conn:
                conn.execute(
                    update(MAIL)
                    .where(MAIL.c.id == mail_id)
                    .values(parse_state=Outcome.ERROR.value, parse_reason=reason)
                )
            return ParseResult(Outcome.ERROR, reason=reason)
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
    values = {**ready.columns, **_mail_values_of(origin)}
    fit(MAIL, values)
    return values


def _mail_values_of(origin: Origin) -> dict[str, Any]:
    """The mail_message columns that say where a mail was found."""
    return {
        "source": origin.source,
        "account": origin.account,
        "folder": origin.folder,
        "uidvalidity": origin.uidvalidity,
        "uid": origin.uid,
        "source_path": storable(origin.path[:2000]),
        "received_at": utcnow(),
        "reused_id": False,
    }


def _legacy_hash(conn: Connection, mail_id: int) -> str:
    """The content hash of a mail stored before revision 0003 (which kept none)."""
    old = conn.execute(_RAW_OF, {"b_id": mail_id}).scalar_one()
    return prepare.content_hash(zlib.decompress(old))


def _describe(exc: BaseException) -> str:
    """One line about `exc`: a database error without the SQL and its parameters."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {text}"[:500]


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
    """Advance the folder's highest ingested UID in the same transaction as the mail,
    and keep the server-side action it still needs (see `Origin.pending`)."""
    if origin.source != "imap" or origin.uid is None or origin.uidvalidity is None:
        return
    now = utcnow()
    if origin.pending:
        pending = {
            "account": origin.account,
            "folder": origin.folder,
            "uidvalidity": origin.uidvalidity,
            "uid": origin.uid,
            "created_at": now,
        }
        conn.execute(_INSERT_PENDING.get(conn.dialect.name, insert(PENDING)), pending)
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
