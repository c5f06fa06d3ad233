"""What every synthetic report mail of the demo is made of: the run it reports, its rendering.

A builder (one per product, under `demo/reports/`) takes a `DemoRun` (who sends, which
host and job, when it started, how it ended, which objects with which status and
message) and returns a complete RFC 822 mail as bytes, through `render`. The layouts
mirror the golden fixtures under `tests/golden/<product>/`; numbers that a report shows
but the demo does not care about (sizes, per-object times, JobIds) are drawn from
`seeded_rng`, seeded by the run itself, so the same run always gives the same bytes.

Every mail is marked synthetic: header `X-Backupchecks-Demo: synthetic` and a Message-ID
`<demo-…@backupchecks.invalid>`.
"""

from __future__ import annotations

import binascii
import hashlib
import html
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.policy import compat32
from email.utils import format_datetime, formataddr

from backupchecks_tui.domain import RunStatus

DEMO_STATUSES = frozenset({RunStatus.SUCCESS, RunStatus.WARNING, RunStatus.FAILED})
"""The statuses a demo run or object can end with (a report is never Missed)."""

DEMO_HEADER = "X-Backupchecks-Demo"
"""The header every demo mail carries (value `synthetic`)."""

DEMO_MAIL_DOMAIN = "backupchecks.invalid"
"""The right-hand side of every demo Message-ID."""

UNPARSED_PREFIX = "<demo-unparsed-"
"""Message-ID prefix of the deliberately unparseable demo mails."""

RECIPIENT = "backup-reports@msp.example"
"""The MSP mailbox the demo mails are addressed to."""

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = (
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
GIB = 1024**3


@dataclass(frozen=True, slots=True)
class DemoObject:
    """One protected item of a demo run: a VM, guest, machine, mailbox…

    `kind` is product specific and optional: `lxc`/`qemu` for Proxmox VE guests,
    `Mailbox`/`OneDrive`/`Site`/`Team` for Veeam Backup for Microsoft 365.
    """

    name: str
    status: RunStatus = RunStatus.SUCCESS
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
    status: RunStatus = RunStatus.SUCCESS
    objects: tuple[DemoObject, ...] = ()
    message: str = ""
    duration: timedelta = timedelta(minutes=30)
    detail: str = ""

    def __post_init__(self) -> None:
        """Reject naive start times and unknown statuses early."""
        if self.start.tzinfo is None:
            msg = "DemoRun.start must be timezone-aware"
            raise ValueError(msg)
        if self.status not in DEMO_STATUSES:
            msg = f"unknown demo status {self.status!r}"
            raise ValueError(msg)

    @property
    def end(self) -> datetime:
        """When the run ended (and the mail was sent)."""
        return self.start + self.duration

    @property
    def problems(self) -> tuple[DemoObject, ...]:
        """The objects that did not succeed."""
        return tuple(o for o in self.objects if o.status != RunStatus.SUCCESS)


@dataclass(frozen=True, slots=True)
class Mail:
    """The parts of a mail before it is rendered: headers and bodies."""

    kind: str
    run: DemoRun
    from_name: str
    subject: str
    text: str | None = None
    html: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())


# --- shared helpers ---------------------------------------------------------------------


def message_id(kind: str, run: DemoRun) -> str:
    """The deterministic, clearly synthetic Message-ID of the mail for `run`."""
    return f"<demo-{kind}-{digest(kind, run)}@{DEMO_MAIL_DOMAIN}>"


def digest(kind: str, run: DemoRun) -> str:
    """A short stable hash of the run's identity."""
    key = f"{kind}|{run.sender}|{run.host}|{run.job}|{run.start.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def seeded_rng(kind: str, run: DemoRun) -> random.Random:
    """A random generator seeded by the run, for numbers the demo does not care about."""
    return random.Random(f"{kind}|{digest(kind, run)}")  # noqa: S311 - not for security


def render(mail: Mail) -> bytes:
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
        boundary = f"----=_Part_{digest(mail.kind, run)[:16]}"
        msg.set_raw("Content-Type", f'multipart/alternative; boundary="{boundary}"')
        for content, subtype in ((mail.text, "plain"), (mail.html, "html")):
            part = EmailMessage()
            set_body(part, content, subtype)
            msg.attach(part)
    elif mail.text is not None:
        set_body(msg, mail.text, "plain")
    else:
        set_body(msg, mail.html or "", "html")
    return msg.as_bytes(policy=compat32)


def set_body(part: EmailMessage, content: str, subtype: str) -> None:
    """Make `part` a text/<subtype> UTF-8 body: 7bit when plain ASCII, else quoted-printable."""
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    if content.isascii() and all(len(line) < 990 for line in content.splitlines()):
        part.set_raw("Content-Transfer-Encoding", "7bit")
        part.set_payload(content)
    else:
        part.set_raw("Content-Transfer-Encoding", "quoted-printable")
        part.set_payload(binascii.b2a_qp(content.encode("utf-8")).decode("ascii"))


def esc(text: str) -> str:
    """HTML-escaped text."""
    return html.escape(text, quote=True)


def gb(size: float) -> str:
    """Veeam/NAKIVO style size: '61.3 GB' (binary units, SI label)."""
    if size < GIB:
        return f"{size / 1024**2:.1f} MB"
    if size >= 1024 * GIB:
        return f"{size / (1024 * GIB):.1f} TB"
    return f"{size / GIB:.1f} GB"


def iec(size: float) -> str:
    """Proxmox style size: '12.5 GiB'."""
    if size <= 0:
        return "0 B"
    for unit, factor in (("TiB", 1024**4), ("GiB", GIB), ("MiB", 1024**2)):
        if size >= factor:
            return f"{size / factor:.{3 if unit == 'MiB' else 2}f} {unit}"
    return f"{size / 1024:.1f} KiB"


def hms(span: timedelta) -> str:
    """'0:52:37'."""
    seconds = max(0, int(span.total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def clock_time(moment: datetime) -> str:
    """'23:30:05'."""
    return f"{moment:%H:%M:%S}"


def object_spans(run: DemoRun, count: int, rng: random.Random) -> list[tuple[datetime, datetime]]:
    """Start and end of each of `count` objects, all inside the run."""
    total = max(60.0, run.duration.total_seconds())
    out: list[tuple[datetime, datetime]] = []
    for _ in range(count):
        offset = rng.uniform(5, total * 0.55)
        length = rng.uniform(0.25, 0.95) * (total - offset)
        begin = run.start + timedelta(seconds=int(offset))
        out.append((begin, begin + timedelta(seconds=max(20, int(length)))))
    return out


def first_sentence(text: str) -> str:
    """The text up to its first full stop, without the stop."""
    line = text.strip().split("\n", 1)[0]
    return line.split(". ", 1)[0].strip().rstrip(".")


def status_counts(run: DemoRun) -> tuple[int, int, int]:
    """Objects that succeeded, warned and failed."""
    statuses = [o.status for o in run.objects]
    return (
        statuses.count(RunStatus.SUCCESS),
        statuses.count(RunStatus.WARNING),
        statuses.count(RunStatus.FAILED),
    )


def timestamp(moment: datetime) -> str:
    """'2025-06-03 01:00:02'."""
    return f"{moment:%Y-%m-%d %H:%M:%S}"
