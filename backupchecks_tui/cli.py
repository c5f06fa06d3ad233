"""The command line: the composition root (config → engine → services → command or app).

Start-up matters here: `--help`, a usage error or `--version` import only click and the
few light modules below (no SQLAlchemy, Alembic, pydantic, Rich or Textual); each command
imports what it needs when it runs (tests/test_import_hygiene.py holds this).
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from backupchecks_tui import locations
from backupchecks_tui.errors import BackupChecksError, ConfigError, NotFound, unexpected_line
from backupchecks_tui.roles import Action, Role, require
from backupchecks_tui.safe_text import clean, json_dumps

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from rich.console import Console
    from sqlalchemy import Engine

    from backupchecks_tui import config as config_mod
    from backupchecks_tui.ingest.pipeline import IngestStats, Pipeline
    from backupchecks_tui.roles import Actor
    from parsers import Registry

# ruff: noqa: PLC0415 - imports inside functions keep `--help` and usage errors fast


@cache
def err_console() -> Console:
    """Rich on stderr (built on first use: Rich is not imported for `--help`)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@cache
def out_console() -> Console:
    """Rich on stdout."""
    from rich.console import Console

    return Console(highlight=False)


@dataclass
class AppContext:
    """What every command needs, built lazily from the options."""

    config_path: str | None

    @cached_property
    def config(self) -> config_mod.Config:
        """The validated configuration."""
        from backupchecks_tui import config as config_mod

        return config_mod.load_config(self.config_path)

    @cached_property
    def engine(self) -> Engine:
        """The migrated database engine."""
        from backupchecks_tui.database import open_database

        return open_database(self.config.database_url)

    @cached_property
    def actor(self) -> Actor:
        """The operator running this command."""
        from backupchecks_tui.services import operators

        return operators.current_actor(self.engine)

    @cached_property
    def registry(self) -> Registry:
        """Built-in parsers plus the user's rules, bounded by the parse deadline."""
        from backupchecks_tui.ingest import deadline

        return deadline.registry_for(self.config)

    def pipeline(self) -> Pipeline:
        """The ingest pipeline on the configured database."""
        from backupchecks_tui.ingest.pipeline import Pipeline

        return Pipeline(self.engine, self.registry, self.config.ui.zone)


pass_ctx = click.make_pass_decorator(AppContext)


def say(line: str, *, err: bool = False) -> None:
    """Print one line as plain text, cleaned: lines quote paths, mail and server text
    (an IMAP server's error line, a folder name), which must neither be read as Rich
    markup (a path with `[/]` in it) nor put escape sequences into a terminal or a log
    such as a cron job's fetch.log."""
    click.echo(clean(line), err=err)


def fail(error: BackupChecksError) -> NoReturn:
    """Print one plain line and exit with the error's code."""
    # click drops the colour when stderr is not a terminal (a log file stays plain).
    click.echo(f"{click.style('error:', fg='red', bold=True)} {clean(error.line)}", err=True)
    sys.exit(error.exit_code)


class FriendlyGroup(click.Group):
    """A click group that turns our errors into one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, translating BackupChecksError and Ctrl-C."""
        try:
            return super().invoke(ctx)
        except BackupChecksError as error:
            fail(error)
        except KeyboardInterrupt:
            err_console().print("interrupted; nothing half-written was kept.")
            sys.exit(130)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # usage errors and --help: click's own one line and exit code
        except Exception as error:  # noqa: BLE001 - the net under everything else
            # A traceback would print values from deep frames (a driver's, imaplib's);
            # the type and place are enough to report it.
            line = unexpected_line(error, "The command")
            err_console().print(f"error: {line}", markup=False, soft_wrap=True)
            sys.exit(1)


@click.group(cls=FriendlyGroup, invoke_without_command=True)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar=locations.CONFIG_ENV,
    help="Config file (default: platform config dir; env BACKUPCHECKS_TUI_CONFIG).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Open the app on a throw-away database filled with bundled sample reports.",
)
@click.version_option(package_name="backupchecks-tui")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, demo: bool) -> None:
    """Review backup report mails: fetch, parse and check them from the terminal.

    Without a command, opens the app on the configured database.
    """
    ctx.obj = AppContext(config_path)
    if ctx.invoked_subcommand is not None:
        if demo:
            raise click.UsageError("--demo opens the app; it goes without a command")
        return
    if demo:
        run_demo(ctx.obj)
    else:
        run_app(ctx.obj)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while the app starts (config, database, the modules of the
    screens and services: hundreds of thousands of new, long-lived objects).

    Full collections would scan them again and again: about 150 ms of CPU before the
    first paint. The app then freezes what the start built (screens.app._freeze), so
    collections after it skip that heap. One pause from the config to the app's
    construction: objects made while paused pile up in the youngest generation, and each
    resume would scan them all.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_app(
    app: AppContext,
    *,
    app_engine: Engine | None = None,
    label: str = "",
    demo: bool = False,
    now: datetime | None = None,
) -> None:
    """Open the TUI on `app_engine` (by default the configured database)."""
    with collector_paused():
        if app_engine is None:
            from store.engine import describe_url

            app_engine, label = app.engine, describe_url(app.config.database_url)
        from backupchecks_tui.facade import bind
        from backupchecks_tui.services import operators
        from backupchecks_tui.workspace import Workspace
        from screens.app import BackupChecksApp  # Textual only for the TUI

        actor = operators.current_actor(app_engine)
        workspace = Workspace(app_engine, actor, app.config, label, demo=demo, frozen_now=now)
        tui = BackupChecksApp(bind(workspace))
    with _exit_on_hangup(tui.exit):
        tui.run()
    if tui.return_code:  # ended by an error (its one line is printed): say so to the shell
        sys.exit(tui.return_code)


@contextmanager
def _exit_on_hangup(exit_app: Callable[[], None]) -> Iterator[None]:
    """SIGHUP (an SSH drop, a closed tmux) and SIGTERM end the app as `q` does.

    The app then restores the terminal and every `finally` runs (the demo removes its copy);
    without this the process died on the spot.
    """
    import asyncio
    import signal

    def stop(signum: int, _frame: object) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the app is not running (yet): leave as the signal would
            raise SystemExit(128 + signum) from None
        # Through the loop's self-pipe: a plain call would wait for the next event.
        loop.call_soon_threadsafe(exit_app)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGHUP, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _demo_monday(zone: ZoneInfo) -> datetime:
    """The demo's clock: 07:30 on the most recent Monday (the scenario is a Monday morning,
    and weekday-only jobs only look right on a real Monday)."""
    from datetime import datetime, timedelta

    from backupchecks_tui.demo.scenario import MORNING

    today = datetime.now(zone).date()
    return datetime.combine(today - timedelta(days=today.weekday()), MORNING, zone)


def run_demo(app: AppContext) -> None:
    """Open the app on a copy of the demo database (built once into the cache dir)."""
    from backupchecks_tui.database import open_database
    from backupchecks_tui.demo import cache
    from backupchecks_tui.services import missed

    zone = app.config.ui.zone
    morning = _demo_monday(zone)

    def detect_missed(url: str) -> None:
        """Missed runs as of the demo's morning, not the wall clock."""
        engine = open_database(url)
        try:
            missed.detect(engine, zone, morning)
        finally:
            engine.dispose()

    with progress_bar("building the demo:") as update:
        built, fresh = cache.cached_build(
            morning,
            zone,
            detect_missed,
            progress=lambda done, total: update("sample mails", done, total),
        )
    summary = cache.summary_of(built)
    made = f" (built in {fresh.seconds:.1f} s, kept for the next demo)" if fresh else ""
    err_console().print(
        f"demo: {summary.customers} customers, {summary.jobs} jobs, {summary.runs} runs "
        f"from {summary.mails} mails; {summary.queue_jobs} jobs to review{made}.",
        markup=False,
    )
    with _exit_on_hangup(lambda: None), cache.session_copy(built) as copy:
        engine = open_database(f"sqlite:///{copy}")
        try:
            run_app(
                app,
                app_engine=engine,
                label="demo database (thrown away on exit)",
                demo=True,
                now=morning,
            )
        finally:
            engine.dispose()


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(app: AppContext) -> None:
    """Create the database or apply pending migrations, and say where it is."""
    from store.engine import describe_url
    from store.migrate import current_revision

    engine = app.engine
    click.echo(
        f"database {describe_url(app.config.database_url)} is at revision "
        f"{current_revision(engine)} (newest)."
    )


@main.group()
def operator() -> None:
    """Operators and their roles (Admin, Operator, Viewer)."""


@operator.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role], case_sensitive=False),
    required=True,
    help="The role to give.",
)
@pass_ctx
def operator_add(app: AppContext, name: str, role: str) -> None:
    """Add operator NAME with ROLE, or change its role (Admin only)."""
    from backupchecks_tui.services import operators

    op = operators.set_role(app.engine, app.actor, name, Role(role.lower()))
    say(f"operator {op.login} is now {op.role}.")


@operator.command("list")
@pass_ctx
def operator_list(app: AppContext) -> None:
    """List operators and roles."""
    from backupchecks_tui.services import operators

    me = app.actor.login
    for op in operators.list_operators(app.engine):
        marker = "  (you)" if op.login == me else ""
        say(f"{op.login:<24} {op.role}{marker}")


@main.command("set-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from stdin.")
@pass_ctx
def set_password(app: AppContext, from_stdin: bool) -> None:
    """Store the IMAP password in the system keyring."""
    import getpass

    from backupchecks_tui import secrets

    username = app.config.imap.username
    why = secrets.keyring_status()
    if why is None and username:
        if from_stdin:
            value = sys.stdin.readline().rstrip("\n")
        else:
            value = getpass.getpass(f"IMAP password for {username}: ")
        secrets.store_password(username, secrets.Secret(value))
        say(f"password for {username} stored in the keyring.")
        return
    secrets.store_password(username, secrets.Secret(""))  # raises the plain explanation


@main.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def parse_cmd(app: AppContext, file: str, as_json: bool) -> None:
    """Show what the parsers make of FILE (no database)."""
    result = app.registry.parse_bytes(Path(file).read_bytes())
    if as_json:
        click.echo(json_dumps({"file": file, **result.to_json()}))
        return
    from backupchecks_tui.render import print_parse_result

    print_parse_result(out_console(), file, result)


@main.group()
def rules() -> None:
    """User parser rules from [[parser_rules]] in the config."""


@rules.command("test")
@click.argument("rule_name")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@pass_ctx
def rules_test(app: AppContext, rule_name: str, paths: Sequence[str]) -> None:
    """Show what rule RULE_NAME makes of each mail in PATHS."""
    from backupchecks_tui import config as config_mod
    from backupchecks_tui.ingest import deadline, files
    from backupchecks_tui.render import print_parse_result
    from parsers import Registry

    chosen = [p for p in config_mod.rule_parsers(app.config) if p.name == f"rule:{rule_name}"]
    if not chosen:
        names = ", ".join(r.name for r in app.config.parser_rules) or "none"
        raise ConfigError(f"No parser rule named {rule_name!r} (rules: {names}).")
    registry = deadline.bounded(Registry(chosen), app.config)
    for source in files.collect(paths):
        for raw, origin in source.mails():
            print_parse_result(out_console(), origin.path, registry.parse_bytes(raw))


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on a TTY, nothing otherwise; yields an update(name, done, total)."""
    console = err_console()
    if not console.is_terminal:
        yield lambda _name, _done, _total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(clean(f"{label} {name}"), total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield update


@main.command("import")
@click.argument("paths", nargs=-1, required=True)
@pass_ctx
def import_cmd(app: AppContext, paths: Sequence[str]) -> None:
    """Ingest .eml files, folders (recursively) and .mbox files."""
    from backupchecks_tui.ingest import files
    from backupchecks_tui.ingest.pipeline import IngestStats

    require(app.actor, Action.INGEST)
    sources = files.collect(paths)
    pipeline = app.pipeline()
    run_stats = IngestStats()
    started = time.monotonic()
    with progress_bar("importing") as update:
        files.ingest_sources(
            pipeline, sources, run_stats, lambda done, total: update("mails", done, total)
        )
    _finish(run_stats, time.monotonic() - started)


def _finish(run_stats: IngestStats, seconds: float) -> None:
    for failure in run_stats.failures[:20]:
        say(f"failed: {failure}", err=True)
    say(run_stats.summary(seconds))
    if run_stats.errors or run_stats.failed:
        sys.exit(1)


@main.command("fetch")
@pass_ctx
def fetch_cmd(app: AppContext) -> None:
    """One IMAP pass over the configured folders (for cron or a systemd timer)."""
    from backupchecks_tui.ingest import service

    started = time.monotonic()
    with progress_bar("fetching") as update:
        outcome = service.fetch(
            app.config,
            app.engine,
            app.actor,
            update,
            warn=lambda line: say(f"warning: {line}", err=True),
        )
    if outcome.missed:
        click.echo(f"{outcome.missed} expected runs did not report: marked missed.")
    _finish(outcome.stats, time.monotonic() - started)


@main.command("reparse")
@click.option("--all", "all_mails", is_flag=True, help="Re-parse every stored mail.")
@click.argument("mail_ids", nargs=-1, type=int)
@pass_ctx
def reparse_cmd(app: AppContext, all_mails: bool, mail_ids: Sequence[int]) -> None:
    """Run the parsers again over stored mail (the same runs, updated, never doubled)."""
    from backupchecks_tui.services.reparse import reparse

    if not all_mails and not mail_ids:
        raise click.UsageError("name MAIL_IDs or give --all")
    require(app.actor, Action.REPARSE)
    started = time.monotonic()
    failures: list[str] = []
    with progress_bar("re-parsing") as update:
        counts = reparse(app.pipeline(), None if all_mails else list(mail_ids), update, failures)
    for failure in failures[:20]:
        err_console().print(f"failed: {failure}", markup=False)
    shown = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    click.echo(
        f"re-parsed {sum(counts.values())} mails: {shown or 'none'}, in "
        f"{time.monotonic() - started:.1f} s"
    )
    if failures:
        sys.exit(1)


@main.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys).")
@pass_ctx
def stats_cmd(app: AppContext, as_json: bool) -> None:
    """Counts of mails by state, customers, jobs and runs; last fetch per folder."""
    from backupchecks_tui.services import stats

    data = stats.collect(app.engine)
    if as_json:
        click.echo(json_dumps(data.to_json()))
        return
    for key, value in data.to_json().items():
        if key != "last_fetch":
            say(f"{key:<18} {value}")
    for folder, when in data.last_fetch.items():
        say(f"last fetch {folder}: {when or 'never'}")


@main.command("export-eml")
@click.argument("mail_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write.")
@pass_ctx
def export_eml(app: AppContext, mail_id: int, output: str | None) -> None:
    """Write the original message MAIL_ID byte for byte (stdout without -o)."""
    from backupchecks_tui.ingest.pipeline import raw_message
    from store.engine import session_scope
    from store.models import MailMessage

    with session_scope(app.engine) as session:
        mail = session.get(MailMessage, mail_id)
        if mail is None:
            raise NotFound(f"There is no mail with id {mail_id}.", fix="Fix: see `stats`.")
        raw = raw_message(mail)
    if output:
        Path(output).write_bytes(raw)
        say(f"wrote {len(raw)} bytes to {output}", err=True)
    else:
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
