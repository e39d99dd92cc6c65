"""`mailbot units import FILE [--into CAMPAIGN.toml] [--yes]`: printing and asking only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mailbot.cli.options import ConfigOption, DateOption, option
from mailbot.config import DEFAULT_CONFIG_PATH
from mailbot.i18n import text

if TYPE_CHECKING:
    from mailbot.app import UnitsPlan

units_app = typer.Typer(help="The campaign's reporting units.", no_args_is_help=True)
SHOWN_IDS = 12  # a long list of added units is cut after this many ids


@units_app.command("import")
def import_command(
    table: Annotated[Path, typer.Argument(help="The table of units: .xlsx, .xls, .ods or .csv.", show_default=False)],
    into: Annotated[
        Path | None,
        typer.Option(
            "--into",
            help="The campaign file to write (default: --config, else config/mailbot.toml).",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Write without asking.")] = False,
) -> None:
    """Read units (id or name, senders, population, aliases, active dates) into a campaign file.

    Shows what is added, changed and removed, and writes only with --yes or a confirmation.
    """
    from mailbot import app as application
    from mailbot.cli import _chosen_config, out

    campaign = into or (_chosen_config[0] if _chosen_config else DEFAULT_CONFIG_PATH)
    lang = application.units_language(campaign)
    plan = application.plan_units_import(table, campaign, lang)
    for line in change_lines(plan, lang):
        out.print(line, markup=False, soft_wrap=True)
    if plan.empty:
        return
    if not yes and not (_interactive() and typer.confirm(text("units.confirm", lang, file=campaign))):
        out.print(text("units.not_written", lang), markup=False)
        return
    application.write_units_plan(plan)
    out.print(text("units.written", lang, file=campaign), markup=False)


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty()


def change_lines(plan: UnitsPlan, lang: str) -> list[str]:
    if plan.empty:
        return [text("units.unchanged", lang, file=plan.path)]
    lines = []
    if plan.added:
        lines.append(text("units.added", lang, count=len(plan.added), units=_ids(plan.added)))
    for change in plan.changed:
        fields = "; ".join(
            text("units.changed_field", lang, field=name, before=_shown(before), after=_shown(after))
            for name, before, after in change.fields
        )
        lines.append(text("units.changed", lang, unit=change.unit, fields=fields))
    if plan.removed:
        lines.append(text("units.removed", lang, count=len(plan.removed), units=_ids(plan.removed)))
    return lines


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown + (f", … (+{len(ids) - SHOWN_IDS})" if len(ids) > SHOWN_IDS else "")


def _shown(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def template_command(
    config: ConfigOption = None,
    out_file: Annotated[
        Path | None, option("--out", "Where to write the workbook (default: the form's name in this folder).")
    ] = None,
    unit: Annotated[str | None, option("--unit", "Write this unit's name in (id, name or alias).")] = None,
    day: DateOption = None,
) -> None:
    """Write the campaign's blank report workbook (the "biểu mẫu") that units fill in and send."""
    from mailbot import app as application
    from mailbot.cli import out, parse_day, settings_from

    settings = settings_from(config)
    name, data = application.blank_form(settings, unit, parse_day(day, settings))
    path = out_file or Path(name)
    application.write_file_atomically(path, data)
    out.print(text("form.written", settings.language, path=path), markup=False)
