"""Synthetic report mails, one small builder per product, in the layouts the parsers read.

Each builder takes a `DemoRun` (who sends, which host and job, when it started, how it
ended, which objects with which status and message) and returns a complete RFC 822 mail
as bytes. The layouts mirror the golden fixtures under `tests/golden/<product>/`; numbers
that a report shows but the demo does not care about (sizes, per-object times, JobIds)
are drawn from a random generator seeded by the run itself, so the same run always gives
the same bytes.

Every mail is marked synthetic: header `X-Backupchecks-Demo: synthetic` and a Message-ID
`<demo-…@backupchecks.invalid>`.
"""

from __future__ import annotations

import binascii
import hashlib
import html
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.policy import compat32
from email.utils import format_datetime, formataddr
from typing import Literal

DemoStatus = Literal["success", "warning", "failed"]
"""The status a demo run or object ends with."""

DEMO_HEADER = "X-Backupchecks-Demo"
"""The header every demo mail carries (value `synthetic`)."""

DEMO_MAIL_DOMAIN = "backupchecks.invalid"
"""The right-hand side of every demo Message-ID."""

UNPARSED_PREFIX = "<demo-unparsed-"
"""Message-ID prefix of the deliberately unparseable demo mails."""

RECIPIENT = "backup-reports@msp.example"
"""The MSP mailbox the demo mails are addressed to."""

_RANK = {"success": 0, "warning": 1, "failed": 2}
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_GIB = 1024**3


@dataclass(frozen=True, slots=True)
class DemoObject:
    """One protected item of a demo run: a VM, guest, machine, mailbox…

    `kind` is product specific and optional: `lxc`/`qemu` for Proxmox VE guests,
    `Mailbox`/`OneDrive`/`Site`/`Team` for Veeam Backup for Microsoft 365.
    """

    name: str
    status: DemoStatus = "success"
    message: str = ""
    kind: str = ""


@dataclass(frozen=True, slots=True)
class DemoRun:
    """What one synthetic report mail says about one job run.

    `sender` is the From address. `host` is the machine the report names: the Proxmox VE
    node (FQDN), the PBS node, the Synology NAS, the Bareos client, the Acronis device,
    the NAKIVO Director; builders that do not need it ignore it. `detail` is a product
    specific extra: the Bareos FileSet, the PBS datastore, the Hyper Backup destination,
    the VB365 organisation. `message` is the job-level problem text (when the product
    reports one). `start` must be timezone-aware; the mail is dated at `end`.
    """

    sender: str
    host: str
    job: str
    start: datetime
    status: DemoStatus = "success"
    objects: tuple[DemoObject, ...] = ()
    message: str = ""
    duration: timedelta = timedelta(minutes=30)
    detail: str = ""

    def __post_init__(self) -> None:
        """Reject naive start times and unknown statuses early."""
        if self.start.tzinfo is None:
            msg = "DemoRun.start must be timezone-aware"
            raise ValueError(msg)
        if self.status not in _RANK:
            msg = f"unknown demo status {self.status!r}"
            raise ValueError(msg)

    @property
    def end(self) -> datetime:
        """When the run ended (and the mail was sent)."""
        return self.start + self.duration

    @property
    def problems(self) -> tuple[DemoObject, ...]:
        """The objects that did not succeed."""
        return tuple(o for o in self.objects if o.status != "success")


@dataclass(frozen=True, slots=True)
class _Mail:
    """The parts of a mail before it is rendered: headers and bodies."""

    kind: str
    run: DemoRun
    from_name: str
    subject: str
    text: str | None = None
    html: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())


# --- shared helpers ---------------------------------------------------------------------


def worst(statuses: Sequence[DemoStatus]) -> DemoStatus:
    """The worst of `statuses` (success when empty)."""
    return max(statuses, key=lambda s: _RANK[s], default="success")


def message_id(kind: str, run: DemoRun) -> str:
    """The deterministic, clearly synthetic Message-ID of the mail for `run`."""
    return f"<demo-{kind}-{_digest(kind, run)}@{DEMO_MAIL_DOMAIN}>"


def _digest(kind: str, run: DemoRun) -> str:
    """A short stable hash of the run's identity."""
    key = f"{kind}|{run.sender}|{run.host}|{run.job}|{run.start.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def _rng(kind: str, run: DemoRun) -> random.Random:
    """A random generator seeded by the run, for numbers the demo does not care about."""
    return random.Random(f"{kind}|{_digest(kind, run)}")  # noqa: S311 - not for security


def _render(mail: _Mail) -> bytes:
    """The RFC 822 bytes of `mail` (multipart/alternative when it has text and HTML).

    Headers are stored raw (non-ASCII ones RFC 2047-encoded here), bodies encoded here and
    the result written with the compat32 policy: the header registry of the modern policy
    would make building two thousand mails take seconds.
    """
    run = mail.run
    msg = EmailMessage()
    sender = formataddr((mail.from_name, run.sender)) if mail.from_name else run.sender
    headers = [
        ("From", sender),
        ("To", RECIPIENT),
        ("Subject", mail.subject),
        ("Date", format_datetime(run.end)),
        ("Message-ID", message_id(mail.kind, run)),
        (DEMO_HEADER, "synthetic"),
        *mail.extra,
        ("MIME-Version", "1.0"),
    ]
    for name, value in headers:
        ascii_only = value if value.isascii() else Header(value, "utf-8", header_name=name).encode()
        msg.set_raw(name, ascii_only)
    if mail.text is not None and mail.html is not None:
        boundary = f"----=_Part_{_digest(mail.kind, run)[:16]}"
        msg.set_raw("Content-Type", f'multipart/alternative; boundary="{boundary}"')
        for content, subtype in ((mail.text, "plain"), (mail.html, "html")):
            part = EmailMessage()
            _set_body(part, content, subtype)
            msg.attach(part)
    elif mail.text is not None:
        _set_body(msg, mail.text, "plain")
    else:
        _set_body(msg, mail.html or "", "html")
    return msg.as_bytes(policy=compat32)


def _set_body(part: EmailMessage, content: str, subtype: str) -> None:
    """Make `part` a text/<subtype> UTF-8 body: 7bit when plain ASCII, else quoted-printable."""
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    if content.isascii() and all(len(line) < 990 for line in content.splitlines()):
        part.set_raw("Content-Transfer-Encoding", "7bit")
        part.set_payload(content)
    else:
        part.set_raw("Content-Transfer-Encoding", "quoted-printable")
        part.set_payload(binascii.b2a_qp(content.encode("utf-8")).decode("ascii"))


def _e(text: str) -> str:
    """HTML-escaped text."""
    return html.escape(text, quote=True)


def _gb(size: float) -> str:
    """Veeam/NAKIVO style size: '61.3 GB' (binary units, SI label)."""
    if size < _GIB:
        return f"{size / 1024**2:.1f} MB"
    if size >= 1024 * _GIB:
        return f"{size / (1024 * _GIB):.1f} TB"
    return f"{size / _GIB:.1f} GB"


def _iec(size: float) -> str:
    """Proxmox style size: '12.5 GiB'."""
    if size <= 0:
        return "0 B"
    for unit, factor in (("TiB", 1024**4), ("GiB", _GIB), ("MiB", 1024**2)):
        if size >= factor:
            return f"{size / factor:.{3 if unit == 'MiB' else 2}f} {unit}"
    return f"{size / 1024:.1f} KiB"


def _hms(span: timedelta) -> str:
    """'0:52:37'."""
    seconds = max(0, int(span.total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _clock(moment: datetime) -> str:
    """'23:30:05'."""
    return f"{moment:%H:%M:%S}"


def _spans(run: DemoRun, count: int, rng: random.Random) -> list[tuple[datetime, datetime]]:
    """Start and end of each of `count` objects, all inside the run."""
    total = max(60.0, run.duration.total_seconds())
    out: list[tuple[datetime, datetime]] = []
    for _ in range(count):
        offset = rng.uniform(5, total * 0.55)
        length = rng.uniform(0.25, 0.95) * (total - offset)
        begin = run.start + timedelta(seconds=int(offset))
        out.append((begin, begin + timedelta(seconds=max(20, int(length)))))
    return out


def _first_sentence(text: str) -> str:
    """The text up to its first full stop, without the stop."""
    line = text.strip().split("\n", 1)[0]
    return line.split(". ", 1)[0].strip().rstrip(".")


# --- Veeam Backup & Replication, Agents, Microsoft 365 -----------------------------------

_VEEAM_WORD = {"success": "Success", "warning": "Warning", "failed": "Failed"}
_VEEAM_COLOR = {"success": "#00B050", "warning": "#ffd96c", "failed": "#fb9895"}
_TD = (
    '<td nowrap="" style="padding: 2px 3px 2px 3px;vertical-align: top;'
    'border: 1px solid #a7a9ac;font-family: Tahoma;font-size: 12px;">'
)
_TH = (
    '<td nowrap="" style="background-color: #e3e3e3;padding: 2px 3px 2px 3px;'
    "vertical-align: top;border: 1px solid #a7a9ac;border-top: none;"
    'font-family: Tahoma;font-size: 12px;">'
)
_BAND = (
    "border: none;background-color: {color};color: White;font-weight: bold;font-size: 16px;"
    "height: 70px;vertical-align: bottom;padding: 0 0 17px 15px;font-family: Tahoma;"
)
_DESC = '<div class="jobDescription" style="margin-top: 5px;font-size: 12px;">{}</div>'
VBR_VERSION = "Veeam Backup & Replication 12.2.0.334"
VB365_VERSION = "Veeam Backup for Microsoft 365 8.0.2.206"


def _veeam_session(moment: datetime) -> str:
    """'Sunday, 25 January 2025 22:00:03' (the session-details line)."""
    day = _DAYS[moment.weekday()]
    return f"{day}, {moment.day} {_MONTHS[moment.month - 1]} {moment.year} {_clock(moment)}"


def _veeam_note(run: DemoRun) -> str:
    """The job-level note: the run's message, else 'Processing X Warning: …'."""
    if run.message:
        return run.message
    for obj in run.problems:
        word = "Error" if obj.status == "failed" else "Warning"
        return f"Processing {obj.name} {word}: {_first_sentence(obj.message)}"
    return ""


def _veeam_grid(rows: Sequence[Sequence[tuple[str, str]]], note: str) -> str:
    """The label/value grid under the session line, with the note cell spanning it."""
    out: list[str] = []
    for i, row in enumerate(rows):
        cells = "".join(
            f"{_TD}<b>{_e(label)}</b></td>{_TD}{_e(value)}</td>" for label, value in row
        )
        if i == 0:
            cells += (
                f'<td rowspan="{len(rows)}" style="border: 1px solid #a7a9ac;font-family: Tahoma;'
                'font-size: 12px;vertical-align: top;"><span class="small_label" '
                f'style="font-size: 10px;">{_e(note)}</span></td>'
            )
        out.append(f'<tr style="height: 17px;">\n{cells}\n</tr>')
    return "\n".join(out)


def _veeam_details(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The Details header row and one row per object (the last column is the message)."""
    head = "".join(f"{_TH}<b>{_e(c)}</b></td>" for c in columns)
    body: list[str] = []
    for row in rows:
        cells = [f"{_TD}{cell}</td>" for cell in row[:-1]]
        cells.append(
            '<td style="padding: 2px 3px 2px 3px;vertical-align: top;border: 1px solid #a7a9ac;'
            'font-family: Tahoma;font-size: 12px;"><span class="small_label" '
            f'style="font-size: 10px;">{row[-1]}</span></td>'
        )
        body.append(f'<tr style="height: 17px;">\n{"".join(cells)}\n</tr>')
    return (
        '<tr style="height: 17px;"><td colspan="9" nowrap="" style="height: 35px;'
        "background-color: #f3f4f4;font-size: 16px;vertical-align: middle;"
        'padding: 5px 0 0 15px;color: #626365; font-family: Tahoma;border: 1px solid #a7a9ac;">'
        "Details</td></tr>\n"
        f'<tr class="processObjectsHeader" style="height: 23px">\n{head}\n</tr>\n' + "\n".join(body)
    )


def _veeam_status_cell(status: DemoStatus) -> str:
    """A coloured status word."""
    return f'<span style="color: {_VEEAM_COLOR[status]};">{_VEEAM_WORD[status]}</span>'


def _veeam_message_cell(message: str) -> str:
    """An object's details text, sentences on their own lines as Veeam prints them."""
    return "<br>".join(_e(part.strip()) for part in message.split("\n") if part.strip())


def _veeam_page(
    run: DemoRun,
    *,
    heading: str,
    descriptions: Sequence[str],
    processed: str,
    grid: str,
    details: str,
    footer: str,
) -> str:
    """The whole Veeam report page around a grid and a details table."""
    color = _VEEAM_COLOR[run.status]
    descs = "\n".join(_DESC.format(_e(d)) for d in descriptions)
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "</head><body>\n"
        '<table cellspacing="0" cellpadding="0" width="100%" border="0" '
        'style="border-collapse: collapse;">\n'
        '<tr><td style="border:none; padding: 0px;font-family: Tahoma;font-size: 12px;">'
        '<table cellspacing="0" cellpadding="0" width="100%" border="0" '
        'style="border-collapse: collapse;">\n'
        f'<tr style="height:70px"><td style="width: 80%;{_BAND.format(color=color)}">'
        f"{_e(heading)}\n{descs}\n"
        f'</td><td style="{_BAND.format(color=color)}">{_VEEAM_WORD[run.status]}\n'
        f"{_DESC.format(_e(processed))}\n</td></tr>\n"
        '<tr><td colspan="2" style="border: none; padding: 0px;font-family: Tahoma;'
        'font-size: 12px;"><table width="100%" cellspacing="0" cellpadding="0" class="inner" '
        'border="0" style="margin: 0px;border-collapse: collapse;">\n'
        '<tr style="height: 17px;"><td colspan="9" class="sessionDetails" '
        'style="border-style: solid; border-color:#a7a9ac; border-width: 1px 1px 0 1px;'
        "height: 35px;background-color: #f3f4f4;font-size: 16px;vertical-align: middle;"
        'padding: 5px 0 0 15px;color: #626365; font-family: Tahoma;">'
        f"<span>{_veeam_session(run.start)}</span></td></tr>\n"
        f"{grid}\n{details}\n"
        "</table></td></tr></table></td></tr>\n"
        '<tr><td style="font-size:12px;color:#626365;padding: 2px 3px 2px 3px;'
        f'vertical-align: top;font-family: Tahoma;">{_e(footer)}</td></tr>\n'
        "</table></body></html>\n"
    )


def _counts(run: DemoRun) -> tuple[int, int, int]:
    """Objects that succeeded, warned and failed."""
    statuses = [o.status for o in run.objects]
    return statuses.count("success"), statuses.count("warning"), statuses.count("failed")


def _veeam_vbr(run: DemoRun, kind: str, heading: str, noun: str, descriptions: list[str]) -> bytes:
    """A Backup / Backup Copy / Agent policy job report of Veeam Backup & Replication."""
    rng = _rng(kind, run)
    ok, warn, err = _counts(run)
    spans = _spans(run, len(run.objects), rng)
    rows: list[list[str]] = []
    total = read = transferred = 0.0
    for obj, (begin, planned_end) in zip(run.objects, spans, strict=True):
        size = rng.uniform(40, 600) * _GIB
        obj_read = 0.0 if obj.status == "failed" else size * rng.uniform(0.03, 0.2)
        obj_sent = obj_read * rng.uniform(0.4, 0.7)
        end = planned_end
        if obj.status == "failed":
            end = begin + timedelta(seconds=rng.randint(30, 400))
        total += size
        read += obj_read
        transferred += obj_sent
        rows.append(
            [
                _e(obj.name),
                _veeam_status_cell(obj.status),
                _clock(begin),
                _clock(end),
                _gb(size),
                _gb(obj_read),
                _gb(obj_sent),
                _hms(end - begin),
                _veeam_message_cell(obj.message),
            ]
        )
    grid = _veeam_grid(
        [
            [
                ("Success", str(ok)),
                ("Start time", _clock(run.start)),
                ("Total size", _gb(total)),
                ("Backup size", _gb(transferred * 1.02)),
            ],
            [
                ("Warning", str(warn)),
                ("End time", _clock(run.end)),
                ("Data read", _gb(read)),
                ("Dedupe", f"{rng.uniform(1.0, 1.9):.1f}x"),
            ],
            [
                ("Error", str(err)),
                ("Duration", _hms(run.duration)),
                ("Transferred", _gb(transferred)),
                ("Compression", f"{rng.uniform(1.5, 2.4):.1f}x"),
            ],
        ],
        _veeam_note(run),
    )
    details = _veeam_details(
        [
            "Name",
            "Status",
            "Start time",
            "End time",
            "Size",
            "Read",
            "Transferred",
            "Duration",
            "Details",
        ],
        rows,
    )
    processed = f"{ok + warn} of {len(run.objects)} {noun} processed"
    page = _veeam_page(
        run,
        heading=f"{heading}: {run.job}",
        descriptions=descriptions,
        processed=processed,
        grid=grid,
        details=details,
        footer=VBR_VERSION,
    )
    issues = warn + err + (1 if run.status != "success" and not (warn + err) else 0)
    subject = f"[{_VEEAM_WORD[run.status]}] {run.job} ({len(run.objects)} objects) {issues} issues"
    return _render(_Mail(kind, run, "Veeam Backup & Replication", subject, html=page))


def _created_by(run: DemoRun) -> str:
    """The 'Created by DOMAIN\\user at …' line of a job header."""
    domain = run.sender.rpartition("@")[2].split(".")[0].upper()[:15]
    made = run.start - timedelta(days=200 + len(run.job) * 7)
    return f"Created by {domain}\\svc-veeam at {made:%d.%m.%Y} 10:{len(run.job) % 60:02d}."


def veeam_backup(run: DemoRun) -> bytes:
    """A Veeam B&R backup job report (HTML summary and per-VM Details table)."""
    return _veeam_vbr(run, "veeam-backup", "Backup job", "VMs", [_created_by(run)])


def veeam_backup_copy(run: DemoRun) -> bytes:
    """A Veeam B&R backup copy job report."""
    return _veeam_vbr(run, "veeam-copy", "Backup Copy job", "VMs", [_created_by(run)])


def veeam_agent_policy(run: DemoRun) -> bytes:
    """A Veeam agent backup policy report (managed by B&R, one row per computer)."""
    return _veeam_vbr(run, "veeam-agent", "Agent backup policy", "computers", [_created_by(run)])


def veeam_m365(run: DemoRun) -> bytes:
    """A Veeam Backup for Microsoft 365 job report; the organisation is `run.detail`."""
    kind = "veeam-m365"
    rng = _rng(kind, run)
    org = run.detail or run.sender.rpartition("@")[2]
    ok, warn, err = _counts(run)
    spans = _spans(run, len(run.objects), rng)
    rows: list[list[str]] = []
    transferred = 0.0
    for obj, (begin, end) in zip(run.objects, spans, strict=True):
        sent = 0.0 if obj.status == "failed" else rng.uniform(0.02, 3.5) * _GIB
        transferred += sent
        rows.append(
            [
                _e(obj.name),
                _e(obj.kind or "Mailbox"),
                _veeam_status_cell(obj.status),
                _clock(begin),
                _clock(end),
                _gb(sent),
                _hms(end - begin),
                _veeam_message_cell(obj.message),
            ]
        )
    items = rng.randint(800, 40000)
    seconds = max(1.0, run.duration.total_seconds())
    note = run.message
    if not note and err:
        note = f"Job finished with errors: {err} of {len(run.objects)} objects failed."
    elif not note and warn:
        note = f"Job finished with warnings: {warn} of {len(run.objects)} objects have warnings."
    grid = _veeam_grid(
        [
            [
                ("Success", str(ok)),
                ("Start time", _clock(run.start)),
                ("Transferred", _gb(transferred)),
                ("Processed objects", str(len(run.objects))),
            ],
            [
                ("Warning", str(warn)),
                ("End time", _clock(run.end)),
                (
                    "Processing rate",
                    f"{transferred / seconds / 1024**2:.1f} MB/s ({int(items / seconds)} items/s)",
                ),
                ("Items processed", str(items)),
            ],
            [
                ("Error", str(err)),
                ("Duration", _hms(run.duration)),
                ("Read", _gb(transferred * 1.08)),
                ("Organization", org),
            ],
        ],
        note,
    )
    details = _veeam_details(
        ["Name", "Type", "Status", "Start time", "End time", "Transferred", "Duration", "Details"],
        rows,
    )
    page = _veeam_page(
        run,
        heading=f"Backup job: {run.job}",
        descriptions=["Veeam Backup for Microsoft 365", f"Organization: {org}"],
        processed=f"{ok + warn} of {len(run.objects)} objects processed",
        grid=grid,
        details=details,
        footer=VB365_VERSION,
    )
    subject = (
        f"[{_VEEAM_WORD[run.status]}] {org} - {run.job} ({len(run.objects)} objects), "
        f"{warn + err} issues"
    )
    return _render(_Mail(kind, run, "Veeam Backup for Microsoft 365", subject, html=page))


# --- Proxmox VE vzdump ------------------------------------------------------------------


def _pve_time(span: timedelta) -> str:
    """'1min 4s', '41s', '1h 2min 3s'."""
    seconds = max(1, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}min" if minutes else "", f"{secs}s"]
    return " ".join(p for p in parts if p)


def _pve_stamp(moment: datetime) -> str:
    """'2025-06-03 01:00:02'."""
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _pad_table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as left-aligned columns padded to the widest cell plus four spaces."""
    widths = [max(len(r[i]) for r in rows) + 4 for i in range(len(rows[0]))]
    return ["".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]


def proxmox_vzdump(run: DemoRun) -> bytes:
    """A Proxmox VE 8.x vzdump notification (text and HTML), one row per guest.

    `run.host` is the node (FQDN); guests get VMIDs 100, 101, … in order, `kind` `lxc`
    makes a container. `run.detail` is the storage (PBS when it starts with 'pbs').
    """
    kind = "pve-vzdump"
    rng = _rng(kind, run)
    storage = run.detail or "pbs-main"
    to_pbs = storage.startswith("pbs")
    vmids = [str(100 + i + (i // 4) * 3) for i in range(len(run.objects))]
    table: list[list[str]] = [["VMID", "Name", "Status", "Time", "Size", "Filename"]]
    logs: list[str] = []
    html_rows: list[str] = []
    clock = run.start + timedelta(seconds=2)
    total = 0.0
    step = run.duration / max(1, len(run.objects))
    for vmid, obj in zip(vmids, run.objects, strict=True):
        guest = "lxc" if obj.kind == "lxc" else "qemu"
        begin = clock
        took = step * rng.uniform(0.5, 0.95) if obj.status == "success" else step * 0.2
        end = begin + took
        clock = end + timedelta(seconds=1)
        stamp = begin.astimezone(UTC)
        if to_pbs:
            archive = f"{'ct' if guest == 'lxc' else 'vm'}/{vmid}/{stamp:%Y-%m-%dT%H:%M:%SZ}"
        else:
            ext = "tar.zst" if guest == "lxc" else "vma.zst"
            archive = f"/var/lib/vz/dump/vzdump-{guest}-{vmid}-{begin:%Y_%m_%d-%H_%M_%S}.{ext}"
        lines = [
            f"{vmid}: {_pve_stamp(begin)} INFO: Starting Backup of VM {vmid} ({guest})",
            f"{vmid}: {_pve_stamp(begin)} INFO: status = running",
        ]
        if guest == "lxc":
            lines.append(f"{vmid}: {_pve_stamp(begin)} INFO: CT Name: {obj.name}")
        else:
            lines.append(f"{vmid}: {_pve_stamp(begin)} INFO: VM Name: {obj.name}")
        if obj.status == "success":
            size = rng.uniform(2, 120) * _GIB
            total += size
            what = "Proxmox Backup Server archive" if to_pbs else "vzdump archive"
            lines += [
                f"{vmid}: {_pve_stamp(begin)} INFO: creating {what} '{archive}'",
                f"{vmid}: {_pve_stamp(end)} INFO: Finished Backup of VM {vmid} ({_hms(took)})",
            ]
            table.append([vmid, obj.name, "ok", _pve_time(took), _iec(size), archive])
            cells = [vmid, obj.name, "ok", _pve_time(took), _iec(size), archive]
        else:
            error = obj.message or "backup failed"
            lines += [
                f"{vmid}: {_pve_stamp(end)} ERROR: {error}",
                f"{vmid}: {_pve_stamp(end)} ERROR: Backup of VM {vmid} failed - {error}",
            ]
            table.append([vmid, obj.name, "err", _pve_time(took), "0 B", "null"])
            cells = [vmid, obj.name, "err", _pve_time(took), "0 B", "null"]
        logs.append("\n".join(lines))
        html_rows.append(
            "            <tr>\n"
            + "".join(f"                <td>{_e(c)}</td>\n" for c in cells)
            + "            </tr>\n"
        )
    command = (
        f"vzdump {' '.join(vmids)} --mode snapshot --storage {storage} "
        "--notes-template '{{guestname}}' --mailnotification always "
        "--notification-mode notification-system"
    )
    running = _pve_time(run.duration)
    log_text = command + "\n\n\n" + "\n\n".join(logs) + "\n"
    text = (
        "\nDetails\n=======\n"
        + "\n".join(_pad_table(table))
        + f"\n\nTotal running time: {running}\nTotal size: {_iec(total)}\n\n"
        + "Logs\n====\n"
        + log_text
        + "\n\n"
    )
    head = "".join(
        f"                <th>{c}</th>\n" for c in ("VMID", "Name", "Status", "Time", "Size")
    )
    page = (
        "<html>\n    <body>\n        <h1>Details</h1>\n        <table>\n            <tr>\n"
        + head
        + "                <th>Filename</th>\n            </tr>\n"
        + "".join(html_rows)
        + "        </table>\n        <br/>\n"
        + f"        Total running time: {running}<br/>\n"
        + f"        Total size: {_iec(total)}<br/>\n"
        + f"        <h1>Logs</h1>\n        <pre>{_e(log_text)}</pre>\n    </body>\n</html>\n"
    )
    result = "backup failed" if run.status == "failed" or run.problems else "backup successful"
    subject = f"vzdump backup status ({run.host}): {result}"
    return _render(
        _Mail(
            kind,
            run,
            "Proxmox VE",
            subject,
            text=text,
            html=page,
            extra=(("Auto-Submitted", "auto-generated;"),),
        )
    )


# --- Proxmox Backup Server ----------------------------------------------------------------


def _pbs_page(text: str) -> str:
    """The `<pre>` HTML copy PBS sends next to the text."""
    return f"<html><body><pre>{_e(text)}</pre></body></html>\n"


def _pbs_mail(kind: str, run: DemoRun, subject: str, text: str) -> bytes:
    """A PBS notification mail from 'Proxmox Backup Server - <node>'."""
    return _render(
        _Mail(
            kind,
            run,
            f"Proxmox Backup Server - {run.host}",
            subject,
            text=text,
            html=_pbs_page(text),
            extra=(("Auto-Submitted", "auto-generated;"),),
        )
    )


def _pbs_link(run: DemoRun, anchor: str) -> str:
    """The 'Please visit the web interface' footer."""
    fqdn = run.sender.rpartition("@")[2]
    return (
        "\n\nPlease visit the web interface for further details:\n\n"
        f"<https://{fqdn}:8007/#{anchor}>\n"
    )


def pbs_verify(run: DemoRun) -> bytes:
    """A PBS verify job result; `run.job` is the job ID, `run.detail` the datastore.

    A failed run lists its failed snapshots: the names of its failed objects, or made-up
    `vm/<id>/<time>` snapshot names when it has none.
    """
    kind = "pbs-verify"
    store = run.detail or "store1"
    body = f"\nJob ID:    {run.job}\nDatastore: {store}\n\n"
    if run.status == "failed":
        names = [o.name for o in run.problems]
        if not names:
            rng = _rng(kind, run)
            when = (run.start - timedelta(days=1)).astimezone(UTC)
            names = [
                f"vm/{rng.choice((101, 102, 105, 110, 120))}/"
                f"{when:%Y-%m-%dT}{rng.randint(20, 23):02d}:{rng.randint(0, 59):02d}:03Z"
            ]
        body += "Verification failed on these snapshots/groups:\n\n"
        body += "".join(f"    {name}\n" for name in names) + "\n"
    else:
        body += "Verification successful.\n"
    result = "failed" if run.status == "failed" else "successful"
    subject = f"Verify Datastore '{store}' {result}"
    return _pbs_mail(kind, run, subject, body + _pbs_link(run, "pbsServerAdministration:tasks"))


def pbs_garbage_collection(run: DemoRun) -> bytes:
    """A PBS garbage collection result; `run.job` is the datastore."""
    kind = "pbs-gc"
    store = run.job
    if run.status == "failed":
        error = run.message or "unable to get exclusive lock - EWOULDBLOCK: Operation would block"
        body = f"Datastore: {store}\n\nGarbage collection failed: {error}\n"
        anchor = "pbsServerAdministration:tasks"
    else:
        rng = _rng(kind, run)
        start = int(run.start.timestamp())
        upid = (
            f"UPID:{run.host}:{rng.randint(0x1000, 0xFFFF):08X}:{rng.randint(0x10000, 0xFFFFF):08X}"
            f":{rng.randint(1, 9):08X}:{start:08X}:garbage_collection:{store}:root@pam:"
        )
        used = rng.uniform(0.3, 4.0) * 1024**4
        disk = used / rng.uniform(3.0, 9.0)
        body = (
            f"Datastore:            {store}\n"
            f"Task ID:              {upid}\n"
            f"Index file count:     {rng.randint(80, 900)}\n\n"
            f"Removed garbage:      {_iec(rng.uniform(1, 60) * _GIB)}\n"
            f"Removed chunks:       {rng.randint(500, 30000)}\n"
            "Removed bad chunks:   0\n\n"
            "Leftover bad chunks:  0\n"
            f"Pending removals:     {_iec(rng.uniform(0.1, 8) * _GIB)} "
            f"(in {rng.randint(50, 4000)} chunks)\n\n"
            f"Original Data usage:  {_iec(used)}\n"
            f"On-Disk usage:        {_iec(disk)} ({rng.uniform(8, 70):.2f}%)\n"
            f"On-Disk chunks:       {rng.randint(40000, 900000)}\n\n"
            f"Deduplication Factor: {used / disk:.2f}\n\n"
            "Garbage collection successful.\n"
        )
        anchor = f"DataStore-{store}"
    result = "failed" if run.status == "failed" else "successful"
    subject = f"Garbage Collect Datastore '{store}' {result}"
    return _pbs_mail(kind, run, subject, body + _pbs_link(run, anchor))


# --- Synology -------------------------------------------------------------------------------


def _dsm_time(moment: datetime) -> str:
    """'Sun, 25 Jan 2025 02:00:01' (DSM's start-time format)."""
    month = _MONTHS[moment.month - 1][:3]
    return (
        f"{_DAYS_SHORT[moment.weekday()]}, {moment.day:02d} {month} {moment.year} {_clock(moment)}"
    )


def _dsm_duration(span: timedelta) -> str:
    """'14 Minutes 26 Seconds' / '1 Hours 2 Minutes 3 Seconds'."""
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} Hours" if hours else "", f"{minutes} Minutes" if minutes else ""]
    return " ".join([p for p in parts if p] + [f"{secs} Seconds"])


def synology_hyper_backup(run: DemoRun) -> bytes:
    """A DSM Hyper Backup task result (English, HTML with `<BR>` line breaks).

    `run.host` is the NAS name, `run.detail` the destination (e.g. 'Synology C2 Storage').
    Warning means 'partially completed'.
    """
    kind = "syno-hyperbackup"
    rng = _rng(kind, run)
    target = f"{run.detail or 'Synology C2 Storage'} / {run.host}_1.hbk"
    fields = (
        f"Backup task: {run.job}<BR>Backup destination: {target}<BR>"
        f"Start time: {_dsm_time(run.start)}<BR>Duration: {_dsm_duration(run.duration)} <BR><BR>"
    )
    if run.status == "failed":
        reason = run.message or "The destination is not available."
        lead = f"Backup task {run.job} on {run.host} has failed."
        body = f"{lead}<BR><BR>{_e(reason)}<BR><BR>{fields}"
        result = "has failed"
    else:
        shared = rng.uniform(0.2, 6.0) * 1024**4
        grown = rng.uniform(0.05, 40) * _GIB
        sizes = (
            f"Total source size:<BR>- Shared Folder: {_gb(shared)}<BR>"
            f"- Application: {_gb(rng.uniform(0.1, 2) * _GIB)}<BR>"
            f"- Metadata: {_gb(rng.uniform(1, 20) * _GIB)}<BR>"
            f"Increased target size: {_gb(grown)}<BR><BR>"
        )
        if run.status == "warning":
            lead = f"Backup task {run.job} on {run.host} was partially completed."
            reason = run.message or "Some files were skipped because they could not be read."
            body = f"{lead}<BR><BR>{_e(reason)}<BR><BR>{fields}{sizes}"
            result = "was partially completed"
        else:
            lead = f"Your backup task {run.job} is now complete."
            body = f"{lead}<BR><BR>{fields}{sizes}"
            result = "has completed"
    page = (
        f"<html><body>{body}From {run.host}<BR><BR>"
        "Learn how to back up your Synology NAS: https://sy.to/nasbackup<BR></body></html>\n"
    )
    subject = f"[{run.host}] Hyper Backup - Backup task {run.job} on {run.host} {result}"
    return _render(_Mail(kind, run, run.host, subject, html=page))


def synology_active_backup(run: DemoRun) -> bytes:
    """An Active Backup for Business task result (the parser reads the subject).

    `run.host` is the NAS, `run.job` the task; `run.detail` 'Microsoft 365' makes it an
    Active Backup for Microsoft 365 mail. Warning means 'partially completed'.
    """
    kind = "syno-abb"
    what = "Microsoft 365" if run.detail == "Microsoft 365" else "Business"
    result = {
        "success": "has completed",
        "warning": "was partially completed",
        "failed": "has failed",
    }[run.status]
    ok, warn, err = _counts(run)
    lines = [
        f"Backup task {_e(run.job)} on {_e(run.host)} {result}.",
        "",
        f"Task: {_e(run.job)}",
        f"Start time: {_dsm_time(run.start)}",
        f"End time: {_dsm_time(run.end)}",
    ]
    if run.objects:
        lines.append(f"Devices: {ok} succeeded, {warn} partially, {err} failed")
    for obj in run.problems:
        lines.append(f"- {_e(obj.name)}: {_e(obj.message)}")
    if run.message:
        lines.append(_e(run.message))
    lines += ["", f"From {_e(run.host)}"]
    page = f"<html><body>{'<BR>'.join(lines)}<BR></body></html>\n"
    subject = (
        f"[{run.host}] Active Backup for {what} - Backup task {run.job} on {run.host} {result}"
    )
    return _render(_Mail(kind, run, run.host, subject, html=page))


# --- Bareos ---------------------------------------------------------------------------------

_BAREOS_VERSION = "23.1.4 (14Aug24)"


def _bareos_stamp(moment: datetime) -> str:
    """'12-Nov-2025 22:00:03'."""
    return f"{moment.day:02d}-{_MONTHS[moment.month - 1][:3]}-{moment.year} {_clock(moment)}"


def _bareos_log(moment: datetime) -> str:
    """'12-Nov 22:00' (the log-line prefix)."""
    return f"{moment.day:02d}-{_MONTHS[moment.month - 1][:3]} {moment:%H:%M}"


def _thousands(value: int) -> str:
    """'2,728,973,824 (2.728 GB)'."""
    return f"{value:,} ({value / 1e9:.3f} GB)"


def bareos_backup(run: DemoRun) -> bytes:
    """A Bareos Director job report (bsmtp text mail).

    `run.host` is the client (e.g. 'acme-fs01-fd'), `run.detail` the FileSet. A warning
    run logs `run.message` as a client warning, a failed run as a fatal error.
    """
    kind = "bareos"
    rng = _rng(kind, run)
    jobid = int(run.start.timestamp() // 600) % 900000 + 1000
    level = "Full" if run.start.weekday() == 6 else "Incremental"
    stamp = f"{run.start:%Y-%m-%d_%H.%M.%S}_{rng.randint(1, 59):02d}"
    fileset = run.detail or "LinuxAll"
    failed = run.status == "failed"
    written = 0 if failed else rng.randint(50_000_000, 60_000_000_000)
    files = 0 if failed else rng.randint(200, 90000)
    director = "bareos-dir"
    seconds = max(1.0, run.duration.total_seconds())
    log = [
        f"{_bareos_log(run.start)} {director} JobId {jobid}: Start Backup JobId {jobid}, "
        f"Job={run.job}.{stamp}",
        f"{_bareos_log(run.start)} {director} JobId {jobid}: Connected Storage daemon at "
        "bareos-sd:9103, encryption: TLS_CHACHA20_POLY1305_SHA256 TLSv1.3",
        f'{_bareos_log(run.start)} {director} JobId {jobid}: Using Device "FileStorage" to write.',
    ]
    if run.status == "warning":
        log.append(
            f"{_bareos_log(run.start + run.duration / 2)} {run.host} JobId {jobid}: "
            f"Warning: {run.message or 'Could not stat a file: Permission denied'}"
        )
    elif failed:
        error = run.message or "Network error with FD during Backup: ERR=Connection reset by peer"
        log.append(f"{_bareos_log(run.end)} {director} JobId {jobid}: Fatal error: {error}")
    termination = {
        "success": "Backup OK",
        "warning": "Backup OK -- with warnings",
        "failed": "*** Backup Error ***",
    }[run.status]
    flag = "Error: " if failed else ""
    report = [
        f"{_bareos_log(run.end)} {director} JobId {jobid}: "
        f"{flag}Bareos {director} {_BAREOS_VERSION}:",
        "  Build OS:               Debian GNU/Linux 12 (bookworm)",
        f"  JobId:                  {jobid}",
        f"  Job:                    {run.job}.{stamp}",
        f"  Backup Level:           {level}",
        f'  Client:                 "{run.host}" {_BAREOS_VERSION} Linux,debian',
        f'  FileSet:                "{fileset}" 2024-09-02 10:14:07',
        f'  Pool:                   "{level}" (From Job {level}Pool override)',
        '  Catalog:                "MyCatalog" (From Client resource)',
        '  Storage:                "File" (From Job resource)',
        f"  Scheduled time:         {_bareos_stamp(run.start.replace(second=0))}",
        f"  Start time:             {_bareos_stamp(run.start)}",
        f"  End time:               {_bareos_stamp(run.end)}",
        f"  Elapsed time:           {int(run.duration.total_seconds() // 60)} mins "
        f"{int(run.duration.total_seconds() % 60)} secs",
        "  Priority:               10",
        f"  FD Files Written:       {files:,}",
        f"  SD Files Written:       {files:,}",
        f"  FD Bytes Written:       {_thousands(written)}",
        f"  SD Bytes Written:       {_thousands(written + files * 180)}",
        f"  Rate:                   {written / 1000 / seconds:.1f} KB/s",
        f"  Software Compression:   {rng.uniform(30, 70):.1f} % (lz4)",
        "  VSS:                    no",
        "  Encryption:             no",
        "  Accurate:               yes",
        f"  Volume name(s):         {level}-{rng.randint(1, 400):04d}",
        f"  Volume Session Id:      {rng.randint(1, 90)}",
        f"  Volume Session Time:    {int(run.start.timestamp()) - 86400 * 9}",
        f"  Last Volume Bytes:      {_thousands(rng.randint(10**9, 50 * 10**9))}",
        f"  Non-fatal FD errors:    {1 if run.status == 'warning' else 0}",
        "  SD Errors:              0",
        f"  FD termination status:  {'Error' if failed else 'OK'}",
        f"  SD termination status:  {'Waiting on FD' if failed else 'OK'}",
        "  Bareos binary info:     Bareos community build (UNSUPPORTED): "
        "Get professional support from https://www.bareos.com",
        "  Job triggered by:       Scheduler",
        f"  Termination:            {termination}",
    ]
    text = "\n".join(log + report) + "\n\n"
    word = {
        "success": "Backup OK",
        "warning": "Backup OK -- with warnings",
        "failed": "Backup Error",
    }
    subject = f"Bareos: {word[run.status]} of {run.host} {level}"
    return _render(_Mail(kind, run, "(Bareos)", subject, text=text))


# --- Duplicati ----------------------------------------------------------------------------


def _duplicati_time(moment: datetime) -> str:
    """'6/1/2025 2:04:56 AM (1748736296)' — local time and the epoch."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (
        f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {half} "
        f"({int(moment.timestamp())})"
    )


def _duplicati_line(moment: datetime, level: str, source: str, text: str) -> str:
    """One entry of the Messages/Warnings/Errors lists."""
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {offset[:3]} - [{level}-{source}]: {text}"


def duplicati_backup(run: DemoRun) -> bytes:
    """A Duplicati backup result in the default text format."""
    kind = "duplicati"
    rng = _rng(kind, run)
    examined = rng.randint(2000, 250000)
    modified = rng.randint(0, 600)
    added = rng.randint(0, 300)
    result = {"success": "Success", "warning": "Warning", "failed": "Error"}[run.status]
    warnings: list[str] = []
    errors: list[str] = []
    middle = run.start + run.duration / 2
    if run.status == "warning":
        warnings.append(
            _duplicati_line(
                middle,
                "Warning",
                "Duplicati.Library.Main.Operation.Backup.FileBlockProcessor.FileEntry"
                "-PathProcessingFailed",
                run.message or "Failed to process path: C:\\Users\\Public\\locked.pst",
            )
        )
    if run.status == "failed":
        errors.append(
            _duplicati_line(
                run.end,
                "Error",
                "Duplicati.Library.Main.Operation.BackupHandler-FatalError",
                run.message or "Fatal error",
            )
        )

    def _list(name: str, items: list[str]) -> str:
        """A `Name: [ … ]` list block."""
        if not items:
            return f"{name}: []"
        return f"{name}: [\n" + ",\n".join(f"    {i}" for i in items) + "\n]"

    messages = [
        _duplicati_line(
            run.start,
            "Information",
            "Duplicati.Library.Main.Controller-StartingOperation",
            "The operation Backup has started",
        ),
        _duplicati_line(
            run.end,
            "Information",
            "Duplicati.Library.Main.BasicResults-BackendEvent",
            f"Backend event: Put - Completed: duplicati-b{rng.randbytes(8).hex()}.dblock.zip.aes",
        ),
    ]
    text = "\n".join(
        [
            f"Duplicati Backup report for {run.job}",
            "",
            f"DeletedFiles: {rng.randint(0, 80)}",
            "DeletedFolders: 0",
            f"ModifiedFiles: {modified}",
            f"ExaminedFiles: {examined}",
            f"OpenedFiles: {modified + added}",
            f"AddedFiles: {added}",
            f"SizeOfModifiedFiles: {modified * rng.randint(20_000, 900_000)}",
            f"SizeOfAddedFiles: {added * rng.randint(20_000, 900_000)}",
            f"SizeOfExaminedFiles: {examined * rng.randint(200_000, 900_000)}",
            f"SizeOfOpenedFiles: {(modified + added) * rng.randint(20_000, 900_000)}",
            "NotProcessedFiles: 0",
            f"AddedFolders: {rng.randint(0, 12)}",
            "TooLargeFiles: 0",
            f"FilesWithError: {len(warnings)}",
            "ModifiedFolders: 0",
            "ModifiedSymlinks: 0",
            "AddedSymlinks: 0",
            "DeletedSymlinks: 0",
            "PartialBackup: False",
            "Dryrun: False",
            "MainOperation: Backup",
            f"ParsedResult: {result}",
            "Version: 2.1.0.5 (2.1.0.5_stable_2025-03-04)",
            f"EndTime: {_duplicati_time(run.end)}",
            f"BeginTime: {_duplicati_time(run.start)}",
            f"Duration: {_hms(run.duration)}.{rng.randint(1000000, 9999999)}",
            f"MessagesActualLength: {len(messages)}",
            f"WarningsActualLength: {len(warnings)}",
            f"ErrorsActualLength: {len(errors)}",
            _list("Messages", messages),
            _list("Warnings", warnings),
            _list("Errors", errors),
            "BackendStatistics:",
            f"    RemoteCalls: {rng.randint(8, 60)}",
            f"    BytesUploaded: {rng.randint(1_000_000, 3_000_000_000)}",
            "    BytesDownloaded: 0",
            f"    KnownFileCount: {rng.randint(100, 5000)}",
            "",
        ]
    )
    subject = f"Duplicati Backup report for {run.job}"
    return _render(_Mail(kind, run, "Duplicati", subject, text=text))


# --- Xen Orchestra ------------------------------------------------------------------------

_XO_MARK = {"success": "✔", "warning": "⚠️", "failed": "🚨"}


def _xo_time(moment: datetime) -> str:
    """'Saturday, June 1st 2024, 1:00:00 am'."""
    day = moment.day
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    hour = moment.hour % 12 or 12
    half = "am" if moment.hour < 12 else "pm"
    return (
        f"{_DAYS[moment.weekday()]}, {_MONTHS[moment.month - 1]} {day}{suffix} {moment.year}, "
        f"{hour}:{moment:%M:%S} {half}"
    )


def _uuid(rng: random.Random) -> str:
    """A random-looking (but seeded) UUID."""
    raw = rng.randbytes(16).hex()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def xen_orchestra_backup(run: DemoRun) -> bytes:
    """An Xen Orchestra Backup NG report (markdown text and HTML), one block per VM.

    A warning object with a message that starts with 'skipped:' is listed as skipped
    (e.g. the VDI chain protection); other warnings are '⚠️' lines of a successful VM.
    `run.detail` is the remote (default 'nfs-backup').
    """
    kind = "xo-backup"
    rng = _rng(kind, run)
    remote = run.detail or "nfs-backup"
    remote_id = _uuid(rng)
    failed = [o for o in run.objects if o.status == "failed"]
    skipped = [o for o in run.objects if o.status == "warning" and o.message.startswith("skipped:")]
    ok = [o for o in run.objects if o not in failed and o not in skipped]
    spans = dict(zip(run.objects, _spans(run, len(run.objects), rng), strict=True))
    total = 0.0
    sections: list[tuple[str, list[str]]] = []

    def _head(obj: DemoObject) -> list[str]:
        """The heading and times of one VM block."""
        begin, end = spans[obj]
        return [
            f"### {obj.name}",
            f"- **UUID**: {_uuid(rng)}",
            f"- **Start time**: {_xo_time(begin)}",
            f"- **End time**: {_xo_time(end)}",
        ]

    if failed:
        lines: list[str] = []
        for obj in failed:
            begin, end = spans[obj]
            lines += [
                *_head(obj),
                "- **Duration**: 3 minutes",
                "- **Snapshot** ✔",
                "- **Remotes**",
                f"  - **{remote}** ({remote_id}) 🚨",
                f"    - **Start time**: {_xo_time(begin)}",
                f"    - **End time**: {_xo_time(end)}",
                f"    - **Error**: {obj.message or 'unknown error'}",
                "",
            ]
        sections.append((f"{len(failed)} Failure", lines))
    if skipped:
        lines = []
        for obj in skipped:
            reason = obj.message.removeprefix("skipped:").strip()
            lines += [*_head(obj), f"- **Reason**: {reason}", ""]
        sections.append((f"{len(skipped)} Skipped", lines))
    if ok:
        lines = []
        for obj in ok:
            begin, end = spans[obj]
            size = rng.uniform(0.5, 40) * _GIB
            total += size
            lines += [*_head(obj), f"- **Duration**: {max(1, (end - begin).seconds // 60)} minutes"]
            if obj.status == "warning":
                lines.append(f"- **⚠️  {obj.message}**")
            lines += [
                "- **Snapshot** ✔",
                "- **Remotes**",
                f"  - **{remote}** ({remote_id}) ✔",
                f"    - **Start time**: {_xo_time(begin)}",
                f"    - **End time**: {_xo_time(end)}",
                "      - **transfer** ✔",
                f"        - **Size**: {_iec(size)}",
                "",
            ]
        sections.append((f"{len(ok)} Success{'es' if len(ok) != 1 else ''}", lines))
    if failed:
        global_status = "failure"
    elif skipped:
        global_status = "skipped"
    else:
        global_status = "success"
    header = [
        f"## Global status: {global_status}",
        "",
        f"- **Job ID**: {_uuid(rng)}",
        f"- **Run ID**: {int(run.start.timestamp() * 1000) + rng.randint(1, 99)}",
        "- **Mode**: delta",
        f"- **Start time**: {_xo_time(run.start)}",
        f"- **End time**: {_xo_time(run.end)}",
        f"- **Duration**: {max(1, run.duration.seconds // 60)} minutes",
        f"- **Successes**: {len(ok)} / {len(run.objects)}",
        f"- **Transfer size**: {_iec(total)}",
        "",
        "---",
        "",
    ]
    text_lines = list(header)
    for title, lines in sections:
        text_lines += [f"## {title}", "", "", *lines, "---", ""]
    text_lines += ["*xo-server-backup-reports v0.18.1*", ""]
    text = "\n".join(text_lines)
    page = ["<html><body>"]
    for line in text_lines:
        page.append(_xo_html_line(line))
    page.append("</body></html>")
    mark = {"failure": "🚨", "skipped": "⏩", "success": "✔"}[global_status]
    subject = f"[Xen Orchestra] {global_status} − Backup report for {run.job} {mark}"
    return _render(
        _Mail(kind, run, "Xen Orchestra", subject, text=text, html="\n".join(p for p in page if p))
    )


def _xo_html_line(line: str) -> str:
    """One markdown line of the XO report as the HTML part renders it."""
    stripped = line.strip()
    headings = (("### ", "h3"), ("## ", "h2"))
    tag = next((t for prefix, t in headings if stripped.startswith(prefix)), "")
    if tag:
        return f"<{tag}>{_e(stripped.split(' ', 1)[1])}</{tag}>"
    if not stripped or stripped == "---":
        return "<hr>" if stripped else ""
    if stripped.startswith("*") and stripped.endswith("*") and not stripped.startswith("**"):
        return f"<p><em>{_e(stripped.strip('*'))}</em></p>"
    item = stripped.removeprefix("- ")
    if item.startswith("**"):
        label, _, rest = item[2:].partition("**")
        return f"<li><strong>{_e(label)}</strong>{_e(rest)}</li>"
    return f"<li>{_e(item)}</li>"


# --- UrBackup ---------------------------------------------------------------------------------


def urbackup_backup(run: DemoRun) -> bytes:
    """A UrBackup report-script mail for one client (`run.job` is the client name).

    `run.detail` is 'image' or 'file' (default); a warning logs `run.message` as a warning
    of an otherwise successful backup, a failed run logs it as an error.
    """
    kind = "urbackup"
    rng = _rng(kind, run)
    what = "image" if run.detail == "image" else "file"
    level = "full" if run.start.weekday() == 5 else "incremental"
    lines = [
        f"{_pve_stamp(run.start)}(info): Starting scheduled {level} {what} backup...",
    ]
    infos, warns, errs = 1, 0, 0
    if what == "file":
        lines.append(
            f'{_pve_stamp(run.start + timedelta(seconds=3))}(info): Indexing of "C" done. '
            f"{rng.randint(300, 9000)} filesystem lookups 0 db lookups and 0 db updates"
        )
    else:
        lines.append(
            f"{_pve_stamp(run.start + timedelta(seconds=4))}(info): "
            "Basing image backup on last incremental or full image backup"
        )
    infos += 1
    middle = run.start + run.duration / 2
    if run.status == "warning":
        lines.append(f"{_pve_stamp(middle)}(warning): {run.message or 'Skipping file.'}")
        warns += 1
    if run.status == "failed":
        lines.append(f"{_pve_stamp(run.end)}(error): {run.message or 'Backup failed'}")
        lines.append(f"{_pve_stamp(run.end)}(error): Backup failed")
        errs += 2
    else:
        lines.append(
            f"{_pve_stamp(run.end)}(info): Transferred {rng.uniform(0.05, 9):.2f} GB - "
            f"Average speed: {rng.uniform(20, 400):.1f} MBit/s"
        )
        lines.append(
            f"{_pve_stamp(run.end)}(info): Time taken for backing up client {run.job}: "
            f"{int(run.duration.total_seconds() // 60)}m {int(run.duration.total_seconds() % 60)}s"
        )
        infos += 2
    plural = "s" if warns != 1 else ""
    text = (
        f"UrBackup just did {'a' if level == 'full' else 'an'} {level} {what} backup of "
        f'"{run.job}".\n\nReport:\n( {infos} infos, {warns} warning{plural}, {errs} errors)\n\n'
        + "\n".join(lines)
        + "\n"
    )
    result = "failed" if run.status == "failed" else "success"
    subject = f'UrBackup: {level.capitalize()} {what}  backup of "{run.job}" - {result}'
    return _render(_Mail(kind, run, "UrBackup Server", subject, text=text))


# --- NAKIVO -----------------------------------------------------------------------------------


def nakivo_backup(run: DemoRun) -> bytes:
    """A NAKIVO Backup & Replication job report (text with a pipe-separated VM table).

    `run.host` is the Director, `run.detail` the job type (default 'VMware backup job').
    """
    kind = "nakivo"
    rng = _rng(kind, run)
    word = {"success": "Successful", "warning": "Warning", "failed": "Failed"}
    rows = ["Machine | Status | Data transferred | Duration | Message"]
    sent_total = 0.0
    for obj in run.objects:
        sent = 0.0 if obj.status == "failed" else rng.uniform(0.1, 30) * _GIB
        sent_total += sent
        took = timedelta(seconds=rng.randint(30, max(31, int(run.duration.total_seconds()))))
        message = obj.message or ("No changes since the last run" if sent < _GIB else "")
        rows.append(f"{obj.name} | {word[obj.status]} | {_gb(sent)} | {_hms(took)} | {message}")
    fields = [
        f"Job report: {run.job}",
        "",
        f"Job name: {run.job}",
        f"Job type: {run.detail or 'VMware backup job'}",
        f"Status: {word[run.status]}",
        f"Director: {run.host}",
        f"Start: {_pve_stamp(run.start)}",
        f"Finish: {_pve_stamp(run.end)}",
        f"Duration: {_hms(run.duration)}",
        f"Data transferred: {_gb(sent_total)}",
    ]
    note = run.message or next((o.message for o in run.problems if o.message), "")
    if note:
        fields.append(f"{'Error' if run.status == 'failed' else 'Alarm'}: {note}")
    text = "\n".join(
        [
            *fields,
            "",
            *rows,
            "",
            "This report was generated by NAKIVO Backup & Replication v10.11.",
            "",
        ]
    )
    result = {
        "success": "completed successfully",
        "warning": "completed with warnings",
        "failed": "failed",
    }[run.status]
    subject = f'Job "{run.job}" {result}'
    return _render(_Mail(kind, run, "NAKIVO Backup & Replication", subject, text=text))


# --- Acronis ----------------------------------------------------------------------------------


def acronis_backup(run: DemoRun) -> bytes:
    """An Acronis Cyber Protect Cloud per-device notification (`run.host` is the device,
    `run.job` the protection plan)."""
    kind = "acronis"
    rng = _rng(kind, run)
    heading = {
        "success": "Backup succeeded",
        "warning": "Backup succeeded with warnings",
        "failed": "Backup failed",
    }[run.status]
    lines = [
        heading,
        "",
        "The protection plan could not back up the device."
        if run.status == "failed"
        else "The protection plan was executed.",
        "",
        f"Device: {run.host}",
        f"Plan name: {run.job}",
        f"Start time: {_pve_stamp(run.start)}",
        f"Finish time: {_pve_stamp(run.end)}",
        f"Backup duration: {_hms(run.duration)}",
    ]
    if run.status != "failed":
        lines.append(f"Backup size: {_gb(rng.uniform(0.2, 80) * _GIB)}")
    if run.status == "failed":
        lines.append(f"Error: {run.message or 'The backup failed.'}")
    elif run.status == "warning":
        lines.append(f"Warning: {run.message or 'Some files were skipped.'}")
    lines += ["", "Acronis Cyber Protect Cloud", ""]
    subject = f"{heading}: {run.host}"
    return _render(_Mail(kind, run, "Cyber Protect", subject, text="\n".join(lines)))


# --- deliberately unparseable mails ------------------------------------------------------------


def unknown_product_report(run: DemoRun) -> bytes:
    """A report of a product no parser knows (for the Inbox of unparsed mails)."""
    text = (
        f"SafeHaven Cloud Vault - job summary\n\nJob: {run.job}\nComputer: {run.host}\n"
        f"Started: {_pve_stamp(run.start)}\nResult: completed, 0 items skipped\n\n"
        "This message was sent automatically by the SafeHaven agent.\n"
    )
    subject = f"SafeHaven summary - {run.job} on {run.host}"
    return _render(_Mail("unparsed-unknown", run, "SafeHaven Agent", subject, text=text))


def newsletter(run: DemoRun) -> bytes:
    """A vendor newsletter that landed in the reports mailbox (not a report at all)."""
    text = (
        "Hello partner,\n\nOur spring webinar series on ransomware readiness starts next "
        "week. Seats are limited.\n\nRegister at https://vendor.example/webinars\n\n"
        "You receive this mail because you are a registered partner.\n"
    )
    page = (
        "<html><body><h1>Partner newsletter</h1><p>Our spring webinar series on ransomware "
        'readiness starts next week.</p><p><a href="https://vendor.example/webinars">'
        "Register now</a></p></body></html>\n"
    )
    return _render(
        _Mail("unparsed-newsletter", run, "Vendor Partner Team", run.job, text=text, html=page)
    )


def auto_reply(run: DemoRun) -> bytes:
    """An out-of-office reply from a customer contact (not a report)."""
    text = (
        "Thank you for your message. I am out of the office until Monday and will have "
        "limited access to e-mail.\n\nFor urgent IT matters please call the service desk.\n"
    )
    return _render(
        _Mail(
            "unparsed-autoreply",
            run,
            run.host,
            f"Automatic reply: {run.job}",
            text=text,
            extra=(("Auto-Submitted", "auto-replied"),),
        )
    )


GENERATORS: dict[str, Callable[[DemoRun], bytes]] = {
    "veeam-backup": veeam_backup,
    "veeam-copy": veeam_backup_copy,
    "veeam-agent": veeam_agent_policy,
    "veeam-m365": veeam_m365,
    "pve-vzdump": proxmox_vzdump,
    "pbs-verify": pbs_verify,
    "pbs-gc": pbs_garbage_collection,
    "syno-hyperbackup": synology_hyper_backup,
    "syno-abb": synology_active_backup,
    "bareos": bareos_backup,
    "duplicati": duplicati_backup,
    "xo-backup": xen_orchestra_backup,
    "urbackup": urbackup_backup,
    "nakivo": nakivo_backup,
    "acronis": acronis_backup,
    "unparsed-unknown": unknown_product_report,
    "unparsed-newsletter": newsletter,
    "unparsed-autoreply": auto_reply,
}
"""Every builder by kind; kinds starting with `unparsed-` are deliberately unparseable."""
