"""Proxmox VE vzdump and Proxmox Backup Server (verify, garbage collection) report mails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, timedelta

from backupchecks_tui.demo.mail import (
    GIB,
    DemoRun,
    Mail,
    esc,
    hms,
    iec,
    render,
    seeded_rng,
    timestamp,
)
from backupchecks_tui.domain import RunStatus

# --- Proxmox VE vzdump ------------------------------------------------------------------


def _pve_time(span: timedelta) -> str:
    """'1min 4s', '41s', '1h 2min 3s'."""
    seconds = max(1, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}min" if minutes else "", f"{secs}s"]
    return " ".join(p for p in parts if p)


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
    rng = seeded_rng(kind, run)
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
        took = step * rng.uniform(0.5, 0.95) if obj.status == RunStatus.SUCCESS else step * 0.2
        end = begin + took
        clock = end + timedelta(seconds=1)
        stamp = begin.astimezone(UTC)
        if to_pbs:
            archive = f"{'ct' if guest == 'lxc' else 'vm'}/{vmid}/{stamp:%Y-%m-%dT%H:%M:%SZ}"
        else:
            ext = "tar.zst" if guest == "lxc" else "vma.zst"
            archive = f"/var/lib/vz/dump/vzdump-{guest}-{vmid}-{begin:%Y_%m_%d-%H_%M_%S}.{ext}"
        lines = [
            f"{vmid}: {timestamp(begin)} INFO: Starting Backup of VM {vmid} ({guest})",
            f"{vmid}: {timestamp(begin)} INFO: status = running",
        ]
        if guest == "lxc":
            lines.append(f"{vmid}: {timestamp(begin)} INFO: CT Name: {obj.name}")
        else:
            lines.append(f"{vmid}: {timestamp(begin)} INFO: VM Name: {obj.name}")
        if obj.status == RunStatus.SUCCESS:
            size = rng.uniform(2, 120) * GIB
            total += size
            what = "Proxmox Backup Server archive" if to_pbs else "vzdump archive"
            lines += [
                f"{vmid}: {timestamp(begin)} INFO: creating {what} '{archive}'",
                f"{vmid}: {timestamp(end)} INFO: Finished Backup of VM {vmid} ({hms(took)})",
            ]
            table.append([vmid, obj.name, "ok", _pve_time(took), iec(size), archive])
            cells = [vmid, obj.name, "ok", _pve_time(took), iec(size), archive]
        else:
            error = obj.message or "backup failed"
            lines += [
                f"{vmid}: {timestamp(end)} ERROR: {error}",
                f"{vmid}: {timestamp(end)} ERROR: Backup of VM {vmid} failed - {error}",
            ]
            table.append([vmid, obj.name, "err", _pve_time(took), "0 B", "null"])
            cells = [vmid, obj.name, "err", _pve_time(took), "0 B", "null"]
        logs.append("\n".join(lines))
        html_rows.append(
            "            <tr>\n"
            + "".join(f"                <td>{esc(c)}</td>\n" for c in cells)
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
        + f"\n\nTotal running time: {running}\nTotal size: {iec(total)}\n\n"
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
        + f"        Total size: {iec(total)}<br/>\n"
        + f"        <h1>Logs</h1>\n        <pre>{esc(log_text)}</pre>\n    </body>\n</html>\n"
    )
    result = (
        "backup failed" if run.status == RunStatus.FAILED or run.problems else "backup successful"
    )
    subject = f"vzdump backup status ({run.host}): {result}"
    return render(
        Mail(
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
    return f"<html><body><pre>{esc(text)}</pre></body></html>\n"


def _pbs_mail(kind: str, run: DemoRun, subject: str, text: str) -> bytes:
    """A PBS notification mail from 'Proxmox Backup Server - <node>'."""
    return render(
        Mail(
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
    if run.status == RunStatus.FAILED:
        names = [o.name for o in run.problems]
        if not names:
            rng = seeded_rng(kind, run)
            when = (run.start - timedelta(days=1)).astimezone(UTC)
            names = [
                f"vm/{rng.choice((101, 102, 105, 110, 120))}/"
                f"{when:%Y-%m-%dT}{rng.randint(20, 23):02d}:{rng.randint(0, 59):02d}:03Z"
            ]
        body += "Verification failed on these snapshots/groups:\n\n"
        body += "".join(f"    {name}\n" for name in names) + "\n"
    else:
        body += "Verification successful.\n"
    result = "failed" if run.status == RunStatus.FAILED else "successful"
    subject = f"Verify Datastore '{store}' {result}"
    return _pbs_mail(kind, run, subject, body + _pbs_link(run, "pbsServerAdministration:tasks"))


def pbs_garbage_collection(run: DemoRun) -> bytes:
    """A PBS garbage collection result; `run.job` is the datastore."""
    kind = "pbs-gc"
    store = run.job
    if run.status == RunStatus.FAILED:
        error = run.message or "unable to get exclusive lock - EWOULDBLOCK: Operation would block"
        body = f"Datastore: {store}\n\nGarbage collection failed: {error}\n"
        anchor = "pbsServerAdministration:tasks"
    else:
        rng = seeded_rng(kind, run)
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
            f"Removed garbage:      {iec(rng.uniform(1, 60) * GIB)}\n"
            f"Removed chunks:       {rng.randint(500, 30000)}\n"
            "Removed bad chunks:   0\n\n"
            "Leftover bad chunks:  0\n"
            f"Pending removals:     {iec(rng.uniform(0.1, 8) * GIB)} "
            f"(in {rng.randint(50, 4000)} chunks)\n\n"
            f"Original Data usage:  {iec(used)}\n"
            f"On-Disk usage:        {iec(disk)} ({rng.uniform(8, 70):.2f}%)\n"
            f"On-Disk chunks:       {rng.randint(40000, 900000)}\n\n"
            f"Deduplication Factor: {used / disk:.2f}\n\n"
            "Garbage collection successful.\n"
        )
        anchor = f"DataStore-{store}"
    result = "failed" if run.status == RunStatus.FAILED else "successful"
    subject = f"Garbage Collect Datastore '{store}' {result}"
    return _pbs_mail(kind, run, subject, body + _pbs_link(run, anchor))
