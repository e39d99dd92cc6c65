"""The day's ledger: stored submissions + calendar -> DayLedger (docs/rules.md).

Pure: every function takes the settings, the day and the moment of the question
(`as_of`) as arguments. A submission received after `as_of` does not exist yet.

Rules, per unit and report day:
- the figures that count are those of the latest ACCEPTED submission for the day;
- timeliness is that of the FIRST submission for the day that was not rejected, so a
  correction sent after the deadline keeps an on-time report on time; the row is
  then marked `correction`;
- a unit whose only non-rejected submissions wait for review is `needs_review` and
  counts in no total;
- a unit that sent only rejected submissions is `rejected` (it is told why by its
  acknowledgement) and, like `missing`, is not counted as reported.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from mailbot import i18n
from mailbot.config import WEEKDAYS, Settings, Unit
from mailbot.models import (
    ACCEPTED,
    LATE,
    MISSING,
    NEEDS_REVIEW,
    ON_TIME,
    REJECTED,
    Counted,
    DayLedger,
    LastCounted,
    Submission,
    TrendPoint,
    UnitDay,
)

REPORTED_STATES = frozenset({ON_TIME, LATE})
RANK_BY_COVERAGE = "coverage"
RANK_BY_FIGURE = "figure"
RANK_COVERAGE_DIGITS = 2  # coverages equal as shown (16,73 %) share a rank


@dataclass(frozen=True)
class History:
    """Submissions indexed by (unit, period), each list ordered by arrival; and what counts for each unit and day.

    What counts may reach further back than the submissions: a view gives the days whose
    lines it builds as submissions, and the days it only sums or carries (the trend, the
    figures carried from before) as Counted, which the store reads without the rest of the row.
    """

    by_unit_period: Mapping[tuple[str, date], tuple[Submission, ...]]
    counted_at: Mapping[tuple[str, date], Counted]
    counted_days: Mapping[str, tuple[date, ...]]  # ascending: the days something counts for the unit

    @classmethod
    def of(
        cls, submissions: Iterable[Submission], as_of: datetime | None = None, counted: Iterable[Counted] = ()
    ) -> History:
        """`counted`: what counts on other days, as known at `as_of`, in arrival order (the last of a day stays)."""
        grouped: dict[tuple[str, date], list[Submission]] = defaultdict(list)
        for sub in submissions:
            if sub.unit is None or sub.period is None:
                continue
            if as_of is not None and sub.received_at > as_of:
                continue
            grouped[(sub.unit, sub.period)].append(sub)
        ordered = {key: tuple(sorted(subs, key=arrival_order)) for key, subs in grouped.items()}
        latest: dict[tuple[str, date], Counted] = {}
        for (unit_id, period), subs in ordered.items():
            found = latest_accepted(subs)
            if found is not None:
                latest[(unit_id, period)] = Counted(unit_id, period, found.figures)
        latest.update(((each.unit, each.period), each) for each in counted)
        days: dict[str, list[date]] = defaultdict(list)
        for unit_id, period in latest:
            days[unit_id].append(period)
        return cls(ordered, latest, {u: tuple(sorted(p)) for u, p in days.items()})

    def of_day(self, unit_id: str, day: date) -> tuple[Submission, ...]:
        return self.by_unit_period.get((unit_id, day), ())

    def counted(self, unit_id: str, day: date) -> Counted | None:
        return self.counted_at.get((unit_id, day))

    def previous_counted(self, unit_id: str, day: date) -> Counted | None:
        """What counts on the unit's latest earlier day with a counted submission."""
        days = self.counted_days.get(unit_id, ())
        before = bisect_left(days, day)
        return self.counted_at[(unit_id, days[before - 1])] if before else None


def arrival_order(sub: Submission) -> tuple[datetime, int]:
    return (sub.received_at, sub.id)


def latest_accepted(subs: Iterable[Submission]) -> Submission | None:
    accepted = [s for s in subs if s.status == ACCEPTED]
    return max(accepted, key=arrival_order) if accepted else None


def counted_by_period(
    submissions: Iterable[Submission], unit_id: str, before: date | None = None
) -> dict[date, Submission]:
    """For one unit: report day -> the accepted submission that counts for it (the day's last accepted one in
    arrival order, as `latest_accepted` chooses), days in ascending order."""
    accepted = [
        sub
        for sub in submissions
        if sub.unit == unit_id
        and sub.period is not None
        and sub.status == ACCEPTED
        and (before is None or sub.period < before)
    ]
    last_of_day: dict[date, Submission] = {}
    for sub in sorted(accepted, key=arrival_order):
        last_of_day[sub.period] = sub  # type: ignore[index]  # filtered above
    return dict(sorted(last_of_day.items()))


# --- the day -------------------------------------------------------------------------


def build_day(
    settings: Settings, day: date, submissions: Iterable[Submission], as_of: datetime, history: History | None = None
) -> DayLedger:
    """The ledger of `day` as known at `as_of`; `submissions` include earlier days (`history`: them, indexed)."""
    campaign = settings.campaign
    as_of = _aware(as_of, settings)
    deadline = campaign.deadline_of(day)
    if not campaign.is_reporting_day(day):
        return DayLedger(
            day=day,
            deadline=deadline,
            as_of=as_of,
            reporting_day=False,
            units=(),
            totals={},
            reported=0,
            expected=0,
            population=campaign.population,
            goal_percent=goal_of(settings),
            no_reporting_reason=no_reporting_reason(settings, day),
        )
    history = history or History.of(submissions, as_of)
    fields = [unit_fields(settings, unit, day, history, deadline) for unit in settings.units_on(day)]
    first_metric = campaign.metrics[0].id
    rank_by = ranked(fields, first_metric)
    shares = bool(campaign.shares)  # each line made once, its rank and shares with it
    rows = [UnitDay(**f, derived=shares_of(settings, f["figures"])) if shares else UnitDay(**f) for f in fields]
    totals = _totals(settings, rows)
    estimate = _estimate(settings, rows, totals)
    return DayLedger(
        day=day,
        deadline=deadline,
        as_of=as_of,
        reporting_day=True,
        units=tuple(rows),
        totals=totals,
        reported=sum(1 for r in rows if r.state in REPORTED_STATES),
        expected=len(rows),
        population=campaign.population,
        coverage=coverage_of(settings, totals, campaign.population)
        if campaign.share
        else percent(estimate.get(first_metric, totals.get(first_metric)), campaign.population),
        goal_percent=goal_of(settings),
        derived=shares_of(settings, totals),
        rank_by=rank_by,
        change=_total_change(settings, rows),
        estimate=estimate,
    )


def day_states(
    settings: Settings, day: date, submissions: Iterable[Submission], as_of: datetime
) -> list[tuple[str, str, Mapping[str, int]]]:
    """(unit, state, counted figures) of each line of build_day's ledger, from the day's submissions alone
    (a line's state and figures depend on nothing before the day)."""
    if not settings.campaign.is_reporting_day(day):
        return []
    history = History.of(submissions, _aware(as_of, settings))
    deadline = settings.campaign.deadline_of(day)
    lines = [unit_fields(settings, unit, day, history, deadline) for unit in settings.units_on(day)]
    return [(line["unit"], line["state"], line["figures"]) for line in lines]


class _UnitFields(TypedDict):
    """The fields of a UnitDay that every state shares."""

    unit: str
    name: str
    submissions: int
    population: int | None


def unit_day(settings: Settings, unit: Unit, day: date, history: History) -> UnitDay:
    """One unit's line: which submission counts, and how the unit stands."""
    return UnitDay(**unit_fields(settings, unit, day, history))


def unit_fields(
    settings: Settings, unit: Unit, day: date, history: History, deadline: datetime | None = None
) -> dict[str, Any]:
    """The fields of the unit's line (a day's ledger adds the rank before making each line once)."""
    subs = history.of_day(unit.id, day)
    base = _UnitFields(unit=unit.id, name=unit.name, submissions=len(subs), population=unit.population)
    standing = [s for s in subs if s.status != REJECTED]
    if not subs:
        return dict(
            state=MISSING, figures={}, received_at=None, problems=(), last_counted=carried(history, unit, day), **base
        )
    if not standing:
        last = subs[-1]
        return dict(
            state=REJECTED,
            figures={},
            received_at=_local(last.received_at, settings),
            problems=last.problems,
            last_counted=carried(history, unit, day),
            **base,
        )
    first = standing[0]
    counted = latest_accepted(subs)
    newer = [s for s in standing if counted is None or arrival_order(s) > arrival_order(counted)]
    pending = [s for s in newer if s.status == NEEDS_REVIEW]
    pending_figures = dict(pending[-1].figures) if pending else {}
    if counted is None:
        return dict(
            state=NEEDS_REVIEW,
            figures={},
            received_at=_local(first.received_at, settings),
            problems=pending[-1].problems,
            pending_figures=pending_figures,
            last_counted=carried(history, unit, day),
            **base,
        )
    state = ON_TIME if first.received_at <= (deadline or settings.campaign.deadline_of(day)) else LATE
    correction = counted.id != first.id
    figures = dict(counted.figures)
    return dict(
        state=state,
        figures=figures,
        received_at=_local(first.received_at, settings),
        problems=counted.problems,
        change=_change(settings, figures, history.previous_counted(unit.id, day)),
        coverage=coverage_of(settings, figures, unit.population),
        correction=correction,
        counted_submission=counted.id,
        corrected_at=_local(counted.received_at, settings) if correction else None,
        pending_figures=pending_figures,
        sources={m.id: counted.sources[m.id] for m in settings.campaign.metrics if m.id in counted.sources},
        **base,
    )


def carried(history: History, unit: Unit, day: date) -> LastCounted | None:
    """The unit's latest counted figures before `day`, carried when nothing counts on `day`."""
    previous = history.previous_counted(unit.id, day)
    if previous is None:
        return None
    return LastCounted(day=previous.period, figures=dict(previous.figures))


def _estimate(settings: Settings, rows: list[UnitDay], totals: Mapping[str, int]) -> dict[str, int]:
    """Cumulative metrics: the day's counted figures plus each uncounted unit's last counted ones."""
    estimate = {}
    for metric in settings.campaign.metrics:
        if not metric.cumulative:
            continue
        carried_sum = sum(r.last_counted.figures.get(metric.id, 0) for r in rows if r.last_counted is not None)
        estimate[metric.id] = totals.get(metric.id, 0) + carried_sum
    return estimate


def _change(settings: Settings, figures: Mapping[str, int], previous: Counted | None) -> dict[str, int | None]:
    change: dict[str, int | None] = {}
    for metric in settings.campaign.metrics:
        now_value = figures.get(metric.id)
        before = previous.figures.get(metric.id) if previous else None
        change[metric.id] = None if now_value is None or before is None else now_value - before
    return change


def _totals(settings: Settings, rows: list[UnitDay]) -> dict[str, int]:
    counted = [r for r in rows if r.state in REPORTED_STATES]
    return {m.id: sum(r.figures.get(m.id, 0) for r in counted) for m in settings.campaign.metrics}


def _total_change(settings: Settings, rows: list[UnitDay]) -> dict[str, int | None]:
    """Sum of the units' day-over-day changes, over the units whose change is known."""
    result: dict[str, int | None] = {}
    for metric in settings.campaign.metrics:
        known = [change for r in rows if (change := r.change.get(metric.id)) is not None]
        result[metric.id] = sum(known) if known else None
    return result


def ranked(lines: list[dict[str, Any]], metric: str) -> str | None:
    """Rank the reported units' lines (unit_fields, given their rank here): by coverage when every
    one has a population, else by figure; which of the two, or None when no unit reported.

    Both look at the campaign's first metric. Ties share a rank (1, 2, 2, 4);
    coverages tie when they are equal to the hundredth of a per cent shown.
    Units not counted today get no rank.
    """
    reported = [line for line in lines if line["state"] in REPORTED_STATES]
    if not reported:
        return None
    by_coverage = all(line["coverage"] is not None for line in reported)

    def score(line: dict[str, Any]) -> float:
        if by_coverage and line["coverage"] is not None:  # every reported line has one
            return round(line["coverage"], RANK_COVERAGE_DIGITS)
        return line["figures"].get(metric, 0)

    scores = [score(line) for line in reported]
    rank_of: dict[float, int] = {}
    for position, value in enumerate(sorted(scores, reverse=True), start=1):
        rank_of.setdefault(value, position)
    for line, value in zip(reported, scores, strict=True):
        line["rank"] = rank_of[value]
    return RANK_BY_COVERAGE if by_coverage else RANK_BY_FIGURE


def coverage_of(settings: Settings, figures: Mapping[str, int], population: int | None) -> float | None:
    """The campaign's first share of the figures when it has one, else the first metric per population."""
    share = settings.campaign.share
    if share is not None:
        return share.of(figures)
    return percent(figures.get(settings.campaign.metrics[0].id), population)


def shares_of(settings: Settings, figures: Mapping[str, int]) -> dict[str, float | None]:
    """Each derived share of the figures (empty for a campaign without shares)."""
    return {share.id: share.of(figures) for share in settings.campaign.shares}


def goal_of(settings: Settings) -> float | None:
    """The goal the coverage is measured against: the first share's, else the campaign's."""
    share = settings.campaign.share
    if share is not None and share.goal_percent is not None:
        return share.goal_percent
    return settings.campaign.goal_percent


def percent(value: int | None, population: int | None) -> float | None:
    if value is None or not population:
        return None
    return value * 100.0 / population


# --- the calendar -------------------------------------------------------------------


def no_reporting_reason(settings: Settings, day: date) -> str | None:
    """Why `day` has no reporting, in the configured language; None if it has."""
    campaign = settings.campaign
    lang = settings.language
    shown = i18n.format_day(day, lang)
    if campaign.start and day < campaign.start:
        return i18n.text("ledger.before_start", lang, day=shown, start=i18n.format_day(campaign.start, lang))
    if campaign.end and day > campaign.end:
        return i18n.text("ledger.after_end", lang, day=shown, end=i18n.format_day(campaign.end, lang))
    if day in campaign.holidays:
        return i18n.text("ledger.holiday", lang, day=shown)
    weekday = WEEKDAYS[day.weekday()]
    if weekday not in campaign.reporting_days:
        name = i18n.text(f"ledger.weekday_{weekday}", lang)
        return i18n.text("ledger.not_reporting_weekday", lang, day=shown, weekday=name)
    return None


# --- series -------------------------------------------------------------------------


def series(
    settings: Settings,
    unit: str | None,
    first: date,
    last: date,
    submissions: Iterable[Submission],
    as_of: datetime | None = None,
) -> list[tuple[date, dict | None]]:
    """Each day from `first` to `last` with the counted figures (metric -> value).

    `unit` None gives the province totals. A day gets None when it has no
    reporting, or when nothing counts for it (the unit did not report, or, for
    the province, no unit did).
    """
    if unit is not None and settings.unit(unit) is None:
        raise ValueError(f"unknown unit {unit!r}")
    history = History.of(submissions, _aware(as_of, settings) if as_of else None)
    points = []
    for day in days_between(first, last):
        points.append((day, _point(settings, unit, day, history)))
    return points


def _point(settings: Settings, unit: str | None, day: date, history: History) -> dict | None:
    if not settings.campaign.is_reporting_day(day):
        return None
    if unit is not None:
        counted = history.counted(unit, day)
        return dict(counted.figures) if counted else None
    # A unit is on time or late exactly when an accepted submission counts for it (unit_day),
    # so the province's point is the sum of those, without building every unit's line.
    all_counted = [c for c in (history.counted(u.id, day) for u in settings.units_on(day)) if c is not None]
    if not all_counted:
        return None
    return {m.id: sum(c.figures.get(m.id, 0) for c in all_counted) for m in settings.campaign.metrics}


def province_trend(
    settings: Settings,
    first: date,
    last: date,
    submissions: Iterable[Submission],
    as_of: datetime | None = None,
    history: History | None = None,
) -> list[TrendPoint]:
    """Each day's province estimate: a missing unit's figure is carried, never counted as 0."""
    history = history or History.of(submissions, _aware(as_of, settings) if as_of else None)
    points = []
    for day in days_between(first, last):
        if not settings.campaign.is_reporting_day(day):
            points.append(TrendPoint(day, None))
            continue
        points.append(_trend_point(settings, day, history))
    return points


def _trend_point(settings: Settings, day: date, history: History) -> TrendPoint:
    figures: dict[str, int] = {m.id: 0 for m in settings.campaign.metrics}
    cumulative = {m.id for m in settings.campaign.metrics if m.cumulative}
    carried, counted_any = [], False
    for unit in settings.units_on(day):
        counted = history.counted(unit.id, day)
        if counted is not None:
            counted_any = True
            for metric, value in counted.figures.items():
                if metric in figures:
                    figures[metric] += value
            continue
        previous = history.previous_counted(unit.id, day)
        if previous is None or not cumulative:
            continue
        carried.append(unit.id)
        for metric in cumulative:
            figures[metric] += previous.figures.get(metric, 0)
    if not counted_any:
        return TrendPoint(day, None)
    return TrendPoint(day, figures, tuple(carried))


def unit_history(
    settings: Settings, unit: str, first: date, last: date, submissions: Iterable[Submission], as_of: datetime
) -> list[tuple[date, UnitDay | None, str | None]]:
    """A unit's line for each day: (day, its UnitDay or None, why there is none)."""
    known = settings.unit(unit)
    if known is None:
        raise ValueError(f"unknown unit {unit!r}")
    history = History.of(submissions, _aware(as_of, settings))
    rows = []
    for day in days_between(first, last):
        reason = no_reporting_reason(settings, day)
        if reason is None and not known.active_on(day):
            reason = i18n.text("ledger.unit_inactive", settings.language, day=i18n.format_day(day, settings.language))
        rows.append((day, None if reason else unit_day(settings, known, day, history), reason))
    return rows


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# --- small helpers --------------------------------------------------------------------


def _aware(moment: datetime, settings: Settings) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.campaign.tz)


def _local(moment: datetime | None, settings: Settings) -> datetime | None:
    return moment.astimezone(settings.campaign.tz) if moment else None
