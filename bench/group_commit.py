"""The store's part of ingest: one transaction per message against one per batch of 50, in one run.

    .venv/bin/python bench/group_commit.py [--n 500] [--rounds 2]

A transaction per message (Store.ingest, what a poll did before: it is ingest_many
of one) and one per batch (what it does now), on fresh SQLite files, alternately;
wall and CPU time of each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailbot.models import InboundMessage, Reading, SourceMark  # noqa: E402
from mailbot.store import Store  # noqa: E402

BATCH = 50


def items(tag: str, n: int) -> list:
    at = datetime(2020, 8, 14, 8, tzinfo=UTC)
    out = []
    for i in range(n):
        raw = f"{tag}{i}".encode() * 300  # about 3 KB
        message = InboundMessage("imap://bench", f"{tag}{i}", raw, at, len(raw), uid=i + 1, uidvalidity=7)
        reading = Reading(
            None,
            f"<{tag}{i}>",
            "a@b.vn",
            at,
            date(2020, 8, 14),
            False,
            f"u{i % 700}",
            {"x": i},
            (),
        )
        out.append((message, reading, []))
    return out


def timed(action) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for number in range(args.rounds):
            for label, each in (
                ("a transaction per message", 1),
                (f"a transaction per {BATCH}", BATCH),
            ):
                wall, cpu = run_once(Path(folder) / f"{each}-{number}.db", args.n, each)
                print(f"round {number + 1}, {label:27s} wall {wall:.2f} s, CPU {cpu:.2f} s")


def run_once(path: Path, n: int, each: int) -> tuple[float, float]:
    store = Store.open(f"sqlite:///{path}")
    try:
        mails = items(path.stem, n)
        groups = [mails[k : k + each] for k in range(0, n, each)]
        return timed(lambda: [store.ingest_many(g, "imap://bench", SourceMark(7, g[-1][0].uid)) for g in groups])
    finally:
        store.close()


if __name__ == "__main__":
    main()
