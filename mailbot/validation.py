"""Checks that need the unit's history (docs/problems.md: decreasing_figure, above_population, outlier_jump).

Pure: the caller passes the unit's earlier stored submissions. Only ACCEPTED
submissions of EARLIER report days count as history: a correction for the same
day replaces the day's figure, so it is never compared with it.

- decreasing_figure: a cumulative metric below the unit's last counted value;
- above_population: a figure above the unit's population (when it is known);
- outlier_jump: the day's increase, per day elapsed since the last counted
  report, is compared with the unit's recent daily increases by a robust z-score
  (median and MAD) and flagged above `settings.validation.outlier_threshold`.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from datetime import date, timedelta
from itertools import pairwise

from mailbot import i18n
from mailbot.config import Metric, Settings, Unit
from mailbot.i18n import format_day
from mailbot.ledger import counted_by_period
from mailbot.models import ABOVE_POPULATION, DECREASING_FIGURE, OUTLIER_JUMP, Problem, Submission

HISTORY_CODES = (DECREASING_FIGURE, ABOVE_POPULATION, OUTLIER_JUMP)  # the problems these checks find
MAD_TO_SIGMA = 1.4826  # scales the MAD to a standard deviation for normal data
# The robust scale is never taken below this fraction of the typical increase: a
# perfectly regular history (MAD 0) must not turn a small wobble into an outlier.
MIN_SCALE_FRACTION = 0.25
MIN_SCALE = 1.0


def history_problems(
    settings: Settings,
    unit: Unit,
    period: date,
    figures: Mapping[str, int],
    previous: list[Submission],
) -> list[Problem]:
    """Review problems of `figures` given the unit's earlier submissions."""
    counted = counted_by_period(previous, unit.id, before=period)
    problems: list[Problem] = []
    for metric in settings.campaign.metrics:
        value = figures.get(metric.id)
        if value is None:
            continue
        problems.extend(_metric_problems(settings, unit, metric, period, value, counted))
    return problems


def _metric_problems(
    settings: Settings, unit: Unit, metric: Metric, period: date, value: int, counted: dict[date, Submission]
) -> list[Problem]:
    rules = settings.validation
    lang = settings.language
    found = []
    last = _last_value(counted, metric.id)
    if rules.decreasing_figure and metric.cumulative and last and value < last[1]:
        counts = {"figure": value, "previous": last[1]}
        found.append(_problem(DECREASING_FIGURE, metric, lang, counts, previous_day=format_day(last[0], lang)))
    if rules.above_population and unit.population is not None and value > unit.population:
        found.append(_problem(ABOVE_POPULATION, metric, lang, {"figure": value, "population": unit.population}))
    if rules.outlier_jump:
        jump = outlier(settings, metric, period, value, counted)
        if jump is not None:
            increase, typical = jump
            found.append(_problem(OUTLIER_JUMP, metric, lang, {"increase": increase, "typical": typical}))
    return found


def _problem(code: str, metric: Metric, lang: str, counts: dict[str, int], **words: str) -> Problem:
    """The problem about `metric`, its counts written as the language writes numbers."""
    shown = {name: i18n.format_count(count, lang) for name, count in counts.items()}
    return i18n.problem(code, lang, metric=metric.label, **shown, **words)


def _last_value(counted: dict[date, Submission], metric: str) -> tuple[date, int] | None:
    for period in sorted(counted, reverse=True):
        value = counted[period].figures.get(metric)
        if value is not None:
            return period, value
    return None


def daily_amounts(counted: dict[date, Submission], metric: Metric) -> list[tuple[date, float]]:
    """(day, amount per day) for each counted day after the first.

    A cumulative metric's amount is its increase since the previous counted day,
    divided by the days between them (so a weekend or a missed day does not look
    like a jump); another metric's amount is its value.
    """
    points = sorted((p, s.figures[metric.id]) for p, s in counted.items() if metric.id in s.figures)
    if not metric.cumulative:
        return [(p, float(v)) for p, v in points]
    return [
        (day, (value - before) / (day - before_day).days) for (before_day, before), (day, value) in pairwise(points)
    ]


def outlier(
    settings: Settings, metric: Metric, period: date, value: int, counted: dict[date, Submission]
) -> tuple[int, int] | None:
    """(increase, typical daily increase) when the day's amount is an outlier, else None."""
    rules = settings.validation
    last = _last_value(counted, metric.id)
    window_start = period - timedelta(days=rules.outlier_window_days)
    recent = [amount for day, amount in daily_amounts(counted, metric) if day >= window_start]
    if len(recent) < rules.outlier_min_history:
        return None
    if metric.cumulative:
        if last is None:
            return None
        increase = value - last[1]
        amount = increase / (period - last[0]).days
    else:
        increase, amount = value, float(value)
    typical = statistics.median(recent)
    if robust_z(amount, recent) <= rules.outlier_threshold:
        return None
    return increase, round(typical)


def robust_z(amount: float, recent: list[float]) -> float:
    """(amount - median) / scale, with scale = 1.4826 x MAD, floored (see MIN_SCALE_FRACTION)."""
    middle = statistics.median(recent)
    mad = statistics.median(abs(x - middle) for x in recent)
    scale = max(MAD_TO_SIGMA * mad, MIN_SCALE_FRACTION * abs(middle), MIN_SCALE)
    return (amount - middle) / scale
