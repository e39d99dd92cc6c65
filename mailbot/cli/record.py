"""`mailbot record`: a figure a person received by telephone (or another channel)."""

from __future__ import annotations

from typing import Annotated

import typer

from mailbot import i18n
from mailbot.cli.options import ConfigOption, DateOption, option
from mailbot.config import load_settings


def record_command(
    unit: Annotated[str, typer.Argument(help="The unit: its id, name or alias.")],
    figure: Annotated[str, typer.Argument(help="The figure received, e.g. 17356 or 17.356.")],
    by: Annotated[str, typer.Option("--by", help="Who received the figure (recorded in the audit).")],
    note: Annotated[str | None, option("--note", 'How it came, e.g. "gọi điện lúc 15:40".')] = None,
    day: DateOption = None,
    metric: Annotated[str | None, option("--metric", "The metric's id (default: the first).")] = None,
    at: Annotated[str | None, option("--at", "When it was received, HH:MM on the report day (default: now).")] = None,
    config: ConfigOption = None,
) -> None:
    """Record a figure a person received (by telephone), acknowledged to the unit's registered address."""
    from mailbot.app import opened, parse_date
    from mailbot.cli import out

    settings = load_settings(config)
    lang = settings.language
    report_day = parse_date(day, lang) if day else None
    with opened(settings) as app_:
        outcome = app_.record(unit, figure, by, note=note, day=report_day, metric=metric, at=at)
    reading = outcome.reading
    if outcome.duplicate:
        out.print(i18n.text("channels.recorded_again", lang), markup=False)
        return
    figures = ", ".join(f"{k} = {i18n.format_count(v, lang)}" for k, v in reading.figures.items())
    found = settings.unit(reading.unit) if reading.unit else None
    shown_day = reading.period or report_day
    out.print(
        i18n.text(
            "channels.recorded",
            lang,
            figures=figures,
            unit=found.name if found else unit,
            day=i18n.format_day(shown_day, lang),
            at=i18n.format_time(reading.received_at, lang),
            by=by,
            status=i18n.state_name(reading.status, lang),
            to=reading.reply_to or "–",
        ),
        markup=False,
    )
