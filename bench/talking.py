"""What mailbot spends on talking: composing mail, the report's chart and workbook, importing the CLI.

    .venv/bin/python bench/talking.py [--units 700] [--mails 300] [--before REV]

Builds a synthetic day of `--units` units (the benchmark campaign's names and
populations; a few late, missing and waiting for review) and times, in a fresh
process: `import mailbot.cli` (and whether it pulled matplotlib in), the chart
PNG (and its size in pixels) for all units and for the twelve of the demo, the
XLSX, the whole `report.render`, and per mail: acknowledgement, reminder, review
notice and the report mail.

With `--before REV` the same measurements also run on the mailbot package and
templates of git revision REV (extracted with `git archive` into a temporary
folder, nothing in the checkout changes), so both columns come from the same run
on the same machine. Only functions both versions have are called.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIETNAMESE_SUBJECT = (
    "Báo cáo số lượng cài đặt ứng dụng Bluezone trên địa bàn huyện ngày 14/8/2020 "
    "(kèm theo bảng tổng hợp của các xã, thị trấn) - {name}"
)


def median_seconds(action, repeats: int = 3, stop_after: float = 5.0) -> float:
    """Median wall time of up to `repeats` calls (one call only when a call is slower than `stop_after`)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
        if times[-1] > stop_after:
            break
    return statistics.median(times)


# --- the child: measures whatever mailbot is first on sys.path ---------------------------------------


def measure(units: int, mails: int) -> dict:
    started = time.perf_counter()
    import mailbot.cli  # noqa: F401

    figures = {
        "import mailbot.cli s": time.perf_counter() - started,
        "matplotlib imported by mailbot.cli": "matplotlib" in sys.modules,
    }
    from datetime import timedelta

    from PIL import Image

    from mailbot import compose, report
    from mailbot.config import load_settings
    from mailbot.models import ReviewDecision

    with tempfile.TemporaryDirectory() as folder:
        from bench import campaign

        settings = load_settings(campaign.write_config(Path(folder), units), env={})
    day_state = synthetic_ledger(settings)
    trend = [
        (day_state.day - timedelta(days=n), {"installs": day_state.totals["installs"] - 900 * n})
        for n in range(13, -1, -1)
    ]
    subs = synthetic_submissions(settings)
    view = report.build_view(settings, day_state, False)
    few = replace_units(day_state, day_state.units[:12])

    png = report.chart_png(settings, day_state, trend)
    size = lambda image: "{}×{}".format(*Image.open(io.BytesIO(image)).size)  # noqa: E731
    figures["chart PNG px (all units)"] = size(png)
    figures["chart PNG s (all units)"] = median_seconds(lambda: report.chart_png(settings, day_state, trend))
    figures["chart PNG px (12 units)"] = size(report.chart_png(settings, few, trend))
    figures["chart PNG s (12 units)"] = median_seconds(lambda: report.chart_png(settings, few, trend))
    figures["XLSX s"] = median_seconds(lambda: report.workbook_bytes(settings, day_state, view, subs))
    rendered = report.render(settings, day_state, trend, subs)
    figures["report.render s"] = median_seconds(lambda: report.render(settings, day_state, trend, subs))

    readings = [synthetic_reading(settings, unit, number) for number, unit in enumerate(settings.units[:mails])]
    now = day_state.as_of
    per_mail = lambda work: median_seconds(lambda: [work(n) for n in range(len(readings))]) * 1000 / len(readings)  # noqa: E731
    figures["acknowledgement ms/mail"] = per_mail(
        lambda n: compose.acknowledgement(settings, readings[n], replaced=None, now=now, key_basis=f"{n:064d}")
    )
    figures["reminder ms/mail"] = per_mail(lambda n: compose.reminder(settings, settings.units[n], day_state.day, now))
    figures["review notice ms/mail"] = per_mail(
        lambda n: compose.review_notice(settings, subs[n], ReviewDecision(subs[n].id, "accept", "ict", now))
    )
    figures["report mail ms"] = (
        median_seconds(lambda: compose.report_mail(settings, rendered, settings.report_recipients, 1, now)) * 1000
    )
    return figures


def replace_units(day_state, units):
    from dataclasses import replace

    return replace(day_state, units=tuple(units), expected=len(units))


def synthetic_ledger(settings):
    """A day of every unit: ~3 % missing, ~5 % late, 1 % waiting for review, coverage 5–40 %."""
    import random
    from datetime import date, datetime
    from datetime import time as clock

    from mailbot.models import LATE, MISSING, NEEDS_REVIEW, ON_TIME, DayLedger, UnitDay

    rng, day, tz = random.Random(5), date(2020, 8, 14), settings.campaign.tz
    rows = []
    for number, unit in enumerate(settings.units):
        roll = rng.random()
        state = MISSING if roll < 0.03 else LATE if roll < 0.08 else NEEDS_REVIEW if roll > 0.99 else ON_TIME
        figure = int(unit.population * rng.uniform(0.05, 0.40))
        counted = state in (ON_TIME, LATE)
        at = datetime.combine(day, clock(16, 20) if state == LATE else clock(8 + number % 7, number % 60), tzinfo=tz)
        rows.append(
            UnitDay(
                unit=unit.id,
                name=unit.name,
                state=state,
                figures={"installs": figure} if counted else {},
                received_at=None if state == MISSING else at,
                submissions=0 if state == MISSING else 1,
                problems=(),
                change={"installs": figure // 20} if counted else {},
                population=unit.population,
                coverage=figure * 100 / unit.population if counted else None,
                rank=number + 1 if counted else None,
            )
        )
    total = sum(r.figures.get("installs", 0) for r in rows)
    return DayLedger(
        day=day,
        deadline=settings.campaign.deadline_of(day),
        as_of=datetime.combine(day, clock(16, 30), tzinfo=tz),
        reporting_day=True,
        units=tuple(rows),
        totals={"installs": total},
        reported=sum(bool(r.figures) for r in rows),
        expected=len(rows),
        population=settings.campaign.population,
        coverage=total * 100 / settings.campaign.population,
        goal_percent=settings.campaign.goal_percent,
        rank_by="coverage",
        change={"installs": total // 20},
    )


def synthetic_submissions(settings):
    from datetime import date, datetime
    from datetime import time as clock

    from mailbot.models import Submission

    day, tz = date(2020, 8, 14), settings.campaign.tz
    return [
        Submission(
            id=number,
            message_row=number,
            unit=unit.id,
            period=day,
            received_at=datetime.combine(day, clock(8 + number % 7, number % 60), tzinfo=tz),
            sender=unit.senders[0],
            figures={"installs": 10_000 + number},
            status="accepted",
            problems=(),
            subject=VIETNAMESE_SUBJECT.format(name=unit.name),
            message_id=f"<s{number}@bench>",
        )
        for number, unit in enumerate(settings.units, start=1)
    ]


def synthetic_reading(settings, unit, number: int):
    from datetime import date, datetime
    from datetime import time as clock

    from mailbot.models import Reading

    day = date(2020, 8, 14)
    return Reading(
        path=None,
        message_id=f"<r{number}@bench>",
        sender=unit.senders[0],
        received_at=datetime.combine(day, clock(9, number % 60), tzinfo=settings.campaign.tz),
        period=day,
        late=False,
        unit=unit.id,
        figures={"installs": 10_000 + number},
        problems=(),
        subject=VIETNAMESE_SUBJECT.format(name=unit.name),
        references=(f"<r{number}-0@bench>",),
        reply_to=unit.senders[0],
    )


# --- the parent: one child per tree ------------------------------------------------------------------


def extract(revision: str, folder: Path) -> Path:
    """The mailbot package and templates of `revision`, unpacked into `folder`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "mailbot", "templates"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def run_child(tree: Path, units: int, mails: int) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--units", str(units), "--mails", str(mails)],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(columns: dict[str, dict]) -> str:
    names = list(columns)
    lines = ["| measure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for key in next(iter(columns.values())):
        cells = [columns[n].get(key) for n in names]
        shown = [f"{c:.4g}" if isinstance(c, float) else str(c) for c in cells]
        lines.append(f"| {key} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=700)
    parser.add_argument("--mails", type=int, default=300, help="mails composed per kind (at most --units)")
    parser.add_argument("--before", metavar="REV", help="also measure git revision REV (e.g. HEAD)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    mails = min(args.mails, args.units)
    if args.child:
        print(json.dumps(measure(args.units, mails)))
        return 0
    columns = {}
    with tempfile.TemporaryDirectory(prefix="mbtalk-") as folder:
        if args.before:
            columns[f"before ({args.before})"] = run_child(extract(args.before, Path(folder)), args.units, mails)
        columns["now (checkout)"] = run_child(ROOT, args.units, mails)
    print(f"{args.units} units, {mails} mails per kind; medians of up to 3 calls\n")
    print(table(columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
