"""The ingest pipeline for one mail: dedupe, store (raw kept, zlib), parse, create runs.

Each mail is committed in its own transaction together with the fetch position that led
to it, so a crash at any point loses nothing and a re-run duplicates nothing: the unique
`dedupe_key` (Message-ID, or a content hash when there is none) decides what is new.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from backupchecks_tui.safe_text import storable
from backupchecks_tui.services import missed, overrides, runs
from parsers import MailView, Outcome, ParseResult, Registry
from store.engine import read_connection
from store.models import ImapState, MailMessage
from store.types import utcnow

MAX_KEY = 900
MAIL = MailMessage.__table__  # type: ignore[attr-defined]
STATE = ImapState.__table__  # type: ignore[attr-defined]
# Built once; values go in as parameters so the compiled SQL is reused for every mail.
_INSERT_MAIL = insert(MAIL).returning(MAIL.c.id)
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


def dedupe_key(message_id: str, raw: bytes) -> str:
    """`mid:<Message-ID>`, or `sha256:<digest>` for mails without one."""
    mid = " ".join(message_id.split())
    if mid:
        key = f"mid:{mid}"
        if len(key) > MAX_KEY:
            key = "mid-sha256:" + hashlib.sha256(mid.encode()).hexdigest()
        return key
    return "sha256:" + hashlib.sha256(raw).hexdigest()


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

    def ingest(self, raw: bytes, origin: Origin) -> Ingested:
        """Store one raw mail (if new) and turn it into runs; one transaction."""
        view = _view(raw)
        key = dedupe_key(view.message_id if view else "", raw)
        try:
            with self.engine.begin() as conn:
                # On SQLite the transaction holds the write lock (BEGIN IMMEDIATE), so the
                # check and the insert cannot race; elsewhere the unique key decides.
                found = conn.execute(_FIND_MAIL, {"b_key": key}).scalar()
                if found is not None:
                    _remember_position(conn, origin)
                    return Ingested(int(found), new=False)
                result = self.registry.parse(view) if view is not None else _unreadable()
                values = _mail_values(raw, view, key, origin)
                _set_parse_state(values, result)
                mail_id = int(conn.execute(_INSERT_MAIL, values).scalar_one())
                info = runs.MailInfo(
                    mail_id, values["from_addr"], values["sent_at"], values["received_at"]
                )
                made = runs.apply_reports(
                    conn, info, result.reports, self.zone, self.jobs, new_mail=True
                )
                if made:
                    overrides.apply_to_runs(conn, made, utcnow())
                    missed.resolve_late(conn, made)
                _remember_position(conn, origin)
        except IntegrityError:
            # Another process stored the same mail between our check and our insert.
            found = self._known(key)
            if found is None:
                raise
            return Ingested(found, new=False)
        return Ingested(mail_id, new=True, outcome=result.outcome, runs=len(made))

    def _known(self, key: str) -> int | None:
        with read_connection(self.engine) as conn:
            value = conn.execute(_FIND_MAIL, {"b_key": key}).scalar()
        return int(value) if value is not None else None

    def reparse(self, mail_id: int) -> ParseResult:
        """Parse a stored mail again and update its runs in place (no new runs)."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(MAIL.c.raw_gz, MAIL.c.from_addr, MAIL.c.sent_at, MAIL.c.received_at).where(
                    MAIL.c.id == mail_id
                )
            ).one()
            view = _view(zlib.decompress(row.raw_gz))
            result = self.registry.parse(view) if view is not None else _unreadable()
            state: dict[str, Any] = {}
            _set_parse_state(state, result)
            conn.execute(update(MAIL).where(MAIL.c.id == mail_id).values(state))
            info = runs.MailInfo(mail_id, row.from_addr, row.sent_at, row.received_at)
            made = runs.apply_reports(
                conn, info, result.reports, self.zone, self.jobs, new_mail=False
            )
            if made:
                overrides.apply_to_runs(conn, made, utcnow())
                missed.resolve_late(conn, made)
        return result


def _view(raw: bytes) -> MailView | None:
    try:
        return MailView.from_bytes(raw)
    except Exception:  # noqa: BLE001 - stored as an error with the reason
        return None


def _unreadable() -> ParseResult:
    return ParseResult(Outcome.ERROR, reason="the mail could not be decoded at all")


def _mail_values(raw: bytes, view: MailView | None, key: str, origin: Origin) -> dict[str, Any]:
    v = view or MailView()
    return {
        "dedupe_key": key,
        "message_id": storable(v.message_id[:MAX_KEY]),
        "source": origin.source,
        "account": origin.account,
        "folder": origin.folder,
        "uidvalidity": origin.uidvalidity,
        "uid": origin.uid,
        "source_path": storable(origin.path[:2000]),
        "from_addr": storable(v.from_addr[:320]),
        "to_addr": storable(v.to),
        "subject": storable(v.subject),
        "sent_at": v.date,
        "received_at": utcnow(),
        "raw_size": len(raw),
        "raw_gz": zlib.compress(raw, 6),
        "text_body": storable(v.text),
        "html_body": storable(v.html),
    }


def _set_parse_state(values: dict[str, Any], result: ParseResult) -> None:
    values["parse_state"] = result.outcome.value
    values["parse_reason"] = storable(result.reason)
    values["parser_name"] = result.parser or ""
    values["parser_version"] = result.parser_version or ""
    values["parsed_at"] = utcnow()


def _remember_position(conn: Connection, origin: Origin) -> None:
    """Advance the folder's highest ingested UID in the same transaction as the mail."""
    if origin.source != "imap" or origin.uid is None or origin.uidvalidity is None:
        return
    where = (STATE.c.account == origin.account, STATE.c.folder == origin.folder)
    same = STATE.c.uidvalidity == origin.uidvalidity
    values = {
        "uidvalidity": origin.uidvalidity,
        "last_uid": case(
            (and_(same, STATE.c.last_uid > origin.uid), STATE.c.last_uid), else_=origin.uid
        ),
        "last_fetch_at": utcnow(),
    }
    if conn.execute(update(STATE).where(*where).values(values)).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(
                insert(STATE).values(
                    account=origin.account,
                    folder=origin.folder,
                    uidvalidity=origin.uidvalidity,
                    last_uid=origin.uid,
                    last_fetch_at=utcnow(),
                )
            )
    except IntegrityError:  # created concurrently: update it instead
        conn.execute(update(STATE).where(*where).values(values))


def raw_message(mail: MailMessage) -> bytes:
    """The original message, byte for byte."""
    return zlib.decompress(mail.raw_gz)
