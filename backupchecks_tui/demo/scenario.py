"""The demo scenario: an MSP's Monday morning, 14 days of backup report mails.

Some forty customers (fictional, `.example` / `.test` domains) run some 175 jobs over
ten products (fifteen report kinds), about 2,100 mails. Most runs succeed; on top of a
little seeded noise the scenario scripts what an operator should find:

* recurring warnings on the same VM (Van Dijk's SQL01 and its changed block tracking,
  Juniper's locked Outlook file): candidates for an override;
* jobs failing two or three days in a row up to this morning (a Hyper Backup whose
  destination is gone, a Proxmox node out of ZFS space, a backup copy whose repository
  is full, a Bareos client the storage daemon rejects, a PBS garbage collection);
* object-level problems (one VM of twenty failing its snapshot, a skipped XO VM);
* jobs that stopped sending (no mail for days: Missed later), weekday-only and weekly
  jobs, a job whose NAS is not mapped to a customer yet;
* three mails no parser reads (an unknown product, a newsletter, an auto-reply).

Everything is deterministic: the same `today` and zone give the same mails, byte for
byte. Runs are timed in the given zone and only runs that ended before 07:30 of
`today` are sent.

The scenario's week always ends on `today`: `today` plays Monday, the two days before
it are the weekend that weekday-only jobs skip (see `scenario_weekday`). When `today`
is a Monday this is the calendar week; on other days the "weekend" moves, so the demo
opens on a Monday-sized queue whatever the date.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from backupchecks_tui.demo.generators import (
    GENERATORS,
    UNPARSED_PREFIX,
    DemoObject,
    DemoRun,
    DemoStatus,
    message_id,
    worst,
)

DAYS = 14
"""Days of history, today included."""

MORNING = time(7, 30)
"""The scenario's 'now': this time of `today`; later runs have not happened yet."""

SEED = "backupchecks-demo-1"
"""Seed of the scenario's random noise (with the date)."""

NOISE = 0.025
"""Chance that an unscripted run gets a random problem."""

ACRONIS_SENDER = "noreply@cyber-protect.msp-cloud.example"
"""The MSP's Acronis tenant sends for every customer (devices are mapped by name)."""

_WEEKDAYS = frozenset(range(5))
_ALL_DAYS = frozenset(range(7))
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@dataclass(frozen=True, slots=True)
class Customer:
    """A demo customer: display name, mail domain and hostname prefix."""

    name: str
    domain: str
    code: str


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a job runs: clock times on a set of weekdays (0 = Monday)."""

    times: tuple[time, ...]
    days: frozenset[int] = _ALL_DAYS

    @property
    def label(self) -> str:
        """'daily 22:00', 'weekdays 12:30', 'weekly Sat 02:00'."""
        clocks = "+".join(f"{t:%H:%M}" for t in self.times)
        if self.days == _ALL_DAYS:
            return f"daily {clocks}"
        if self.days == _WEEKDAYS:
            return f"weekdays {clocks}"
        names = ",".join(
            ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d] for d in sorted(self.days)
        )
        return f"weekly {names} {clocks}"


def daily(*clocks: str) -> Schedule:
    """Every day at `clocks` ('22:00')."""
    return Schedule(tuple(time.fromisoformat(c) for c in clocks))


def weekdays(*clocks: str) -> Schedule:
    """Monday to Friday at `clocks`."""
    return Schedule(tuple(time.fromisoformat(c) for c in clocks), _WEEKDAYS)


def weekly(day: int, clock: str) -> Schedule:
    """Once a week on `day` (0 = Monday) at `clock`."""
    return Schedule((time.fromisoformat(clock),), frozenset({day}))


@dataclass(frozen=True, slots=True)
class Issue:
    """A scripted problem: on which runs (days ago; None = every run), which status and text.

    `target` names the object that has the problem ('' = the job itself).
    """

    status: DemoStatus
    message: str
    target: str = ""
    days_ago: frozenset[int] | None = None


def on_days(*days_ago: int) -> frozenset[int]:
    """The runs of these days (0 = today, 1 = yesterday, …)."""
    return frozenset(days_ago)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One demo job: product kind, identity, schedule, objects and scripted problems.

    `silent_days` > 0 makes the job stop sending: no mail in the last `silent_days` days.
    `unmapped` leaves its host without a customer rule (it shows as Unassigned).
    """

    customer: Customer
    kind: str
    job: str
    sender: str
    schedule: Schedule
    host: str = ""
    detail: str = ""
    objects: tuple[DemoObject, ...] = ()
    minutes: int = 30
    issues: tuple[Issue, ...] = ()
    silent_days: int = 0
    unmapped: bool = False

    @property
    def product_host(self) -> str:
        """The host the product's parser reports for this job (the job's identity)."""
        if self.kind in {"pbs-verify", "pbs-gc", "syno-hyperbackup", "syno-abb", "bareos"}:
            return self.host
        if self.kind in {"acronis", "pve-vzdump", "nakivo"}:
            return self.host
        if self.kind == "veeam-m365":
            return self.detail or self.customer.domain
        return self.sender

    @property
    def needs_host_rule(self) -> bool:
        """Whether the customer's sender-domain rule cannot map this job by itself."""
        host = self.product_host.lower()
        domain = self.customer.domain.lower()
        return not (host == domain or host.endswith(("." + domain, "@" + domain)))


@dataclass(frozen=True, slots=True)
class DemoMail:
    """One generated mail and what the scenario expects of it."""

    kind: str
    customer: str
    job: str
    status: DemoStatus
    day: date
    sent: datetime
    message_id: str
    raw: bytes
    expect_parsed: bool = True


@dataclass(frozen=True, slots=True)
class Scenario:
    """The customers, jobs and mails of one demo morning."""

    today: date
    now: datetime
    customers: tuple[Customer, ...]
    jobs: tuple[JobSpec, ...]
    mails: tuple[DemoMail, ...] = field(default=())

    def host_rules(self, customer: Customer) -> list[str]:
        """The hosts (lowercase) that need a `sender` rule for `customer`."""
        found = {
            j.product_host.lower()
            for j in self.jobs
            if j.customer == customer and j.needs_host_rule and not j.unmapped
        }
        return sorted(found)


# --- problem texts -----------------------------------------------------------------------

CBT = (
    "Changed block tracking cannot be enabled: one or more snapshots present.\n"
    "Full scan of the virtual disks was performed."
)
SNAPSHOT_TIMEOUT = "Failed to create VM snapshot: timeout (1800 sec).\nError: Operation timed out"
SQL_VSS = "VSS writer 'SqlServerWriter' failed: VSS_WS_FAILED_AT_PREPARE_BACKUP"
REPO_FULL = "Not enough free space on repository NAS-REPO01 (required 412.6 GB, available 96.3 GB)"
ZFS_FULL = "zfs error: cannot create snapshot 'rpool/data/vm-204-disk-0@vzdump': out of space"
HB_DEST = "Hyper Backup: The destination is not available. Check the network connection."
BAREOS_AUTH = 'Authorization key rejected by Storage daemon "bareos-sd". Please see the docs.'
GC_LOCK = "unable to get exclusive lock - EWOULDBLOCK: Operation would block"
VDI_CHAIN = (
    "skipped: (unhealthy VDI chain) Job canceled to protect the VDI chain. "
    "See https://xen-orchestra.com/docs/backup_troubleshooting.html#vdi-chain-protection"
)
OST_LOCKED = (
    "Failed to process path: C:\\Users\\jvb\\AppData\\Local\\Microsoft\\Outlook\\"
    "jvb@junipermarketing.test.ost"
)

_OBJECT_NOISE: dict[str, tuple[tuple[DemoStatus, str], ...]] = {
    "veeam-backup": (
        ("warning", CBT),
        ("warning", SQL_VSS + ".\nApplication-aware processing was skipped."),
        ("warning", "Unable to truncate Microsoft SQL Server transaction logs."),
        ("failed", SNAPSHOT_TIMEOUT),
        ("warning", "Failed to inventory guest system: RPC server is unavailable."),
    ),
    "veeam-copy": (
        ("warning", "Restore point is locked by another task, will retry."),
        ("failed", "Connection to the target repository was lost."),
    ),
    "veeam-agent": (
        (
            "warning",
            "Backup job was stopped because the computer went to sleep; "
            "will retry at the next scheduled run.",
        ),
        ("failed", "Failed to connect to the backup repository: connection timed out."),
        ("warning", SQL_VSS),
    ),
    "veeam-m365": (
        ("warning", "Item Archive/2019.pst was skipped: file size exceeds the limit."),
        ("warning", "Throttling detected: the Exchange Online server is busy, will retry."),
        ("failed", "Access is denied (403 Forbidden): the account is not licensed for OneDrive."),
    ),
    "pve-vzdump": (
        ("failed", "qmp command 'guest-fsfreeze-freeze' failed - got timeout"),
        (
            "failed",
            "backup write data failed: command error: write_data upload error: "
            "pipelined request failed: timed out",
        ),
    ),
    "xo-backup": (
        ("failed", "ENOSPC: no space left on device, write"),
        ("warning", "Unable to merge the backup chain, it will be retried on the next run"),
        ("warning", VDI_CHAIN),
    ),
    "nakivo": (
        ("failed", "The Transporter is inaccessible."),
        ("warning", "Change tracking is disabled for the VM; a full scan was performed."),
        ("warning", "Could not quiesce the VM: VMware Tools are not running."),
    ),
    "syno-abb": (("warning", "The device was offline; the backup will be retried."),),
}
_JOB_NOISE: dict[str, tuple[tuple[DemoStatus, str], ...]] = {
    "pbs-gc": (("failed", GC_LOCK),),
    "pbs-verify": (("failed", "Verification failed"),),
    "syno-hyperbackup": (
        ("warning", "Some files were skipped because they could not be read (permission denied)."),
        ("failed", "Insufficient capacity on the backup destination."),
    ),
    "syno-abb": (("failed", "The backup destination is read-only."),),
    "bareos": (
        (
            "warning",
            'Could not stat "/home/shared/.cache/session.lock": ERR=No such file or directory',
        ),
        (
            "warning",
            'VSS Writer (PrepareForBackup): "SqlServerWriter", State: 0x7 '
            "(VSS_WS_FAILED_AT_PREPARE_BACKUP)",
        ),
        ("failed", "Network error with FD during Backup: ERR=Connection reset by peer"),
    ),
    "duplicati": (
        ("warning", "Failed to process path: C:\\Users\\Public\\Documents\\locked.xlsx"),
        ("failed", "Found 3 files that are missing from the remote storage, please run repair"),
        ("failed", "The remote server returned an error: (403) Forbidden."),
    ),
    "urbackup": (
        (
            "warning",
            'Error getting file metadata of "C:\\Users\\Public\\~lock.docx#". Skipping file.',
        ),
        ("failed", "Client went offline during the backup."),
        ("failed", "Error writing to VHD-File."),
    ),
    "acronis": (
        ("failed", "Failed to create a volume snapshot (VSS error 0x80042306)."),
        (
            "warning",
            "VSS writer 'SqlServerWriter' failed; databases were backed up crash-consistent.",
        ),
        ("warning", "Some files were skipped: C:\\Users\\Default\\NTUSER.DAT could not be read."),
    ),
    "veeam-copy": (("failed", REPO_FULL),),
}


# --- customers and jobs ------------------------------------------------------------------


def _objs(*names: str, kind: str = "") -> tuple[DemoObject, ...]:
    """Successful objects named `names`."""
    return tuple(DemoObject(n, kind=kind) for n in names)


def _guests(*names: str) -> tuple[DemoObject, ...]:
    """Proxmox guests; a name ending in '/ct' is a container."""
    return tuple(
        DemoObject(n.removesuffix("/ct"), kind="lxc" if n.endswith("/ct") else "qemu")
        for n in names
    )


def _people(*names: str, kind: str = "Mailbox") -> tuple[DemoObject, ...]:
    """VB365 objects of one type."""
    return _objs(*names, kind=kind)


class _Book:
    """Collects the jobs of the scenario with per-kind defaults (sender, host rules)."""

    def __init__(self) -> None:
        """An empty book."""
        self.customers: list[Customer] = []
        self.jobs: list[JobSpec] = []

    def customer(self, name: str, domain: str, code: str) -> Customer:
        """Add and return a customer."""
        found = Customer(name, domain, code)
        self.customers.append(found)
        return found

    def add(
        self,
        c: Customer,
        kind: str,
        job: str,
        schedule: Schedule,
        *,
        sender: str = "",
        host: str = "",
        detail: str = "",
        objects: Sequence[DemoObject] = (),
        minutes: int = 30,
        issues: Sequence[Issue] = (),
        silent_days: int = 0,
        unmapped: bool = False,
    ) -> None:
        """Add one job (the sender defaults to the product's usual mailbox)."""
        defaults = {
            "veeam-backup": f"veeam@{c.domain}",
            "veeam-copy": f"veeam@{c.domain}",
            "veeam-agent": f"veeam@{c.domain}",
            "veeam-m365": f"vb365@{c.domain}",
            "pve-vzdump": f"root@{host}",
            "pbs-verify": f"root@{host}.{c.domain}",
            "pbs-gc": f"root@{host}.{c.domain}",
            "syno-hyperbackup": f"nas@{c.domain}",
            "syno-abb": f"nas@{c.domain}",
            "bareos": f"bareos@{c.domain}",
            "duplicati": f"duplicati@{c.domain}",
            "xo-backup": f"xo@{c.domain}",
            "urbackup": f"urbackup@{c.domain}",
            "nakivo": f"nakivo@{c.domain}",
            "acronis": ACRONIS_SENDER,
        }
        self.jobs.append(
            JobSpec(
                customer=c,
                kind=kind,
                job=job,
                sender=sender or defaults[kind],
                schedule=schedule,
                host=host,
                detail=detail,
                objects=tuple(objects),
                minutes=minutes,
                issues=tuple(issues),
                silent_days=silent_days,
                unmapped=unmapped,
            )
        )

    def urbackup_fleet(
        self, c: Customer, clients: Sequence[str], schedule: Schedule, issues: Sequence[Issue] = ()
    ) -> None:
        """One UrBackup file-backup job per client."""
        for name in clients:
            mine = [i for i in issues if i.target == name]
            self.add(c, "urbackup", name, schedule, minutes=8, issues=mine)

    def acronis_fleet(
        self,
        c: Customer,
        devices: Sequence[str],
        plan: str,
        schedule: Schedule,
        issues: Sequence[Issue] = (),
    ) -> None:
        """One Acronis job per device under one protection plan."""
        for name in devices:
            mine = [i for i in issues if i.target == name]
            self.add(c, "acronis", plan, schedule, host=name, minutes=14, issues=mine)


def _catalogue() -> _Book:  # noqa: PLR0915 - one long, flat list of demo data
    """Every customer and job of the demo."""
    b = _Book()

    c = b.customer("Harbor Dental Group", "harbordental.example", "HDG")
    b.add(
        c,
        "veeam-backup",
        "Daily VM Backup",
        daily("22:00"),
        minutes=55,
        objects=_objs("DC01", "FS01", "SQL01", "RDS01", "IMAGING01"),
    )
    b.add(
        c,
        "veeam-copy",
        "Offsite Copy",
        daily("02:00"),
        minutes=70,
        objects=_objs("DC01", "FS01", "SQL01", "RDS01", "IMAGING01"),
    )
    b.add(
        c,
        "veeam-m365",
        "Exchange Online",
        weekdays("20:00"),
        minutes=25,
        objects=_people("Dr. Maria Lopez", "Front Desk", "Billing", "Dr. Tom Hale", "Info"),
    )
    b.add(
        c,
        "veeam-agent",
        "Front desk PCs",
        weekdays("13:30"),
        minutes=25,
        objects=_objs("HDG-FRONT1", "HDG-FRONT2", "HDG-XRAY-WS"),
    )

    c = b.customer("Pinecrest Veterinary Clinic", "pinecrest-vet.example", "PVC")
    b.add(
        c,
        "syno-hyperbackup",
        "Offsite-C2",
        daily("01:00"),
        host="PVC-NAS01",
        minutes=35,
        detail="Synology C2 Storage",
    )
    b.add(
        c,
        "syno-abb",
        "PC-Backup",
        weekdays("12:30"),
        host="PVC-NAS01",
        minutes=20,
        objects=_objs("PVC-RECEPTION", "PVC-EXAM1", "PVC-EXAM2", "PVC-LAB"),
    )
    b.add(
        c,
        "syno-abb",
        "Server-Backup",
        weekdays("23:00"),
        host="PVC-NAS01",
        minutes=40,
        objects=_objs("PVC-SRV01"),
    )
    b.add(
        c,
        "syno-hyperbackup",
        "USB-Rotation",
        weekly(FRI, "18:00"),
        host="PVC-NAS01",
        minutes=80,
        detail="USB Copy",
    )

    c = b.customer("Summit Legal LLP", "summitlegal.example", "SUM")
    b.add(
        c,
        "veeam-backup",
        "File and DMS servers",
        weekdays("21:00"),
        minutes=75,
        objects=_objs("SUM-DC01", "SUM-FS01", "SUM-DMS01", "SUM-SQL01"),
    )
    b.add(
        c,
        "veeam-copy",
        "Backup Copy to Wasabi",
        weekdays("04:00"),
        minutes=60,
        objects=_objs("SUM-DC01", "SUM-FS01", "SUM-DMS01", "SUM-SQL01"),
    )
    b.add(
        c,
        "veeam-m365",
        "Mailboxes",
        daily("23:00"),
        minutes=40,
        objects=_people(
            "Ann Carter", "Ben Hughes", "Claire Diaz", "Records", "Partners", "Docketing"
        ),
        issues=[
            Issue(
                "failed",
                "Access is denied (403 Forbidden): the account is not "
                "licensed for Exchange Online.",
                "Claire Diaz",
                on_days(8),
            )
        ],
    )
    b.add(
        c,
        "veeam-m365",
        "SharePoint and OneDrive",
        daily("01:30"),
        minutes=50,
        objects=(
            *_people("Matters", "Knowledge Base", kind="Site"),
            *_people("Ann Carter", "Ben Hughes", "Claire Diaz", kind="OneDrive"),
        ),
    )
    b.add(
        c,
        "veeam-agent",
        "Partner Laptops",
        weekdays("12:00"),
        minutes=30,
        objects=_objs("SUM-LT-ACARTER", "SUM-LT-BHUGHES", "SUM-LT-CDIAZ"),
    )

    c = b.customer("Blue Ridge Logistics", "blueridge-logistics.example", "BRL")
    b.add(
        c,
        "pve-vzdump",
        "pve01",
        daily("21:00"),
        host="pve01.blueridge-logistics.example",
        minutes=45,
        detail="pbs-brl",
        objects=_guests("dc01", "tms-app01", "tms-db01", "dns01/ct", "proxy01/ct", "fs01"),
    )
    b.add(
        c,
        "pve-vzdump",
        "pve02",
        daily("21:30"),
        host="pve02.blueridge-logistics.example",
        minutes=40,
        detail="pbs-brl",
        objects=_guests("edi01", "print01", "wms01", "monitor01/ct", "git01/ct"),
    )
    b.add(
        c,
        "pve-vzdump",
        "pve03",
        weekdays("22:00"),
        host="pve03.blueridge-logistics.example",
        minutes=20,
        detail="pbs-brl",
        objects=_guests("test01", "lab-win11"),
    )
    b.add(c, "pbs-gc", "datastore1", daily("03:00"), host="brl-pbs01", minutes=12)
    b.add(
        c,
        "pbs-verify",
        "v-brl-weekly",
        weekly(SUN, "05:00"),
        host="brl-pbs01",
        minutes=90,
        detail="datastore1",
    )

    c = b.customer("Oakwood Family Practice", "oakwoodfp.example", "OFP")
    b.add(
        c,
        "veeam-agent",
        "Workstations",
        weekdays("12:30"),
        minutes=40,
        objects=_objs("OFP-WS-RECEPT1", "OFP-WS-DOC01", "OFP-WS-DOC02", "OFP-WS-NURSE1"),
        issues=[
            Issue(
                "warning",
                "Backup job was stopped because the computer went to sleep; "
                "will retry at the next scheduled run.",
                "OFP-WS-DOC02",
                on_days(3, 6),
            )
        ],
    )
    b.add(
        c,
        "veeam-backup",
        "Servers",
        daily("22:00"),
        minutes=35,
        objects=_objs("OFP-DC01", "OFP-EHR01"),
    )

    c = b.customer("Van Dijk Accountants", "vandijk-accountants.example", "VDA")
    b.add(
        c,
        "veeam-backup",
        "Daily VM Backup",
        daily("22:00"),
        minutes=60,
        objects=_objs("DC01", "FS01", "SQL01", "EXACT01", "RDS01", "RDS02"),
        issues=[Issue("warning", CBT, "SQL01")],
    )
    b.add(
        c,
        "veeam-copy",
        "Backup Copy offsite",
        daily("06:00"),
        minutes=50,
        objects=_objs("DC01", "FS01", "SQL01", "EXACT01", "RDS01", "RDS02"),
    )
    b.add(
        c,
        "veeam-m365",
        "Exchange Online",
        weekdays("19:00"),
        minutes=20,
        objects=_people("Pieter van Dijk", "Sanne de Wit", "Administratie", "Info"),
    )
    b.add(
        c,
        "veeam-backup",
        "Exact intraday",
        weekdays("12:00", "17:00"),
        minutes=9,
        objects=_objs("EXACT01"),
    )

    c = b.customer("Bakkerij De Graaf", "bakkerijdegraaf.test", "BDG")
    b.add(
        c,
        "syno-hyperbackup",
        "Backup naar USB",
        weekdays("20:00"),
        host="DEGRAAF-DS220",
        minutes=25,
        detail="USB Copy",
    )
    b.add(
        c,
        "syno-abb",
        "Kassa-PCs",
        weekdays("21:00"),
        host="DEGRAAF-DS220",
        minutes=15,
        objects=_objs("KASSA-1", "KASSA-2", "KANTOOR"),
    )

    c = b.customer("Meridian Architects", "meridian-arch.example", "MER")
    b.add(
        c,
        "syno-hyperbackup",
        "Projects-to-C2",
        daily("23:00"),
        host="MERIDIAN-NAS",
        minutes=95,
        detail="Synology C2 Storage",
        issues=[Issue("failed", HB_DEST, days_ago=on_days(1, 2, 3))],
    )
    b.add(
        c,
        "syno-abb",
        "Workstations",
        weekdays("13:00"),
        host="MERIDIAN-NAS",
        minutes=30,
        objects=_objs("MER-CAD01", "MER-CAD02", "MER-CAD03", "MER-OFFICE"),
    )
    b.add(
        c,
        "syno-abb",
        "CAD-Server",
        daily("22:00"),
        host="MERIDIAN-NAS",
        minutes=45,
        objects=_objs("MER-SRV01"),
    )
    b.add(
        c,
        "syno-hyperbackup",
        "Archive-Weekly",
        weekly(SAT, "10:00"),
        host="MERIDIAN-NAS",
        minutes=150,
        detail="Remote NAS (rsync)",
    )

    c = b.customer("Northgate Engineering", "northgate-eng.example", "NGE")
    b.add(
        c,
        "bareos",
        "northgate-fs01",
        weekdays("22:00"),
        host="nge-fs01-fd",
        minutes=50,
        detail="Windows All Drives",
    )
    b.add(
        c,
        "bareos",
        "northgate-erp",
        daily("23:00"),
        host="nge-erp01-fd",
        minutes=35,
        detail="LinuxAll",
    )
    b.add(
        c,
        "bareos",
        "northgate-cad",
        weekdays("21:30"),
        host="nge-cad01-fd",
        minutes=70,
        detail="CAD Projects",
    )
    b.add(
        c,
        "bareos",
        "BackupCatalog",
        daily("23:50"),
        host="nge-dir01-fd",
        minutes=4,
        detail="Catalog",
    )

    c = b.customer("Lakeside Hotel & Spa", "lakesidehotel.example", "LHS")
    b.add(
        c,
        "xo-backup",
        "Nightly-Delta",
        daily("01:00"),
        minutes=70,
        objects=_objs(
            "lhs-dc01",
            "lhs-pms-app",
            "lhs-pms-db",
            "lhs-pos-db",
            "lhs-wifi-ctl",
            "lhs-fs01",
            "lhs-print",
            "lhs-cctv",
            "lhs-mail-relay",
            "lhs-web",
        ),
        issues=[Issue("warning", VDI_CHAIN, "lhs-pos-db", on_days(0, 1))],
    )
    b.add(
        c,
        "xo-backup",
        "Weekly-Full",
        weekly(SAT, "02:00"),
        minutes=180,
        objects=_objs("lhs-dc01", "lhs-pms-app", "lhs-pms-db", "lhs-fs01"),
    )
    b.add(c, "duplicati", "POS-Backup", daily("03:00"), minutes=10, silent_days=3)

    c = b.customer("Greenfield Farms Coop", "greenfieldcoop.test", "GFC")
    b.add(c, "duplicati", "Office-PC to B2", weekdays("18:00"), minutes=15)
    b.add(c, "duplicati", "Farm-Server", daily("02:00"), minutes=25)

    c = b.customer("Brightstar Kindergarten", "brightstar-kids.test", "BSK")
    b.urbackup_fleet(
        c,
        [
            "BSK-OFFICE01",
            "BSK-OFFICE02",
            "BSK-GROUP-A",
            "BSK-GROUP-B",
            "BSK-DIRECTOR",
            "BSK-KITCHEN",
            "BSK-GROUP-C",
        ],
        weekdays("13:00"),
    )
    b.add(c, "urbackup", "BSK-SRV01", daily("23:00"), detail="image", minutes=45)

    c = b.customer("Atlas Freight Forwarding", "atlasfreight.example", "AFF")
    b.add(
        c,
        "nakivo",
        "VMware daily backup",
        daily("22:00"),
        host="nbr01.atlasfreight.example",
        minutes=80,
        objects=_objs(
            "aff-dc01",
            "aff-dc02",
            "aff-tms",
            "aff-sql01",
            "aff-fs01",
            "aff-rds01",
            "aff-rds02",
            "aff-edi",
        ),
    )
    b.add(
        c,
        "nakivo",
        "Physical servers",
        weekdays("23:00"),
        host="nbr01.atlasfreight.example",
        minutes=30,
        detail="Physical machine backup job",
        objects=_objs("aff-scan01", "aff-label01"),
    )
    b.add(
        c,
        "nakivo",
        "Backup copy to cloud",
        weekdays("05:00"),
        host="nbr01.atlasfreight.example",
        minutes=60,
        detail="Backup copy job",
        objects=_objs("aff-dc01", "aff-tms", "aff-sql01", "aff-fs01"),
    )
    b.add(
        c,
        "nakivo",
        "TMS intraday",
        weekdays("09:00", "12:00", "15:00", "18:00"),
        host="nbr01.atlasfreight.example",
        minutes=7,
        objects=_objs("aff-tms", "aff-sql01"),
    )

    c = b.customer("Copperleaf Print Works", "copperleaf.example", "CPW")
    b.add(
        c,
        "xo-backup",
        "Production-VMs",
        weekdays("22:00"),
        minutes=60,
        objects=_objs("cpw-rip01", "cpw-rip02", "cpw-mis", "cpw-dc01", "cpw-fs01", "cpw-web"),
    )
    b.add(c, "xo-backup", "Fileserver-Delta", daily("23:00"), minutes=30, objects=_objs("cpw-fs01"))
    b.add(
        c,
        "xo-backup",
        "MIS intraday",
        weekdays("10:00", "13:00", "16:00"),
        minutes=6,
        objects=_objs("cpw-mis"),
    )

    c = b.customer("Riverside Care Home", "riversidecare.example", "RCH")
    b.add(
        c,
        "veeam-backup",
        "Care Systems",
        daily("21:00"),
        minutes=50,
        objects=_objs("RCH-DC01", "RCH-ECD01", "RCH-SQL01", "RCH-PRINT01"),
    )
    b.add(
        c,
        "veeam-copy",
        "Backup Copy NAS",
        daily("03:00"),
        minutes=40,
        objects=_objs("RCH-DC01", "RCH-ECD01", "RCH-SQL01", "RCH-PRINT01"),
        issues=[
            Issue("failed", REPO_FULL, days_ago=on_days(0, 1, 2)),
            *(
                Issue("failed", "Not enough free space on repository", vm, on_days(0, 1, 2))
                for vm in ("RCH-DC01", "RCH-ECD01", "RCH-SQL01", "RCH-PRINT01")
            ),
        ],
    )
    b.add(
        c,
        "veeam-m365",
        "Exchange and Teams",
        daily("00:30"),
        minutes=35,
        objects=(
            *_people("Care Team", "Management", "Kitchen", "Reception"),
            *_people("Staff Room", kind="Team"),
        ),
    )
    b.add(
        c,
        "veeam-backup",
        "ECD transaction logs",
        weekdays("09:00", "13:00", "17:00"),
        minutes=5,
        objects=_objs("RCH-SQL01"),
    )

    c = b.customer("Kessler Metalworks", "kessler-metal.example", "KMW")
    b.add(
        c,
        "pve-vzdump",
        "pve-kessler01",
        weekdays("20:00"),
        host="pve-kessler01.kessler-metal.example",
        minutes=30,
        detail="pbs-kmw",
        objects=_guests("kmw-dc01", "kmw-erp01", "kmw-cam01", "kmw-unifi/ct"),
    )
    b.add(
        c,
        "pbs-gc",
        "backup",
        daily("04:00"),
        host="kmw-pbs01",
        minutes=8,
        issues=[Issue("failed", GC_LOCK, days_ago=on_days(0, 1))],
    )
    b.add(
        c,
        "pbs-verify",
        "v-kmw-sat",
        weekly(SAT, "06:00"),
        host="kmw-pbs01",
        minutes=60,
        detail="backup",
    )
    b.add(c, "duplicati", "CAM programs", weekdays("12:30", "17:30"), minutes=4)

    c = b.customer("Willow Creek Physiotherapy", "willowcreekphysio.test", "WCP")
    b.add(c, "acronis", "Server daily", daily("23:00"), host="WCP-SRV01", minutes=35)
    b.acronis_fleet(
        c,
        [
            "WCP-FRONTDESK",
            "WCP-THERAPY1",
            "WCP-THERAPY2",
            "WCP-THERAPY3",
            "WCP-OFFICE",
            "WCP-GYM-KIOSK",
            "WCP-MANAGER",
        ],
        "Workstations daily",
        weekdays("12:00"),
        issues=[
            Issue(
                "failed",
                "The device was offline when the backup started.",
                "WCP-THERAPY3",
                on_days(4),
            )
        ],
    )

    c = b.customer("Stonebridge Insurance Brokers", "stonebridge-ins.example", "SIB")
    b.add(
        c,
        "veeam-backup",
        "Daily Servers",
        weekdays("22:00"),
        minutes=65,
        objects=_objs("SIB-DC01", "SIB-FS01", "SIB-CRM01", "SIB-SQL01", "SIB-APP01"),
    )
    b.add(
        c,
        "veeam-copy",
        "Copy to Cloud Connect",
        weekdays("04:00"),
        minutes=55,
        objects=_objs("SIB-DC01", "SIB-FS01", "SIB-CRM01", "SIB-SQL01", "SIB-APP01"),
    )
    b.add(
        c,
        "veeam-m365",
        "Exchange Online",
        weekdays("21:00"),
        minutes=30,
        objects=_people("Brokers", "Claims", "Helen Marsh", "Omar Said", "Support"),
    )
    b.add(
        c,
        "veeam-agent",
        "Laptops",
        weekdays("12:00"),
        minutes=35,
        objects=_objs("SIB-LT01", "SIB-LT02", "SIB-LT03", "SIB-LT04", "SIB-LT05"),
    )
    b.add(
        c,
        "veeam-backup",
        "CRM intraday",
        weekdays("09:00", "12:00", "15:00", "18:00"),
        minutes=12,
        objects=_objs("SIB-CRM01", "SIB-SQL01"),
    )

    c = b.customer("Juniper Marketing", "junipermarketing.test", "JUN")
    b.add(
        c,
        "duplicati",
        "Creative-NAS to B2",
        daily("01:00"),
        minutes=40,
        issues=[Issue("warning", OST_LOCKED)],
    )
    b.add(
        c,
        "syno-hyperbackup",
        "NAS to C2",
        weekdays("22:00"),
        host="JUNIPER-DS920",
        minutes=60,
        detail="Synology C2 Storage",
    )

    c = b.customer("Hollandia Installatietechniek", "hollandia-installatie.example", "HOL")
    b.add(
        c,
        "veeam-backup",
        "Backup Servers",
        weekdays("22:30"),
        minutes=55,
        objects=_objs("HOL-DC01", "HOL-FS01", "HOL-SQL01", "HOL-RDS01"),
    )
    b.add(
        c,
        "veeam-copy",
        "Backup Copy Offsite",
        weekdays("05:00"),
        minutes=45,
        objects=_objs("HOL-DC01", "HOL-FS01", "HOL-SQL01", "HOL-RDS01"),
    )
    b.add(
        c,
        "veeam-backup",
        "SQL intraday",
        weekdays("08:00", "11:00", "14:00", "17:00"),
        minutes=8,
        objects=_objs("HOL-SQL01"),
    )

    c = b.customer("Cedar & Pine Furniture", "cedarpine.example", "CNP")
    b.urbackup_fleet(
        c,
        ["CNP-DESIGN01", "CNP-DESIGN02", "CNP-OFFICE01", "CNP-SHOWROOM", "CNP-WORKSHOP"],
        weekdays("12:30"),
        issues=[
            Issue(
                "warning",
                'Error getting file metadata of "C:\\Users\\'
                'design\\Documents\\~$catalogue.indd". Skipping file.',
                "CNP-DESIGN02",
                on_days(1, 2, 5, 7, 9),
            )
        ],
    )
    b.add(c, "urbackup", "CNP-SRV01", daily("22:30"), detail="image", minutes=50)

    c = b.customer("Maple Street Pharmacy", "maplestreetrx.example", "MAP")
    b.add(
        c,
        "acronis",
        "Server nightly",
        daily("22:30"),
        host="MAPLE-SRV01",
        minutes=40,
        issues=[
            Issue(
                "warning",
                SQL_VSS + "; databases were backed up crash-consistent.",
                days_ago=on_days(2, 5, 8, 11),
            )
        ],
    )
    b.acronis_fleet(c, ["MAPLE-POS1", "MAPLE-POS2", "MAPLE-POS3"], "POS daily", daily("21:30"))
    b.acronis_fleet(c, ["MAPLE-OFFICE1", "MAPLE-OFFICE2"], "Office PCs", weekdays("12:15"))

    c = b.customer("Orion Software Labs", "orionlabs.example", "ORI")
    b.add(
        c,
        "pve-vzdump",
        "pve01",
        daily("23:00"),
        host="pve01.orionlabs.example",
        minutes=60,
        detail="pbs-orion",
        objects=_guests(
            "ori-dc01",
            "gitlab",
            "jira",
            "confluence",
            "nexus",
            "ci-runner01/ct",
            "ci-runner02/ct",
            "vault/ct",
        ),
    )
    b.add(
        c,
        "pve-vzdump",
        "pve02",
        daily("23:30"),
        host="pve02.orionlabs.example",
        minutes=50,
        detail="local-zfs",
        objects=_guests("build-runner", "db-staging", "db-prod", "k8s-w1", "k8s-w2"),
        issues=[
            Issue("failed", ZFS_FULL, "build-runner", on_days(1, 2)),
            Issue("failed", ZFS_FULL.replace("204", "205"), "db-staging", on_days(1)),
        ],
    )
    b.add(
        c,
        "pbs-verify",
        "v-orion-daily",
        daily("06:00"),
        host="orion-pbs01",
        minutes=45,
        detail="fast-ssd",
    )
    b.add(c, "pbs-gc", "fast-ssd", daily("02:00"), host="orion-pbs01", minutes=15)
    b.add(c, "pbs-gc", "archive-hdd", weekdays("03:00"), host="orion-pbs01", minutes=25)
    b.add(c, "duplicati", "Webshop DB", daily("00:00", "06:00", "12:00", "18:00"), minutes=5)

    c = b.customer("Fairway Golf Club", "fairwaygolf.test", "FGC")
    b.add(
        c,
        "syno-hyperbackup",
        "Clubhouse-Offsite",
        weekdays("23:00"),
        host="FAIRWAY-NAS",
        minutes=40,
        detail="Remote NAS (rsync)",
    )
    b.add(
        c,
        "syno-abb",
        "Office PCs",
        weekdays("12:00"),
        host="FAIRWAY-NAS",
        minutes=20,
        objects=_objs("FGC-PROSHOP", "FGC-OFFICE", "FGC-BAR"),
    )

    c = b.customer("Tidewater Marine Services", "tidewater-marine.example", "TMS")
    b.add(
        c,
        "nakivo",
        "Hyper-V daily",
        weekdays("22:00"),
        host="nbr.tidewater-marine.example",
        minutes=50,
        detail="Hyper-V backup job",
        objects=_objs("tms-dc01", "tms-fs01", "tms-erp", "tms-sql", "tms-rds", "tms-ais"),
    )
    b.add(
        c,
        "nakivo",
        "Replica to DR",
        daily("02:00"),
        host="nbr.tidewater-marine.example",
        minutes=40,
        detail="Hyper-V replication job",
        objects=_objs("tms-dc01", "tms-erp", "tms-sql"),
        issues=[
            Issue(
                "warning",
                "Change tracking is disabled for the VM; a full scan was performed.",
                "tms-sql",
                on_days(0, 6),
            )
        ],
    )

    c = b.customer("Bellini Restaurants", "bellini-group.test", "BEL")
    b.add(c, "duplicati", "Bellini-HQ-Server", daily("03:00"), minutes=20)
    b.add(c, "duplicati", "Bellini-Kassa-1", weekdays("23:30"), minutes=5)
    b.add(c, "duplicati", "Bellini-Kassa-2", weekdays("23:30"), minutes=5)

    c = b.customer("Everest Property Management", "everestpm.example", "EPM")
    b.add(
        c,
        "veeam-backup",
        "Nightly",
        daily("22:00"),
        minutes=60,
        objects=_objs("EPM-DC01", "EPM-FS01", "EPM-SQL01", "EPM-APP01", "EPM-RDS01"),
        issues=[
            Issue(
                "warning",
                SQL_VSS + ".\nApplication-aware processing was skipped.",
                "EPM-SQL01",
                on_days(2, 4, 7, 10, 13),
            )
        ],
    )
    b.add(
        c,
        "veeam-copy",
        "Backup Copy GFS",
        weekly(SUN, "08:00"),
        minutes=120,
        objects=_objs("EPM-DC01", "EPM-FS01", "EPM-SQL01", "EPM-APP01", "EPM-RDS01"),
    )
    b.add(
        c,
        "veeam-m365",
        "M365 Daily",
        daily("02:00"),
        minutes=45,
        objects=(
            *_people("Leasing", "Maintenance", "Accounts", "Kim Novak", "Raj Patel"),
            *_people("Properties", kind="Site"),
        ),
    )

    c = b.customer("Nordic Bikes", "nordicbikes.example", "NBK")
    b.add(
        c,
        "xo-backup",
        "Shop-VMs",
        daily("00:30"),
        minutes=35,
        objects=_objs("nbk-shop-web", "nbk-shop-db", "nbk-erp", "nbk-dc01", "nbk-mail"),
        issues=[
            Issue(
                "warning",
                "Unable to merge the backup chain, it will be retried on the next run",
                "nbk-shop-db",
                on_days(0, 1),
            )
        ],
    )
    b.add(c, "duplicati", "Webshop DB dump", daily("06:00", "18:00"), minutes=6)

    c = b.customer("Silverline Dental Lab", "silverline-lab.test", "SDL")
    b.add(c, "acronis", "Daily server", weekdays("21:00"), host="SDL-SRV01", minutes=30)
    b.urbackup_fleet(
        c,
        ["SDL-CAD01", "SDL-CAD02", "SDL-CAD03", "SDL-SCAN01", "SDL-RECEPTION", "SDL-OFFICE"],
        weekdays("12:00"),
    )

    c = b.customer("Redwood Notaries", "redwoodnotaries.example", "RWN")
    b.add(
        c,
        "veeam-backup",
        "Notary Servers",
        weekdays("21:30"),
        minutes=45,
        objects=_objs("RWN-DC01", "RWN-FS01", "RWN-SQL01", "RWN-APP01"),
    )
    b.add(
        c,
        "veeam-copy",
        "Offsite Copy",
        weekdays("23:30"),
        minutes=40,
        silent_days=5,
        objects=_objs("RWN-DC01", "RWN-FS01", "RWN-SQL01", "RWN-APP01"),
    )
    b.add(
        c,
        "veeam-m365",
        "Exchange",
        weekdays("20:30"),
        minutes=20,
        objects=_people("Notary Office", "Dossiers", "Eva Janssen", "Mark Bos"),
    )

    c = b.customer("Zorggroep De Linde", "zorggroep-delinde.example", "LND")
    twenty = (
        "LND-DC01",
        "LND-DC02",
        "LND-FS01",
        "LND-SQL01",
        "LND-SQL02",
        "LND-APP01",
        "LND-APP02",
        "LND-APP03",
        "LND-APP04",
        "LND-APP05",
        "LND-APP06",
        "LND-APP07",
        "LND-RDS01",
        "LND-RDS02",
        "LND-RDS03",
        "LND-RDS04",
        "LND-PRINT01",
        "LND-WEB01",
        "LND-ECD01",
        "LND-ECD02",
    )
    b.add(
        c,
        "veeam-backup",
        "Productie VMs",
        daily("21:00"),
        minutes=150,
        objects=_objs(*twenty),
        issues=[Issue("failed", SNAPSHOT_TIMEOUT, "LND-APP07", on_days(1))],
    )
    b.add(
        c,
        "veeam-copy",
        "Backup Copy Datacenter 2",
        daily("06:00", "18:00"),
        minutes=70,
        objects=_objs(*twenty[:8]),
    )
    b.add(
        c,
        "veeam-m365",
        "Exchange Online",
        daily("23:30"),
        minutes=55,
        objects=_people(
            "Zorgteam Noord",
            "Zorgteam Zuid",
            "Planning",
            "Directie",
            "Salarisadministratie",
            "Receptie",
            "Facilitair",
        ),
    )
    b.add(
        c,
        "veeam-m365",
        "SharePoint & OneDrive",
        daily("01:00"),
        minutes=65,
        objects=(
            *_people("Intranet", "Protocollen", kind="Site"),
            *_people("Anouk Visser", "Henk Smit", "Lotte Bakker", kind="OneDrive"),
        ),
        issues=[
            Issue(
                "warning",
                "Item /sites/Protocollen/Gedeelde documenten/"
                "scan-archief-2019.zip was skipped: file size exceeds the limit.",
                "Protocollen",
                on_days(0, 3, 6, 9, 12),
            )
        ],
    )
    b.add(
        c,
        "veeam-agent",
        "Werkplekken",
        weekdays("13:00"),
        minutes=45,
        objects=_objs("LND-WP001", "LND-WP002", "LND-WP003", "LND-WP004", "LND-WP005", "LND-WP006"),
    )
    b.add(
        c,
        "veeam-backup",
        "ECD database",
        daily("07:00", "13:00", "19:00"),
        minutes=10,
        objects=_objs("LND-ECD01", "LND-SQL02"),
    )

    c = b.customer("Quantum Tax Advisors", "quantumtax.example", "QTA")
    b.add(
        c,
        "bareos",
        "qta-fs01",
        weekdays("22:00"),
        host="qta-fs01-fd",
        minutes=40,
        detail="Windows All Drives",
    )
    b.add(
        c,
        "bareos",
        "qta-sql01",
        daily("23:00"),
        host="qta-sql01-fd",
        minutes=30,
        detail="SQL Server Dumps",
        issues=[
            Issue(
                "warning",
                'VSS Writer (PrepareForBackup): "SqlServerWriter", State: '
                "0x7 (VSS_WS_FAILED_AT_PREPARE_BACKUP)",
                days_ago=on_days(3, 9),
            )
        ],
    )
    b.add(
        c,
        "bareos",
        "qta-mail",
        daily("02:00"),
        host="qta-mail01-fd",
        minutes=20,
        detail="LinuxAll",
        issues=[Issue("failed", BAREOS_AUTH, days_ago=on_days(0, 1))],
    )

    c = b.customer("Horizon Event Partners", "horizonevents.test", "HEP")
    b.add(
        c,
        "syno-abb",
        "Horizon-M365",
        daily("02:00"),
        host="HORIZON-NAS",
        minutes=40,
        detail="Microsoft 365",
    )
    b.add(
        c,
        "syno-hyperbackup",
        "NAS-offsite",
        weekdays("21:00"),
        host="HORIZON-NAS",
        minutes=35,
        detail="Synology C2 Storage",
    )

    c = b.customer("Granite Peak Builders", "granitepeak.example", "GPB")
    b.add(
        c,
        "pve-vzdump",
        "pve-gpb",
        daily("22:00"),
        host="pve-gpb.granitepeak.example",
        minutes=35,
        detail="pbs-gpb",
        objects=_guests("gpb-dc01", "gpb-fs01", "gpb-bim", "gpb-acct", "gpb-vpn/ct"),
    )
    b.add(c, "pbs-gc", "gpb-store", weekly(SAT, "04:00"), host="gpb-pbs01", minutes=10)
    b.acronis_fleet(
        c, ["GPB-SITE-LT01", "GPB-SITE-LT02", "GPB-SITE-LT03"], "Site laptops", weekdays("12:45")
    )

    c = b.customer("Aurora Clinics", "auroraclinics.example", "AUR")
    b.add(
        c,
        "veeam-backup",
        "Clinic Servers",
        daily("22:00"),
        minutes=90,
        objects=_objs(
            "AUR-DC01",
            "AUR-DC02",
            "AUR-FS01",
            "AUR-EHR-APP",
            "AUR-EHR-DB",
            "AUR-PACS01",
            "AUR-PACS02",
            "AUR-RDS01",
            "AUR-RDS02",
            "AUR-PRINT",
            "AUR-LAB01",
            "AUR-WEB01",
        ),
        issues=[
            Issue(
                "warning",
                SQL_VSS + ".\nApplication-aware processing was skipped.",
                "AUR-EHR-DB",
                on_days(1, 8),
            )
        ],
    )
    b.add(
        c,
        "veeam-copy",
        "Backup Copy",
        daily("04:00"),
        minutes=80,
        objects=_objs("AUR-DC01", "AUR-FS01", "AUR-EHR-APP", "AUR-EHR-DB", "AUR-PACS01"),
    )
    b.add(
        c,
        "veeam-m365",
        "Microsoft 365",
        daily("00:00"),
        minutes=60,
        objects=_people(
            "Clinic Admin", "Referrals", "Dr. Ella Young", "Dr. Sam Ortiz", "Billing", "HR"
        ),
    )
    b.add(
        c,
        "veeam-backup",
        "EHR database intraday",
        weekdays("10:00", "14:00", "18:00"),
        minutes=10,
        objects=_objs("AUR-EHR-DB"),
    )

    c = b.customer("Dierenkliniek Westpoort", "dierenkliniek-westpoort.example", "DKW")
    b.urbackup_fleet(c, ["DKW-BALIE", "DKW-OK1", "DKW-SPREEK1", "DKW-SPREEK2"], weekdays("12:30"))
    b.add(
        c,
        "syno-hyperbackup",
        "Nachtelijke backup",
        daily("02:30"),
        host="DKW-NAS01",
        minutes=30,
        detail="Synology C2 Storage",
    )

    c = b.customer("Coastal Yacht Charters", "coastalyachts.test", "CYC")
    b.add(
        c,
        "syno-hyperbackup",
        "Office-to-USB",
        weekdays("19:00"),
        host="CYC-DS218",
        minutes=20,
        detail="USB Copy",
        # Sent through a free-mail account: no domain rule knows it, so it is Unassigned.
        sender="cyc.ds218.alerts@freemail.test",
        unmapped=True,
    )
    b.add(c, "duplicati", "Bookings DB", daily("01:30"), minutes=8)

    c = b.customer("Vermeer Opticiens", "vermeer-optiek.example", "VOP")
    b.acronis_fleet(
        c,
        ["VOP-WINKEL1", "VOP-WINKEL2", "VOP-WINKEL3", "VOP-REFRACTIE", "VOP-ATELIER"],
        "Winkel PCs",
        weekdays("18:30"),
    )
    b.add(c, "acronis", "Server", daily("23:30"), host="VOP-SRV01", minutes=25)

    c = b.customer("Pioneer Community College", "pioneercc.test", "PCC")
    b.add(
        c,
        "veeam-backup",
        "Campus Servers",
        daily("20:30"),
        minutes=120,
        objects=_objs(
            "PCC-DC01",
            "PCC-DC02",
            "PCC-LMS-APP",
            "PCC-LMS-DB",
            "PCC-FS01",
            "PCC-FS02",
            "PCC-PRINT",
            "PCC-WSUS",
            "PCC-RADIUS",
        ),
        issues=[
            Issue(
                "warning",
                "Unable to truncate Microsoft SQL Server transaction logs.",
                "PCC-LMS-DB",
                on_days(5, 6),
            )
        ],
    )
    b.add(
        c,
        "veeam-copy",
        "Offsite Copy",
        daily("03:30"),
        minutes=90,
        objects=_objs("PCC-DC01", "PCC-LMS-APP", "PCC-LMS-DB", "PCC-FS01", "PCC-FS02"),
    )
    b.add(
        c,
        "xo-backup",
        "Lab-VMs",
        weekdays("19:00"),
        minutes=40,
        objects=_objs("lab-kali01", "lab-win11-01", "lab-win11-02", "lab-ubuntu01"),
    )

    c = b.customer("Keystone Accounting Group", "keystone-acct.example", "KAG")
    b.acronis_fleet(
        c,
        [f"KAG-WS{n:02d}" for n in range(1, 9)],
        "Workstations",
        weekdays("12:30"),
        issues=[
            Issue(
                "warning",
                "Some files were skipped: C:\\Users\\mreyes\\"
                "AppData\\Local\\Microsoft\\Outlook\\mreyes.ost could not be "
                "read.",
                "KAG-WS05",
                on_days(1, 2, 3, 6, 7, 8, 9, 10, 13),
            )
        ],
    )
    b.add(c, "acronis", "Server nightly", daily("23:00"), host="KAG-SRV01", minutes=45)
    b.add(c, "duplicati", "Accounting DB", weekdays("09:00", "12:00", "15:00", "18:00"), minutes=6)

    c = b.customer("Lindqvist Law", "lindqvist-law.test", "LQL")
    b.urbackup_fleet(c, [f"LQL-WS{n:02d}" for n in range(1, 7)], weekdays("12:00"))
    b.add(c, "urbackup", "LQL-SRV01", weekdays("22:00"), detail="image", minutes=40)

    c = b.customer("Marlow Veterinary Partners", "marlowvets.example", "MVP")
    for site in ("Marlow", "Henley", "Reading"):
        b.add(
            c,
            "syno-abb",
            f"Site-{site} PCs",
            weekdays("13:00"),
            host="MARLOW-RS1221",
            minutes=25,
            objects=_objs(f"MVP-{site[:3].upper()}-RECEPTION", f"MVP-{site[:3].upper()}-CONSULT1"),
        )
    b.add(
        c,
        "syno-hyperbackup",
        "Offsite",
        weekdays("23:30"),
        host="MARLOW-RS1221",
        minutes=55,
        detail="Synology C2 Storage",
    )

    return b


# --- building the mails ------------------------------------------------------------------


def scenario_weekday(day: date, today: date) -> int:
    """The weekday `day` plays in the scenario (0 = Monday): `today` is always Monday."""
    return (day - today).days % 7


def _starts(job: JobSpec, today: date, zone: tzinfo, rng: random.Random) -> Iterator[datetime]:
    """The start times of the job's runs in the 14 days up to `today` (oldest first)."""
    for back in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        if scenario_weekday(day, today) not in job.schedule.days:
            continue
        for clock in job.schedule.times:
            jitter = timedelta(seconds=rng.randint(0, 170))
            yield datetime.combine(day, clock, tzinfo=zone) + jitter


def _apply(
    job: JobSpec, back: int, rng: random.Random
) -> tuple[DemoStatus, tuple[DemoObject, ...], str]:
    """Status, objects and job message of one run (scripted issues first, then noise)."""
    objects = {o.name: o for o in job.objects}
    status: DemoStatus = "success"
    message = ""
    scripted = [i for i in job.issues if i.days_ago is None or back in i.days_ago]
    for issue in scripted:
        if issue.target and issue.target in objects:
            objects[issue.target] = replace(
                objects[issue.target], status=issue.status, message=issue.message
            )
        else:
            status = worst([status, issue.status])
            message = message or issue.message
    if not scripted and rng.random() < NOISE:
        status, message = _noise(job, objects, rng, status, message)
    final = tuple(objects.values())
    return worst([status, *(o.status for o in final)]), final, message


def _noise(
    job: JobSpec,
    objects: dict[str, DemoObject],
    rng: random.Random,
    status: DemoStatus,
    message: str,
) -> tuple[DemoStatus, str]:
    """Give one random object (or the job) a random realistic problem."""
    if objects and job.kind in _OBJECT_NOISE:
        name = rng.choice(sorted(objects))
        new_status, text = rng.choice(_OBJECT_NOISE[job.kind])
        objects[name] = replace(objects[name], status=new_status, message=text)
        if job.kind == "veeam-copy" and new_status == "failed":
            return "failed", message
        return status, message
    if job.kind in _JOB_NOISE:
        new_status, text = rng.choice(_JOB_NOISE[job.kind])
        return worst([status, new_status]), text
    return status, message


def _duration(job: JobSpec, status: DemoStatus, rng: random.Random) -> timedelta:
    """A plausible run length around the job's usual minutes (failures end early)."""
    minutes = job.minutes * rng.uniform(0.8, 1.25)
    if status == "failed" and not job.objects:
        minutes *= rng.uniform(0.05, 0.3)
    return timedelta(seconds=max(25, int(minutes * 60) + rng.randint(0, 59)))


def job_runs(job: JobSpec, today: date, zone: tzinfo, rng: random.Random) -> list[DemoRun]:
    """The runs of `job` that ended before the scenario's morning (oldest first)."""
    now = datetime.combine(today, MORNING, tzinfo=zone)
    out: list[DemoRun] = []
    for start in _starts(job, today, zone, rng):
        back = (today - start.date()).days
        status, objects, message = _apply(job, back, rng)
        if back < job.silent_days:
            continue
        run = DemoRun(
            sender=job.sender,
            host=job.host,
            job=job.job,
            start=start,
            status=status,
            objects=objects,
            message=message,
            duration=_duration(job, status, rng),
            detail=job.detail,
        )
        if run.end <= now:
            out.append(run)
    return out


def _unparsed(today: date, zone: tzinfo) -> list[tuple[str, DemoRun]]:
    """The three deliberately unparseable mails (yesterday and this morning)."""
    yesterday = today - timedelta(days=1)
    at = datetime.combine
    return [
        (
            "unparsed-unknown",
            DemoRun(
                "agent@coastalyachts.test",
                "CYC-LAPTOP-07",
                "Nightly documents",
                at(yesterday, time(23, 14, 5), tzinfo=zone),
                duration=timedelta(minutes=3),
            ),
        ),
        (
            "unparsed-newsletter",
            DemoRun(
                "partners@vendor.example",
                "",
                "Partner newsletter: spring webinars on ransomware readiness",
                at(yesterday, time(9, 2, 44), tzinfo=zone),
                duration=timedelta(seconds=1),
            ),
        ),
        (
            "unparsed-autoreply",
            DemoRun(
                "m.lopez@harbordental.example",
                "Dr. Maria Lopez",
                "Backup report Exchange Online",
                at(today, time(6, 41, 10), tzinfo=zone),
                duration=timedelta(seconds=2),
            ),
        ),
    ]


def build_scenario(today: date | None = None, zone: tzinfo = UTC) -> Scenario:
    """The whole demo: customers, jobs and every mail, ready to ingest (oldest first).

    `today` defaults to the current date in `zone`.
    """
    day = today or datetime.now(zone).date()
    book = _catalogue()
    rng = random.Random(f"{SEED}|{day.isoformat()}")  # noqa: S311 - demo noise only
    mails: list[DemoMail] = []
    for job in book.jobs:
        for run in job_runs(job, day, zone, rng):
            raw = GENERATORS[job.kind](run)
            mails.append(
                DemoMail(
                    kind=job.kind,
                    customer=job.customer.name,
                    job=job.job,
                    status=run.status,
                    day=run.start.date(),
                    sent=run.end,
                    message_id=message_id(job.kind, run),
                    raw=raw,
                )
            )
    for kind, run in _unparsed(day, zone):
        mid = message_id(kind, run)
        assert mid.startswith(UNPARSED_PREFIX)
        mails.append(
            DemoMail(
                kind=kind,
                customer="",
                job=run.job,
                status="success",
                day=run.start.date(),
                sent=run.end,
                message_id=mid,
                raw=GENERATORS[kind](run),
                expect_parsed=False,
            )
        )
    mails.sort(key=lambda m: (m.sent, m.message_id))
    return Scenario(
        today=day,
        now=datetime.combine(day, MORNING, tzinfo=zone),
        customers=tuple(book.customers),
        jobs=tuple(book.jobs),
        mails=tuple(mails),
    )
