"""Units from a spreadsheet into a campaign file: `mailbot units import FILE [--into CAMPAIGN.toml]`.

    plan = plan_units_import(table_path, campaign_path, lang)   # read, check, compute; writes nothing
    write_plan(plan)                                            # atomically

The new file is checked as `mailbot check-config` checks it before anything is written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from mailbot import i18n
from mailbot.config import load_settings
from mailbot.errors import ConfigError, MailbotError
from mailbot.files import write_atomically
from mailbot.units.table import UnitRow, read_unit_rows, slug
from mailbot.units.toml_file import Change, Plan, plan_import

__all__ = ["Change", "Plan", "UnitRow", "plan_units_import", "read_unit_rows", "slug", "write_plan"]


def plan_units_import(table: Path, campaign: Path, lang: str) -> Plan:
    """What importing `table` into `campaign` changes; raises one clear MailbotError on bad input."""
    table, campaign = Path(table), Path(campaign)
    if not table.is_file():
        raise i18n.error(MailbotError, "units.not_found", lang, file=table)
    if not campaign.is_file():
        raise i18n.error(MailbotError, "units.no_campaign", lang, file=campaign)
    rows = read_unit_rows(table, lang)
    plan = plan_import(campaign, rows)
    _check(plan, lang)
    return plan


def _check(plan: Plan, lang: str) -> None:
    """The new file must load as check-config loads it."""
    with tempfile.TemporaryDirectory(prefix="mailbot-units-") as folder:
        candidate = Path(folder) / plan.path.name
        candidate.write_text(plan.text, encoding="utf-8")
        try:
            load_settings(candidate, env={})
        except ConfigError as exc:
            reason = str(exc).replace(str(candidate), str(plan.path))
            raise i18n.error(MailbotError, "units.not_valid", lang, file=plan.path, reason=reason) from None


def write_plan(plan: Plan) -> None:
    write_atomically(plan.path, plan.text, keep_mode=True)
