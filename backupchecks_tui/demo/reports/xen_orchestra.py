"""Xen Orchestra Backup NG report mails."""

from __future__ import annotations

import random
from datetime import datetime

from backupchecks_tui.demo.mail import (
    GIB,
    MONTHS,
    WEEKDAYS,
    DemoObject,
    DemoRun,
    Mail,
    esc,
    iec,
    object_spans,
    render,
    seeded_rng,
)
from backupchecks_tui.domain import RunStatus

_XO_MARK = {RunStatus.SUCCESS: "✔", RunStatus.WARNING: "⚠️", RunStatus.FAILED: "🚨"}


def _xo_time(moment: datetime) -> str:
    """'Saturday, June 1st 2024, 1:00:00 am'."""
    day = moment.day
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    hour = moment.hour % 12 or 12
    half = "am" if moment.hour < 12 else "pm"
    return (
        f"{WEEKDAYS[moment.weekday()]}, {MONTHS[moment.month - 1]} {day}{suffix} {moment.year}, "
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
    rng = seeded_rng(kind, run)
    remote = run.detail or "nfs-backup"
    remote_id = _uuid(rng)
    failed = [o for o in run.objects if o.status == RunStatus.FAILED]
    skipped = [
        o for o in run.objects if o.status == RunStatus.WARNING and o.message.startswith("skipped:")
    ]
    ok = [o for o in run.objects if o not in failed and o not in skipped]
    spans = dict(zip(run.objects, object_spans(run, len(run.objects), rng), strict=True))
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
            size = rng.uniform(0.5, 40) * GIB
            total += size
            lines += [*_head(obj), f"- **Duration**: {max(1, (end - begin).seconds // 60)} minutes"]
            if obj.status == RunStatus.WARNING:
                lines.append(f"- **⚠️  {obj.message}**")
            lines += [
                "- **Snapshot** ✔",
                "- **Remotes**",
                f"  - **{remote}** ({remote_id}) ✔",
                f"    - **Start time**: {_xo_time(begin)}",
                f"    - **End time**: {_xo_time(end)}",
                "      - **transfer** ✔",
                f"        - **Size**: {iec(size)}",
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
        f"- **Transfer size**: {iec(total)}",
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
    return render(
        Mail(kind, run, "Xen Orchestra", subject, text=text, html="\n".join(p for p in page if p))
    )


def _xo_html_line(line: str) -> str:
    """One markdown line of the XO report as the HTML part renders it."""
    stripped = line.strip()
    headings = (("### ", "h3"), ("## ", "h2"))
    tag = next((t for prefix, t in headings if stripped.startswith(prefix)), "")
    if tag:
        return f"<{tag}>{esc(stripped.split(' ', 1)[1])}</{tag}>"
    if not stripped or stripped == "---":
        return "<hr>" if stripped else ""
    if stripped.startswith("*") and stripped.endswith("*") and not stripped.startswith("**"):
        return f"<p><em>{esc(stripped.strip('*'))}</em></p>"
    item = stripped.removeprefix("- ")
    if item.startswith("**"):
        label, _, rest = item[2:].partition("**")
        return f"<li><strong>{esc(label)}</strong>{esc(rest)}</li>"
    return f"<li>{esc(item)}</li>"
