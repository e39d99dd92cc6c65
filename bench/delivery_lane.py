"""What the delivery lane costs per mail: N acknowledgements queued in a fresh store and delivered to the sink.

    .venv/bin/python bench/delivery_lane.py [BEFORE_TREE] [--n 1000] [--rounds 3] [--delay MS]

The acknowledgements are composed once, as a poll composes them (mailbot.compose over
the bench campaign's readings). Each round, for each way of delivering, in
alternating order, a fresh process of that tree queues them in a fresh SQLite store
and sends them all (mailbot.outbox.deliver_due, what the lane runs batch by batch) to
the benchmarks' SMTP sink (bench/servers.py, aiosmtpd offering PIPELINING), which runs
in this process as it does in bench/run.py. The ways: BEFORE_TREE, if given (a
checkout without the change, for example a `git worktree add --detach` of the commit
before it), and this tree over one connection (`?connections=1`) and over its default
(two in turn). Prints the wall and the sender's CPU (user + system) per mail, the median
over the rounds; on a shared machine the CPU is the steadier figure, and the wall is
what the lane's tail waits. With --delay, the sink waits MS milliseconds (without
computing) before it answers each mail's data, as a server further away than loopback,
or one that writes each mail down before it answers, keeps its client waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402

DELIVER = """
import json, pickle, resource, sys, time
from datetime import UTC, datetime
sys.path.insert(0, sys.argv[1])  # mailbot from the tree
import mailbot
from mailbot import outbox
from mailbot.config import load_settings
from mailbot.models import OutboundMail
from mailbot.store import Store
with open(sys.argv[2], "rb") as handle:
    mails = [OutboundMail(*fields) for fields in pickle.load(handle)]
smtp_url, db_url = sys.argv[3], sys.argv[4]
store = Store.open(db_url)
store.queue(mails)
settings = load_settings(None, env={"MAILBOT_SMTP_URL": smtp_url, "MAILBOT_DB_URL": db_url})

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

wall, used = time.perf_counter(), cpu()
result = outbox.deliver_due(store, settings, datetime.now(UTC))
wall, used = time.perf_counter() - wall, cpu() - used
store.close()
print(json.dumps({"sent": result.sent, "wall": wall, "cpu": used, "from": mailbot.__file__}))
"""


def acknowledgements(n: int, work: Path) -> Path:
    """N acknowledgements of the bench campaign's report mails, as a poll composes them, pickled as fields."""
    from bench import campaign

    fields = [(a.key, a.kind, a.recipients, a.message_id, a.raw) for a in campaign.acknowledgements(n, work)]
    path = work / "acknowledgements.pickle"
    path.write_bytes(pickle.dumps(fields))
    return path


class SlowSink(servers.SinkHandler):
    """The bench sink, answering each mail's data `delay` seconds late."""

    delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def sink_with(delay_ms: float) -> servers.SmtpSink:
    sink = servers.SmtpSink()
    if delay_ms:
        handler = SlowSink()
        handler.delay = delay_ms / 1000
        sink.handler, sink.controller = (
            handler,
            type(sink.controller)(handler, hostname="127.0.0.1", port=sink.controller.port, ready_timeout=10),
        )
    return sink


def own_cpu() -> float:
    """This process's CPU seconds: while a sender runs, the sink's (the main thread only waits)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def deliver(tree: Path, mails: Path, sink: servers.SmtpSink, query: str, db: Path) -> dict:
    sink.handler.clear()
    started = own_cpu()
    done = subprocess.run(
        [sys.executable, "-c", DELIVER, str(tree), str(mails), f"{sink.url}{query}", f"sqlite:///{db}"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{tree}{query}: {done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["sink"] = own_cpu() - started
    if not figures["from"].startswith(str(tree)):
        raise RuntimeError(f"{tree}: mailbot was imported from {figures['from']}")
    if figures["sent"] != sink.handler.count():
        raise RuntimeError(f"{tree}{query}: sent {figures['sent']}, the sink took {sink.handler.count()}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", nargs="?", type=Path)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.0, help="ms the sink waits before answering a mail's data")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="delivery-lane-"))
    mails = acknowledgements(args.n, work)
    ways = {"this tree, ?connections=1": (ROOT, "&connections=1"), "this tree (two connections)": (ROOT, "")}
    if args.before is not None:
        ways = {f"before: {args.before}": (args.before.resolve(), ""), **ways}
    walls: dict[str, list[float]] = {way: [] for way in ways}
    cpus: dict[str, list[float]] = {way: [] for way in ways}
    sinks: dict[str, list[float]] = {way: [] for way in ways}
    count = 0
    with sink_with(args.delay) as sink:
        for round_ in range(args.rounds):
            for number, way in enumerate(ways if round_ % 2 == 0 else reversed(list(ways))):
                tree, query = ways[way]
                figures = deliver(tree, mails, sink, query, work / f"{round_}-{number}.db")
                count = figures["sent"]
                walls[way].append(figures["wall"] * 1000 / count)
                cpus[way].append(figures["cpu"] * 1000 / count)
                sinks[way].append(figures["sink"] * 1000 / count)
    late = f", each answered {args.delay:g} ms late" if args.delay else ""
    print(f"{count} acknowledgements delivered to the sink{late}, median of {args.rounds} rounds")
    print("| delivery | wall ms per mail | sender CPU ms per mail | sink CPU ms per mail | wall, rounds |")
    print("|---|---|---|---|---|")
    for way in ways:
        rounds = ", ".join(f"{t:.3f}" for t in walls[way])
        medians = (statistics.median(figures[way]) for figures in (walls, cpus, sinks))
        print(f"| {way} | {' | '.join(f'{m:.3f}' for m in medians)} | {rounds} |")


if __name__ == "__main__":
    main()
