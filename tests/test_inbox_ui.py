"""Inbox mode by keyboard: list, read, ignore (kept), re-parse, map a sender to a customer."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from sqlmodel import select
from textual.widgets import Input, RichLog, Static

from backupchecks_tui.domain import Changed
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.facade import bind
from backupchecks_tui.ingest.pipeline import Origin
from backupchecks_tui.roles import Role
from backupchecks_tui.views.admin import InboxPage
from screens.app import BackupChecksApp
from screens.dialogs import PromptDialog
from screens.inbox import InboxScreen
from screens.widgets.tables import KeyedTable
from store.engine import session_scope
from store.models import CustomerRule, MailMessage
from tests.mailfactory import synthetic_mail
from tests.uihelpers import settle, workspace

NEWSLETTER = (
    b"From: news@vendor.example\r\nSubject: Our [b]autumn[/b] offers\r\n"
    b"Message-ID: <nl-1@vendor.example>\r\n\r\nBuy \x1b[31mnow\x1b[0m!\r\n"
)
UNKNOWN = (
    b"From: backup@tiny-shop.example\r\nSubject: NightlyTool report: OK\r\n"
    b"Message-ID: <nt-1@tiny-shop.example>\r\n\r\nall good\r\n"
)


def header(app: BackupChecksApp) -> str:
    """The inbox header line."""
    return str(app.screen.query_one("#inbox-header", Static).render())


async def test_inbox_lists_reads_and_ignores(tmp_path: Path) -> None:
    """6 opens the inbox; the mail shows literally; i with a reason ignores it, kept."""
    ws = workspace(tmp_path, [synthetic_mail(1), NEWSLETTER, UNKNOWN])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert "2 mails · unparsed + error" in header(app)
        table = app.screen.query_one("#mails", KeyedTable)
        subjects = [table.get_row_at(i)[4] for i in range(table.row_count)]
        assert any(isinstance(s, Text) and "[b]autumn[/b]" in s.plain for s in subjects)
        table.move_cursor(row=next(i for i, s in enumerate(subjects) if "autumn" in str(s)))
        await settle(pilot)
        log = app.screen.query_one("#mail-text", RichLog)
        shown = "".join(strip.text for strip in log.lines)
        assert "Buy now!" in shown and "\x1b" not in shown
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = "newsletter"
        await pilot.press("enter")
        await settle(pilot)
        assert "1 mail ·" in header(app)
        await pilot.press("F")
        await settle(pilot)
        assert "3 mails" not in header(app) and "2 mails · all" in header(app)
    with session_scope(ws.engine) as s:
        mail = s.exec(select(MailMessage).where(MailMessage.subject.startswith("Our"))).one()
        assert mail.parse_state == "ignored"
        assert "newsletter" in mail.parse_reason


async def test_assign_sender_to_customer(tmp_path: Path) -> None:
    """c maps the sender domain of the current mail to a (new) customer."""
    ws = workspace(tmp_path, [UNKNOWN])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one(Input).value = "Tiny Shop"
        await pilot.press("enter")
        await settle(pilot)
    with session_scope(ws.engine) as s:
        rule = s.exec(select(CustomerRule)).one()
        assert (rule.kind, rule.pattern) == ("sender_domain", "tiny-shop.example")


async def test_reparse_keeps_unknown_mail_in_the_inbox(tmp_path: Path) -> None:
    """r re-parses; mail no parser knows stays, with its reason."""
    ws = workspace(tmp_path, [UNKNOWN])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "1 mail ·" in header(app)


async def test_viewer_reads_but_cannot_change(tmp_path: Path) -> None:
    """Viewers see the inbox; re-parse, ignore and assign are hidden."""
    ws = workspace(tmp_path, [UNKNOWN], role=Role.VIEWER, login="victor")
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        for action in ("reparse", "reparse_all", "ignore", "assign"):
            assert app.screen.check_action(action, ()) is False


async def test_refresh_keeps_the_cursor_and_selection_on_the_same_mail(tmp_path: Path) -> None:
    """New mail arriving reloads the list with the cursor (and the reading pane) on the
    same mail; space selects, and the selection counts in the header."""
    ws = workspace(tmp_path, [NEWSLETTER, UNKNOWN])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        table = app.screen.query_one("#mails", KeyedTable)
        await pilot.press("space")
        await settle(pilot)
        assert "1 selected" in header(app)
        assert table.cursor_row == 1
        current = table.current_key
        later = (
            b"From: other@vendor.example\r\nSubject: more offers\r\n"
            b"Message-ID: <nl-2@vendor.example>\r\n\r\nStill buying?\r\n"
        )
        ws.pipeline().ingest(later, Origin(path="later.eml"))
        app.changed(Changed.MAIL)
        await settle(pilot)
        assert "3 mails" in header(app) and "1 selected" in header(app)
        assert table.current_key == current and table.cursor_row == 2
        log = app.screen.query_one("#mail-text", RichLog)
        assert "Buy now!" in "".join(strip.text for strip in log.lines)  # the newsletter


async def test_a_failed_load_is_one_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A list load that fails shows the error once, leaves no loading indicator, and the
    screen goes on: the next load works."""
    ws = workspace(tmp_path, [NEWSLETTER, UNKNOWN])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InboxScreen)

        def down(_states: object, _text: str = "") -> InboxPage:
            raise BackupChecksError("The database does not answer.")

        notices = len(app._notifications)
        with monkeypatch.context() as patch:
            patch.setattr(app.services, "inbox", down)
            await pilot.press("F")
            await settle(pilot)
        assert [n.message for n in app._notifications][notices:] == [
            "The database does not answer."
        ]
        assert not screen.table.loading
        await pilot.press("F")
        await settle(pilot)
        assert "ignored" in header(app)
