"""The `mailbot` command: argument parsing and printing only.

Library errors become one line on stderr and an exit status: 2 for a usage or
configuration error, 1 when the work could not be done.

The application layer (and with it the store, SQLAlchemy and the rest) is imported
once the command is known, for the commands that use it, not here: `--help`, a
usage error or `check-config` start without it (tests/cli/test_start_up.py).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from mailbot import i18n, logs
from mailbot.cli import help as help_texts
from mailbot.cli import views
from mailbot.cli.deferred import defer_coercion
from mailbot.cli.options import CampaignOption, ConfigOption, DateOption, JsonOption
from mailbot.config import Settings, load_settings
from mailbot.errors import MailbotError, UsageError

if TYPE_CHECKING:
    from mailbot.app import App

defer_coercion()  # an option not given costs nothing (mailbot/cli/deferred.py)

app = typer.Typer(
    name="mailbot",
    help="Collects the units' daily report mails, checks them, answers the senders and compiles the report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
outbox_app = typer.Typer(help="Look at and retry outgoing mail.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")

# Prose is wrapped to the terminal's width, but never hard-wrapped when the output goes to a file
# or a pipe, where a broken line would defeat grep and scripts, unless COLUMNS asks for a width.
out = Console(highlight=False, soft_wrap=not (sys.stdout.isatty() or os.environ.get("COLUMNS")))
err = Console(stderr=True, highlight=False)


def main() -> None:
    """Console entry point: run the app, turning mailbot errors into one line."""
    try:
        command = typer.main.get_command(app)
        help_texts.localize(command, help_texts.help_language(sys.argv[1:]))
        code = command(standalone_mode=False, prog_name="mailbot")  # a typer.Exit comes back as its code
    except MailbotError as exc:
        err.print(f"mailbot: {exc}", markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("mailbot: interrupted", markup=False, soft_wrap=True)
        sys.exit(1)
    except Exception as exc:  # click usage errors carry their own exit code
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


# --- shared helpers ----------------------------------------------------------------


_chosen_config: list[Path] = []  # `mailbot --config FILE COMMAND`: the file every command then reads
_chosen_campaign: list[str] = []  # `mailbot --campaign ID COMMAND`: the campaign every command then serves


WITHOUT_APPLICATION = {"check-config"}  # commands that do their work without the application layer
READING_MAIL = {"poll", "run"}  # commands whose reading workers' zygote starts before the application loads


@app.callback()
def root(ctx: typer.Context, config: ConfigOption = None, campaign: CampaignOption = None) -> None:
    """Collects the units' report mails, checks them, answers the senders and compiles the report."""
    _chosen_config[:] = [config] if config is not None else []
    _chosen_campaign[:] = [campaign] if campaign is not None else []
    # `mailbot poll --help`: the command will not run (the words after its name are parsed only after this)
    showing_help = "--help" in sys.argv[1:]
    if ctx.invoked_subcommand in READING_MAIL and not showing_help:
        from mailbot import ahead

        ahead.start_reading_workers()  # their imports go on beside the application's
    if ctx.invoked_subcommand not in WITHOUT_APPLICATION and not showing_help:
        load_application()


def load_application() -> None:
    """Import the application layer before the command runs, as mailbot/__main__.py imports the command line:
    with the collector paused, then frozen. What it loads (the store, SQLAlchemy, the use cases) lives as long
    as the command: collecting while it loads, then walking it at every full collection and at exit, would cost
    a poll more than loading it only where needed saves."""
    if "mailbot.app" in sys.modules:
        return
    collecting = gc.isenabled()
    gc.disable()
    try:
        import mailbot.app  # noqa: F401 (loaded for the command's own `from mailbot import app`)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def settings_from(config: Path | None, campaign: str | None = None) -> Settings:
    """The settings of the configuration, of campaign `campaign` (else the root's --campaign, else the first)."""
    chosen = campaign or (_chosen_campaign[0] if _chosen_campaign else None)
    settings = load_settings(config or (_chosen_config[0] if _chosen_config else None), campaign=chosen)
    logs.configure(settings.campaign.tz)
    return settings


def campaign_given(campaign: str | None) -> bool:
    """True if a command was told which campaign to serve (else it serves every one)."""
    return campaign is not None or bool(_chosen_campaign)


def opened(settings: Settings, *, to_read_mail: bool = False) -> AbstractContextManager[App]:
    """The application layer over the configured store, closed when the block ends."""
    from mailbot import app as application

    return application.opened(settings, to_read_mail=to_read_mail)


def parse_day(value: str | None, settings: Settings) -> date | None:
    """The --date given (dd/mm/yyyy or YYYY-MM-DD), or None for today."""
    from mailbot import app as application

    return None if value is None else application.parse_date(value, settings.language)


# --- commands ------------------------------------------------------------------------

ConnectOption = Annotated[
    bool, typer.Option("--connect", help="Also log into the inbox, greet the SMTP server and open the store.")
]
OnceOption = Annotated[bool, typer.Option("--once", help="Ingest what is new, send the acknowledgements, and exit.")]
CheckOption = Annotated[
    bool, typer.Option("--check", help="For monitoring: one line, exit 0 (well), 1 (warning) or 2 (critical).")
]


@app.command("check-config")
def check_config(config: ConfigOption = None, connect: ConnectOption = False) -> None:
    """Check the configuration and the environment, and say what is wrong."""
    settings = settings_from(config)
    out.print(views.config_summary(settings), markup=False)
    if connect:
        from mailbot import app as application
        from mailbot.cli import deploy as deploy_cli

        deploy_cli.print_connection_checks(settings, application.check_connections(settings))


@app.command()
def demo(
    config: ConfigOption = None,
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo writes its inbox, store and outbox.")] = Path(
        "var/demo"
    ),
    campaign: CampaignOption = None,
) -> None:
    """Run one full day on the embedded defaults: seeded inbox, acknowledgements, report."""
    from mailbot import app as application

    settings = settings_from(config, campaign)
    outcome = application.run_demo(settings, directory)
    views.print_demo(out, outcome, settings)


@app.command()
def poll(config: ConfigOption = None, once: OnceOption = False, campaign: CampaignOption = None) -> None:
    """Ingest everything new in the inbox and send the acknowledgements."""
    settings = settings_from(config, campaign)  # the mailbox is shared: every campaign's mail is routed
    if not once:
        raise i18n.error(UsageError, "errors.poll_once_only", settings.language)
    with opened(settings, to_read_mail=True) as app_:  # the readings are shown while the last answers go out
        outcome = app_.poll(on_stored=lambda stored: views.print_stored(out, stored, settings))
    views.print_delivery(out, outcome.delivery, settings)


@app.command()
def run(config: ConfigOption = None, campaign: CampaignOption = None) -> None:
    """The long-running service: watch the inbox, remind, report, deliver."""
    from mailbot import app as application
    from mailbot import web as console

    settings = settings_from(config, campaign)  # the service serves every campaign of the mailbox
    logging.getLogger().setLevel(logging.INFO)
    given = config is not None or bool(os.environ.get("MAILBOT_CONFIG"))
    application.run_service(settings, config_given=given, alongside=console.alongside)  # the console with [web] enabled


@app.command()
def parse(
    paths: Annotated[list[Path], typer.Argument(help=".eml or spreadsheet files to read.", show_default=False)],
    config: ConfigOption = None,
    as_json: JsonOption = False,
    campaign: CampaignOption = None,
) -> None:
    """Say what mailbot would record from .eml or spreadsheet files; store and send nothing."""
    from mailbot import app as application

    settings = settings_from(config, campaign)
    for reading in application.read_files(settings, paths, routed=not campaign_given(campaign)):
        if as_json:  # each line as its file is read
            line = application.reading_json(reading, settings)
            out.print(json.dumps(line, ensure_ascii=False), markup=False, soft_wrap=True)
        else:
            views.print_readings(out, [reading], settings)
        out.file.flush()


@app.command()
def status(
    config: ConfigOption = None,
    day: DateOption = None,
    as_json: JsonOption = False,
    check: CheckOption = False,
    campaign: CampaignOption = None,
) -> None:
    """The day's ledger: who reported, on time or late, who is missing (each campaign's, one after another)."""
    from mailbot import app as application

    settings = settings_from(config, campaign)
    if check:
        health = application.health_check(settings, application.utcnow())
        out.print(health.line, markup=False, soft_wrap=True)
        raise typer.Exit(health.level)
    wanted = parse_day(day, settings)
    with opened(settings) as app_:
        for each in served(app_, campaign):
            state = each.status(wanted)
            if as_json:
                line = application.status_json(state.ledger, each.settings)
                out.print(json.dumps(line, ensure_ascii=False), markup=False, soft_wrap=True)
            else:
                views.print_status(out, state, each.settings)


def served(app_: App, campaign: str | None) -> list[App]:
    """The campaign asked for, else every campaign of the deployment in configuration order."""
    return [app_] if campaign_given(campaign) else app_.campaign_apps()


@app.command()
def report(
    config: ConfigOption = None,
    day: DateOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write the HTML, PNG and XLSX files here.", show_default=False)
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="Send the report to the configured recipients.")] = False,
    pdf: Annotated[
        Path | None,
        typer.Option("--pdf", help="Write the report as a PDF file (A4 landscape) here.", show_default=False),
    ] = None,
    campaign: CampaignOption = None,
) -> None:
    """Build the consolidated report for a day; write it to a folder and/or send it.

    Where several campaigns share the mailbox and none is named, each campaign's report is
    built, in DIR/<campaign id>/.
    """
    settings = settings_from(config, campaign)
    wanted = parse_day(day, settings)
    if out_dir is None and not send and pdf is None:
        raise i18n.error(UsageError, "errors.nothing_to_do", settings.language)
    with opened(settings) as app_:
        for each in served(app_, campaign):
            several = len(each.settings.deployment) > 1 and not campaign_given(campaign)
            if out_dir is not None:
                folder = out_dir / each.settings.campaign.id if several else out_dir
                for path in each.write_report(wanted, folder):
                    out.print(str(path), markup=False)
            if pdf is not None:
                target = pdf.with_stem(f"{pdf.stem}-{each.settings.campaign.id}") if several else pdf
                out.print(str(each.write_report_pdf(wanted, target)), markup=False)
            if send:
                sent = each.send_report(wanted)
                views.print_sent_report(out, sent.mail, sent.delivery, each.settings)


@outbox_app.command("list")
def outbox_list(config: ConfigOption = None) -> None:
    """List the outgoing mail that is waiting or held back."""
    settings = settings_from(config)
    with opened(settings) as app_:
        views.print_outbox(out, app_.outbox(), settings)


@outbox_app.command("retry")
def outbox_retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Outbox ids to retry (default: every held mail).", show_default=False)
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Send held-back mail again (after fixing the address or the server)."""
    settings = settings_from(config)
    with opened(settings) as app_:
        retried = app_.retry(ids or None)
    views.print_retry(out, retried.released, retried.delivery, settings)


@app.command()
def web(
    config: ConfigOption = None,
    host: Annotated[
        str | None, typer.Option("--host", help="The address to listen on ([web] host, else 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="The port to listen on ([web] port, else 8080).")] = None,
) -> None:
    """Serve the web console for ICT staff until SIGINT or SIGTERM."""
    from mailbot import web as console

    settings = settings_from(config)
    logging.getLogger().setLevel(logging.INFO)
    with opened(settings) as app_:
        console.serve(app_, host or settings.web.host, port or settings.web.port)


def _register_review() -> None:
    """Review and history commands live in their own module."""
    from mailbot.cli import review as review_cli

    app.add_typer(review_cli.review_app, name="review")
    app.command("history")(review_cli.history_command)


def _register_campaign_files() -> None:
    """Units from a spreadsheet, and the blank report form."""
    from mailbot.cli import units as units_cli

    app.add_typer(units_cli.units_app, name="units")
    app.command("template")(units_cli.template_command)


_register_campaign_files()


_register_review()


def _register_users() -> None:
    """The console's users: `mailbot user …`."""
    from mailbot.cli import users as users_cli

    app.add_typer(users_cli.user_app, name="user")


_register_users()


def _register_record() -> None:
    """`mailbot record`: a figure received by telephone."""
    from mailbot.cli import record as record_cli

    app.command("record")(record_cli.record_command)


_register_record()


def _register_deploy() -> None:
    """Commands for putting mailbot into service live in their own module."""
    from mailbot.cli import deploy as deploy_cli

    app.command("init")(deploy_cli.init_command)
    app.command("backup")(deploy_cli.backup_command)


_register_deploy()
