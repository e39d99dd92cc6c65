"""Ingest: `mailbot poll --once` against Dovecot, beside a plain imap-tools fetch.

For each size the messages go into a fresh Dovecot account, then:
- baseline: imap-tools fetches every message with its attachments, in batches of
  the configured batch size (what the IMAP server can hand over to Python);
- mailbot: `mailbot poll --once` in its own process (inbox imap://, outbox
  smtp:// to the sink, a fresh SQLite store): fetch, read, store, queue and
  deliver acknowledgements. Its peak RSS comes from wait4().
A fixed cost (interpreter start, imports, connections) is measured once by
polling an empty account, so that the per-message cost can be shown without it.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from imap_tools import MailBoxUnencrypted

from bench import campaign, servers
from mailbot.store import Store

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class MailbotRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str
    cpu_seconds: float = 0.0  # user + system, the process and the children it waited for


@dataclass
class PeerRun:
    """bench/peer_script.py on the same mailbox: its wall time, peak RSS and the replies that reached the sink."""

    run: MailbotRun
    replies_at_sink: int


@dataclass
class IngestFigures:
    n: int
    load_seconds: float
    baseline_each: tuple[float, ...]  # the bare fetch's seconds, before the peers and after the poll
    baseline_attachments: int
    mailbot: MailbotRun
    stored: int
    acks_at_sink: int
    outbox: dict[str, int]
    statuses: dict[str, int] = field(default_factory=dict)
    peers: dict[str, PeerRun] = field(default_factory=dict)  # by pandas engine
    fetch_process: MailbotRun | None = None  # bench/fetch_script.py: the bare fetch in its own process
    rounds: list[IngestFigures] = field(default_factory=list)  # every round of measure_rounds, this one among them

    @property
    def baseline_seconds(self) -> float:
        """The bare fetch on both sides of the poll, averaged: a one-shot fetch of a second varies by a third from
        one minute to the next on a shared machine."""
        return statistics.fmean(self.baseline_each)

    @property
    def process_ratio(self) -> float | None:
        """mailbot's time over the bare fetch's, both in a process of their own."""
        fetch = self.fetch_process
        return self.mailbot.seconds / fetch.seconds if fetch and fetch.returncode == 0 else None

    @property
    def ratio(self) -> float:
        return self.mailbot.seconds / self.baseline_seconds

    def peer_ratio(self, engine: str) -> float | None:
        """mailbot's time over the hand-written script's (below 1: mailbot is faster)."""
        peer = self.peers.get(engine)
        return self.mailbot.seconds / peer.run.seconds if peer and peer.run.returncode == 0 else None

    @property
    def per_second(self) -> float:
        return self.n / self.mailbot.seconds


# --- running mailbot ------------------------------------------------------------------------------


def mailbot_env(config: Path, account: servers.ImapAccount, smtp_url: str, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_CONFIG=str(config),
        MAILBOT_INBOX_URL=f"imap://{quote(account.user, safe='')}@{account.server.host}:{account.server.port}/INBOX",
        MAILBOT_INBOX_PASSWORD=account.password,
        MAILBOT_SMTP_URL=smtp_url,
        MAILBOT_DB_URL=db_url,
        PYTHONPATH=str(ROOT),
    )
    return env


def run_mailbot(
    args: list[str], env: dict[str, str], log_file: Path, prefix: list[str] | None = None, tree: Path = ROOT
) -> MailbotRun:
    """Run `python -m mailbot ARGS` from `tree` to the end; wall time and peak RSS of that process (see measured.py)."""
    figures = log_file.with_suffix(".json")
    command = [
        sys.executable,
        str(ROOT / "bench" / "measured.py"),
        str(figures),
        *(prefix or [sys.executable]),
        "-m",
        "mailbot",
        *args,
    ]
    with open(log_file, "wb") as output:
        subprocess.run(command, env=env, cwd=tree, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
    measured = json.loads(figures.read_text())
    text = log_file.read_text(errors="replace")
    return MailbotRun(
        measured["seconds"], measured["peak_rss_kib"] / 1024, measured["returncode"], text, measured["cpu_seconds"]
    )


# --- baseline -------------------------------------------------------------------------------------


def baseline_fetch(account: servers.ImapAccount, batch_size: int) -> tuple[float, int, int]:
    """imap-tools: every message and its attachments' bytes; (seconds, messages, attachments)."""
    started = time.perf_counter()
    messages = attachments = 0
    with MailBoxUnencrypted(account.server.host, account.server.port).login(
        account.user, account.password, "INBOX"
    ) as box:
        for message in box.fetch(mark_seen=False, bulk=batch_size):
            messages += 1
            attachments += sum(1 for a in message.attachments if a.payload)
    return time.perf_counter() - started, messages, attachments


# --- peers: the hand-written script ------------------------------------------------------------

PEER_ENGINES = ("calamine", "openpyxl")


def run_peer(engine: str, account: servers.ImapAccount, sink: servers.SmtpSink, work: Path, n: int) -> PeerRun:
    """bench/peer_script.py with one pandas engine, in its own process like mailbot."""
    sink.handler.clear()
    log_file = work / f"peer-{engine}-{n}.log"
    figures = log_file.with_suffix(".json")
    command = [sys.executable, str(ROOT / "bench" / "measured.py"), str(figures), sys.executable]
    command += [str(ROOT / "bench" / "peer_script.py"), engine, account.server.host, str(account.server.port)]
    command += [account.user, account.password, "127.0.0.1", str(sink.controller.port)]
    command += [str(work / f"peer-{engine}-{n}-{account.user.split('@')[0]}.db")]
    with open(log_file, "wb") as output:
        subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
    measured = json.loads(figures.read_text())
    run = MailbotRun(measured["seconds"], measured["peak_rss_kib"] / 1024, measured["returncode"], log_file.read_text())
    if run.returncode != 0:
        raise RuntimeError(f"the {engine} peer script failed ({run.returncode}):\n{run.output[-3000:]}")
    time.sleep(0.2)  # the sink's thread may still be filing the last DATA
    return PeerRun(run, sink.handler.count())


def run_fetch_script(account: servers.ImapAccount, work: Path, n: int) -> MailbotRun:
    """bench/fetch_script.py: the bare fetch in its own process, its start and imports counted as mailbot's are."""
    log_file = work / f"fetch-{n}.log"
    figures = log_file.with_suffix(".json")
    command = [sys.executable, str(ROOT / "bench" / "measured.py"), str(figures), sys.executable]
    command += [str(ROOT / "bench" / "fetch_script.py"), account.server.host, str(account.server.port)]
    command += [account.user, account.password]
    with open(log_file, "wb") as output:
        subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
    measured = json.loads(figures.read_text())
    run = MailbotRun(measured["seconds"], measured["peak_rss_kib"] / 1024, measured["returncode"], log_file.read_text())
    if run.returncode != 0 or not run.output.split() or int(run.output.split()[0]) != n:
        raise RuntimeError(f"the fetch script failed ({run.returncode}):\n{run.output[-3000:]}")
    return run


# --- one size -------------------------------------------------------------------------------------


def measure_rounds(
    server, sink: servers.SmtpSink, config: Path, mails: list, work: Path, rounds: int = 1, **options
) -> IngestFigures:
    """`measure` `rounds` times, each on a fresh account: the round whose ratio to the bare fetch is the median
    (the upper one of an even number), with every round kept in its `rounds`.

    On a shared machine one poll of a few seconds varies by a third from one minute to the next, and the bare
    fetch with it; each round times the baseline, the peers and mailbot back to back, so its ratios are of one
    moment, and the median round is the one that neither a lucky nor an unlucky minute made.
    """
    measured = [measure(server, sink, config, mails, work, **options) for _ in range(max(1, rounds))]
    median = sorted(measured, key=lambda figures: figures.ratio)[len(measured) // 2]
    median.rounds = measured if len(measured) > 1 else []
    return median


def measure(
    server,
    sink: servers.SmtpSink,
    config: Path,
    mails: list,
    work: Path,
    batch_size: int = 50,
    with_peers: bool = True,
) -> IngestFigures:
    n = len(mails)
    account = servers.new_account(server)
    started = time.perf_counter()
    servers.load_messages(account, mails)
    load_seconds = time.perf_counter() - started
    before, fetched, attachments = baseline_fetch(account, batch_size)
    if fetched != n:
        raise RuntimeError(f"the baseline fetched {fetched} of {n} messages")
    fetch_process = run_fetch_script(account, work, n)
    peers = {engine: run_peer(engine, account, sink, work, n) for engine in (PEER_ENGINES if with_peers else ())}
    sink.handler.clear()
    name = account.user.split("@")[0]
    db_url = f"sqlite:///{work / f'ingest-{n}-{name}.db'}"
    env = mailbot_env(config, account, sink.url, db_url)
    run = run_mailbot(["poll", "--once"], env, work / f"poll-{n}.log")
    if run.returncode != 0:
        raise RuntimeError(f"mailbot poll --once failed ({run.returncode}):\n{run.output[-3000:]}")
    time.sleep(0.2)  # the sink's thread may still be filing the last DATA
    stored, outbox, statuses = store_facts(db_url)
    acks = sink.handler.count()
    after, _, _ = baseline_fetch(account, batch_size)  # once more, after the poll (baseline_seconds)
    return IngestFigures(
        n,
        load_seconds,
        (before, after),
        attachments,
        run,
        stored,
        acks,
        outbox,
        statuses,
        peers,
        fetch_process,
    )


def store_facts(db_url: str) -> tuple[int, dict[str, int], dict[str, int]]:
    store = Store.open(db_url)
    try:
        counts = store.counts()
        submissions = store.submissions_between(date(1970, 1, 1), date(2100, 1, 1))
        return counts["messages"], store.outbox_counts(), dict(Counter(s.status for s in submissions))
    finally:
        store.close()


def fixed_cost(server, sink: servers.SmtpSink, config: Path, work: Path) -> MailbotRun:
    """`mailbot poll --once` on an empty mailbox: start, imports, connections."""
    account = servers.new_account(server)
    env = mailbot_env(config, account, sink.url, f"sqlite:///{work / 'empty.db'}")
    return run_mailbot(["poll", "--once"], env, work / "poll-empty.log")


def profile_poll(server, sink: servers.SmtpSink, config: Path, mails: list, work: Path) -> Path:
    """The same poll under pyinstrument; returns the text profile."""
    account = servers.new_account(server)
    servers.load_messages(account, mails)
    env = mailbot_env(config, account, sink.url, f"sqlite:///{work / 'profile.db'}")
    out = work / f"profile-poll-{len(mails)}.txt"
    prefix = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(out)]
    run_mailbot(["poll", "--once"], env, work / "profile-poll.log", prefix=prefix)
    return out


def mails_for(count: int, unit_count: int, cache: dict) -> list[tuple[bytes, datetime]]:
    """The first `count` messages of the run's pool, generated once."""
    if len(cache.get("mails", [])) < count:
        cache["mails"] = campaign.generate(count, unit_count)
    return cache["mails"][:count]
