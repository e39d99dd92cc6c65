"""The delivery lane: acknowledgements go out while the poll is still storing, and nothing is lost or doubled.

Real Dovecot or a Maildir, real aiosmtpd servers on loopback, a real SQLite store.
Faults are caused for real: a reader paused in the middle of a poll, an SMTP server
that stops answering in the middle of the lane, a poll killed while its lane sends.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fixtures_smtp import ScriptedHandler, _start
from robust.hostile import backlog, environment, good, mailbot, now, pause_place, sender, spawn
from robust.hostile import test_config as campaign_file
from talking_days import DAY, local, shipped_settings

from mailbot import compose, outbox
from mailbot.app import App
from mailbot.config import load_settings
from mailbot.errors import DeliveryError
from mailbot.inbox import deliver_to_maildir
from mailbot.lane import DeliveryLane
from mailbot.store import Store

UNITS = ("hai-duong", "chi-linh", "kinh-mon", "nam-sach", "kim-thanh", "thanh-ha")
WAIT = 120.0  # seconds at most for a process to reach the state a test waits for (a bound on a hang, not a measure)


def addresses(units) -> Counter:
    return Counter(sender(unit)[0] for unit in units)


def outbox_states(db: Path) -> Counter:
    with sqlite3.connect(db) as conn:
        return Counter(state for (state,) in conn.execute("SELECT state FROM outbox"))


def wait_until(condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if process is not None:
            assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.02)


class HoldingHandler(ScriptedHandler):
    """Every DATA waits while `hold` is set; `holding` says a DATA is waiting. With `refuse_held`, a DATA
    that waited is answered 451 (the server never accepted it: its client was gone before the answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = threading.Event()
        self.holding = threading.Event()
        self.refuse_held = False

    async def handle_DATA(self, server, session, envelope):
        held = self.hold.is_set()
        while self.hold.is_set():
            self.holding.set()
            await asyncio.sleep(0.02)
        if held and self.refuse_held:
            return "451 4.4.2 the client went away"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def holding_server():
    handler = HoldingHandler()
    controller = _start(handler)
    try:
        yield handler, f"smtp://127.0.0.1:{controller.port}?timeout=60"
    finally:
        handler.hold.clear()
        controller.stop()


def test_answers_are_sent_while_the_poll_is_still_storing(tmp_path, imap_account, smtp_server):
    """Batches of two: while the poll is held reading its second batch, the first batch's answers have gone."""
    for number, raw in enumerate(backlog(UNITS, pause_at=2)):
        imap_account.append(raw, now() - timedelta(minutes=30 - number))
    pause = pause_place(tmp_path)
    env = environment(tmp_path, imap_account.url(), MAILBOT_SMTP_URL=smtp_server.url, MAILBOT_FAULT_PAUSE=str(pause))
    campaign_file(tmp_path, **{"batch_size = 50": "batch_size = 2"})
    poll = spawn("poll", "--once", env=env)
    try:
        wait_until((pause / "paused").exists, "the poll reads its second batch", poll)
        db = tmp_path / "store" / "mailbot.db"
        wait_until(lambda: outbox_states(db) == {"sent": 2}, "the first batch's answers are sent", poll)
        assert len(smtp_server.messages) == 2  # and nothing of the rest is stored yet
        (pause / "go").touch()
        out, errors = poll.communicate(timeout=600)
    finally:
        if poll.poll() is None:
            poll.kill()
    assert poll.returncode == 0, errors[-3000:]
    assert "Thư đi: 6 đã gửi" in out  # the poll's own report counts what its lane sent
    assert Counter(r for m in smtp_server.messages for r in m.rcpt_tos) == addresses(UNITS)
    assert outbox_states(tmp_path / "store" / "mailbot.db") == {"sent": len(UNITS)}


def settings_for(url: str):
    settings = shipped_settings()
    return replace(settings, connections=replace(settings.connections, smtp_url=url))


def reminder(settings, unit_id: str):
    return compose.reminder(settings, settings.unit(unit_id), DAY, local(settings, DAY, 15, 0))


def test_mail_that_arrives_during_the_poll_goes_before_the_queue(sqlite_url, holding_server):
    """The lane is held sending; older mail and then the new one are queued: the new one goes next."""
    handler, url = holding_server
    settings = settings_for(url)
    store = Store.open(sqlite_url)
    in_hand, older, new = reminder(settings, "hai-duong"), reminder(settings, "chi-linh"), reminder(settings, "tu-ky")
    try:
        handler.hold.set()
        with DeliveryLane(settings, store, now()) as lane:
            store.queue([in_hand])
            lane.wake()
            wait_until(handler.holding.is_set, "the lane hands its first mail over")
            store.queue([older])
            store.queue([new])
            lane.first([new.key])
            handler.hold.clear()
        assert lane.result is not None and lane.result.sent == 3
    finally:
        store.close()
    assert [m.message["Message-ID"] for m in handler.messages] == [m.message_id for m in (in_hand, new, older)]


class DyingHandler(ScriptedHandler):
    """Accepts `accepted` messages; at the next DATA the server goes away (its listener stops) and says 421."""

    def __init__(self, accepted: int) -> None:
        super().__init__()
        self.accepted = accepted
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        if len(self.messages) >= self.accepted:
            threading.Thread(target=self.controller.stop).start()  # no new connection gets in
            return "421 4.3.2 shutting down"
        return await super().handle_DATA(server, session, envelope)


def maildir_settings(tmp_path: Path, smtp_url: str):
    config = campaign_file(tmp_path, **{"batch_size = 50": "batch_size = 2"})
    env = {
        "MAILBOT_INBOX_URL": f"maildir://{tmp_path / 'inbox'}",
        "MAILBOT_SMTP_URL": smtp_url,
        "MAILBOT_DB_URL": f"sqlite:///{tmp_path / 'mailbot.db'}",
    }
    return load_settings(config, env=env)


def test_an_smtp_server_dying_mid_lane_loses_nothing_and_the_rest_waits(tmp_path, smtp_server):
    for number, unit in enumerate(UNITS):
        deliver_to_maildir(tmp_path / "inbox", good(sender(unit), figure=10_000 + number), now())
    dying = DyingHandler(accepted=2)
    dying.controller = _start(dying)
    settings = maildir_settings(tmp_path, f"smtp://127.0.0.1:{dying.controller.port}?timeout=5")
    store = Store.open(settings.connections.db_url)
    try:
        with pytest.raises(DeliveryError):  # said after the poll, as the delivery after a poll says it
            App(settings, store).poll()
        assert store.counts()["submissions"] == len(UNITS)  # the poll stored everything all the same
        mail = store.mail()
        assert Counter(m.state for m in mail) == {"sent": 2, "pending": len(UNITS) - 2}
        assert all(m.last_error for m in mail if m.state == "pending" and m.attempts)  # why each claimed one waits
        assert len(dying.messages) == 2

        later = replace(settings, connections=replace(settings.connections, smtp_url=smtp_server.url))
        assert outbox.deliver_due(store, later, now() + timedelta(hours=1)).sent == len(UNITS) - 2
    finally:
        store.close()
    delivered = Counter(r for m in [*dying.messages, *smtp_server.messages] for r in m.rcpt_tos)
    assert delivered == addresses(UNITS)  # each answered exactly once


def test_a_poll_killed_while_its_lane_sends_loses_and_doubles_nothing(tmp_path, imap_account, holding_server):
    """The lane is held in the middle of a DATA and the poll in the middle of reading: kill -9, then poll again."""
    handler, url = holding_server
    for number, raw in enumerate(backlog(UNITS, pause_at=2)):
        imap_account.append(raw, now() - timedelta(minutes=30 - number))
    pause = pause_place(tmp_path)
    env = environment(tmp_path, imap_account.url(), MAILBOT_SMTP_URL=url, MAILBOT_FAULT_PAUSE=str(pause))
    campaign_file(tmp_path, **{"batch_size = 50": "batch_size = 2"})
    handler.hold.set()
    handler.refuse_held = True
    poll = spawn("poll", "--once", env=env, stdout=subprocess.DEVNULL)
    try:
        wait_until((pause / "paused").exists, "the poll reads its second batch", poll)
        wait_until(handler.holding.is_set, "the lane hands the first answer over", poll)
        poll.send_signal(signal.SIGKILL)
        poll.wait(30)
    finally:
        if poll.poll() is None:
            poll.kill()
    assert outbox_states(tmp_path / "store" / "mailbot.db")["sending"] >= 1  # killed with mail in hand
    handler.hold.clear()
    again = mailbot("poll", "--once", env={**env, "MAILBOT_READER_FAULTS": "0"})
    assert again.returncode == 0, again.stderr[-3000:]
    assert outbox_states(tmp_path / "store" / "mailbot.db") == {"sent": len(UNITS)}
    # the killed client never finished its DATA, so the server accepted nothing from it
    assert Counter(r for m in handler.messages for r in m.rcpt_tos) == addresses(UNITS)


def test_a_poll_of_mailbot_run_sends_while_it_stores(tmp_path, smtp_server, monkeypatch):
    """The service's cycle (App.cycle, what `mailbot run`'s watcher runs) delivers beside its ingest too."""
    for number, raw in enumerate(backlog(UNITS[:4], pause_at=2)):
        deliver_to_maildir(tmp_path / "inbox", raw, now() - timedelta(minutes=30 - number))
    pause = pause_place(tmp_path)
    monkeypatch.setenv("MAILBOT_READER_FAULTS", "1")
    monkeypatch.setenv("MAILBOT_FAULT_PAUSE", str(pause))
    settings = maildir_settings(tmp_path, smtp_server.url)
    store = Store.open(settings.connections.db_url)
    cycle = threading.Thread(target=App(settings, store).cycle)
    try:
        cycle.start()
        wait_until((pause / "paused").exists, "the cycle reads its second batch")
        wait_until(lambda: outbox_states(tmp_path / "mailbot.db") == {"sent": 2}, "the first batch's answers go")
    finally:
        (pause / "go").touch()
        cycle.join(WAIT)
        store.close()
    assert outbox_states(tmp_path / "mailbot.db") == {"sent": 4}
    assert Counter(r for m in smtp_server.messages for r in m.rcpt_tos) == addresses(UNITS[:4])
