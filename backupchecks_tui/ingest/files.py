"""Mail from files: single .eml files, folders (recursively) and mbox files."""

from __future__ import annotations

import mailbox
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from backupchecks_tui.errors import ParseFailure
from backupchecks_tui.ingest.pipeline import IngestStats, Origin, Pipeline

MAIL_SUFFIXES = frozenset({".eml", ".msg", ".txt"})
MBOX_SUFFIXES = frozenset({".mbox", ".mbx"})


@dataclass(frozen=True)
class Source:
    """One file to read: a single mail, or an mbox of many."""

    path: Path
    is_mbox: bool

    def count(self) -> int:
        """How many mails this source holds (for progress bars)."""
        if not self.is_mbox:
            return 1
        box = mailbox.mbox(self.path, create=False)
        try:
            return len(box)
        finally:
            box.close()

    def mails(self) -> Iterator[tuple[bytes, Origin]]:
        """The raw mails of this source with their origin."""
        if not self.is_mbox:
            yield self.path.read_bytes(), Origin(source="file", path=str(self.path))
            return
        box = mailbox.mbox(self.path, create=False)
        try:
            for index, key in enumerate(box.iterkeys()):
                origin = Origin(source="file", path=f"{self.path}#{index + 1}")
                yield box.get_bytes(key, from_=False), origin
        finally:
            box.close()


_FIX_PATHS = "Fix: name .eml files, folders of them or mbox files."


def _head(path: Path) -> bytes:
    """The first bytes of `path` after any blank lines; ParseFailure if it cannot be read."""
    try:
        with path.open("rb") as handle:
            return handle.read(4096).lstrip(b"\r\n")
    except OSError as exc:
        raise ParseFailure(
            f"{path}: cannot be read ({exc.strerror or type(exc).__name__}).",
            fix="Fix: check that the file exists and that you may read it.",
        ) from None


def _is_mbox(path: Path) -> bool:
    """Whether `path` is an mbox: named so, or starting with a "From " envelope line.

    A file named .mbox that does not start so (random bytes, a program) is refused:
    the mbox reader would find no mail in it and the import would claim success.
    """
    head = _head(path)
    # An mbox starts with a "From " envelope line; a single saved mail may too, but
    # then the mbox reader simply yields that one mail.
    if head.startswith(b"From "):
        return True
    if path.suffix.lower() not in MBOX_SUFFIXES:
        return False
    if head:
        raise ParseFailure(
            f"{path} is named {path.suffix} but is not an mbox file (it does not start with "
            'a "From " line).',
            fix="Fix: import the right file, or give single mails as .eml files.",
        )
    return True  # an empty mbox: no mail in it, which is true


def _kind(path: Path) -> str:
    """What a path that is neither a file nor a folder is, in words."""
    mode = path.stat().st_mode
    for test, name in (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a pipe"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def collect(paths: Sequence[str]) -> list[Source]:
    """The sources named by `paths` (files, folders searched recursively)."""
    sources: list[Source] = []
    for name in paths:
        path = Path(name).expanduser()
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() in MBOX_SUFFIXES | MAIL_SUFFIXES:
                    sources.append(Source(child, is_mbox=_is_mbox(child)))
        elif path.is_file():
            sources.append(Source(path, is_mbox=_is_mbox(path)))
        elif path.exists():
            raise ParseFailure(
                f"{path} is {_kind(path)}, not a mail file or folder.", fix=_FIX_PATHS
            )
        else:
            raise ParseFailure(
                f"{path}: no such file or folder.", fix="Fix: check the path and try again."
            )
    return sources


def ingest_sources(
    pipeline: Pipeline,
    sources: Sequence[Source],
    stats: IngestStats,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Ingest every mail of `sources` in order (one commit each), parsed ahead.

    A mail that cannot be stored is counted as failed and the import goes on;
    `progress` is called with (done, total) after each mail.
    """
    total = sum(s.count() for s in sources)
    mails = chain.from_iterable(source.mails() for source in sources)
    done = 0
    try:
        with closing(pipeline.ahead(mails, expected=total)) as stream:
            for raw, origin in stream:
                try:
                    stats.add(pipeline.ingest(raw, origin))
                except Exception as exc:  # noqa: BLE001 - counted; the import goes on
                    stats.fail(origin.path, exc)
                done += 1
                if progress is not None:
                    progress(done, total)
    finally:
        pipeline.close()
