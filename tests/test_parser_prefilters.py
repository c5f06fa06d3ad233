"""Fast paths in parser matching give exactly the answers of the patterns they stand for."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.mailview import MailView
from parsers.products.synology import _HB_BODY, _hb_body

GOLDEN = Path(__file__).parent / "golden"

TRICKY = [
    "",
    "Task: nightly",
    "TASK :x",
    "task\t\n :",
    "Backup Task  : NAS",
    "backup task",
    "Hyper Backup",
    "HYPER BACKUP done",
    "hyper  backup",
    "file.HBK end",
    "file.hbkx",
    "file.hbk_",
    "file.hbk-",
    "Backupopgave:",
    "DATENSICHERUNGSAUFGABE",
    "Datensicherungsaufgabe wurde abgeschlossen",
    "Tas k:",
    "Ta\u017fk: long s",  # 'ſ' folds to 's' under IGNORECASE
    "\u212aelvin task:",  # Kelvin sign, non-ASCII: the regex decides
    "Ta\u0301sk: combining",
    "Größe Task: ö",
    "no wording here at all",
]


@pytest.mark.parametrize("text", TRICKY)
def test_hyper_backup_body_wording_tricky(text: str) -> None:
    """Case, whitespace, word boundaries and non-ASCII folding: as the regex says."""
    assert _hb_body(text) == bool(_HB_BODY.search(text))


def test_hyper_backup_body_wording_on_every_golden_mail() -> None:
    """Every golden mail's text and HTML body (and their first 5000 characters)."""
    for path in sorted(p for p in GOLDEN.rglob("*") if p.is_file()):
        if path.suffix in {".json", ".py", ".tsv"}:
            continue
        view = MailView.from_bytes(path.read_bytes())
        for text in (view.text, view.html, (view.text or view.html)[:5000]):
            assert _hb_body(text) == bool(_HB_BODY.search(text)), path
