"""Time the parser pipeline on a synthetic ~50 KiB Veeam report: `uv run python bench/parsers.py`.

Prints milliseconds per mail and mails per second for MailView.from_bytes alone, the
full registry parse, and mail-parser's `parse_from_bytes` for comparison. It only
prints figures; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import email.policy
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import mailparser

# Run as a script, this file's folder comes first on sys.path and its name would shadow
# the `parsers` package: drop that folder before importing the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from parsers import MailView, default_registry  # noqa: E402 - after the sys.path fix above

_TD = (
    'nowrap="" style="padding: 2px 3px 2px 3px;vertical-align: top;'
    'border: 1px solid #a7a9ac;font-family: Tahoma;font-size: 12px;"'
)
_GRID = (
    ("Success", "{ok}", "Start time", "22:00:05", "Total size", "4.1 TB", "Backup size", "380 GB"),
    ("Warning", "{warn}", "End time", "23:58:40", "Data read", "960 GB", "Dedupe", "1.4x"),
    ("Error", "0", "Duration", "1:58:35", "Transferred", "372 GB", "Compression", "2.1x"),
)
_COLUMNS = ("Name", "Status", "Start time", "End time", "Size", "Read", "Transferred")
_COLUMNS_TAIL = ("Duration", "Details")


def _cells(values: tuple[str, ...]) -> str:
    """`<td>` cells holding `values`."""
    return "".join(f"<td {_TD}>{v}</td>" for v in values)


def _vm_row(i: int) -> str:
    """One details row for VM number `i` (every 17th with a warning)."""
    status = "Warning" if i % 17 == 0 else "Success"
    note = "Changed block tracking was reset for one disk." if status == "Warning" else ""
    minute = i % 60
    span = f'<span style="color: #00B050;">{status}</span>'
    times = (f"22:{minute:02d}:10", f"23:{minute:02d}:40")
    values = (f"VM-{i:04d}", span, *times, "120.0 GB", "9.6 GB", "3.7 GB", "0:18:30", note)
    return f'<tr style="height: 17px;">{_cells(values)}</tr>'


def veeam_html(vms: int) -> str:
    """A synthetic VBR backup-job report (documented layout) with `vms` rows."""
    warn = len(range(0, vms, 17))
    grid = "".join(
        "<tr>" + _cells(tuple(c.format(ok=vms - warn, warn=warn) for c in row)) + "</tr>"
        for row in _GRID
    )
    header = "".join(f"<td {_TD}><b>{c}</b></td>" for c in _COLUMNS + _COLUMNS_TAIL)
    rows = "".join(_vm_row(i) for i in range(vms))
    return (
        "<html><body><table><tr><td><table>"
        '<tr><td style="background-color: #ffd96c;">Backup job: Nightly cluster backup'
        '<div class="jobDescription">Created by CORP\\svc at 01.01.2024 10:00.</div></td>'
        f'<td>Warning<div class="jobDescription">{vms} of {vms} VMs processed</div></td></tr>'
        '<tr><td colspan="2"><table class="inner">'
        '<tr><td colspan="9" class="sessionDetails">Monday, 4 March 2024 22:00:05</td></tr>'
        f'{grid}<tr><td colspan="9">Details</td></tr><tr class="processObjectsHeader">{header}</tr>'
        f"{rows}</table></td></tr></table></td></tr>"
        "<tr><td>Veeam Backup &amp; Replication 12.1.2.172</td></tr></table></body></html>\n"
    )


def build_mail(target_kib: int = 50) -> tuple[bytes, int]:
    """An RFC 822 mail whose HTML part is about `target_kib` KiB, and its VM count."""
    vms = 10
    while len(veeam_html(vms).encode()) < target_kib * 1024:
        vms += 5
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "Veeam Backup & Replication <veeam@corp.example>"
    msg["To"] = "backup-reports@corp.example"
    msg["Subject"] = (
        f"[Warning] Nightly cluster backup ({vms} objects) {len(range(0, vms, 17))} issues"
    )
    msg["Date"] = "Tue, 05 Mar 2024 00:00:12 +0100"
    msg["Message-ID"] = "<bench-veeam@vbr01.corp.example>"
    msg.set_content(veeam_html(vms), subtype="html", cte="quoted-printable")
    return msg.as_bytes(), vms


def timed(label: str, func: Callable[[], object], iterations: int) -> float:
    """Run `func` `iterations` times after one warm-up call; print and return ms per call."""
    func()
    start = time.perf_counter()
    for _ in range(iterations):
        func()
    per_call = (time.perf_counter() - start) * 1000 / iterations
    print(f"{label:<34} {per_call:8.3f} ms/mail {1000 / per_call:9.1f} mails/s")
    return per_call


def main() -> int:
    """Build the mail, check it parses, and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--iterations", type=int, default=200)
    parser.add_argument("--kib", type=int, default=50, help="approximate HTML size")
    args = parser.parse_args()
    raw, vms = build_mail(args.kib)
    registry = default_registry()
    result = registry.parse_bytes(raw)
    objects = sum(len(r.objects) for r in result.reports)
    print(f"mail: {len(raw) / 1024:.1f} KiB, {vms} VM rows; outcome {result.outcome.value}")
    print(f"parser {result.parser}, {objects} objects, {args.iterations} iterations\n")
    view = timed("MailView.from_bytes", lambda: MailView.from_bytes(raw), args.iterations)
    full = timed("registry.parse_bytes (full)", lambda: registry.parse_bytes(raw), args.iterations)
    other = timed(
        "mailparser.parse_from_bytes", lambda: mailparser.parse_from_bytes(raw), args.iterations
    )
    print(f"\nfull parse / MailView.from_bytes: {full / view:.2f}x")
    print(f"full parse / mail-parser:         {full / other:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
