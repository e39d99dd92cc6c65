"""Which campaign a message reports for, where several campaigns share the mailbox it arrived in.

    route(settings, raw, read) -> Routed

`read(campaign_settings)` reads the message as that campaign's mail. In order:

1. the campaign its sender is registered in, if it is one;
2. among the campaigns the sender is registered in (all, for an unregistered sender),
   the one whose `keywords` the subject carries, then the attachments' names;
3. the one whose metrics the mail's figures fit: every metric read, and of those the
   campaign with the most metrics (a table of two counts is the two-count campaign's,
   even where one of its columns also fits the other);
4. otherwise the message waits for review with `unknown_campaign`, without a unit, and
   `review assign` names the unit, and with it the campaign.

A mailbox of one campaign reads every message as that campaign's; the campaigns of the other
mailboxes of the deployment (config/mailboxes.py) are never candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from mailbot import i18n
from mailbot.config import Settings
from mailbot.models import NO_FIGURE, UNKNOWN_CAMPAIGN, Reading
from mailbot.reading import mail
from mailbot.reading.text import contains_words, fold


@dataclass(frozen=True)
class Routed:
    settings: Settings  # the campaign the message was read as (for an unknown campaign: the first candidate)
    reading: Reading  # with its campaign; an unknown campaign's has none, no unit, and unknown_campaign

    @property
    def known(self) -> bool:
        return self.reading.campaign is not None


def route(
    settings: Settings,
    raw: bytes | None,
    read: Callable[[Settings], Reading],
    among: Sequence[Settings] | None = None,
) -> Routed:
    """The campaign of a message (or of a bare file, `raw` None) and its reading as that campaign's mail.

    `among`: the candidate campaigns; by default those of the mailbox of `settings` (a file
    given to `mailbot parse` came from no mailbox: every campaign of the deployment is one).
    """
    campaigns = tuple(among) if among is not None else settings.mailbox_campaigns
    if len(campaigns) == 1:
        return _as(campaigns[0], read(campaigns[0]))
    facts = mail.safe_facts(raw, settings.campaign.reporting_mailbox) if raw is not None else None
    sender = facts.sender if facts else None
    registered = [c for c in campaigns if sender and c.unit_of_sender(sender) is not None]
    if len(registered) == 1:
        return _as(registered[0], read(registered[0]))
    candidates = registered or list(campaigns)
    named = [c for c in candidates if _names(c, [facts.subject if facts else None])]
    if len(named) == 1:
        return _as(named[0], read(named[0]))
    readings = [(c, read(c)) for c in candidates]
    chosen = _by_file_names(readings) or _by_fit(readings)
    if chosen is not None:
        return _as(*chosen)
    return _unknown(campaigns, readings)


def registered_in(settings: Settings, sender: str | None) -> list[Settings]:
    """The campaigns of the mailbox of `settings` in which `sender` is a registered address."""
    if not sender:
        return []
    return [c for c in settings.mailbox_campaigns if c.unit_of_sender(sender) is not None]


def _as(settings: Settings, reading: Reading) -> Routed:
    return Routed(settings, replace(reading, campaign=settings.campaign.id))


def _names(settings: Settings, texts: list[str | None]) -> bool:
    """True if one of `texts` carries one of the campaign's keywords (as whole words, folded)."""
    keys = [fold(k) for k in settings.campaign.keywords]
    return any(contains_words(fold(t), k) for t in texts if t for k in keys if k)


def _by_file_names(readings: list[tuple[Settings, Reading]]) -> tuple[Settings, Reading] | None:
    named = [(c, r) for c, r in readings if _names(c, list(r.attachments))]
    return named[0] if len(named) == 1 else None


def _by_fit(readings: list[tuple[Settings, Reading]]) -> tuple[Settings, Reading] | None:
    """The campaign every one of whose metrics was read, the one with most metrics; None on a tie or no fit."""
    complete = [(c, r) for c, r in readings if all(m.id in r.figures for m in c.campaign.metrics)]
    if not complete:
        return None
    most = max(len(c.campaign.metrics) for c, _ in complete)
    best = [(c, r) for c, r in complete if len(c.campaign.metrics) == most]
    return best[0] if len(best) == 1 else None


def _unknown(campaigns: Sequence[Settings], readings: list[tuple[Settings, Reading]]) -> Routed:
    """Held for review: the reading that found most figures, without a unit, with unknown_campaign.

    A metric not found (no_figure) says nothing while the campaign is not known, so it
    does not reject the mail; `review assign` reads it again as the chosen campaign's.
    """
    first, reading = max(readings, key=lambda pair: len(pair[1].figures))  # the first of equals
    names = ", ".join(c.campaign.name or c.campaign.id for c in campaigns)
    problem = i18n.problem(UNKNOWN_CAMPAIGN, first.language, campaigns=names)
    kept = tuple(p for p in reading.problems if p.code != NO_FIGURE)
    held = replace(reading, unit=None, campaign=None, problems=(*kept, problem))
    return Routed(first, held)
