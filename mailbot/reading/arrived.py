"""What a reading worker runs on a whole message (mailbot.reading.whole hands it over): parsing, routing,
body and attachments, all in the worker's process, under its limits.

    read_here(settings, message) -> (campaign position, Reading)
    parse_here(raw, reporting_mailbox, with_body, limits) -> True   the message taken apart, nothing more
    read_arrived(settings, message) -> Reading   as this campaign's mail, in the calling process

The workers import this module (and with it the readers and sheets/) before their first
job; the process that hands the messages over imports only mailbot.reading.whole.
"""

from __future__ import annotations

import logging

from mailbot import routing
from mailbot.config import Limits, Settings
from mailbot.models import InboundMessage, Reading
from mailbot.reading import mail
from mailbot.reading.message import read_message

log = logging.getLogger(__name__)


def read_arrived(settings: Settings, message: InboundMessage) -> Reading:
    """The reading of a message as it arrived, as this campaign's mail (in the calling process)."""
    received = message.received_at.astimezone(settings.campaign.tz) if message.received_at else None
    return read_message(
        message.raw,
        settings,
        received_at=received,
        path=f"{message.source}#{message.key}",
        headers_only=message.headers_only,
        size=message.size,
    )


def read_here(settings: Settings, message: InboundMessage) -> tuple[int, Reading]:
    """The reading, and the position of its campaign among the mailbox's campaigns."""
    campaigns = settings.mailbox_campaigns
    routed = routing.route(settings, message.raw, lambda campaign: read_arrived(campaign, message), among=campaigns)
    return next(i for i, c in enumerate(campaigns) if c is routed.settings), routed.reading


def parse_here(raw: bytes, reporting_mailbox: str, with_body: bool, limits: Limits) -> bool:
    """The message taken apart as reading and routing it would; an exception is safe, only a crash is not."""
    try:
        mail.safe_facts(raw, reporting_mailbox)
        if mail.excess(raw, limits) is None:
            mail.parse(raw, reporting_mailbox, with_body=with_body, max_references=limits.max_references)
    except MemoryError:
        raise
    except Exception:  # raised, it is caught where the message is read: only a crash is unsafe
        log.debug("taking a message apart failed; it is read as before", exc_info=True)
    return True
