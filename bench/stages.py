"""Where `mailbot poll --once` spends its time per message, stage by stage.

The calls a poll makes for each batch (batches.ingest_batch), in the same order,
on the same messages, timed part by part in this process (no IMAP: the raw bytes
are handed over as the inbox would hand them, in batches of `[inbox] batch_size`):
the messages read by the reading workers, the batch's history loaded, each
message checked against it, the reply policy asked, its acknowledgement composed,
and the batch stored in one transaction. Then the queued acknowledgements are
delivered to the SMTP sink, and the CLI's table of readings is printed into a
buffer. Also: the cost of importing mailbot's command line.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from rich.console import Console

from bench.ingest import ROOT
from mailbot import batches, compose, outbox, replies, service
from mailbot.cli import views
from mailbot.config import Settings
from mailbot.models import InboundMessage, Reading
from mailbot.store import Store, sha256_of

T = TypeVar("T")


def import_seconds() -> float:
    """Interpreter start plus `import mailbot.cli`, the floor of every command."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import mailbot.cli"], check=True, cwd=ROOT)
    return time.perf_counter() - started


def per_message(settings: Settings, db_url: str, mails: list[tuple[bytes, datetime]]) -> dict[str, float]:
    """Milliseconds per message for each stage of ingestion, delivery and printing."""
    spent: dict[str, float] = defaultdict(float)
    store = Store.open(db_url)
    now = datetime.now(UTC)
    result = service.PollResult("bench")
    messages = [
        InboundMessage("bench", f"1:{number}", raw, at, len(raw), uid=number, uidvalidity=1)
        for number, (raw, at) in enumerate(mails, start=1)
    ]
    answers = batches.Answers(store)
    size = settings.inbox.batch_size
    try:
        for start in range(0, len(messages), size):
            for reading in _ingest_batch(settings, store, messages[start : start + size], now, answers, spent):
                result.add(reading)
        started = time.perf_counter()
        delivered = _deliver_all(settings, store, now)
        spent["deliver acknowledgements (SMTP)"] += time.perf_counter() - started
        started = time.perf_counter()
        console = Console(file=io.StringIO(), width=120)
        views.print_stored(console, result, settings)
        views.print_delivery(console, delivered, settings)
        spent["print the table of readings"] += time.perf_counter() - started
    finally:
        store.close()
    return {stage: seconds * 1000 / len(mails) for stage, seconds in spent.items()}


def _timed(spent: dict, stage: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    value = work()
    spent[stage] += time.perf_counter() - started
    return value


def _ingest_batch(
    settings: Settings, store: Store, batch: list[InboundMessage], now: datetime, answers: batches.Answers, spent: dict
) -> list[Reading]:
    """What batches.ingest_batch and store_group do with a batch of messages none of which is marked."""
    digests = [sha256_of(message.raw) for message in batch]
    _timed(spent, "store (one transaction per batch)", lambda: store.begin_together(digests))
    run = list(zip(batch, digests, strict=True))
    group = _timed(spent, "read the message and workbook", lambda: batches.read_all(settings, run))
    readings = [item.reading for item in group]
    history = _timed(
        spent, "history checks (store queries)", lambda: batches.BatchHistory(batches.Known(store), readings)
    )
    prepared = [_prepare(settings, item, history, now, answers, spent) for item in group]
    _timed(
        spent,
        "store (one transaction per batch)",
        lambda: store.ingest_many([p[:3] for p in prepared], batch[0].source, batches._mark_of(group)),
    )
    answers.committed()
    return [reading for _, reading, _ in prepared]


def _prepare(
    settings: Settings, item: batches.Read, history: batches.BatchHistory, now: datetime, answers, spent: dict
) -> tuple[InboundMessage, Reading, list]:
    """batches._prepare, timed part by part (a message that could not be read is answered as the poll does)."""
    if item.failed:
        prepared = _timed(
            spent, "compose the acknowledgement", lambda: batches._prepare(settings, item, history, now, answers)
        )
        return prepared.message, prepared.reading, prepared.outgoing
    own = item.settings or settings
    reading = item.reading
    earlier = _timed(spent, "history checks (store queries)", lambda: history.of(reading))
    reading = _timed(
        spent, "history checks (store queries)", lambda: service.with_history_problems(own, reading, earlier)
    )
    replaced = _timed(
        spent, "history checks (store queries)", lambda: service.counted_submission(earlier, reading.period)
    )
    answer = _timed(
        spent, "reply policy (answers already sent)", lambda: replies.may_answer(own, reading, answers, now)
    )
    ack = _timed(
        spent,
        "compose the acknowledgement",
        lambda: (
            compose.acknowledgement(own, reading, replaced=replaced, now=now, key_basis=item.digest) if answer else None
        ),
    )
    outgoing = [ack] if ack else []
    answers.queued(outgoing)
    history.add(reading, item.message)
    return item.message, reading, outgoing


def _deliver_all(settings: Settings, store: Store, now: datetime):
    """Every queued mail, whatever the per-run limit of deliver_due."""
    total = outbox.DeliveryResult()
    while True:
        done = outbox.deliver_due(store, settings, now)
        total.sent, total.retried, total.held = (
            total.sent + done.sent,
            total.retried + done.retried,
            total.held + done.held,
        )
        if not done.handled:
            return total
