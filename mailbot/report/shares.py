"""The report's sentences for a campaign with a derived share (and for one with a single report).

The departments' campaign reads two counts and derives the share installed: its report says
who reported, each unit's share against the letter's target, and who is missing. A campaign
without a share keeps the population wording of view.py.
"""

from __future__ import annotations

from mailbot.config import Settings, Share
from mailbot.i18n import format_count, format_percent, text
from mailbot.models import LATE, ON_TIME, DayLedger

REPORTED = (ON_TIME, LATE)


def goal_text(goal: float, lang: str) -> str:
    return format_percent(goal, lang, digits=0 if float(goal).is_integer() else 2)


def labels(settings: Settings, share: Share) -> tuple[str, str]:
    by_id = {m.id: m.label for m in settings.campaign.metrics}
    return lower_first(by_id[share.numerator]), lower_first(by_id[share.denominator])


def headline(settings: Settings, ledger: DayLedger, share: Share, params: dict) -> str:
    """ "Tính đến 08:00 ngày 17/8/2020, 2/24 đơn vị đã báo cáo: … đạt 98,44%." """
    lang = settings.language
    numerator, denominator = labels(settings, share)
    return text(
        "campaigns.headline_share",
        lang,
        time=params["time"],
        day=params["as_of_day"],
        numerator_label=numerator,
        numerator=format_count(ledger.totals.get(share.numerator, 0), lang),
        denominator_label=denominator,
        denominator=format_count(ledger.totals.get(share.denominator, 0), lang),
        share_label=lower_first(share.label),
        share=format_percent(ledger.derived.get(share.id), lang),
    )


def goal_line(settings: Settings, ledger: DayLedger, share: Share) -> str | None:
    """How many of the units that reported reach the target."""
    if share.goal_percent is None:
        return None
    lang = settings.language
    reported = [u for u in ledger.units if u.state in REPORTED]
    reached = [u for u in reported if at_goal(u.derived.get(share.id), share.goal_percent)]
    return text(
        "campaigns.goal_share",
        lang,
        goal=goal_text(share.goal_percent, lang),
        share_label=lower_first(share.label),
        reached=len(reached),
        reported=len(reported),
    )


def below_goal(settings: Settings, ledger: DayLedger, share: Share) -> dict | None:
    """The list of reported units below the target, each with its share."""
    if share.goal_percent is None:
        return None
    lang = settings.language
    items = [
        text("campaigns.below_goal_item", lang, name=u.name, share=format_percent(u.derived.get(share.id), lang))
        for u in ledger.units
        if u.state in REPORTED and not at_goal(u.derived.get(share.id), share.goal_percent)
    ]
    title = text("campaigns.below_goal_title", lang, goal=goal_text(share.goal_percent, lang))
    return dict(title=title, items=tuple(items), empty=text("report.none", lang))


def rank_note(settings: Settings, share: Share) -> str:
    return text("campaigns.rank_note_share", settings.language, share_label=lower_first(share.label))


def lower_first(label: str) -> str:
    """ "Tỷ lệ đã cài đặt" -> "tỷ lệ đã cài đặt", leaving acronyms such as "CBCCVC" alone."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def at_goal(value: float | None, goal: float) -> bool:
    return value is not None and round(value, 2) >= goal


def once_words(settings: Settings, key: str, **params: object) -> str | None:
    """For a campaign with one report, `campaigns.<key>_once` naming its due date; else None."""
    campaign = settings.campaign
    if not campaign.once or campaign.due_before is None:
        return None
    due = campaign.due_before
    return text(f"campaigns.{key}_once", settings.language, due_before=f"{due.day}/{due.month}/{due.year}", **params)
