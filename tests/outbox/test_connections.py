"""Where the SMTP server pipelines, mail goes over two connections in turn, and every guarantee of the outbox
holds on both: a refusal or a drop on one leaves the mail of the other whole, nothing is lost or sent twice,
and a server that takes one connection per client gets all its mail over that one.

Real aiosmtpd servers on loopback; faults are the server's own replies, drops and refusals.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import ssl
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from fixtures_smtp import (
    DROP,
    SMTP_PASSWORD,
    SMTP_USER,
    PipeliningHandler,
    counting_server,
    free_port,
    queued_acks,
    settings_for,
)

from mailbot import outbox
from mailbot.config import load_settings
from mailbot.errors import ConfigError, DeliveryError
from mailbot.models import OutboundMail
from mailbot.store import Store

HOLD_SECONDS = 20.0  # a bound on a hang, not a measure: well under the client's timeout below
CLIENT_TIMEOUT = 60


def mails(count: int) -> list[OutboundMail]:
    return queued_acks(count, "ok {n}\r\n.{n}")  # a line that starts with a dot: it goes out stuffed


def arrived(handler) -> dict[str, bytes]:
    """Message-ID -> the bytes the server took, each mail once (a second copy fails the test)."""
    taken: dict[str, bytes] = {}
    for message in handler.messages:
        message_id = message_from_bytes(message.data, policy=policy.default)["Message-ID"]
        assert message_id not in taken, f"{message_id} arrived twice"
        taken[message_id] = message.data.rstrip(b"\r\n")
    return taken


def whole(sent: list[OutboundMail]) -> dict[str, bytes]:
    return {mail.message_id: mail.raw.rstrip(b"\r\n") for mail in sent}


def start(handler, factory=None) -> Controller:
    controller = (factory or Controller)(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    return controller


def url_of(controller: Controller, query: str = "") -> str:
    return f"smtp://127.0.0.1:{controller.port}?timeout={CLIENT_TIMEOUT}{query}"


@pytest.fixture
def store(sqlite_url):
    opened = Store.open(sqlite_url)
    yield opened
    opened.close()


class WaitsForTheOther(PipeliningHandler):
    """The first mail's data is answered only once data has come over another connection too: a client that
    waits for one connection's answer before it writes on the other never gets that answer (451)."""

    def __init__(self, hold: float = HOLD_SECONDS) -> None:
        super().__init__()
        self.hold = hold
        self.others: asyncio.Event | None = None
        self.first_peer = None
        self.waited_in_vain = False

    async def handle_DATA(self, server, session, envelope):
        if self.first_peer is None:
            self.first_peer, self.others = session.peer, asyncio.Event()
            try:
                await asyncio.wait_for(self.others.wait(), self.hold)
            except TimeoutError:
                self.waited_in_vain = True
                return "451 4.4.2 nothing came over another connection"
        elif session.peer != self.first_peer:
            self.others.set()
        return await super().handle_DATA(server, session, envelope)


def test_mail_goes_over_two_connections_in_turn_while_the_server_takes_the_one_before(store, sqlite_url):
    handler = WaitsForTheOther()
    controller = start(handler)
    queued = mails(7)
    store.queue(queued)
    try:
        result = outbox.deliver_due(store, settings_for(url_of(controller), sqlite_url), datetime.now(UTC))
    finally:
        controller.stop()
    assert not handler.waited_in_vain
    assert (result.sent, result.retried, result.held) == (7, 0, 0)
    assert arrived(handler) == whole(queued)  # byte for byte, leading dots and all
    assert handler.connections == 2
    assert sorted(Counter(m.peer for m in handler.messages).values()) == [3, 4]  # each took its turn
    assert store.outbox_counts()["sent"] == 7


def test_one_connection_when_the_url_says_so(store, sqlite_url):
    """?connections=1: the first mail's answer is waited for before anything else is written, as before."""
    handler = WaitsForTheOther(hold=2.0)  # nothing comes over another connection, however long it waits
    controller = start(handler)
    queued = mails(3)
    store.queue(queued)
    try:
        result = outbox.deliver_due(
            store, settings_for(url_of(controller, "&connections=1"), sqlite_url), datetime.now(UTC)
        )
    finally:
        controller.stop()
    assert handler.waited_in_vain and handler.connections == 1  # nothing came over another connection
    assert (result.sent, result.retried) == (2, 1)
    assert len({m.peer for m in handler.messages}) == 1


@pytest.mark.parametrize("given", ["0", "5", "two", "-1"])
def test_a_number_of_connections_that_cannot_be_used_stops_mailbot_at_start(given):
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env={"MAILBOT_SMTP_URL": f"smtp://127.0.0.1:25?connections={given}"})
    assert f"connections={given}" in caught.value.message and "1 đến 4" in caught.value.message
    assert "?connections=1" in caught.value.hint


@pytest.mark.parametrize("given", ["abc", "0", "-5", "nan", "inf", "90000", ""])
def test_a_timeout_that_cannot_be_used_stops_mailbot_at_start(given):
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env={"MAILBOT_SMTP_URL": f"smtp://127.0.0.1:25?timeout={given}"})
    assert f"timeout={given}" in caught.value.message and "86.400" in caught.value.message
    assert "?timeout=60" in caught.value.hint


def test_a_timeout_in_seconds_is_taken_as_written():
    settings = load_settings(None, env={"MAILBOT_SMTP_URL": "smtp://127.0.0.1:25?timeout=2.5"})
    assert outbox.open_transport(settings).target.timeout == 2.5


QUEUED = 4  # over two connections: mails 0 and 1 on the first, 2 and 3 on the second (or the other way)


@pytest.mark.parametrize("which", range(QUEUED))
@pytest.mark.parametrize(
    "reply, state",
    [
        ("451 4.3.0 not now", "pending"),
        ("550 5.7.1 refused", "held"),
        ("421 4.3.2 closing", "pending"),
        (DROP, "pending"),
    ],
)
def test_a_mail_refused_or_dropped_on_either_connection_leaves_every_other_mail_whole(
    store, sqlite_url, which, reply, state
):
    """Whichever mail the server refuses at the end of its data, or drops its connection at: that one waits
    for its retry or is held, every other one arrives once, byte for byte, and is confirmed; a mail whose
    commands had gone out on a connection that went is sent all the same."""
    handler = PipeliningHandler()
    controller = start(handler)
    queued = mails(QUEUED)
    store.queue(queued)
    handler.replies_to[queued[which].recipients[0]] = reply
    settings = settings_for(url_of(controller), sqlite_url)
    try:
        result = outbox.deliver_due(store, settings, datetime.now(UTC))
        assert arrived(handler) == whole(m for i, m in enumerate(queued) if i != which)
        assert result.sent == QUEUED - 1 and (result.retried, result.held) == ((1, 0) if state == "pending" else (0, 1))
        [refused] = store.mail(state)
        assert refused.message_id == queued[which].message_id and refused.last_error
        assert reply == DROP or reply.split()[0] in refused.last_error
        assert Counter(m.state for m in store.mail()) == {"sent": QUEUED - 1, state: 1}
        assert len({m.peer for m in handler.messages}) >= 2

        if state == "pending":  # its retry: sent once, as it was queued
            later = outbox.deliver_due(store, settings, datetime.now(UTC) + timedelta(minutes=2))
            assert later.sent == 1 and arrived(handler) == whole(queued)
    finally:
        controller.stop()


class OneConnectionPerClient(SMTP):
    """aiosmtpd's server, answering 421 to a connection opened while another is open (as servers that limit
    connections per client do)."""

    open_now = 0
    attempts = 0

    def connection_made(self, transport) -> None:
        type(self).attempts += 1
        if type(self).open_now >= 1:
            self._refused = True
            transport.write(b"421 4.7.0 one connection per client\r\n")
            transport.close()
            return
        self._refused = False
        type(self).open_now += 1
        super().connection_made(transport)

    def connection_lost(self, error) -> None:
        if not getattr(self, "_refused", True):
            type(self).open_now -= 1
            super().connection_lost(error)


class OneConnectionController(Controller):
    def factory(self):
        return OneConnectionPerClient(self.handler, **self.SMTP_kwargs)


def test_a_server_that_takes_one_connection_per_client_gets_all_mail_over_that_one(store, sqlite_url, caplog):
    OneConnectionPerClient.open_now = 0
    handler = PipeliningHandler()
    controller = start(handler, OneConnectionController)
    deadline = time.monotonic() + HOLD_SECONDS
    while OneConnectionPerClient.open_now:  # the controller's own look at the server, until it has gone
        assert time.monotonic() < deadline
        time.sleep(0.01)
    OneConnectionPerClient.attempts = 0
    queued = mails(outbox.BATCH_SIZE + 5)  # two batches: the second does not ask again
    store.queue(queued)
    try:
        with caplog.at_level(logging.WARNING, logger="mailbot"):
            result = outbox.deliver_due(store, settings_for(url_of(controller), sqlite_url), datetime.now(UTC))
    finally:
        controller.stop()
    assert (result.sent, result.retried, result.held) == (len(queued), 0, 0)
    assert arrived(handler) == whole(queued)
    assert len({m.peer for m in handler.messages}) == 1
    assert OneConnectionPerClient.attempts == 2  # the second was refused once, and not asked for again
    assert any("took 1 of its connections only" in r.getMessage() for r in caplog.records)


class GoesAway(PipeliningHandler):
    """Takes `taken` mails; then every data is answered 421 and every new connection refused (the server is
    going away): a server out of reach in the middle of a run, with mail in flight on both connections."""

    def __init__(self, taken: int) -> None:
        super().__init__()
        self.taken = taken

    @property
    def gone(self) -> bool:
        return len(self.messages) >= self.taken

    async def handle_DATA(self, server, session, envelope):
        if self.gone:
            return "421 4.3.2 shutting down"
        return await super().handle_DATA(server, session, envelope)


class RefusesOnceGone(SMTP):
    def connection_made(self, transport) -> None:
        if self.event_handler.gone:
            transport.write(b"421 4.3.2 shutting down\r\n")
            transport.close()
            return
        super().connection_made(transport)


class GoingAwayController(Controller):
    def factory(self):
        return RefusesOnceGone(self.handler, **self.SMTP_kwargs)


@pytest.mark.parametrize("count, taken", [(12, 5), (outbox.BATCH_SIZE + 10, outbox.BATCH_SIZE - 1)])
def test_a_server_gone_in_the_middle_of_two_connections_leaves_every_claimed_mail_waiting(
    store, sqlite_url, count, taken
):
    """The second case goes at the end of a batch, once the next one is claimed: that one waits too."""
    handler = GoesAway(taken)
    controller = start(handler, GoingAwayController)
    queued = mails(count)
    store.queue(queued)
    try:
        with pytest.raises(DeliveryError) as caught:
            outbox.deliver_due(store, settings_for(url_of(controller), sqlite_url), datetime.now(UTC))
    finally:
        controller.stop()
    assert "421" in caught.value.message
    arrived_first = arrived(handler)
    assert len(arrived_first) == taken and len({m.peer for m in handler.messages}) == 2
    states = {m.message_id: m for m in store.mail()}
    assert {i for i, m in states.items() if m.state == "sent"} == set(arrived_first)  # confirmed: exactly those taken
    waiting = [m for m in states.values() if m.state != "sent"]
    assert all(m.state == "pending" and m.attempts == 1 and m.last_error for m in waiting)  # none left `sending`

    back = PipeliningHandler()
    controller = start(back)
    try:
        later = outbox.deliver_due(
            store, settings_for(url_of(controller), sqlite_url), datetime.now(UTC) + timedelta(hours=1)
        )
    finally:
        controller.stop()
    assert later.sent == len(queued) - taken
    assert {**arrived_first, **arrived(back)} == whole(queued) and not set(arrived_first) & set(arrived(back))


class Audits(PipeliningHandler):
    """At each mail's data, before taking it, reads the store: the mail is not confirmed yet, and the mails
    taken and not confirmed, this one with them, are at most a group (what a crash now would send again)."""

    def __init__(self, db: Path) -> None:
        super().__init__()
        self.db = db
        self.seen: list[tuple[str, int]] = []

    async def handle_DATA(self, server, session, envelope):
        message_id = message_from_bytes(envelope.content, policy=policy.default)["Message-ID"]
        with sqlite3.connect(self.db) as conn:
            [(state,)] = conn.execute("SELECT state FROM outbox WHERE message_id = ?", (message_id,)).fetchall()
            [(confirmed,)] = conn.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchall()
        self.seen.append((state, len(self.messages) + 1 - confirmed))
        return await super().handle_DATA(server, session, envelope)


def test_mail_taken_over_two_connections_is_confirmed_before_more_than_a_group_is_at_stake(store, sqlite_url, tmp_path):
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    handler = Audits(db)
    controller = start(handler)
    queued = mails(outbox.MARK_GROUP * 4 + 3)
    store.queue(queued)
    try:
        result = outbox.deliver_due(store, settings_for(url_of(controller), sqlite_url), datetime.now(UTC))
    finally:
        controller.stop()
    assert result.sent == len(queued) and arrived(handler) == whole(queued)
    assert len({m.peer for m in handler.messages}) == 2
    assert all(state == "sending" for state, _ in handler.seen)  # never confirmed before the server took it
    assert max(at_stake for _, at_stake in handler.seen) <= outbox.MARK_GROUP
    assert store.outbox_counts()["sent"] == len(queued)


def test_the_next_batch_goes_right_behind_the_last_mail_of_the_one_before(store, sqlite_url):
    """The next batch is claimed while the last mail of a batch is on its way, and its first mail's commands
    go behind that mail's data: on one connection, every MAIL FROM after the first comes behind a mail's data,
    across batches too."""
    controller, server = counting_server(pipelining=True)
    queued = mails(outbox.BATCH_SIZE * 2 + 5)
    store.queue(queued)
    try:
        result = outbox.deliver_due(store, settings_for(f"{server.url}&connections=1", sqlite_url), datetime.now(UTC))
    finally:
        controller.stop()
    assert result.sent == len(queued) and arrived(server.handler) == whole(queued)
    assert server.behind_data() == [False] + [True] * (len(queued) - 1)
    assert server.handler.connections == 1


def test_each_connection_says_starttls_and_logs_in(store, sqlite_url, test_authority, monkeypatch):
    ca_file, cert_file, key_file = test_authority
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the test authority is trusted
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    handler = PipeliningHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        ready_timeout=10,
        authenticator=handler.authenticate,
        tls_context=context,
        require_starttls=True,
    )
    controller.start()
    queued = mails(5)
    store.queue(queued)
    secret = f"{quote(SMTP_USER, safe='')}:{quote(SMTP_PASSWORD, safe='')}"
    url = f"smtp+starttls://{secret}@127.0.0.1:{controller.port}?timeout={CLIENT_TIMEOUT}"
    try:
        result = outbox.deliver_due(store, settings_for(url, sqlite_url), datetime.now(UTC))
    finally:
        controller.stop()
    assert result.sent == len(queued) and arrived(handler) == whole(queued)
    assert handler.logins == [SMTP_USER, SMTP_USER] and len({m.peer for m in handler.messages}) == 2
