"""What composing one acknowledgement costs: compose.acknowledgement over the bench campaign's readings.

    .venv/bin/python bench/compose.py [--n 1000] [--rounds 5] [--profile]
    .venv/bin/python bench/compose.py --before BEFORE_TREE [--n 1000] [--rounds 5]

The campaign's N report mails (bench/campaign.py, 700 units) are read once, as a
poll reads them; then every reading's acknowledgement is composed once, as
batches._prepare composes it, in a fresh process, and the CPU and wall time per
acknowledgement are printed (median over `--rounds` processes). Once only: each
mail of a poll is acknowledged once, and its subject (the day and the unit) is
new to compose's caches; a second pass over the same readings would find every
header folded already. The first acknowledgement of a process pays for loading the
catalogue and compiling the template, as a poll's does. With `--profile`, one more
process runs under cProfile and its costliest calls are printed.

With `--before`, the same readings are composed by two source trees in turn (this
one and BEFORE_TREE, a checkout without the change), each round in its own
process and in alternating order, so that a noisy machine weighs on both alike.
Each process also prints a digest of every mail it composed: the two trees must
make the very same bytes.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pickle
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2020, 8, 3, 9, 0, tzinfo=UTC)  # when the poll composes: after every bench mail arrived


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="readings to acknowledge (default 1000)")
    parser.add_argument("--units", type=int, default=700, help="units of the bench campaign (default 700)")
    parser.add_argument("--rounds", type=int, default=5, help="processes per tree (default 5)")
    parser.add_argument("--profile", action="store_true", help="one more process under cProfile")
    parser.add_argument("--before", type=Path, help="a source tree without the change, to compare with")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # the readings file of a child process
    return parser.parse_args()


# --- the readings, made once --------------------------------------------------------------------


def prepare(work: Path, n: int, units: int) -> Path:
    """The campaign's configuration and the readings of its N mails, in a file for each process to load."""
    sys.path.insert(0, str(ROOT))
    from bench import campaign
    from mailbot import batches
    from mailbot.config import load_settings
    from mailbot.models import InboundMessage
    from mailbot.store import sha256_of

    config = campaign.write_config(work, units)
    settings = load_settings(config, env={})
    messages = [
        (InboundMessage("bench", f"1:{i}", raw, at, len(raw), uid=i, uidvalidity=1), sha256_of(raw))
        for i, (raw, at) in enumerate(campaign.generate(n, units), start=1)
    ]
    read = batches.read_all(settings, messages)
    jobs = [(item.reading, item.digest) for item in read if not item.failed]
    path = work / "readings.pickle"
    path.write_bytes(pickle.dumps((str(config), jobs)))
    return path


# --- one tree's rounds ----------------------------------------------------------------------------


def composing(readings_file: Path):
    """A function that composes every reading's acknowledgement once and returns their digest."""
    from mailbot import compose
    from mailbot.config import load_settings

    config, jobs = pickle.loads(readings_file.read_bytes())
    settings = load_settings(Path(config), env={})
    chosen = [(settings.campaign_of_unit(reading.unit) or settings, reading, digest) for reading, digest in jobs]

    def run() -> str:
        made = hashlib.sha256()
        for own, reading, digest in chosen:
            mail = compose.acknowledgement(own, reading, replaced=None, now=NOW, key_basis=digest)
            made.update(mail.raw if mail is not None else b"-")
        return made.hexdigest()

    return run, len(chosen)


def once(readings_file: Path, profile: bool) -> dict:
    """CPU and wall milliseconds per acknowledgement of one pass over the readings, in this process."""
    run, n = composing(readings_file)
    profiler = cProfile.Profile() if profile else None
    started, started_cpu = time.perf_counter(), time.process_time()
    digest = run() if profiler is None else profiler.runcall(run)
    cpu = (time.process_time() - started_cpu) * 1000 / n
    wall = (time.perf_counter() - started) * 1000 / n
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(40)
    return {"n": n, "cpu_ms": cpu, "wall_ms": wall, "digest": digest}


def in_tree(tree: Path, readings_file: Path, profile: bool = False) -> dict:
    """One pass in a process of its own, importing mailbot from `tree`."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    options = ["--profile"] if profile else []
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(readings_file), *options],
        env=env,
        cwd=tree,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


def compare(before: Path, readings_file: Path, count: int) -> None:
    """Both trees, `count` processes each, in alternating order."""
    trees = {"before": before.resolve(), "after": ROOT}
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    wall: dict[str, list[float]] = {"before": [], "after": []}
    digests: dict[str, set[str]] = {"before": set(), "after": set()}
    for number in range(count):
        for label in ("before", "after") if number % 2 == 0 else ("after", "before"):
            got = in_tree(trees[label], readings_file)
            cpu[label].append(got["cpu_ms"])
            wall[label].append(got["wall_ms"])
            digests[label].add(got["digest"])
            print(f"round {number + 1} {label:6}: {cpu[label][-1]:.3f} ms CPU, {wall[label][-1]:.3f} ms wall")
    for label in ("before", "after"):
        print(
            f"{label:6}: median {statistics.median(cpu[label]):.3f} ms CPU, "
            f"{statistics.median(wall[label]):.3f} ms wall per acknowledgement ({got['n']} readings)"
        )
    ratio = statistics.median(cpu["after"]) / statistics.median(cpu["before"])
    print(f"after / before: {ratio:.2f}x CPU ({1 / ratio:.1f}x cheaper)")
    same = digests["before"] == digests["after"] and len(digests["after"]) == 1
    print("same bytes in both trees:", "yes" if same else f"NO {digests}")


def main() -> int:
    args = arguments()
    if args.child is not None:  # mailbot comes from the tree on PYTHONPATH
        print(json.dumps(once(args.child, args.profile)))
        return 0
    work = Path(tempfile.mkdtemp(prefix="mbcompose-"))
    readings_file = prepare(work, args.n, args.units)
    if args.before is not None:
        compare(args.before, readings_file, args.rounds)
        return 0
    runs = [in_tree(ROOT, readings_file) for _ in range(args.rounds)]
    if args.profile:
        in_tree(ROOT, readings_file, profile=True)
    print(
        f"{runs[0]['n']} acknowledgements: median {statistics.median(r['cpu_ms'] for r in runs):.3f} ms CPU, "
        f"{statistics.median(r['wall_ms'] for r in runs):.3f} ms wall each; digest {runs[0]['digest'][:16]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
