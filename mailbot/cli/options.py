"""The options several commands share, said once.

Their help here is the English fallback: what `--help` shows comes from the
catalogue (templates/<language>/help.toml, `"* --config"` and the like).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.models import OptionInfo


def option(flag: str, help: str) -> OptionInfo:
    """An option without a shown default: its help says what the default is."""
    return typer.Option(flag, help=help, show_default=False)


ConfigOption = Annotated[
    Path | None, option("--config", "The campaign's TOML file (default: $MAILBOT_CONFIG or config/mailbot.toml).")
]
CampaignOption = Annotated[
    str | None,
    option("--campaign", "Where several campaigns share the mailbox: the campaign's id (default: every campaign)."),
]
DateOption = Annotated[
    str | None, option("--date", "The report day, dd/mm/yyyy or YYYY-MM-DD (default: today, local time).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
