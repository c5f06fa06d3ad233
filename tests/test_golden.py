"""Golden tests: every report mail under tests/golden parses to its expected JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parsers import default_registry

GOLDEN = Path(__file__).parent / "golden"
PAIRS = sorted(p for p in GOLDEN.rglob("*.json") if p.with_suffix("").is_file())


def _id(path: Path) -> str:
    return str(path.with_suffix("").relative_to(GOLDEN))


@pytest.mark.parametrize("expected_path", PAIRS, ids=_id)
def test_golden_mail_parses_to_expected_json(expected_path: Path) -> None:
    """The parser registry makes exactly the expected reports of each golden mail."""
    mail = expected_path.with_suffix("")
    expected = json.loads(expected_path.read_text())
    assert default_registry().parse_bytes(mail.read_bytes()).to_json() == expected


def test_every_golden_mail_has_provenance() -> None:
    """Each golden mail is listed in PROVENANCE.tsv (real source, or named synthetic)."""
    rows = (GOLDEN / "PROVENANCE.tsv").read_text().splitlines()[1:]
    listed = {row.split("\t", 1)[0] for row in rows if row.strip()}
    mails = {str(p.with_suffix("").relative_to(GOLDEN)) for p in PAIRS}
    assert mails <= listed, f"missing provenance rows: {sorted(mails - listed)}"
    synthetic = {m for m in mails if "synthetic" in Path(m).name}
    for row in rows:
        name = row.split("\t", 1)[0]
        if name in synthetic:
            assert "synthetic" in row.lower()
