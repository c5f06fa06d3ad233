"""Mail from files: single .eml files, folders (recursively) and mbox files."""

from __future__ import annotations

import mailbox
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


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() in MBOX_SUFFIXES:
        return True
    with path.open("rb") as handle:
        head = handle.read(5)
    # An mbox starts with a "From " envelope line; a single saved mail may too, but
    # then the mbox reader simply yields that one mail.
    return head == b"From "


def collect(paths: Sequence[str]) -> list[Source]:
    """The sources named by `paths` (files, folders searched recursively)."""
    sources: list[Source] = []
    for name in paths:
        path = Path(name).expanduser()
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                suffix = child.suffix.lower()
                if suffix in MBOX_SUFFIXES:
                    sources.append(Source(child, is_mbox=True))
                elif suffix in MAIL_SUFFIXES:
                    sources.append(Source(child, is_mbox=_is_mbox(child)))
        elif path.is_file():
            sources.append(Source(path, is_mbox=_is_mbox(path)))
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
