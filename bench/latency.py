"""Latency: APPEND -> acknowledgement at the SMTP sink, with `mailbot run` watching by IDLE.

`mailbot run` runs in its own process on a fresh account and store. One warm-up
message is sent and answered first (the service is then surely watching); then
each message is appended alone, as a district office's mail would arrive, and the
clock runs from just before the APPEND until the sink accepts the answer to it.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import campaign, ingest, servers

REPLY_TIMEOUT = 90.0  # seconds to wait for one acknowledgement before giving up
START_TIMEOUT = 60.0
PAUSE = 0.3  # seconds between messages, so that each is a separate arrival


@dataclass
class LatencyFigures:
    samples: list[float]  # seconds, one per message answered
    lost: int  # messages whose acknowledgement never came

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


def today_mails(count: int, unit_count: int) -> list[bytes]:
    """Reports for today, as the units send them now."""
    now = datetime.now(campaign.TIME_ZONE)
    units = campaign.bench_units(unit_count)
    return [campaign.one_mail(i, units[i % unit_count], now.date(), now) for i in range(count)]


def measure(server, sink: servers.SmtpSink, config: Path, work: Path, count: int, unit_count: int) -> LatencyFigures:
    account = servers.new_account(server)
    env = ingest.mailbot_env(config, account, sink.url, f"sqlite:///{work / 'latency.db'}")
    mails = today_mails(count + 1, unit_count)
    log_file = open(work / "run.log", "wb")
    service = subprocess.Popen(
        [sys.executable, "-m", "mailbot", "run"],
        env=env,
        cwd=ingest.ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=log_file,
    )
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
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(timeout=60)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
        log_file.close()


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
