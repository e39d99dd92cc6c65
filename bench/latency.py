"""Latency: APPEND -> acknowledgement at the SMTP sink, with `mailbot run` watching by IDLE.

`mailbot run` runs in its own process on a fresh account and store. One warm-up
message is sent and answered first (the service is then surely watching); then
each message is appended alone, as a district office's mail would arrive, and the
clock runs from just before the APPEND until the sink accepts the answer to it.

Under load (`under_load`): the account holds a backlog (1,000 mails of earlier days)
when `mailbot run` starts; once it has stored the first of them, today's reports are
appended one every LOAD_PAUSE seconds without waiting for their answers, and each
one's clock runs until the sink accepts its answer. The figures say how many were
appended while the backlog was still being stored.
"""

from __future__ import annotations

import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import campaign, ingest, servers

REPLY_TIMEOUT = 90.0  # seconds to wait for one acknowledgement before giving up
START_TIMEOUT = 60.0
PAUSE = 0.3  # seconds between messages, so that each is a separate arrival
LOAD_PAUSE = 0.25  # seconds between today's messages while the backlog is being stored
LOAD_UNIT_OFFSET = 400  # today's reports come from units the backlog answers least, within the reply limit


@dataclass
class LatencyFigures:
    samples: list[float]  # seconds, one per message answered
    lost: int  # messages whose acknowledgement never came
    backlog: int = 0  # under load: the mails waiting when the service started
    during_backlog: int = 0  # under load: of the messages measured, those appended before the backlog was stored
    backlog_seconds: float = 0.0  # under load: from the service's start until the backlog was stored

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def worst(self) -> float:
        return max(self.samples)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def today_mails(count: int, unit_count: int, offset: int = 0) -> list[bytes]:
    """Reports for today, as the units send them now (from unit `offset` on)."""
    now = datetime.now(campaign.TIME_ZONE)
    units = campaign.bench_units(unit_count)
    return [campaign.one_mail(i, units[(offset + i) % unit_count], now.date(), now) for i in range(count)]


def measure(server, sink: servers.SmtpSink, config: Path, work: Path, count: int, unit_count: int) -> LatencyFigures:
    account = servers.new_account(server)
    env = ingest.mailbot_env(config, account, sink.url, f"sqlite:///{work / 'latency.db'}")
    mails = today_mails(count + 1, unit_count)
    with _running(env, work / "run.log"):
        client = servers.login(account)
        try:
            if _one(client, sink, mails[0], START_TIMEOUT) is None:
                raise RuntimeError(f"mailbot run never answered the first message; see {work / 'run.log'}")
            samples, lost = [], 0
            for raw in mails[1:]:
                time.sleep(PAUSE)
                taken = _one(client, sink, raw, REPLY_TIMEOUT)
                lost += taken is None
                if taken is not None:
                    samples.append(taken)
            return LatencyFigures(samples, lost)
        finally:
            client.logout()


@contextmanager
def _running(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """`mailbot run` in its own process, its output in `log_path`; stopped by SIGTERM (then killed) at the end."""
    with open(log_path, "wb") as log_file:
        service = subprocess.Popen(
            [sys.executable, "-m", "mailbot", "run"],
            env=env,
            cwd=ingest.ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
        )
        try:
            yield service
        finally:
            service.send_signal(signal.SIGTERM)
            try:
                service.wait(timeout=60)
            except subprocess.TimeoutExpired:
                service.kill()
                service.wait()


def _one(client, sink: servers.SmtpSink, raw: bytes, timeout: float) -> float | None:
    message_id = servers.message_id_of(raw)
    started = time.monotonic()
    servers.append_one(client, raw, datetime.now(UTC))
    arrived = sink.handler.wait_for_reply(message_id, timeout)
    return None if arrived is None else arrived - started


def idle_floor(server, count: int, unit_count: int) -> LatencyFigures:
    """Baseline: a bare imaplib client in IDLE; time from APPEND until its EXISTS arrives."""
    account = servers.new_account(server)
    watcher, sender = servers.login(account), servers.login(account)
    samples = []
    try:
        watcher.select("INBOX")
        for raw in today_mails(count, unit_count):
            tag = watcher._new_tag()
            watcher.send(tag + b" IDLE\r\n")
            while not watcher.readline().startswith(b"+"):
                pass
            started = time.monotonic()
            servers.append_one(sender, raw, datetime.now(UTC))
            while not watcher.readline().rstrip().upper().endswith(b"EXISTS"):
                pass
            samples.append(time.monotonic() - started)
            watcher.send(b"DONE\r\n")
            while not watcher.readline().startswith(tag):
                pass
            time.sleep(PAUSE)
    finally:
        sender.logout()
        watcher.logout()
    return LatencyFigures(samples, 0)


def under_load(
    server, sink: servers.SmtpSink, config: Path, work: Path, count: int, unit_count: int, backlog: list
) -> LatencyFigures:
    """APPEND -> acknowledgement for `count` reports arriving while `backlog` (older mail) is being ingested."""
    account = servers.new_account(server)
    servers.load_messages(account, backlog)
    store_file = work / "latency-load.db"
    env = ingest.mailbot_env(config, account, sink.url, f"sqlite:///{store_file}")
    mails = today_mails(count, unit_count, offset=LOAD_UNIT_OFFSET)
    sink.handler.clear()
    started = time.monotonic()
    with _running(env, work / "run-load.log"):
        watch = _BacklogWatch(store_file, len(backlog))
        watch.start()
        client = servers.login(account)
        try:
            if not watch.begun.wait(START_TIMEOUT):
                raise RuntimeError(f"mailbot run stored nothing of the backlog; see {work / 'run-load.log'}")
            appended: list[tuple[str, float]] = []
            for raw in mails:
                appended.append((servers.message_id_of(raw), time.monotonic()))
                servers.append_one(client, raw, datetime.now(UTC))
                time.sleep(LOAD_PAUSE)
            samples, lost = [], 0
            for message_id, at in appended:
                arrived = sink.handler.wait_for_reply(message_id, max(1.0, at + REPLY_TIMEOUT - time.monotonic()))
                lost += arrived is None
                if arrived is not None:
                    samples.append(arrived - at)
            watch.done.wait(REPLY_TIMEOUT)
            finished = watch.finished_at or time.monotonic()
            during = sum(1 for _, at in appended if at < finished)
            return LatencyFigures(samples, lost, len(backlog), during, finished - started)
        finally:
            watch.stop.set()
            client.logout()


class _BacklogWatch(threading.Thread):
    """Looks at the service's store: when it began storing the backlog, and when all of it was stored."""

    def __init__(self, store_file: Path, size: int) -> None:
        super().__init__(daemon=True)
        self.store_file, self.size = store_file, size
        self.begun, self.done, self.stop = threading.Event(), threading.Event(), threading.Event()
        self.finished_at: float | None = None

    def run(self) -> None:
        today = datetime.now(campaign.TIME_ZONE).date().isoformat()
        while not self.stop.is_set() and not self.done.is_set():
            stored = self._stored(today)
            if stored:
                self.begun.set()
            if stored >= self.size:
                self.finished_at = time.monotonic()
                self.done.set()
            time.sleep(0.05)

    def _stored(self, today: str) -> int:
        if not self.store_file.exists():
            return 0
        try:
            with closing(sqlite3.connect(f"file:{self.store_file}?mode=ro", uri=True, timeout=1)) as db:
                return db.execute("SELECT count(*) FROM submissions WHERE period < ?", (today,)).fetchone()[0]
        except sqlite3.Error:  # not created yet, or busy
            return 0
