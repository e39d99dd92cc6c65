"""Mail the server took is confirmed in the store a group at a time, and a crash in the middle of a group
loses nothing: the group's mail goes out again (the ones the server had taken twice, at most a group)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fixtures_smtp import PipeliningHandler, ScriptedHandler, _start, queued_acks, settings_for

from mailbot import outbox
from mailbot.models import OutboundMail
from mailbot.store import Store

WAIT = 120.0  # seconds at most for the killed sender to reach its stall (a bound on a hang, not a measure)


def mails(count: int) -> list[OutboundMail]:
    return queued_acks(count)


def test_sent_mail_is_confirmed_a_group_at_a_time(sqlite_url, smtp_server):
    count = outbox.MARK_GROUP * 2 + 3
    store = Store.open(sqlite_url)
    store.queue(mails(count))
    confirmations: list[str] = []

    def seen(_conn, _cursor, statement: str, *_args) -> None:
        if statement.startswith("UPDATE outbox") and "sent_at" in statement:
            confirmations.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        result = outbox.deliver_due(store, settings_for(smtp_server.url, sqlite_url), datetime.now(UTC))
        counts = store.outbox_counts()
    finally:
        store.close()
    assert result.sent == count and counts["sent"] == count
    assert len(confirmations) == 3  # groups of MARK_GROUP, then the rest: not one write a mail
    assert len(smtp_server.messages) == count


class StallAfter(ScriptedHandler):
    """Takes `taken` messages, then holds the next DATA until released and answers it 451."""

    def __init__(self, taken: int) -> None:
        super().__init__()
        self.taken = taken
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if len(self.messages) >= self.taken and not self.release.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.4.2 the client went away"
        return await super().handle_DATA(server, session, envelope)


SENDER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from mailbot import outbox
    from mailbot.config import load_settings
    from mailbot.store import Store
    settings = load_settings(None, env={"MAILBOT_SMTP_URL": sys.argv[1], "MAILBOT_DB_URL": sys.argv[2]})
    outbox.deliver_as_lock_holder(Store.open(sys.argv[2]), settings, datetime.now(UTC))
    """
)


def killed_at_stall(handler: StallAfter, url: str, db_url: str) -> None:
    """The sender run in a process of its own over the store at `db_url`, killed once the server holds a DATA."""
    sender = subprocess.Popen([sys.executable, "-c", SENDER, url, db_url], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + WAIT
    while not handler.stalled.is_set():
        assert sender.poll() is None, sender.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the sender never reached the stalled DATA"
        time.sleep(0.02)
    sender.send_signal(signal.SIGKILL)
    sender.wait(30)


@pytest.mark.parametrize("taken", [3, outbox.MARK_GROUP + 2])
def test_a_sender_killed_in_the_middle_of_a_group_loses_nothing(sqlite_url, taken):
    queued = mails(outbox.MARK_GROUP * 2)
    store = Store.open(sqlite_url)
    store.queue(queued)
    handler = StallAfter(taken)
    controller = _start(handler)
    url = f"smtp://127.0.0.1:{controller.port}?timeout=60"
    try:
        killed_at_stall(handler, url, sqlite_url)  # with a group taken by the server and not confirmed
        states = Counter(mail.state for mail in store.mail())
        confirmed = taken // outbox.MARK_GROUP * outbox.MARK_GROUP
        assert states == Counter({"sent": confirmed, "sending": len(queued) - confirmed})
        handler.release.set()

        again = outbox.deliver_as_lock_holder(store, settings_for(url, sqlite_url), datetime.now(UTC))
        assert again.sent == len(queued) - confirmed
        assert Counter(mail.state for mail in store.mail()) == {"sent": len(queued)}
    finally:
        handler.release.set()
        controller.stop()
        store.close()
    arrived = Counter(m.rcpt_tos[0] for m in handler.messages)
    assert set(arrived) == {m.recipients[0] for m in queued}  # none lost
    doubled = [r for r, n in arrived.items() if n > 1]
    assert len(doubled) == taken - confirmed <= outbox.MARK_GROUP  # only the unconfirmed the server had taken


class StallAfterPipelining(PipeliningHandler, StallAfter):
    """StallAfter on a server that pipelines: the sender has mail in flight on two connections when it stalls."""

    def __init__(self, taken: int) -> None:
        StallAfter.__init__(self, taken)


@pytest.mark.parametrize("taken", [3, outbox.MARK_GROUP + 2])
def test_a_sender_killed_with_mail_in_flight_on_two_connections_loses_nothing(sqlite_url, taken):
    """Killed while both connections wait for the answer to a mail's data: what the server took and was not
    confirmed goes out again (at most a group), nothing else twice, and nothing is lost."""
    queued = mails(outbox.MARK_GROUP * 3)
    store = Store.open(sqlite_url)
    store.queue(queued)
    handler = StallAfterPipelining(taken)
    controller = _start(handler)
    url = f"smtp://127.0.0.1:{controller.port}?timeout=60"
    try:
        killed_at_stall(handler, url, sqlite_url)
        states = Counter(mail.state for mail in store.mail())
        confirmed = states["sent"]
        assert states == Counter({"sent": confirmed, "sending": len(queued) - confirmed})
        assert taken - confirmed <= outbox.MARK_GROUP
        handler.release.set()

        again = outbox.deliver_as_lock_holder(store, settings_for(url, sqlite_url), datetime.now(UTC))
        assert again.sent == len(queued) - confirmed
        assert Counter(mail.state for mail in store.mail()) == {"sent": len(queued)}
    finally:
        handler.release.set()
        controller.stop()
        store.close()
    assert len({m.peer for m in handler.messages}) >= 2  # two connections were at it
    arrived = Counter(m.rcpt_tos[0] for m in handler.messages)
    assert set(arrived) == {m.recipients[0] for m in queued}  # none lost
    doubled = [r for r, n in arrived.items() if n > 1]
    assert len(doubled) == taken - confirmed <= outbox.MARK_GROUP  # only the unconfirmed the server had taken
