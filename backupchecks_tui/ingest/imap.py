"""One IMAP pass: incremental per folder (UIDVALIDITY + highest UID), batched BODY.PEEK[].

The server is never changed before a mail is committed locally: flags and moves are
applied per batch, only to the UIDs whose mails are safely stored. Each stored mail keeps
its pending action (`imap_pending`, same transaction) until the server has done it, so
work a crash cut off is finished on the next pass. A `move_to` folder that does not
exist fails every pass with one plain line (the mail is still stored, and moved on the
first pass after the folder exists).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy import delete
from sqlalchemy import select as select_rows
from sqlmodel import select

from backupchecks_tui.config import ImapConfig
from backupchecks_tui.errors import (
    MailboxConnectionError,
    MailboxError,
    MailboxLoginError,
    MailboxTLSError,
)
from backupchecks_tui.ingest.pipeline import PENDING, IngestStats, Origin, Pipeline
from backupchecks_tui.secrets import Secret
from store.engine import read_connection, read_scope
from store.models import ImapState

Progress = Callable[[str, int, int], None]
"""Called as (folder, done, total) while a folder is fetched."""


class MoveFolderMissing(MailboxError):
    """`after_fetch = "move"` names a folder the server does not have.

    Raised at the end of a pass that stored its mail (kept pending, not moved); the
    pass's `results` come with it.
    """

    title = "Folder missing"

    def __init__(self, message: str, *, fix: str, results: list[FolderResult]) -> None:
        super().__init__(message, fix=fix)
        self.results = results


@dataclass
class FolderResult:
    """What one folder pass did."""

    folder: str
    uidvalidity: int = 0
    new_uids: int = 0
    stats: IngestStats = field(default_factory=IngestStats)


def tls_context(cfg: ImapConfig) -> ssl.SSLContext:
    """A verifying TLS context (custom CA with ca_file); unverified only when asked."""
    try:
        ctx = ssl.create_default_context(cafile=cfg.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise MailboxTLSError(
            f"Cannot load the CA file {cfg.ca_file!r} ({exc}).",
            fix="Fix: point [imap] ca_file at a PEM file with your CA certificate.",
        ) from None
    if not cfg.verify_tls:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _where(cfg: ImapConfig) -> str:
    return f"{cfg.host}:{cfg.effective_port}"


@contextmanager
def translate_errors(cfg: ImapConfig) -> Iterator[None]:
    """Turn socket, TLS and IMAP exceptions into one plain MailboxError."""
    try:
        yield
    except MailboxError:
        raise
    except LoginError:
        raise MailboxLoginError(
            f"{_where(cfg)} refused the login for {cfg.username!r}.",
            fix="Fix: check [imap] username and the password (backupchecks-tui set-password).",
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise MailboxTLSError(
            f"The TLS certificate of {_where(cfg)} could not be verified ({exc.verify_message}).",
            fix="Fix: set [imap] ca_file to the CA that signed it (verify_tls = false only "
            "if you accept the risk).",
        ) from None
    except ssl.SSLError as exc:
        raise MailboxTLSError(
            f"TLS with {_where(cfg)} failed ({exc.reason or exc}).",
            fix="Fix: check [imap] security (ssl for port 993, starttls for 143) and port.",
        ) from None
    except socket.gaierror:
        raise MailboxConnectionError(
            f"Cannot resolve the mail server name {cfg.host!r}.",
            fix="Fix: check [imap] host and your DNS.",
        ) from None
    except ConnectionRefusedError:
        raise MailboxConnectionError(
            f"{_where(cfg)} refused the connection.",
            fix="Fix: check [imap] host, port and security, and that the server runs.",
        ) from None
    except TimeoutError:
        raise MailboxConnectionError(
            f"{_where(cfg)} did not answer in time.",
            fix="Fix: check the network, or raise [imap] timeout.",
        ) from None
    except (OSError, IMAPClientError) as exc:
        raise MailboxConnectionError(
            f"The connection to {_where(cfg)} failed ({type(exc).__name__}: {exc}).",
            fix="Fix: run the fetch again; the next pass resumes where this one stopped.",
        ) from None


def connect(cfg: ImapConfig, password: Secret) -> IMAPClient:
    """A logged-in client, with TLS verified unless verify_tls is false."""
    ctx = tls_context(cfg)
    with translate_errors(cfg):
        client = IMAPClient(
            cfg.host,
            port=cfg.effective_port,
            ssl=cfg.security == "ssl",
            ssl_context=ctx,
            timeout=cfg.timeout,
        )
        try:
            if cfg.security == "starttls":
                client.starttls(ctx)
            _login(client, cfg, password)
        except BaseException:
            _close_quietly(client)
            raise
    return client


def _login(client: IMAPClient, cfg: ImapConfig, password: Secret) -> None:
    """LOGIN for ASCII credentials; UTF-8 AUTHENTICATE PLAIN (RFC 4616) for the others.

    imaplib sends LOGIN arguments as ASCII and raises UnicodeEncodeError on anything else,
    with the password in the traceback's locals; PLAIN carries UTF-8. A server that
    offers no PLAIN gets a plain refusal instead of a doomed attempt.
    """
    if cfg.username.isascii() and password.reveal().isascii():
        client.login(cfg.username, password.reveal())
        return
    if not client.has_capability("AUTH=PLAIN"):
        raise MailboxLoginError(
            f"{_where(cfg)} offers no AUTHENTICATE PLAIN, the only way to send a username or "
            "password with non-ASCII characters.",
            fix="Fix: use an ASCII-only password (and username) for this mailbox, or enable "
            "the PLAIN mechanism on the server.",
        )
    client.plain_login(cfg.username, password.reveal())


def _close_quietly(client: IMAPClient) -> None:
    with suppress(OSError, IMAPClientError):
        client.shutdown()


class Fetcher:
    """Fetches new mail from the configured folders into the pipeline."""

    def __init__(
        self,
        cfg: ImapConfig,
        password: Secret,
        pipeline: Pipeline,
        progress: Progress | None = None,
    ) -> None:
        self.cfg = cfg
        self.password = password
        self.pipeline = pipeline
        self.progress = progress

    def run(self) -> list[FolderResult]:
        """One pass over every configured folder.

        Raises MoveFolderMissing after the pass when `move_to` names no folder on the
        server (the mail is stored all the same).
        """
        client = connect(self.cfg, self.password)
        try:
            with translate_errors(self.cfg):
                missing = self._move_to_missing(client)
                results = [
                    self._folder(client, folder, act=not missing) for folder in self.cfg.folders
                ]
            if missing:
                raise MoveFolderMissing(
                    f"The move_to folder {self.cfg.move_to!r} does not exist on "
                    f"{_where(self.cfg)}: fetched mail is stored but stays where it is.",
                    fix="Fix: create that folder on the server or correct [imap] move_to; "
                    "the next pass moves the waiting mail.",
                    results=results,
                )
            return results
        finally:
            self.pipeline.close()
            with translate_errors(self.cfg):
                try:
                    client.logout()
                except (OSError, IMAPClientError):
                    _close_quietly(client)

    def _last_uid(self, folder: str, uidvalidity: int) -> int:
        with read_scope(self.pipeline.engine) as session:
            state = session.exec(
                select(ImapState).where(
                    ImapState.account == self.cfg.account, ImapState.folder == folder
                )
            ).first()
        if state is None or state.uidvalidity != uidvalidity:
            return 0
        return state.last_uid

    def _move_to_missing(self, client: IMAPClient) -> bool:
        """Whether mail is to be moved to a folder the server does not have."""
        return self.cfg.after_fetch == "move" and not client.folder_exists(self.cfg.move_to)

    def _folder(self, client: IMAPClient, folder: str, *, act: bool) -> FolderResult:
        readonly = self.cfg.after_fetch == "keep"
        info = client.select_folder(folder, readonly=readonly)
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        if not readonly and act:
            self._finish_pending(client, folder, uidvalidity)
        last = self._last_uid(folder, uidvalidity)
        # `UID n:*` always returns the newest message, even when it is not newer than n.
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        result = FolderResult(folder, uidvalidity, len(uids))
        self._report(folder, 0, len(uids))
        done = 0
        size = self.cfg.batch_size
        for start in range(0, len(uids), size):
            batch = uids[start : start + size]
            committed, failed = self._batch(
                client, folder, uidvalidity, batch, result.stats, remaining=len(uids) - start
            )
            if act:
                self._after_fetch(client, committed)
                self._forget_pending(folder, uidvalidity, committed)
            done += len(batch)
            self._report(folder, done, len(uids))
            if failed:
                break  # a mail could not be stored at all: the next pass retries it
        return result

    def _finish_pending(self, client: IMAPClient, folder: str, uidvalidity: int) -> None:
        """Do the `after_fetch` work an earlier pass committed but did not get done."""
        where = (PENDING.c.account == self.cfg.account, PENDING.c.folder == folder)
        with read_connection(self.pipeline.engine) as conn:
            rows = conn.execute(select_rows(PENDING.c.uidvalidity, PENDING.c.uid).where(*where))
            found = [(int(v), int(u)) for v, u in rows]
        stale = sorted({v for v, _ in found if v != uidvalidity})
        if stale:
            # The folder was recreated: those UIDs name nothing now (its mails are fetched
            # again, found stored, and get their action then).
            with self.pipeline.engine.begin() as conn:
                conn.execute(delete(PENDING).where(*where, PENDING.c.uidvalidity.in_(stale)))
        uids = sorted(u for v, u in found if v == uidvalidity)
        size = self.cfg.batch_size
        for start in range(0, len(uids), size):
            batch = uids[start : start + size]
            self._after_fetch(client, batch)
            self._forget_pending(folder, uidvalidity, batch)

    def _forget_pending(self, folder: str, uidvalidity: int, uids: list[int]) -> None:
        """The server has done the `after_fetch` action on `uids`: no longer pending."""
        if not uids or self.cfg.after_fetch == "keep":
            return
        with self.pipeline.engine.begin() as conn:
            conn.execute(
                delete(PENDING).where(
                    PENDING.c.account == self.cfg.account,
                    PENDING.c.folder == folder,
                    PENDING.c.uidvalidity == uidvalidity,
                    PENDING.c.uid.in_(uids),
                )
            )

    def _batch(
        self,
        client: IMAPClient,
        folder: str,
        uidvalidity: int,
        batch: list[int],
        stats: IngestStats,
        *,
        remaining: int,
    ) -> tuple[list[int], bool]:
        """The UIDs of `batch` stored (or found stored), and whether one could not be."""
        data = client.fetch(batch, ["BODY.PEEK[]"])
        pending = self.cfg.after_fetch != "keep"
        mails: list[tuple[bytes, Origin]] = []
        for uid in batch:
            raw = data.get(uid, {}).get(b"BODY[]")
            if raw is None:
                continue  # expunged between SEARCH and FETCH
            origin = Origin("imap", self.cfg.account, folder, uidvalidity, uid, pending=pending)
            mails.append((bytes(raw), origin))
        committed: list[int] = []
        failed = False
        with closing(self.pipeline.ahead(mails, expected=remaining)) as stream:
            for raw, origin in stream:
                try:
                    stats.add(self.pipeline.ingest(raw, origin))
                except Exception as exc:  # noqa: BLE001 - counted; this folder stops here
                    stats.fail(f"{folder} UID {origin.uid}", exc)
                    failed = True
                    break
                assert origin.uid is not None
                committed.append(origin.uid)
        return committed, failed

    def _after_fetch(self, client: IMAPClient, committed: list[int]) -> None:
        if not committed or self.cfg.after_fetch == "keep":
            return
        if self.cfg.after_fetch == "seen":
            client.add_flags(committed, [b"\\Seen"])
            return
        if client.has_capability("MOVE"):
            client.move(committed, self.cfg.move_to)
        else:
            client.copy(committed, self.cfg.move_to)
            client.delete_messages(committed)
            client.uid_expunge(committed) if client.has_capability("UIDPLUS") else client.expunge()

    def _report(self, folder: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(folder, done, total)
