"""The campaign's deadline rule: daily at a time, or once before a date.

    deadline_kind = "daily"        # the default: a report every reporting day,
    deadline = "16:00:00"          # on time up to and including this second of that day

    deadline_kind = "once"         # one report, "trước ngày 17/8/2020":
    due_before = 2020-08-17        # on time until the end of 16/8/2020, local time

Each mistake is one ConfigError naming the key and the fix, raised through the reader.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from mailbot.config.settings import DAILY, DEADLINE_KINDS, END_OF_DAY, ONCE

if TYPE_CHECKING:
    from mailbot.config.reader import TomlReader

DEADLINE_KEYS = frozenset({"deadline_kind", "due_before", "topic", "form_in_reminders"})
DAILY_ONLY_KEYS = ("deadline", "reporting_days", "holidays")


def deadline_rule(reader: TomlReader, data: dict[str, Any]) -> dict[str, Any]:
    """The Campaign fields of the deadline rule in `data` (the [campaign] table)."""
    kind = data.get("deadline_kind", DAILY)
    if kind not in DEADLINE_KINDS:
        raise reader.fail("campaign.deadline_kind", "deadline_kind_unsupported", value=kind)
    if kind == DAILY:
        if "due_before" in data:
            raise reader.fail("campaign.due_before", "due_before_daily")
        return {"deadline_kind": DAILY, "deadline": reader.clock(data, "campaign.deadline", "16:00:00")}
    for key in DAILY_ONLY_KEYS:
        if key in data:
            raise reader.fail(f"campaign.{key}", "daily_only_key")
    if "due_before" not in data:
        raise reader.fail("campaign.due_before", "due_before_missing")
    due_before = reader.day(data["due_before"], "campaign.due_before")
    _check_window(reader, data, due_before)
    return {"deadline_kind": ONCE, "due_before": due_before, "deadline": END_OF_DAY}


def _check_window(reader: TomlReader, data: dict[str, Any], due_before: date) -> None:
    """A once report needs its days: `start` on or before the due day, `end` not before it."""
    start = reader.optional_day(data, "campaign.start")
    if start is not None and start >= due_before:
        raise reader.fail("campaign.start", "start_after_due", due_before=due_before.isoformat())
    end = reader.optional_day(data, "campaign.end")
    if end is not None and end < due_before:
        raise reader.fail("campaign.end", "end_before_due", due_before=due_before.isoformat())
