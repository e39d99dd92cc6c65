"""One change's before and after, in one run: `mailbot poll --once` from two source trees.

    .venv/bin/python bench/before_after.py BEFORE_TREE [--n 1000] [--rounds 2]

BEFORE_TREE is a checkout of mailbot without the change (for example a `git
worktree add` of the commit before it); this tree is the after. Each round loads
the same N messages into two fresh Dovecot accounts and polls one with each tree,
in alternating order, so that a noisy machine weighs on both alike. Prints the
wall and CPU time of every poll (its reading workers included) and the median ratios after / before,
and the delivery lane's tail: how long after the last batch was stored (the newest
queued acknowledgement) the last acknowledgement reached the sink, and the mails that
arrived in that time.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import campaign, fixed_cost, ingest, results, servers  # noqa: E402

UNITS = 700  # the bench campaign's units, as bench/run.py has them


def poll(tree: Path, server, sink, config: Path, mails: list, work: Path, label: str) -> tuple:
    """The wall and CPU seconds (user + system, reading workers included) and the peak RSS (MB) of one poll; on a
    shared machine the CPU time is the steadier of the two. Then the lane's tail (lane_tail)."""
    account = servers.new_account(server)
    servers.load_messages(account, mails)
    sink.handler.clear()
    env = ingest.mailbot_env(config, account, sink.url, f"sqlite:///{work / f'{label}.db'}")
    # each tree compiles its modules once, into a cache of its own (a checkout that may not be written to would
    # otherwise compile them at every start, in the poll and in every reading worker), and runs from its folder
    env = fixed_cost.tree_env(env, tree, label.rsplit("-", 1)[0], work)
    run = ingest.run_mailbot(["poll", "--once"], env, work / f"{label}.log", tree=tree)
    if run.returncode != 0:
        raise RuntimeError(f"{label} failed ({run.returncode}):\n{run.output[-2000:]}")
    time.sleep(0.2)
    allowed = results.acknowledgements_allowed(len(mails), UNITS)  # a sender gets at most 5 answers a day
    if sink.handler.count() != allowed:
        raise RuntimeError(f"{label}: {sink.handler.count()} acknowledgements of the {allowed} allowed")
    return run.seconds, run.cpu_seconds, run.peak_rss_mb, lane_tail(sink, work / f"{label}.db")


def lane_tail(sink, db: Path) -> tuple[float, int]:
    """Seconds from the newest queued acknowledgement (its batch's commit) to the last one the sink took, and how
    many the sink took in that time: what the delivery lane still had to send when the poll had stored all."""
    with sqlite3.connect(db) as conn:
        [(newest,)] = conn.execute("SELECT max(created_at) FROM outbox").fetchall()
    stored = datetime.fromisoformat(newest).replace(tzinfo=UTC).timestamp()
    offset = time.time() - time.monotonic()  # the sink notes arrivals on the monotonic clock
    arrivals = [a.at + offset for a in sink.handler.arrivals]
    return max(arrivals) - stored, sum(at > stored for at in arrivals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mbbefore-"))
    config = campaign.write_config(work, UNITS)
    mails = campaign.generate(args.n, UNITS)
    trees = {"before": args.before.resolve(), "after": ROOT}
    seconds: dict[str, list[float]] = {"before": [], "after": []}
    walls: dict[str, list[float]] = {"before": [], "after": []}
    tails: dict[str, list[float]] = {"before": [], "after": []}
    server = servers.start_imap()
    try:
        with servers.SmtpSink() as sink:
            for number in range(args.rounds):
                order = ["before", "after"] if number % 2 == 0 else ["after", "before"]
                for label in order:
                    wall, took, rss, (tail, late) = poll(
                        trees[label], server, sink, config, mails, work, f"{label}-{number}"
                    )
                    seconds[label].append(took)
                    walls[label].append(wall)
                    tails[label].append(tail)
                    print(
                        f"round {number + 1} {label}: {wall:.2f} s, {took:.2f} CPU s, peak RSS {rss:.0f} MB"
                        f" for {args.n} messages; the lane's tail {tail:.2f} s, {late} acknowledgements"
                        f" ({tail * 1000 / max(late, 1):.2f} ms each)",
                        flush=True,
                    )
    finally:
        server.stop()
    wall_before, wall_after = statistics.median(walls["before"]), statistics.median(walls["after"])
    print(
        f"median wall before {wall_before:.2f} s, after {wall_after:.2f} s, after / before {wall_after / wall_before:.2f}"
    )
    tail_before, tail_after = statistics.median(tails["before"]), statistics.median(tails["after"])
    print(f"median lane tail before {tail_before:.2f} s, after {tail_after:.2f} s")
    before, after = statistics.median(seconds["before"]), statistics.median(seconds["after"])
    print(f"median CPU before {before:.2f} s, after {after:.2f} s, after / before {after / before:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
