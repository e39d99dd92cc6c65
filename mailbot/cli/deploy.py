"""Commands for putting mailbot into service: init and backup."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mailbot import i18n
from mailbot.cli import out, settings_from
from mailbot.cli.options import ConfigOption
from mailbot.config import DEFAULT_LANGUAGE, Settings
from mailbot.errors import MailbotError

if TYPE_CHECKING:
    from mailbot import app as application


def init_command(
    directory: Annotated[Path, typer.Argument(help="The folder to write the starter campaign file into.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite a campaign file that is already there.")] = False,
) -> None:
    """Write a starter campaign file, with comments on every key, into a folder."""
    from mailbot import app as application

    target = application.write_starter_campaign(directory, force)
    out.print(i18n.text("deploy.init_written", DEFAULT_LANGUAGE, path=target), markup=False, soft_wrap=True)


def backup_command(
    target: Annotated[Path, typer.Argument(help="The file to write the copy of the store to.", show_default=False)],
    config: ConfigOption = None,
) -> None:
    """A consistent copy of the SQLite store while the service runs (for PostgreSQL, use pg_dump)."""
    from mailbot import app as application

    settings = settings_from(config)
    counts = application.backup_store(settings, target)
    out.print(i18n.text("deploy.backup_done", settings.language, path=target, **counts), markup=False, soft_wrap=True)


def print_connection_checks(settings: Settings, checks: list[application.ConnectionCheck]) -> None:
    """One line per part; a part that failed says why, and the command then exits 1."""
    lang = settings.language
    for check in checks:
        part = i18n.text(f"deploy.part_{check.part}", lang)
        if check.error is None:
            line = i18n.text("deploy.connect_ok", lang, part=part, target=check.target)
        else:
            line = i18n.text("deploy.connect_failed", lang, part=part, target=check.target, error=check.error)
        out.print(line, markup=False, soft_wrap=True)
    failed = [i18n.text(f"deploy.part_{c.part}", lang) for c in checks if c.error is not None]
    if failed:
        raise i18n.error(MailbotError, "errors.connect_failed", lang, parts=", ".join(failed))
