"""A national-size campaign: 3,321 units × 90 days of history; status, ledger, report and board.

    .venv/bin/python bench/national.py [--units 3321] [--days 90] [--profile PART]
    .venv/bin/python bench/national.py --before BEFORE_TREE [--rounds 3] [--repeats 3] [--db FILE]

The history is written straight into the store's tables (bench/ledger_report.py);
then, for the last day, each is timed in this process (medians of three calls, or
--repeats, after one warm-up call):
- `status`: App.status (ledger, heartbeat, review queue, outbox) and its table as
  `mailbot status` prints it; `status --json`;
- the ledger alone (service.day_ledger);
- the whole report (service.build_report: HTML, text, XLSX, chart PNG), its chart drawn
  each time; and built again for the same figures, when the drawn chart is kept;
- the report sent (service.send_report: built, its mail composed and queued, the
  fingerprint of its figures stored; the chart kept), and the watch for updates each
  cycle runs afterwards (service.send_updates, nothing changed);
- the console's board: GET / through the Starlette app (test client, signed in); and
  its report page's files (GET /report/html and /report/png, as its page fetches them).
Baseline: a plain SELECT of the day's rows (sqlite3).

With --before, each round measures BEFORE_TREE (a checkout without the change, with its
own .venv when it has one: a change of a dependency is then measured too) and this
tree, in alternating order, each in a process of its own on the same store, and prints
the median CPU and wall seconds of each part in both trees.
"""

from __future__ import annotations

import argparse
import io
import re
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--tree" in sys.argv:  # measure another checkout's mailbot (see --before)
    ROOT = Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
sys.path.insert(0, str(ROOT))

from bench import campaign, ledger_report  # noqa: E402
from mailbot.config import load_settings  # noqa: E402

NATIONAL_UNITS = 3321  # Vietnam's communes after 2025
PASSWORD = "mật-khẩu-đủ-dài-cho-bench"


@dataclass
class NationalFigures:
    units: int
    days: int
    rows: int
    baseline_seconds: float
    seconds: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # wall, CPU, copies' CPU


def median_of(action, repeats: int = 3) -> tuple[float, float, float]:
    """Median wall seconds, CPU seconds of this process, and CPU seconds of the copies it forked and
    waited for, of `repeats` calls, after one warm-up call (imports, templates, fonts).

    The goals are judged on wall time: a report draws its chart in a forked copy on the
    other core, so this process's CPU time alone would leave that work out. Both CPU times
    are shown beside it: wall time well above their larger share is time the machine gave others.
    """
    action()
    walls, cpus, copies = [], [], []
    for _ in range(repeats):
        wall, cpu, copied = time.perf_counter(), time.process_time(), _children_cpu()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        copies.append(_children_cpu() - copied)
    return statistics.median(walls), statistics.median(cpus), statistics.median(copies)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measure(
    work: Path,
    units: int = NATIONAL_UNITS,
    days: int = 90,
    profile: str | None = None,
    db: Path | None = None,
    repeats: int = 3,
) -> NationalFigures:
    from mailbot import service
    from mailbot.app import App
    from mailbot.store import Store

    config = campaign.write_config(work, units)
    settings = load_settings(config, env={})
    db_path = str(db or work / "national.db")
    filled = db is not None and db.exists()
    store = Store.open(f"sqlite:///{db_path}")
    rows = store.counts()["submissions"] if filled else ledger_report.fill_store(store, settings, days)
    day = campaign.FIRST_DAY + timedelta(days=days - 1)
    now = datetime.combine(day, clock_time(16, 30), tzinfo=campaign.TIME_ZONE).astimezone(UTC)
    app = App(settings, store, clock=lambda: now)
    parts = {
        "status (App.status + its table)": lambda: status_text(app),
        "status --json": lambda: app.status_json(day),
        "ledger (service.day_ledger)": lambda: service.day_ledger(settings, store, day, now),
        "report (HTML + XLSX + chart)": lambda: first_report(settings, store, day, now),
        "report again, same figures (chart kept)": lambda: service.build_report(settings, store, day, now),
        "send report (service.send_report)": lambda: service.send_report(settings, store, day, now),
        "watch for updates, none (send_updates)": lambda: no_update(settings, store, now),
        "console board (GET /)": board_client(app),
        "console report page (its HTML + PNG)": report_page(app, day),
    }
    try:
        if profile:
            profiled(parts, profile)
        figures = NationalFigures(
            units, days, rows, ledger_report.best_of(lambda: ledger_report.plain_select(db_path, day), 5)
        )
        for name, action in parts.items():
            figures.seconds[name] = median_of(action, repeats)
        return figures
    finally:
        store.close()


def first_report(settings, store, day, now):
    """The report as first built for its figures: nothing kept from an earlier call, its chart drawn."""
    from mailbot import report, service

    report.forget_drawn_charts()
    return service.build_report(settings, store, day, now)


def no_update(settings, store, now) -> None:
    """The watch each cycle runs after the report was sent: nothing changed, nothing sent."""
    from mailbot import service

    if service.send_updates(settings, store, now):
        raise RuntimeError("an update was sent for unchanged figures")


def status_text(app) -> str:
    from rich.console import Console

    from mailbot.cli import views

    out = Console(file=io.StringIO(), width=120)
    views.print_status(out, app.status(), app.settings)
    return out.file.getvalue()


def signed_in(app):
    """A test client of the console, signed in."""
    from starlette.testclient import TestClient

    from mailbot.web import create_app

    if not any(user.name == "bench" for user in app.accounts.users()):
        app.accounts.add("bench", "reviewer", PASSWORD, app.clock(), by="bench")
    client = TestClient(create_app(app))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text).group(1)
    client.post("/signin", data={"name": "bench", "password": PASSWORD, "csrf": token}, follow_redirects=False)
    return client


def board_client(app):
    """GET / of the console, signed in; returns the call that renders the board once."""

    client = signed_in(app)

    def board() -> None:
        answer = client.get("/")
        if answer.status_code != 200 or 'data-unit="u' not in answer.text:
            raise RuntimeError(f"the board did not render: {answer.status_code}")

    return board


def report_page(app, day):
    """What the console's report page fetches, signed in: its report's HTML and the chart it shows."""
    client = signed_in(app)

    def page() -> None:
        for kind in ("html", "png"):
            answer = client.get(f"/report/{kind}?d={day.isoformat()}")
            if answer.status_code != 200:
                raise RuntimeError(f"the report's {kind} did not render: {answer.status_code}")

    return page


def profiled(parts: dict, wanted: str) -> None:
    from pyinstrument import Profiler

    for name, action in parts.items():
        if wanted in name:
            action()
            profiler = Profiler()
            profiler.start()
            action()
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))


GOALS = {"status": 0.5, "ledger": 0.5, "report": 2.0, "console board": 0.3}


def goal_of(name: str) -> float | None:
    return next((limit for key, limit in GOALS.items() if name.startswith(key)), None)


def compared(before: Path, rounds: int, db: Path, units: int, days: int, repeats: int) -> None:
    """Each round: both trees in alternating order, each in its own process on the same store."""
    import json
    import subprocess

    this = Path(__file__).resolve().parent.parent
    trees = {"before": before.resolve(), "after": this}
    found: dict[str, list[dict]] = {name: [] for name in trees}
    for number in range(rounds):
        order = list(trees) if number % 2 == 0 else list(reversed(trees))
        for name in order:
            tree = trees[name]
            python = tree / ".venv/bin/python"
            command = [str(python if python.exists() else sys.executable), str(Path(__file__).resolve())]
            command += ["--tree", str(tree), "--db", str(db), "--units", str(units), "--days", str(days)]
            command += ["--repeats", str(repeats), "--json"]
            done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=True)
            found[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"round {number + 1}: {name} measured", file=sys.stderr)
    print(f"{rounds} rounds, medians; CPU s (this process and its forked copies) and wall s; after / before")
    print(f"{'':40s} {'CPU before':>10s} {'CPU after':>10s} {'ratio':>6s} {'wall bef.':>10s} {'wall aft.':>10s}")
    for part in found["after"][0]:
        cpu = {name: statistics.median(sum(run[part][1:]) for run in runs) for name, runs in found.items()}
        wall = {name: statistics.median(run[part][0] for run in runs) for name, runs in found.items()}
        print(
            f"{part:40s} {cpu['before']:10.3f} {cpu['after']:10.3f} {cpu['after'] / cpu['before']:6.2f}"
            f" {wall['before']:10.3f} {wall['after']:10.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=NATIONAL_UNITS)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--profile", help="print a pyinstrument profile of the part whose name holds this")
    parser.add_argument("--db", type=Path, help="the store to use: filled if it does not exist, else used as it is")
    parser.add_argument("--before", type=Path, help="a checkout without the change: measure both, alternately")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --before")
    parser.add_argument("--tree", type=Path, help="measure this checkout's mailbot (what --before runs)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls of each part (their median counts)")
    args = parser.parse_args()
    if args.before:
        db = args.db or Path(tempfile.gettempdir()) / f"mbnational-{args.units}x{args.days}.db"
        compared(args.before, args.rounds, db, args.units, args.days, args.repeats)
        return
    with tempfile.TemporaryDirectory(prefix="mbnational-") as work:
        started = time.perf_counter()
        figures = measure(Path(work), args.units, args.days, args.profile, args.db, args.repeats)
        if args.json:
            import json

            print(json.dumps(figures.seconds))
            return
        print(
            f"{figures.units} units × {figures.days} days, {figures.rows:,} submissions ({time.perf_counter() - started:.0f} s)"
        )
        print(f"baseline: plain SELECT of the day {figures.baseline_seconds * 1000:.1f} ms")
        print(f"{'':40s} {'wall s':>8s} {'CPU s':>8s} {'copies':>8s} {'× base':>8s}")
        for name, (wall, cpu, copies) in figures.seconds.items():
            goal = goal_of(name)
            verdict = "" if goal is None else (" met" if wall <= goal else " MISSED") + f" (goal ≤ {goal} s, wall)"
            print(f"{name:40s} {wall:8.3f} {cpu:8.3f} {copies:8.3f} {wall / figures.baseline_seconds:8.0f}{verdict}")


if __name__ == "__main__":
    main()
