"""A whole message read in a reading worker (mailbot.workers): parsing, routing, body and attachments.

    read_whole(settings, message) -> Routed      raises SpreadsheetError if its worker fails
    read_whole_each(settings, messages) -> [Routed or SpreadsheetError, ...]   several at once
    parses_safely(settings, message) -> bool     False if taking it apart stops its worker

The deployment's settings go to each worker once (a context of the pool); each
message's bytes go in, its reading and the campaign it was read as come back. In
the worker, the message's files are read in the same process, under that worker's
limits (memory, CPU time, and the parent's wall clock over the whole message).

A message whose reading stops its worker (a crash, a limit) is read again by the
caller with each file in a worker of its own (mailbot.batches), which tells which
file was at fault; `parses_safely` first makes sure that taking the message apart
cannot stop the process that does it.
"""

from __future__ import annotations

import logging

from mailbot import routing, workers
from mailbot.config import Limits, Settings
from mailbot.errors import SpreadsheetError
from mailbot.models import InboundMessage, Reading
from mailbot.reading import mail, read_message

log = logging.getLogger(__name__)

READER = "mailbot.reading.whole:read_here"


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


def read_whole(settings: Settings, message: InboundMessage) -> routing.Routed:
    """The message routed and read in a worker, as `routing.route` with `read_arrived` would read it here."""
    index, reading = workers.run(READER, message, limits=settings.limits, context=settings)
    return routing.Routed(settings.mailbox_campaigns[index], reading)


def read_whole_each(settings: Settings, messages: list[InboundMessage]) -> list[routing.Routed | SpreadsheetError]:
    """Each message as `read_whole` reads it, all handed to one worker at once (workers.run_each); where the
    worker failed on a message, that message's SpreadsheetError in its place."""
    outcomes = workers.run_each(
        READER,
        [(message,) for message in messages],
        limits=settings.limits,
        context=settings,
    )
    return [
        outcome
        if isinstance(outcome, SpreadsheetError)
        else routing.Routed(settings.mailbox_campaigns[outcome[0]], outcome[1])
        for outcome in outcomes
    ]


def read_here(settings: Settings, message: InboundMessage) -> tuple[int, Reading]:
    """What a worker runs: the reading, and the position of its campaign among the mailbox's campaigns."""
    campaigns = settings.mailbox_campaigns
    routed = routing.route(settings, message.raw, lambda campaign: read_arrived(campaign, message), among=campaigns)
    return next(i for i, c in enumerate(campaigns) if c is routed.settings), routed.reading


def parses_safely(settings: Settings, message: InboundMessage) -> bool:
    """True if taking the message apart (as reading it does) ends, without a crash, within the worker's limits."""
    limits = settings.limits
    try:
        workers.run(
            "mailbot.reading.whole:parse_here",
            message.raw,
            settings.campaign.reporting_mailbox,
            not message.headers_only,
            limits,
            limits=limits,
        )
    except SpreadsheetError:
        return False
    return True


def parse_here(raw: bytes, reporting_mailbox: str, with_body: bool, limits: Limits) -> bool:
    """What a worker runs: the message taken apart as reading and routing it would; an exception is safe."""
    try:
        mail.safe_facts(raw, reporting_mailbox)
        if mail.excess(raw, limits) is None:
            mail.parse(raw, reporting_mailbox, with_body=with_body, max_references=limits.max_references)
    except MemoryError:
        raise
    except Exception:  # raised, it is caught where the message is read: only a crash is unsafe
        log.debug("taking a message apart failed; it is read as before", exc_info=True)
    return True
