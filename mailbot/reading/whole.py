"""A whole message read in a reading worker (mailbot.workers): the side of the process that hands it over.

    read_whole(settings, message) -> Routed      raises SpreadsheetError if its worker fails
    read_whole_each(settings, messages) -> [Routed or SpreadsheetError, ...]   several at once
    parses_safely(settings, message) -> bool     False if taking it apart stops its worker

The deployment's settings go to each worker once (a context of the pool); each
message's bytes go in, its reading and the campaign it was read as come back. In
the worker (mailbot.reading.arrived), the message's files are read in the same
process, under that worker's limits (memory, CPU time, and the parent's wall clock
over the whole message). This module loads none of the readers: the process that
stores and answers does not need them.

A message whose reading stops its worker (a crash, a limit) is read again by the
caller with each file in a worker of its own (mailbot.batches, with
mailbot.reading.arrived.read_arrived), which tells which file was at fault;
`parses_safely` first makes sure that taking the message apart cannot stop the
process that does it.
"""

from __future__ import annotations

from mailbot import routing, workers
from mailbot.config import Settings
from mailbot.errors import SpreadsheetError
from mailbot.models import InboundMessage

READER = "mailbot.reading.arrived:read_here"
PARSER = "mailbot.reading.arrived:parse_here"


def read_whole(settings: Settings, message: InboundMessage) -> routing.Routed:
    """The message routed and read in a worker, as `routing.route` with `arrived.read_arrived` would read it here."""
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


def parses_safely(settings: Settings, message: InboundMessage) -> bool:
    """True if taking the message apart (as reading it does) ends, without a crash, within the worker's limits."""
    limits = settings.limits
    try:
        workers.run(
            PARSER, message.raw, settings.campaign.reporting_mailbox, not message.headers_only, limits, limits=limits
        )
    except SpreadsheetError:
        return False
    return True
