"""The fixed cost of a short command, before and after a change, in one run.

    .venv/bin/python bench/fixed_cost.py [BEFORE_TREE] [--runs 7]

What every command pays before it does anything: interpreter start, imports,
reading the 700-unit campaign, opening the store and the connections. Measured
as `bench/ingest.py` measures the fixed cost of a poll: `python -m mailbot` in its
own process (wall and CPU time from `bench/measured.py`), on the bench campaign,
against a private Dovecot account with an empty INBOX, an SMTP sink and a SQLite
store. The commands: `poll --once` on the empty mailbox, `status` on that store,
`check-config` and `--help`. With BEFORE_TREE (a checkout without the change; this
tree is the after), each run does every command with both trees, in alternating
order, so that a noisy machine weighs on both alike. Prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import campaign, ingest, servers  # noqa: E402

COMMANDS = {
    "poll --once (empty)": ["poll", "--once"],
    "status": ["status"],
    "check-config": ["check-config"],
    "--help": ["--help"],
}


def tree_env(env: dict[str, str], tree: Path, label: str, work: Path) -> dict[str, str]:
    """`env` for running mailbot from `tree`, with its compiled modules kept under `work`.

    Both trees get a cache of their own, filled by a first unmeasured run: a checkout that cannot
    or may not be written to (PYTHONDONTWRITEBYTECODE) would otherwise compile every module at
    every start, and the comparison would measure the compiler.
    """
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / f"pycache-{label}")
    env["PYTHONPATH"] = str(tree)  # and run from it: `python -m` looks in the working folder first
    return env


def one_run(tree: Path, env: dict[str, str], args: list[str], log_file: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m mailbot ARGS` run from `tree`."""
    run = ingest.run_mailbot(args, env, log_file, tree=tree)
    if run.returncode != 0:
        raise RuntimeError(f"{tree}: mailbot {' '.join(args)} failed ({run.returncode}):\n{run.output[-2000:]}")
    return run.seconds, run.cpu_seconds


def measure(trees: dict[str, Path], runs: int, work: Path) -> dict[tuple[str, str], list[tuple[float, float]]]:
    config = campaign.write_config(work, 700)
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    server = servers.start_imap()
    try:
        with servers.SmtpSink() as sink:
            envs = {}
            for label in trees:  # an empty account and store each; every command once, unmeasured
                account = servers.new_account(server)
                env = ingest.mailbot_env(config, account, sink.url, f"sqlite:///{work / f'{label}.db'}")
                envs[label] = tree_env(env, trees[label], label, work)
                for args in COMMANDS.values():
                    one_run(trees[label], envs[label], args, work / f"{label}-warm-{args[0].strip('-')}.log")
            for number in range(runs):
                order = list(trees) if number % 2 == 0 else list(reversed(trees))
                for name, args in COMMANDS.items():
                    for label in order:
                        log_file = work / f"{label}-{number}-{args[0].strip('-')}.log"
                        figures.setdefault((name, label), []).append(one_run(trees[label], envs[label], args, log_file))
    finally:
        server.stop()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, nargs="?", help="a checkout without the change (optional)")
    parser.add_argument("--runs", type=int, default=7, help="runs of each command with each tree (default 7)")
    args = parser.parse_args()
    trees = {"before": args.before.resolve()} if args.before else {}
    trees["after" if args.before else "this tree"] = ROOT
    figures = measure(trees, args.runs, Path(tempfile.mkdtemp(prefix="mbfixed-")))
    print(f"median of {args.runs} runs, wall s / CPU s")
    print(
        f"{'command':<22}" + "".join(f"{label:>20}" for label in trees) + ("     after / before" if args.before else "")
    )
    for name in COMMANDS:
        medians = {
            label: (
                statistics.median(w for w, _ in figures[(name, label)]),
                statistics.median(c for _, c in figures[(name, label)]),
            )
            for label in trees
        }
        line = f"{name:<22}" + "".join(f"{wall:>11.3f} / {cpu:.3f}" for wall, cpu in medians.values())
        if args.before:
            (wall_b, cpu_b), (wall_a, cpu_a) = medians["before"], medians["after"]
            line += f"   {wall_a / wall_b:.2f} / {cpu_a / cpu_b:.2f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
