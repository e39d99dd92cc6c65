"""Ledger and report: a day's ledger and consolidated report over a long history.

The store holds `units` × `days` of history (a few late, missing, corrected and
held reports, as a real campaign has), written straight into the store's own
tables in one transaction: going through Store.ingest would only make the setup
slower, not the measurement different. Measured for the last day:
- baseline: a plain SELECT of that day's submission rows (sqlite3, no mailbot);
- service.day_ledger, and service.build_report (HTML + XLSX + chart), with the
  parts of the report timed on their own.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

import sqlalchemy as sa

from bench import campaign
from mailbot import defaults, ledger, report, service
from mailbot.config import Settings
from mailbot.store import Store
from mailbot.store.schema import messages, submissions

REPEATS = 3
REVIEW_PROBLEM = {"code": "outlier_jump", "message": "Số liệu tăng bất thường so với các ngày trước.", "where": None}


@dataclass
class ReportFigures:
    units: int
    days: int
    rows: int
    day_rows: int
    baseline_seconds: float
    ledger_seconds: float
    report_cold_seconds: float
    report_seconds: float
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def ledger_ratio(self) -> float:
        return self.ledger_seconds / self.baseline_seconds

    @property
    def report_ratio(self) -> float:
        return self.report_seconds / self.baseline_seconds


# --- the history ------------------------------------------------------------------------------------


def history_rows(settings: Settings, days: int) -> tuple[list[dict], list[dict]]:
    """Message and submission rows for every unit and day; some late, missing, held or corrected."""
    rng = random.Random(11)
    message_rows, submission_rows = [], []
    units = {u.id: u for u in campaign.bench_units(len(settings.units))}
    for offset in range(days):
        day = campaign.FIRST_DAY + timedelta(days=offset)
        for unit in settings.units:
            roll = rng.random()
            if roll < 0.03:
                continue  # missing
            hour = clock_time(16, 20) if roll < 0.08 else clock_time(8 + int(roll * 7), int(roll * 3600) % 60)
            arrived = datetime.combine(day, hour, tzinfo=campaign.TIME_ZONE)
            status = "needs_review" if roll > 0.99 else "accepted"
            figure = campaign.figure_of(units[unit.id], day)
            _add(message_rows, submission_rows, unit, day, arrived, figure, status)
            if 0.97 < roll <= 0.99:  # a correction later that day
                _add(message_rows, submission_rows, unit, day, arrived + timedelta(hours=1), figure + 7, "accepted")
    return message_rows, submission_rows


def _add(
    message_rows: list, submission_rows: list, unit, day: date, arrived: datetime, figure: int, status: str
) -> None:
    row = len(message_rows) + 1
    subject = f"Báo cáo số lượng cài đặt Bluezone ngày {day.day}/{day.month}/{day.year} - {unit.name}"
    raw = f"From: {unit.senders[0]}\r\nSubject: {subject}\r\nMessage-ID: <{row}@bench>\r\n\r\n{figure}\r\n".encode()
    message_rows.append(
        dict(
            id=row,
            sha256=hashlib.sha256(raw).hexdigest(),
            message_id=f"<{row}@bench>",
            source="bench",
            source_key=str(row),
            received_at=arrived,
            stored_at=arrived,
            size=len(raw),
            headers_only=False,
            sender=unit.senders[0],
            subject=subject,
            raw=raw,
        )
    )
    problems = [REVIEW_PROBLEM] if status == "needs_review" else []
    submission_rows.append(
        dict(
            message_row=row,
            unit=unit.id,
            period=day,
            received_at=arrived,
            sender=unit.senders[0],
            subject=subject,
            message_id=f"<{row}@bench>",
            read_unit=unit.id,
            read_figures={"installs": figure},
            figures={"installs": figure},
            problems=problems,
            read_status=status,
            status=status,
        )
    )


def fill_store(store: Store, settings: Settings, days: int) -> int:
    message_rows, submission_rows = history_rows(settings, days)
    with store.engine.begin() as conn:
        for start in range(0, len(message_rows), 5000):
            conn.execute(sa.insert(messages), message_rows[start : start + 5000])
            conn.execute(sa.insert(submissions), submission_rows[start : start + 5000])
    return len(submission_rows)


# --- the measurement --------------------------------------------------------------------------------


def best_of(action, repeats: int = REPEATS) -> float:
    """The median wall time of `repeats` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plain_select(db_path: str, day: date) -> int:
    with sqlite3.connect(db_path) as conn:
        return len(conn.execute("SELECT * FROM submissions WHERE period = ?", (day.isoformat(),)).fetchall())


def measure(settings: Settings, db_path: str, days: int) -> ReportFigures:
    store = Store.open(f"sqlite:///{db_path}")
    try:
        rows = fill_store(store, settings, days)
        day = campaign.FIRST_DAY + timedelta(days=days - 1)
        now = datetime.combine(day, clock_time(16, 30), tzinfo=campaign.TIME_ZONE).astimezone(UTC)
        day_rows = plain_select(db_path, day)
        baseline = best_of(lambda: plain_select(db_path, day), 5)
        started = time.perf_counter()
        service.build_report(settings, store, day, now)
        cold = time.perf_counter() - started
        figures = ReportFigures(
            units=len(settings.units),
            days=days,
            rows=rows,
            day_rows=day_rows,
            baseline_seconds=baseline,
            ledger_seconds=best_of(lambda: service.day_ledger(settings, store, day, now)),
            report_cold_seconds=cold,
            report_seconds=best_of(
                lambda: (report.forget_drawn_charts(), service.build_report(settings, store, day, now))
            ),
        )
        figures.parts = report_parts(settings, store, day, now)
        return figures
    finally:
        store.close()


def report_parts(settings: Settings, store: Store, day: date, now: datetime) -> dict[str, float]:
    """What build_report spends its time on, step by step (same calls, timed one by one)."""
    first = day - timedelta(days=defaults.TREND_DAYS - 1)
    units = [unit.id for unit in settings.units]
    metrics = [metric.id for metric in settings.campaign.metrics]
    of_day, history = service.day_history(store, day, now, units, first, metrics)
    day_state = ledger.build_day(settings, day, of_day, now, history=history)
    trend = ledger.province_trend(settings, first, day, of_day, now, history=history)
    view = report.build_view(settings, day_state, False)
    return {
        f"load the day, and what counted in the {defaults.TREND_DAYS} days before": best_of(
            lambda: service.day_history(store, day, now, units, first, metrics)
        ),
        "ledger of the day": best_of(lambda: ledger.build_day(settings, day, of_day, now, history=history)),
        f"trend ({defaults.TREND_DAYS} days)": best_of(
            lambda: ledger.province_trend(settings, first, day, of_day, now, history=history)
        ),
        "HTML and text": best_of(
            lambda: (
                report.render_template("report.html.j2", settings.language, view=view, subject="x"),
                report.render_template("report.txt.j2", settings.language, view=view, subject="x"),
            )
        ),
        "XLSX": best_of(lambda: report.workbook_bytes(settings, day_state, view, of_day)),
        "chart PNG": best_of(lambda: (report.forget_drawn_charts(), report.chart_png(settings, day_state, trend))),
    }
