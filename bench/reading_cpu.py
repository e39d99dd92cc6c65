"""The CPU a reading worker spends on one report mail: the bench campaign's mails read in this process.

    .venv/bin/python bench/reading_cpu.py [TREE ...] [--n 500] [--rounds 3]
    .venv/bin/python bench/reading_cpu.py [TREE ...] --instructions [--n 100]

Each TREE is a checkout of mailbot (default: this one). For each, in a fresh process and
in alternating order, the campaign's first N report mails (bench/campaign.py, 700 units,
each with its district's .xlsx) are read as a reading worker reads them
(mailbot.reading.arrived.read_here: taking the mail apart, routing, body, workbook),
after 100 mails read to warm the caches a poll's worker has warmed too; the CPU time
per mail is printed, the median over the rounds, and the least (on a machine others
share, other processes' work inflates a round's CPU time, never shrinks it).

With --instructions, each tree reads the mails once under valgrind's callgrind, which
counts the machine instructions executed while the N mails are read (instrumentation is
switched on after the warm-up, by callgrind_control): a figure that other processes on
the machine do not change, to compare trees when the CPU times are too noisy to.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM = 100

READ = """
import sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])  # mailbot and its bench campaign, both from the tree
from bench import campaign
from mailbot import workers
from mailbot.config import load_settings
from mailbot.models import InboundMessage
try:
    from mailbot.reading import arrived as whole  # where a worker's reader lives
except ImportError:  # a tree from before mailbot.reading.arrived
    from mailbot.reading import whole
n, warm = int(sys.argv[2]), int(sys.argv[3])
settings = load_settings(campaign.write_config(Path(tempfile.mkdtemp(prefix="reading-cpu-")), 700), env={})
mails = [
    InboundMessage("bench", f"1:{i}", raw, at, len(raw), uid=i, uidvalidity=1)
    for i, (raw, at) in enumerate(campaign.generate(n + warm, 700), 1)
]
workers._serving = True  # read here, as a worker reads
for mail in mails[:warm]:
    whole.read_here(settings, mail)
counting = sys.argv[4] == "count"  # under callgrind: count the instructions of the loop alone
if counting:
    import os, subprocess
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, check=True)
started = time.process_time()
for mail in mails[warm:]:
    whole.read_here(settings, mail)
print((time.process_time() - started) * 1000 / n)
if counting:
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True, check=True)
"""
CALLGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null"]
COLLECTED = re.compile(r"Collected : ([0-9]+)")


def instructions_per_mail(tree: Path, n: int) -> float:
    """Machine instructions per mail, counted by callgrind over the N mails read after the warm-up."""
    done = subprocess.run(
        [*CALLGRIND, sys.executable, "-c", READ, str(tree), str(n), str(WARM), "count"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(COLLECTED.findall(done.stderr)[-1]) / n


def ms_per_mail(tree: Path, n: int) -> float:
    done = subprocess.run(
        [sys.executable, "-c", READ, str(tree), str(n), str(WARM), "time"],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs="*", type=Path, default=[ROOT])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind instead")
    args = parser.parse_args()
    trees = [tree.resolve() for tree in args.trees]
    if args.instructions:
        print(f"{args.n} report mails read in one process under callgrind (after {WARM} to warm the caches)")
        print("| tree | instructions per mail |")
        print("|---|---|")
        for tree in trees:
            print(f"| {tree} | {instructions_per_mail(tree, args.n):,.0f} |")
        return
    times: dict[Path, list[float]] = {tree: [] for tree in trees}
    for round_ in range(args.rounds):
        for tree in trees if round_ % 2 == 0 else list(reversed(trees)):
            times[tree].append(ms_per_mail(tree, args.n))
    print(f"{args.n} report mails read in one process, median of {args.rounds} rounds")
    print("| tree | CPU ms per mail | least | rounds |")
    print("|---|---|---|---|")
    for tree in trees:
        rounds = ", ".join(f"{t:.2f}" for t in times[tree])
        print(f"| {tree} | {statistics.median(times[tree]):.2f} | {min(times[tree]):.2f} | {rounds} |")


if __name__ == "__main__":
    main()
