"""Run every mailbot benchmark against real servers on loopback; write bench/RESULTS.md.

    .venv/bin/python bench/run.py [--n 1000] [--large] [--profile]

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import requirements  # noqa: E402

if __name__ == "__main__":
    requirements.require("bench/run.py")  # before the modules that need them

from bench import bench_reading, campaign, ingest, latency, ledger_report, national, results, servers, stages  # noqa: E402
from mailbot.config import load_settings  # noqa: E402

LARGE_N = 20_000
MAILS: dict = {}  # the run's report mails, generated once (ingest.mails_for)
RESULTS_FILE = ROOT / "bench" / "RESULTS.md"
log = logging.getLogger("bench")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="mailbot benchmarks (ratios against baselines measured in the same run)"
    )
    parser.add_argument("--n", type=int, default=1000, help="messages for the ingest benchmark (default 1000)")
    parser.add_argument("--large", action="store_true", help=f"also ingest N={LARGE_N:,} (takes a while)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help=f"rounds of each ingest size below {LARGE_N:,} (the median round is reported; default 3)",
    )
    parser.add_argument("--units", type=int, default=700, help="units in the benchmark campaign (default 700)")
    parser.add_argument("--days", type=int, default=90, help="days of history for the ledger and report (default 90)")
    parser.add_argument("--latency-messages", type=int, default=50, help="messages for the latency benchmark")
    parser.add_argument(
        "--load-backlog", type=int, default=1000, help="backlog being ingested while latency under load is measured"
    )
    parser.add_argument(
        "--national-units", type=int, default=national.NATIONAL_UNITS, help="units of the national campaign (0: skip)"
    )
    parser.add_argument("--profile", action="store_true", help="also profile `poll --once` with pyinstrument")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (stores, logs, profiles)")
    return parser.parse_args(argv)


def section(run: results.Run, name: str, work) -> None:
    """Run one benchmark; a failure is recorded in the results and the others go on."""
    log.info("%s …", name)
    try:
        work()
    except BaseException as exc:  # pytest.fail from the Dovecot harness is a BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        run.errors[name] = f"{type(exc).__name__}: {str(exc).strip()[:800]}"
        log.error("%s failed:\n%s", name, traceback.format_exc())


def reading_figures() -> dict:
    """bench/bench_reading.py's medians (ratio, mailbot_ms, calamine_ms) and the text it prints."""
    return bench_reading.measure(200)


def ingest_benchmarks(run: results.Run, server, sink, config: Path, work: Path) -> None:
    args, pool = run.args, MAILS
    sizes = sorted({args.n, *([LARGE_N] if args.large else [])})
    growth_sizes = sorted({max(1, args.n // 4), max(1, args.n // 2)} - {args.n})
    pool_size = max(sizes)
    log.info("generating %s report mails on %s cores …", pool_size, run.machine["cores"])
    ingest.mails_for(pool_size, args.units, pool)
    section(run, "fixed cost", lambda: setattr(run, "fixed", ingest.fixed_cost(server, sink, config, work)))
    section(run, "import cost", lambda: setattr(run, "import_seconds", stages.import_seconds()))

    def measure_each(label: str, counts: list[int], into: list, **options) -> None:
        for n in counts:
            mails = ingest.mails_for(n, args.units, pool)
            rounds = args.rounds if n < LARGE_N else 1
            section(
                run,
                f"{label} N={n}",
                lambda m=mails, r=rounds: into.append(
                    ingest.measure_rounds(server, sink, config, m, work, rounds=r, **options)
                ),
            )

    measure_each("growth", growth_sizes, run.growth, with_peers=False)
    measure_each("ingest", sizes, run.ingest)
    run.growth += [f for f in run.ingest if f.n == args.n]
    settings = load_settings(config, env={})
    stage_mails = ingest.mails_for(min(args.n, 1000), args.units, pool)
    section(
        run,
        "stages",
        lambda: run.stages.update(stages.per_message(settings, f"sqlite:///{work / 'stages.db'}", stage_mails)),
    )
    if args.profile:
        section(
            run,
            "profile",
            lambda: run.notes.append(
                f"pyinstrument profile of `poll --once`: {ingest.profile_poll(server, sink, config, stage_mails, work)}"
            ),
        )


def all_benchmarks(run: results.Run, work: Path) -> None:
    args = run.args
    config = campaign.write_config(work, args.units)
    settings = load_settings(config, env={})
    section(run, "reading", lambda: setattr(run, "reading", reading_figures()))
    section(
        run,
        "ledger and report",
        lambda: setattr(run, "report", ledger_report.measure(settings, str(work / "history.db"), args.days)),
    )
    if args.national_units:
        folder = work / "national"
        folder.mkdir(exist_ok=True)
        section(
            run, "national", lambda: setattr(run, "national", national.measure(folder, args.national_units, args.days))
        )
    server = servers.start_imap()
    try:
        with servers.SmtpSink() as sink:
            ingest_benchmarks(run, server, sink, config, work)
            section(
                run,
                "latency floor",
                lambda: setattr(
                    run, "latency_floor", latency.idle_floor(server, min(args.latency_messages, 20), args.units)
                ),
            )
            section(
                run,
                "latency",
                lambda: setattr(
                    run, "latency", latency.measure(server, sink, config, work, args.latency_messages, args.units)
                ),
            )
            if args.load_backlog:
                backlog = ingest.mails_for(args.load_backlog, args.units, MAILS)
                section(
                    run,
                    "latency under load",
                    lambda: setattr(
                        run,
                        "latency_load",
                        latency.under_load(server, sink, config, work, args.latency_messages, args.units, backlog),
                    ),
                )
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("mail.log", "mailbot"):  # the SMTP sink's and mailbot's own chatter
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = arguments(argv)
    run = results.Run(args=args, machine=results.machine())
    work = Path(tempfile.mkdtemp(prefix="mbbench-"))
    try:
        all_benchmarks(run, work)
    finally:
        command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
        RESULTS_FILE.write_text(results.markdown(run, command.strip()) + "\n", encoding="utf-8")
        if args.keep or args.profile:
            log.info("kept %s", work)
        else:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    print(results.table(results.SUMMARY_HEADERS, results.summary_rows(run)))
    print(f"\nMachine: {', '.join(f'{k} {v}' for k, v in run.machine.items())}")
    print(f"Details: {RESULTS_FILE.relative_to(ROOT)}" + (f"; failed: {', '.join(run.errors)}" if run.errors else ""))
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
