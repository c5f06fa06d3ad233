"""The ingest pipeline for one mail: dedupe, store (raw kept, zlib), parse, create runs.

Each mail is committed in its own transaction together with the fetch position that led
to it, so a crash at any point loses nothing and a re-run duplicates nothing: the unique
`dedupe_key` (Message-ID, or a content hash when there is none) decides what is new.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backupchecks_tui.safe_text import storable
from backupchecks_tui.services import runs
from parsers import MailView, Outcome, ParseResult, Registry
from store.engine import session_scope
from store.models import ImapState, MailMessage
from store.types import utcnow

MAX_KEY = 900


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
    """Stores and parses mails into the database given."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        zone: tzinfo,
        after_store: Callable[[Session, list[int]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.zone = zone
        self.after_store = after_store

    def ingest(self, raw: bytes, origin: Origin) -> Ingested:
        """Store one raw mail (if new) and turn it into runs; one transaction."""
        view = _view(raw)
        key = dedupe_key(view.message_id if view else "", raw)
        with session_scope(self.engine) as session:
            existing = session.exec(select(MailMessage.id).where(MailMessage.dedupe_key == key))
            found = existing.first()
            if found is not None:
                _remember_position(session, origin)
                return Ingested(found, new=False)
        result = self.registry.parse(view) if view is not None else _unreadable()
        try:
            return self._store(raw, view, key, origin, result)
        except IntegrityError:
            # Another process stored the same mail between our check and our insert.
            with session_scope(self.engine) as session:
                found = session.exec(
                    select(MailMessage.id).where(MailMessage.dedupe_key == key)
                ).first()
                _remember_position(session, origin)
            if found is None:
                raise
            return Ingested(found, new=False)

    def _store(
        self, raw: bytes, view: MailView | None, key: str, origin: Origin, result: ParseResult
    ) -> Ingested:
        with session_scope(self.engine) as session:
            mail = _new_mail(raw, view, key, origin)
            _set_parse_state(mail, result)
            session.add(mail)
            session.flush()
            made = runs.apply_reports(session, mail, result.reports, self.zone)
            run_ids = [r.id for r in made if r.id is not None]
            if self.after_store is not None and run_ids:
                self.after_store(session, run_ids)
            _remember_position(session, origin)
            assert mail.id is not None
            return Ingested(mail.id, new=True, outcome=result.outcome, runs=len(made))

    def reparse(self, session: Session, mail: MailMessage) -> ParseResult:
        """Parse a stored mail again and update its runs in place (no new runs)."""
        raw = zlib.decompress(mail.raw_gz)
        view = _view(raw)
        result = self.registry.parse(view) if view is not None else _unreadable()
        _set_parse_state(mail, result)
        session.add(mail)
        made = runs.apply_reports(session, mail, result.reports, self.zone)
        run_ids = [r.id for r in made if r.id is not None]
        if self.after_store is not None and run_ids:
            self.after_store(session, run_ids)
        return result


def _view(raw: bytes) -> MailView | None:
    try:
        return MailView.from_bytes(raw)
    except Exception:  # noqa: BLE001 - stored as an error with the reason
        return None


def _unreadable() -> ParseResult:
    return ParseResult(Outcome.ERROR, reason="the mail could not be decoded at all")


def _new_mail(raw: bytes, view: MailView | None, key: str, origin: Origin) -> MailMessage:
    v = view or MailView()
    return MailMessage(
        dedupe_key=key,
        message_id=storable(v.message_id[:MAX_KEY]),
        source=origin.source,
        account=origin.account,
        folder=origin.folder,
        uidvalidity=origin.uidvalidity,
        uid=origin.uid,
        source_path=storable(origin.path[:2000]),
        from_addr=storable(v.from_addr[:320]),
        to_addr=storable(v.to),
        subject=storable(v.subject),
        sent_at=v.date,
        raw_size=len(raw),
        raw_gz=zlib.compress(raw, 6),
        text_body=storable(v.text),
        html_body=storable(v.html),
    )


def _set_parse_state(mail: MailMessage, result: ParseResult) -> None:
    mail.parse_state = result.outcome.value
    mail.parse_reason = storable(result.reason)
    mail.parser_name = result.parser or ""
    mail.parser_version = result.parser_version or ""
    mail.parsed_at = utcnow()


def _remember_position(session: Session, origin: Origin) -> None:
    """Advance the folder's highest ingested UID in the same transaction as the mail."""
    if origin.source != "imap" or origin.uid is None or origin.uidvalidity is None:
        return
    state = session.exec(
        select(ImapState).where(
            ImapState.account == origin.account, ImapState.folder == origin.folder
        )
    ).first()
    if state is None:
        state = ImapState(account=origin.account, folder=origin.folder)
    if state.uidvalidity != origin.uidvalidity:
        state.uidvalidity = origin.uidvalidity
        state.last_uid = 0
    state.last_uid = max(state.last_uid, origin.uid)
    state.last_fetch_at = utcnow()
    session.add(state)


def raw_message(mail: MailMessage) -> bytes:
    """The original message, byte for byte."""
    return zlib.decompress(mail.raw_gz)
