"""Veeam Backup & Replication (backup, backup copy, agent policy) and Veeam Backup for
Microsoft 365 report mails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from backupchecks_tui.demo.mail import (
    GIB,
    MONTHS,
    WEEKDAYS,
    DemoRun,
    Mail,
    clock_time,
    esc,
    first_sentence,
    gb,
    hms,
    object_spans,
    render,
    seeded_rng,
    status_counts,
)
from backupchecks_tui.domain import RunStatus

_VEEAM_WORD = {
    RunStatus.SUCCESS: "Success",
    RunStatus.WARNING: "Warning",
    RunStatus.FAILED: "Failed",
}
_VEEAM_COLOR = {
    RunStatus.SUCCESS: "#00B050",
    RunStatus.WARNING: "#ffd96c",
    RunStatus.FAILED: "#fb9895",
}
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
    day = WEEKDAYS[moment.weekday()]
    return f"{day}, {moment.day} {MONTHS[moment.month - 1]} {moment.year} {clock_time(moment)}"


def _veeam_note(run: DemoRun) -> str:
    """The job-level note: the run's message, else 'Processing X Warning: …'."""
    if run.message:
        return run.message
    for obj in run.problems:
        word = "Error" if obj.status == RunStatus.FAILED else "Warning"
        return f"Processing {obj.name} {word}: {first_sentence(obj.message)}"
    return ""


def _veeam_grid(rows: Sequence[Sequence[tuple[str, str]]], note: str) -> str:
    """The label/value grid under the session line, with the note cell spanning it."""
    out: list[str] = []
    for i, row in enumerate(rows):
        cells = "".join(
            f"{_TD}<b>{esc(label)}</b></td>{_TD}{esc(value)}</td>" for label, value in row
        )
        if i == 0:
            cells += (
                f'<td rowspan="{len(rows)}" style="border: 1px solid #a7a9ac;font-family: Tahoma;'
                'font-size: 12px;vertical-align: top;"><span class="small_label" '
                f'style="font-size: 10px;">{esc(note)}</span></td>'
            )
        out.append(f'<tr style="height: 17px;">\n{cells}\n</tr>')
    return "\n".join(out)


def _veeam_details(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The Details header row and one row per object (the last column is the message)."""
    head = "".join(f"{_TH}<b>{esc(c)}</b></td>" for c in columns)
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


def _veeam_status_cell(status: RunStatus) -> str:
    """A coloured status word."""
    return f'<span style="color: {_VEEAM_COLOR[status]};">{_VEEAM_WORD[status]}</span>'


def _veeam_message_cell(message: str) -> str:
    """An object's details text, sentences on their own lines as Veeam prints them."""
    return "<br>".join(esc(part.strip()) for part in message.split("\n") if part.strip())


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
    descs = "\n".join(_DESC.format(esc(d)) for d in descriptions)
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "</head><body>\n"
        '<table cellspacing="0" cellpadding="0" width="100%" border="0" '
        'style="border-collapse: collapse;">\n'
        '<tr><td style="border:none; padding: 0px;font-family: Tahoma;font-size: 12px;">'
        '<table cellspacing="0" cellpadding="0" width="100%" border="0" '
        'style="border-collapse: collapse;">\n'
        f'<tr style="height:70px"><td style="width: 80%;{_BAND.format(color=color)}">'
        f"{esc(heading)}\n{descs}\n"
        f'</td><td style="{_BAND.format(color=color)}">{_VEEAM_WORD[run.status]}\n'
        f"{_DESC.format(esc(processed))}\n</td></tr>\n"
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
        f'vertical-align: top;font-family: Tahoma;">{esc(footer)}</td></tr>\n'
        "</table></body></html>\n"
    )


def _veeam_vbr(run: DemoRun, kind: str, heading: str, noun: str, descriptions: list[str]) -> bytes:
    """A Backup / Backup Copy / Agent policy job report of Veeam Backup & Replication."""
    rng = seeded_rng(kind, run)
    ok, warn, err = status_counts(run)
    spans = object_spans(run, len(run.objects), rng)
    rows: list[list[str]] = []
    total = read = transferred = 0.0
    for obj, (begin, planned_end) in zip(run.objects, spans, strict=True):
        size = rng.uniform(40, 600) * GIB
        obj_read = 0.0 if obj.status == RunStatus.FAILED else size * rng.uniform(0.03, 0.2)
        obj_sent = obj_read * rng.uniform(0.4, 0.7)
        end = planned_end
        if obj.status == RunStatus.FAILED:
            end = begin + timedelta(seconds=rng.randint(30, 400))
        total += size
        read += obj_read
        transferred += obj_sent
        rows.append(
            [
                esc(obj.name),
                _veeam_status_cell(obj.status),
                clock_time(begin),
                clock_time(end),
                gb(size),
                gb(obj_read),
                gb(obj_sent),
                hms(end - begin),
                _veeam_message_cell(obj.message),
            ]
        )
    grid = _veeam_grid(
        [
            [
                ("Success", str(ok)),
                ("Start time", clock_time(run.start)),
                ("Total size", gb(total)),
                ("Backup size", gb(transferred * 1.02)),
            ],
            [
                ("Warning", str(warn)),
                ("End time", clock_time(run.end)),
                ("Data read", gb(read)),
                ("Dedupe", f"{rng.uniform(1.0, 1.9):.1f}x"),
            ],
            [
                ("Error", str(err)),
                ("Duration", hms(run.duration)),
                ("Transferred", gb(transferred)),
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
    issues = warn + err + (1 if run.status != RunStatus.SUCCESS and not (warn + err) else 0)
    subject = f"[{_VEEAM_WORD[run.status]}] {run.job} ({len(run.objects)} objects) {issues} issues"
    return render(Mail(kind, run, "Veeam Backup & Replication", subject, html=page))


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
    rng = seeded_rng(kind, run)
    org = run.detail or run.sender.rpartition("@")[2]
    ok, warn, err = status_counts(run)
    spans = object_spans(run, len(run.objects), rng)
    rows: list[list[str]] = []
    transferred = 0.0
    for obj, (begin, end) in zip(run.objects, spans, strict=True):
        sent = 0.0 if obj.status == RunStatus.FAILED else rng.uniform(0.02, 3.5) * GIB
        transferred += sent
        rows.append(
            [
                esc(obj.name),
                esc(obj.kind or "Mailbox"),
                _veeam_status_cell(obj.status),
                clock_time(begin),
                clock_time(end),
                gb(sent),
                hms(end - begin),
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
                ("Start time", clock_time(run.start)),
                ("Transferred", gb(transferred)),
                ("Processed objects", str(len(run.objects))),
            ],
            [
                ("Warning", str(warn)),
                ("End time", clock_time(run.end)),
                (
                    "Processing rate",
                    f"{transferred / seconds / 1024**2:.1f} MB/s ({int(items / seconds)} items/s)",
                ),
                ("Items processed", str(items)),
            ],
            [
                ("Error", str(err)),
                ("Duration", hms(run.duration)),
                ("Read", gb(transferred * 1.08)),
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
    return render(Mail(kind, run, "Veeam Backup for Microsoft 365", subject, html=page))
