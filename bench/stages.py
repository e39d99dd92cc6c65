"""Where `mailbot poll --once` spends its time per message, stage by stage.

The same calls service.ingest_message makes, in the same order, on the same
messages, timed one by one in this process (no IMAP: the raw bytes are handed
over as the inbox would hand them). Then the queued acknowledgements are
delivered to the SMTP sink, and the CLI's table of readings is printed into a
buffer. Also: the cost of importing mailbot's command line.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime

from rich.console import Console

from bench.ingest import ROOT
from mailbot import compose, outbox, replies, service
from mailbot.cli import views
from mailbot.config import Settings
from mailbot.models import InboundMessage, SourceMark
from mailbot.store import Store, sha256_of


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
    try:
        for number, (raw, at) in enumerate(mails, start=1):
            message = InboundMessage("bench", f"1:{number}", raw, at, len(raw), uid=number, uidvalidity=1)
            result.add(_ingest(settings, store, message, now, spent))
        started = time.perf_counter()
        delivered = _deliver_all(settings, store, now)
        spent["deliver acknowledgements (SMTP)"] += time.perf_counter() - started
        started = time.perf_counter()
        console = Console(file=io.StringIO(), width=120)
        views.print_poll(console, result, delivered, settings)
        spent["print the table of readings"] += time.perf_counter() - started
    finally:
        store.close()
    return {stage: seconds * 1000 / len(mails) for stage, seconds in spent.items()}


def _ingest(settings: Settings, store: Store, message: InboundMessage, now: datetime, spent: dict):
    def timed(stage: str, work):
        started = time.perf_counter()
        value = work()
        spent[stage] += time.perf_counter() - started
        return value

    reading = timed("read the message and workbook", lambda: service.safe_read(settings, message))
    earlier = timed("history checks (store queries)", lambda: service.unit_submissions(store, reading))
    reading = timed("history checks (store queries)", lambda: service.with_history_problems(settings, reading, earlier))
    replaced = timed("history checks (store queries)", lambda: service.counted_submission(earlier, reading.period))
    answer = timed("reply policy (answers already sent)", lambda: replies.may_answer(settings, reading, store, now))
    ack = timed(
        "compose the acknowledgement",
        lambda: (
            compose.acknowledgement(settings, reading, replaced=replaced, now=now, key_basis=sha256_of(message.raw))
            if answer
            else None
        ),
    )
    mark = SourceMark(message.uidvalidity, message.uid)
    timed("store (one transaction per message)", lambda: store.ingest(message, reading, [ack] if ack else [], mark))
    return reading


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
