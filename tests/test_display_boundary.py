"""The display boundary: mail and server text is cleaned wherever it is shown (and only
there: the raw value stays stored and matches), and the CLI prints plain text.

Every mail here is synthetic (tests.hostile_mails, tests.mailfactory).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Input, RichLog

from backupchecks_tui import safe_text
from backupchecks_tui.facade import bind
from backupchecks_tui.safe_text import clean
from backupchecks_tui.services import overrides
from screens import style
from screens.app import BackupChecksApp
from screens.dialogs import PromptDialog
from screens.override_dialog import OverrideDialog
from screens.tickets import TicketsScreen
from screens.widgets.tables import KeyedTable
from tests.hostile_mails import (
    ALT_SCREEN,
    CLIPBOARD_B64,
    CSI,
    EVERYTHING,
    FORBIDDEN_CHARACTERS,
    HOSTILE_SENDER,
    OSC8,
    OSC52,
    TITLE,
    hostile_report,
)
from tests.mailfactory import synthetic_mail
from tests.uihelpers import settle, workspace


def _leaks(text: str) -> list[str]:
    """The escape, C1, bidi and zero-width characters left in `text`."""
    return sorted({f"U+{ord(c):04X}" for c in text if c in FORBIDDEN_CHARACTERS or c == "\x1b"})


async def _until(pilot: Pilot[None], done: Callable[[], bool]) -> None:
    """Let the app process messages (and finish its workers) until `done()` holds."""
    for _ in range(100):
        if done():
            return
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
    raise AssertionError("the app never got there")


# --- the cleaning function -------------------------------------------------------------


def test_clean_shows_zero_width_and_bidi_characters_instead_of_hiding_them() -> None:
    """Zero-width characters (which shift table columns and make names look alike) and
    bidi controls are shown as <U+XXXX>; line and paragraph separators become newlines."""
    assert clean("vm\u200b-01") == "vm<U+200B>-01"
    assert clean("a\u200d\ufeff\u2060\u00adb") == "a<U+200D><U+FEFF><U+2060><U+00AD>b"
    assert clean("\u202eevil\u202c") == "<U+202E>evil<U+202C>"
    assert clean("one\u2028two\u2029three") == "one\ntwo\nthree"
    assert clean("tag\U000e0041") == "tag<U+E0041>"


def test_clean_makes_entities_that_decode_to_controls_visible() -> None:
    """`&#x202E;` is harmless text, until Markdown decodes it: shown as <U+202E> before."""
    assert clean("job &#x202E;1 &#8207; &rlm; &zwj;") == (
        "job <U+202E>1 <U+200F> <U+200F> <U+200D>"
    )
    assert clean("Tom &amp; Jerry &lt;b&gt; &#233;") == "Tom &amp; Jerry &lt;b&gt; &#233;"


def test_clean_removes_escape_sequences_and_controls() -> None:
    """CSI, OSC 52 / OSC 8 / titles, 8-bit C1: gone; the text around them stays."""
    cleaned = clean(EVERYTHING)
    assert _leaks(cleaned) == []
    assert CLIPBOARD_B64 not in cleaned and "MK-TITLE" not in cleaned
    assert "[bold]MK-MARKUP[/]" in cleaned and "MK-CSI" in cleaned


def test_json_dumps_escapes_what_a_terminal_would_obey_and_keeps_the_values() -> None:
    """C1, bidi and zero-width characters are \\u escapes (readable text stays as it is);
    a program reading the JSON gets the raw values back."""
    data = {"job": "Café \u202ename\u200b \x85 \x1b[31m \U000e0041"}
    out = safe_text.json_dumps(data)
    assert _leaks(out) == [] and "\U000e0041" not in out
    assert "Café" in out and "\\u202e" in out and "\\u0085" in out
    assert json.loads(out) == data


def test_shown_cleans_a_styled_text_and_keeps_its_styles() -> None:
    """A Text built by a caller is cleaned piece by piece; a clean one is left alone."""
    text = Text("ok ")
    text.append("vm\u200b\x1b[2J", style="bold")
    out = style.shown(text)
    assert out.plain == "ok vm<U+200B>"
    assert any(span.style == "bold" for span in out.spans)
    plain = Text("fine", style="red")
    assert style.shown(plain) is plain


# --- the CLI: plain text, cleaned ------------------------------------------------------


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real CLI in a subprocess; output as bytes (what a log file would get)."""
    return subprocess.run(
        [sys.executable, "-m", "backupchecks_tui", *args],
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_cli_error_quoting_a_path_with_markup_is_one_plain_line(tmp_path: Path) -> None:
    """A path containing `[/]` used to raise a MarkupError traceback: one plain line now."""
    missing = tmp_path / "re[/]ports [bold]x" / "none.eml"
    done = _cli("import", str(missing))
    err = done.stderr.decode()
    assert done.returncode != 0
    assert "Traceback" not in err and "MarkupError" not in err
    assert err.startswith("error: ") and str(missing) in err
    assert len(err.strip().splitlines()) == 1


def _rule_config(tmp_path: Path) -> Path:
    """A config whose parser rule reads the synthetic hostile reports (job from subject)."""
    config = tmp_path / "rules.toml"
    config.write_text(
        "[[parser_rules]]\n"
        'name = "synthetic-hostile"\nproduct = "synthetic"\n'
        'subject_regex = "^\\\\[synthetic\\\\]"\n'
        'job_name_regex = "^\\\\[synthetic\\\\] \\\\w+ (?P<job>.+)$"\n'
        'default_status = "failed"\n'
        'object_regex = "^object (?P<name>.+): (?P<status>\\\\w+)$"\n'
        '[parser_rules.status_map]\nfailed = "failed"\nsuccess = "success"\n'
    )
    return config


def test_parse_json_writes_no_raw_c1_or_bidi_characters(tmp_path: Path) -> None:
    """`parse --json` on a hostile mail: escapes in the output, raw values when read."""
    mail = tmp_path / "hostile.eml"
    mail.write_bytes(hostile_report(1, "failed", EVERYTHING))
    done = _cli("--config", str(_rule_config(tmp_path)), "parse", str(mail), "--json")
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr
    assert _leaks(out) == []
    (report,) = json.loads(out)["reports"]
    assert report["job_name"] == f"job1 {EVERYTHING}"  # the value itself is intact


def test_parse_prints_a_hostile_mail_literally(tmp_path: Path) -> None:
    """Without --json the parse result is plain text: no escape reaches the terminal."""
    mail = tmp_path / "hostile [red]mail.eml"
    mail.write_bytes(hostile_report(1, "failed", EVERYTHING))
    done = _cli("--config", str(_rule_config(tmp_path)), "parse", str(mail))
    assert done.returncode == 0, done.stderr
    assert _leaks(done.stdout.decode()) == []
    assert "MK-MARKUP" in done.stdout.decode()
    assert "[red]mail.eml" in done.stdout.decode()  # a name, not a style


@pytest.fixture
def hostile_imap_server() -> Iterator[int]:
    """A hostile IMAP server on loopback (Dovecot cannot be made to say this): it lets
    everyone in, then answers every command with escape sequences in its error line."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # ASCII only, so the client decodes it as it is (UTF-8 it would quote as bytes).
    hostile = f"NO [ALERT] folder {CSI}{ALT_SCREEN}{OSC52}{OSC8}{TITLE} gone"

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rwb") as stream:
                stream.write(b"* OK [CAPABILITY IMAP4rev1] hostile ready\r\n")
                stream.flush()
                for line in stream:
                    tag, _, rest = line.decode("utf-8", "replace").partition(" ")
                    command = rest.split(" ", 1)[0].strip().upper()
                    if command == "CAPABILITY":
                        reply = f"* CAPABILITY IMAP4rev1\r\n{tag} OK done"
                    elif command in {"LOGIN", "NOOP"}:
                        reply = f"{tag} OK logged in"
                    elif command == "LOGOUT":
                        reply = f"* BYE\r\n{tag} OK bye"
                    else:
                        reply = f"{tag} {hostile}"
                    stream.write((reply + "\r\n").encode())
                    stream.flush()
                    if command == "LOGOUT":
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    listener.close()
    thread.join(timeout=10)


def test_a_hostile_imap_servers_error_line_reaches_fetch_log_as_plain_text(
    tmp_path: Path, hostile_imap_server: int
) -> None:
    """`fetch >>fetch.log 2>&1` from cron: the server's error line is in the log, cleaned
    (no ESC, no OSC 52, no C1), with the exit code of a failed fetch."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "f.db"}"\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {hostile_imap_server}\nsecurity = "none"\n'
        'username = "reports"\ntimeout = 20\n'
    )
    done = _cli("--config", str(config), "fetch", env={"BACKUPCHECKS_TUI_IMAP_PASSWORD": "secret"})
    log = tmp_path / "fetch.log"
    log.write_bytes(done.stdout + done.stderr)
    text = log.read_text(encoding="utf-8")
    assert done.returncode != 0
    assert "MK-CSI" in text and "Traceback" not in text
    assert _leaks(text) == [] and CLIPBOARD_B64 not in text


# --- the app: Input prefills, prompts, Markdown, tables --------------------------------


async def test_override_dialog_shows_the_object_name_cleaned_and_matches_the_raw_one(
    tmp_path: Path,
) -> None:
    """The object name prefill is shown cleaned (it went raw into Input(value=…)); left
    as it is, the saved override matches the raw name, so it still covers the object."""
    ws = workspace(tmp_path, [hostile_report(1, "failed", EVERYTHING)])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: app.screen.query(KeyedTable).first().row_count > 0)
        await settle(pilot)  # the job's runs and the run load after the queue
        await pilot.press("s")
        await _until(pilot, lambda: isinstance(app.screen, OverrideDialog))
        dialog = app.screen
        assert isinstance(dialog, OverrideDialog)
        value = dialog.query_one("#ov-object", Input).value
        assert _leaks(value) == [] and "vm-1 [bold]MK-MARKUP[/]" in value
        spec = dialog.spec()
        assert spec.object_name == f"vm-1 {EVERYTHING}"  # the raw name, for matching
        assert overrides.preview(ws.engine, spec, dialog.draft.run_id) == [spec.object_name]


async def test_customer_prompt_is_prefilled_with_the_sender_domain_cleaned(
    tmp_path: Path,
) -> None:
    """c on a job from a hostile sender: the suggestion from its domain is shown cleaned."""
    ws = workspace(tmp_path, [hostile_report(2, "warning", EVERYTHING, sender=HOSTILE_SENDER)])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: app.screen.query(KeyedTable).first().row_count > 0)
        await settle(pilot)  # the job's runs and the run load after the queue
        await pilot.press("c")
        await _until(pilot, lambda: isinstance(app.screen, PromptDialog))
        value = app.screen.query_one(Input).value
        assert "mk-dom[/]" in value and "<U+202E>" in value
        assert _leaks(value) == []


async def test_ticket_markdown_shows_an_entity_bidi_override_visibly(tmp_path: Path) -> None:
    """A job named with `&#x202E;` used to become a real RIGHT-TO-LEFT OVERRIDE in the
    ticket's Markdown pane; it is shown as <U+202E>."""
    ws = workspace(tmp_path, [synthetic_mail(1, status="failed", job="db &#x202E;evil")])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: app.screen.query(KeyedTable).first().row_count > 0)
        await settle(pilot)  # the job's runs and the run load after the queue
        await pilot.press("t")
        await _until(pilot, lambda: "form-text" in {w.id for w in app.screen.query("*")})
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: not app.screen.query("#form-text"))
        await pilot.press("3")
        await _until(pilot, lambda: isinstance(app.screen, TicketsScreen))
        log = app.screen.query_one("#tickets-detail", RichLog)
        await _until(pilot, lambda: any("Description" in s.text for s in log.lines))
        text = "".join(strip.text for strip in log.lines)
        assert "\u202e" not in text
        assert "<U+202E>evil" in text


async def test_table_cells_carry_no_zero_width_characters(tmp_path: Path) -> None:
    """Zero-width characters in job and object names are shown, so columns stay aligned."""
    ws = workspace(tmp_path, [synthetic_mail(1, status="failed", job="db\u200b\u200d01")])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: app.screen.query(KeyedTable).first().row_count > 0)
        await settle(pilot)  # the job's runs and the run load after the queue
        for table in app.screen.query(KeyedTable):
            for row in range(table.row_count):
                for cell in table.get_row_at(row):
                    assert _leaks(str(cell)) == []
        jobs = app.screen.query_one("#jobs", KeyedTable)
        assert any("db<U+200B><U+200D>01" in str(c) for c in jobs.get_row_at(0))
