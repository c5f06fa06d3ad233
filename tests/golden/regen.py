"""Write (or rewrite) the expected JSON beside golden mails: `python tests/golden/regen.py FILE…`.

Review every written JSON by hand against the mail before committing it: a golden file
records what the parser *should* make of the mail, not merely what it does today.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from parsers import default_registry


def expected_for(path: Path) -> dict[str, object]:
    """The parse result of `path` in golden-file form."""
    return default_registry().parse_bytes(path.read_bytes()).to_json()


def main(argv: list[str]) -> int:
    """Regenerate the JSON of each file named in `argv`."""
    for name in argv:
        path = Path(name)
        target = path.with_name(path.name + ".json")
        target.write_text(json.dumps(expected_for(path), indent=2, ensure_ascii=False) + "\n")
        sys.stdout.write(f"wrote {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
