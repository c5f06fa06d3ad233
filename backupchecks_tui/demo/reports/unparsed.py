"""Mails no parser reads, for the Inbox of unparsed mails: an unknown product's report, a
newsletter, an auto-reply."""

from __future__ import annotations

from backupchecks_tui.demo.mail import DemoRun, Mail, render, timestamp


def unknown_product_report(run: DemoRun) -> bytes:
    """A report of a product no parser knows (for the Inbox of unparsed mails)."""
    text = (
        f"SafeHaven Cloud Vault - job summary\n\nJob: {run.job}\nComputer: {run.host}\n"
        f"Started: {timestamp(run.start)}\nResult: completed, 0 items skipped\n\n"
        "This message was sent automatically by the SafeHaven agent.\n"
    )
    subject = f"SafeHaven summary - {run.job} on {run.host}"
    return render(Mail("unparsed-unknown", run, "SafeHaven Agent", subject, text=text))


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
    return render(
        Mail("unparsed-newsletter", run, "Vendor Partner Team", run.job, text=text, html=page)
    )


def auto_reply(run: DemoRun) -> bytes:
    """An out-of-office reply from a customer contact (not a report)."""
    text = (
        "Thank you for your message. I am out of the office until Monday and will have "
        "limited access to e-mail.\n\nFor urgent IT matters please call the service desk.\n"
    )
    return render(
        Mail(
            "unparsed-autoreply",
            run,
            run.host,
            f"Automatic reply: {run.job}",
            text=text,
            extra=(("Auto-Submitted", "auto-replied"),),
        )
    )
