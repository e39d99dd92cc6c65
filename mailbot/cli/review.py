"""`mailbot review ...` and `mailbot history`: argument parsing and printing only."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mailbot import i18n
from mailbot.cli import campaign_given, opened, out, served, settings_from, views
from mailbot.cli.options import CampaignOption, ConfigOption, option
from mailbot.cli.tables import Column, columns_left_out, fitted
from mailbot.config import Settings
from mailbot.errors import UsageError
from mailbot.i18n import format_count, format_day, format_percent, format_time, section_texts, state_name, where_read
from mailbot.models import NEEDS_REVIEW, DayLedger, ReviewDecision, Submission, UnitDay

if TYPE_CHECKING:
    from mailbot import app as application
    from mailbot.app import App, Decider, ReviewOutcome

HistoryRow = tuple[date, UnitDay | None, str | None]  # a day of a unit's history: its row, or why there is none
CLI = "cli"  # where a decision typed at the terminal comes from, in the audit trail

review_app = typer.Typer(
    help="List the reports waiting for review, and accept, reject, assign or correct them.",
    invoke_without_command=True,
    no_args_is_help=False,
)
IdArgument = Annotated[
    int, typer.Argument(help="The submission's number, as `mailbot review list` shows it.", show_default=False)
]
ByOption = Annotated[str | None, option("--by", "Who decides (default: $MAILBOT_USER, else the system user).")]
ReasonOption = Annotated[str | None, option("--reason", "Why; recorded with the decision.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Overturn an earlier accept or reject decision.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table.")]


t = section_texts()


# --- review --------------------------------------------------------------------------------


@review_app.callback()
def review_main(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Without a subcommand: list what waits for review."""
    if ctx.invoked_subcommand is None:
        review_list(config=config, as_json=False)


@review_app.command("list")
def review_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List the submissions waiting for review, with the reasons and the figures read (every campaign's, unless one is named)."""
    from mailbot import app as application

    settings = settings_from(config)
    with opened(settings) as app_:
        waiting = application.waiting_in(served(app_, None))
    if as_json:
        for sub in waiting:
            out.print(json.dumps(app_.waiting_json(sub), ensure_ascii=False), markup=False, soft_wrap=True)
        return
    if not waiting:
        out.print(t(settings, "review.nothing_waiting"), markup=False)
        return
    out.print(_submissions_table(waiting, settings))
    out.print(t(settings, "review.how_to_decide"), markup=False)


@review_app.command("show")
def review_show(submission_id: IdArgument, config: ConfigOption = None) -> None:
    """Show one submission with its problems and the decisions taken on it."""
    settings = settings_from(config)
    with opened(settings) as app_:
        detail = app_.submission(submission_id)
        images = app_.figure_images(submission_id)
    decisions = detail.decisions
    sub = detail.submission
    out.print(_submissions_table([sub], settings))
    for metric, place in sub.sources.items():  # where each figure was read, to check it without the mail
        label = next((m.label for m in settings.campaign.metrics if m.id == metric), metric)
        out.print(t(settings, "review.read_at", metric=label, where=where_read(place, settings.language)), markup=False)
    page = f"http://{settings.web.host}:{settings.web.port}/submission/{submission_id}"
    for image in images:  # a figure read from a picture: which file, and where to look at it
        out.print(t(settings, "review.image_at", file=image.name, number=image.number, url=page), markup=False)
    if sub.decided_by and sub.status != NEEDS_REVIEW:
        out.print(_reasons_text(sub, settings), markup=False)
    if not decisions:
        out.print(t(settings, "review.no_decisions"), markup=False)
    for decision in decisions:
        out.print(_decision_line(decision, settings), markup=False)


def _accept_or_reject(action: str, summary: str) -> None:
    """`review accept` and `review reject`: the same arguments, a different decision."""

    def command(
        submission_id: IdArgument,
        config: ConfigOption = None,
        by: ByOption = None,
        reason: ReasonOption = None,
        force: ForceOption = False,
    ) -> None:
        _run_decision(config, lambda app_, decider: getattr(app_, action)(submission_id, decider), by, reason, force)

    command.__doc__ = summary
    command.__name__ = f"review_{action}"
    review_app.command(action)(command)


_accept_or_reject("accept", "Accept a submission: its figures count from now on.")
_accept_or_reject("reject", "Reject a submission, saying why (--reason is required).")


@review_app.command("assign")
def review_assign(
    submission_id: IdArgument,
    unit: Annotated[str, typer.Argument(help="The unit: its id (nam-sach), name or alias.", show_default=False)],
    config: ConfigOption = None,
    by: ByOption = None,
    reason: ReasonOption = None,
    force: ForceOption = False,
    accept: Annotated[bool, typer.Option("--accept", help="Accept it too: its figures count from now on.")] = False,
) -> None:
    """Say which unit sent a submission; it then still waits for `review accept`, unless --accept is given."""
    _run_decision(
        config, lambda app_, decider: app_.assign(submission_id, unit, decider, then_accept=accept), by, reason, force
    )


@review_app.command("correct")
def review_correct(
    submission_id: IdArgument,
    value: Annotated[
        str, typer.Argument(help="The right figure, a whole number (17356 or 17.356).", show_default=False)
    ],
    config: ConfigOption = None,
    by: ByOption = None,
    reason: ReasonOption = None,
    metric: Annotated[str | None, option("--metric", "Which metric (default: the first).")] = None,
    force: ForceOption = False,
) -> None:
    """Correct a figure (--reason is required): it counts from now on, the sender is told, the figure read is kept."""

    def decide(app_: App, decider: Decider) -> ReviewOutcome:
        from mailbot import app as application

        count = application.parse_count(value, app_.lang)
        return app_.correct_first(submission_id, count, decider, metric=metric)

    _run_decision(config, decide, by, reason, force)


def _run_decision(
    config: Path | None,
    decide: Callable[[App, Decider], ReviewOutcome],
    by: str | None,
    reason: str | None,
    force: bool,
) -> None:
    """Run the decision as the reviewer --by names (mailbot.app.reviewer), and print what it changed."""
    from mailbot import app as application
    from mailbot.app import Decider

    settings = settings_from(config)
    who = application.reviewer(by)
    with opened(settings) as app_:
        outcome = decide(app_, Decider(who, reason, force, CLI))
    sub = outcome.submission
    if outcome.decision is not None:
        key = f"review.done_{outcome.decision.action}"
        out.print(t(settings, key, id=sub.id, by=who, status=state_name(sub.status, settings.language)), markup=False)
        if sub.status == NEEDS_REVIEW:  # what follows: it counts only once someone accepts it
            out.print(t(settings, "review.still_waiting", id=sub.id), markup=False)
    else:
        out.print(
            t(settings, "review.unchanged", id=sub.id, status=state_name(sub.status, settings.language)), markup=False
        )
    out.print(_submissions_table([sub], settings))


def _submissions_table(subs: list[Submission], settings: Settings) -> Table:
    """The submissions; in a narrow terminal the status, the sender, the day and the figure
    counted are left out, the sender then said under the unit."""
    columns = [
        Column("id", t(settings, "review.col_id"), justify="right", no_wrap=True),
        Column("received", t(settings, "review.col_received"), no_wrap=True),
        Column("sender", t(settings, "review.col_sender"), drop=3),
        Column("unit", t(settings, "review.col_unit")),
        Column("period", t(settings, "review.col_period"), drop=2, no_wrap=True),
        Column("read", t(settings, "review.col_read"), justify="right"),
        Column("counted", t(settings, "review.col_counted"), drop=1, justify="right"),
        Column("status", t(settings, "review.col_status"), drop=4),  # a list of waiting reports says it above
        Column("reasons", t(settings, "review.col_reasons")),
    ]
    rows = []
    for sub in subs:
        unit = settings.unit(sub.unit) if sub.unit else None
        rows.append(
            {
                "id": str(sub.id),
                "received": format_time(views.local(sub.received_at, settings), settings.language),
                "sender": escape(sub.sender or "–"),
                "unit": escape(unit.name if unit else (sub.unit or t(settings, "review.unit_unknown"))),
                "period": format_day(sub.period, settings.language) if sub.period else "–",
                "read": views.figures_text(sub.read_figures, settings),
                "counted": views.figures_text(sub.figures, settings),
                "status": views.state_text(sub.status, settings),
                "reasons": escape(_reasons_text(sub, settings)),
            }
        )
    left_out = columns_left_out(out, columns, rows, show_lines=True)
    if "sender" in left_out:  # who sent it is still said, under the unit
        for row, sub in zip(rows, subs, strict=True):
            row["unit"] += "\n[dim]" + escape(sub.sender or "–") + "[/dim]"
    return fitted(out, [c for c in columns if c.key not in left_out], rows, show_lines=True)[0]


def _reasons_text(sub: Submission, settings: Settings) -> str:
    """What a person needs: for a decided submission its decision and reason, else its problems."""
    if sub.decided_by and sub.status != NEEDS_REVIEW:
        return t(
            settings,
            "review.decided",
            status=state_name(sub.status, settings.language),
            by=sub.decided_by,
            reason=sub.decision_note or "–",
        )
    lines = [p.message for p in sub.problems]
    if sub.decision_note:
        lines.append(f"[{sub.decision_note}]")
    return "\n".join(lines)


def _decision_line(decision: ReviewDecision, settings: Settings) -> str:
    lang = settings.language
    detail = decision.unit or (views.figures_text(decision.figures, settings) if decision.figures else "")
    return t(
        settings,
        "review.decision_line",
        action=t(settings, f"review.action_{decision.action}"),
        by=decision.by
        if decision.login in (None, decision.by)
        else t(settings, "review.by_login", by=decision.by, login=decision.login),
        at=format_time(views.local(decision.at, settings), lang),
        detail=detail or "–",
        reason=decision.reason or "–",
    )


# --- history -------------------------------------------------------------------------------


def history_command(
    unit: Annotated[
        str | None, option("--unit", "The unit's id, name or alias (default: the province totals).")
    ] = None,
    first: Annotated[
        str | None, option("--from", "First day, dd/mm/yyyy or YYYY-MM-DD (default: 30 days before --to).")
    ] = None,
    last: Annotated[str | None, option("--to", "Last day, dd/mm/yyyy or YYYY-MM-DD (default: today).")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    config: ConfigOption = None,
    campaign: CampaignOption = None,
) -> None:
    """A unit's (or the area's) daily series: state, figures, change, coverage.

    Where several campaigns are configured: a unit's series is that of its campaign; the
    area's is each campaign's in turn, unless --campaign names one (CSV needs it).
    """
    from mailbot import app as application

    settings = settings_from(config, campaign)
    lang = settings.language
    owner = None
    if unit is not None:
        owner, unit = (
            (settings, application.find_unit(settings, unit))
            if campaign_given(campaign)
            else application.find_unit_anywhere(settings, unit)
        )
    last_day = application.parse_date(last, lang, "--to") if last else None
    first_day = application.parse_date(first, lang, "--from") if first else None
    with opened(settings) as app_:
        apps = [app_.for_campaign(owner.campaign.id)] if owner is not None else served(app_, campaign)
        if as_csv and len(apps) > 1:
            known = ", ".join(c.campaign.id for c in settings.campaigns)
            raise i18n.error(UsageError, "history.csv_needs_campaign", lang, known=known)
        for each in apps:
            _print_history(each.history(unit, first_day, last_day), each.settings, as_csv, heading=len(apps) > 1)


def _print_history(
    found: application.UnitHistory | application.ProvinceHistory, settings: Settings, as_csv: bool, heading: bool
) -> None:
    from mailbot import app as application

    if heading:
        name = settings.campaign.name or settings.campaign.id
        out.print(t(settings, "history.campaign", name=name, id=settings.campaign.id), markup=False)
    if isinstance(found, application.UnitHistory):
        _print_unit_csv(found.rows, settings) if as_csv else out.print(_unit_table(found.rows, settings))
    else:
        days = found.days
        _print_province_csv(days, settings) if as_csv else out.print(_province_table(days, settings))


def _change_text(change: Mapping[str, int | None], settings: Settings) -> str:
    values = [v for v in change.values()]
    if not values or all(v is None for v in values):
        return "–"
    return ", ".join(
        "–" if v is None else ("+" if v >= 0 else "-") + format_count(abs(v), settings.language) for v in values
    )


def _unit_note(row: UnitDay | None, reason: str | None, settings: Settings) -> str:
    if row is None:
        return reason or ""
    if row.correction:
        return t(settings, "history.corrected_at", at=format_time(row.corrected_at, settings.language))
    return ""


def _unit_table(rows: list[HistoryRow], settings: Settings) -> Table:
    lang = settings.language
    columns = [
        Column("day", t(settings, "history.col_day"), no_wrap=True),
        Column("state", t(settings, "history.col_state")),
        Column("figures", t(settings, "history.col_figures"), justify="right"),
        Column("change", t(settings, "history.col_change"), drop=1, justify="right"),
        Column("coverage", t(settings, "history.col_coverage"), drop=2, justify="right"),
        Column("received", t(settings, "history.col_received"), drop=3, no_wrap=True),
        Column("note", t(settings, "history.col_note")),
    ]
    cells = []
    for day, row, reason in rows:
        if row is None:
            cells.append({"day": format_day(day, settings.language), "note": f"[dim]{reason}[/dim]"})
            continue
        cells.append(
            {
                "day": format_day(day, settings.language),
                "state": views.state_text(row.state, settings),
                "figures": views.figures_text(row.figures, settings),
                "change": _change_text(row.change, settings),
                "coverage": format_percent(row.coverage, lang),
                "received": format_time(row.received_at, lang),
                "note": _unit_note(row, reason, settings),
            }
        )
    return fitted(out, columns, cells)[0]


def _province_table(days: list[DayLedger], settings: Settings) -> Table:
    lang = settings.language
    columns = [
        Column("day", t(settings, "history.col_day"), no_wrap=True),
        Column("figures", t(settings, "history.col_figures"), justify="right"),
        Column("change", t(settings, "history.col_change"), drop=1, justify="right"),
        Column("reported", t(settings, "history.col_reported"), justify="right"),
        Column("coverage", t(settings, "history.col_coverage"), drop=2, justify="right"),
        Column("note", t(settings, "history.col_note")),
    ]
    cells = []
    for day in days:
        if not day.reporting_day:
            cells.append(
                {"day": format_day(day.day, settings.language), "note": f"[dim]{day.no_reporting_reason}[/dim]"}
            )
            continue
        style = "green" if day.reported == day.expected else "yellow"
        cells.append(
            {
                "day": format_day(day.day, settings.language),
                "figures": views.figures_text(day.totals, settings) if day.reported else "–",
                "change": _change_text(day.change, settings),
                "reported": f"[{style}]{day.reported}/{day.expected}[/{style}]",
                "coverage": format_percent(day.coverage if day.reported else None, lang),
            }
        )
    return fitted(out, columns, cells)[0]


def _print_unit_csv(rows: list[HistoryRow], settings: Settings) -> None:
    metrics = [m.id for m in settings.campaign.metrics]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(
        [
            "date",
            "unit",
            "state",
            *metrics,
            *(f"change_{m}" for m in metrics),
            "coverage_percent",
            "received_at",
            "correction",
            "submissions",
            "note",
        ]
    )
    for day, row, reason in rows:
        if row is None:
            writer.writerow([day.isoformat(), "", "", *([""] * (2 * len(metrics))), "", "", "", "", reason])
            continue
        writer.writerow(
            [
                day.isoformat(),
                row.unit,
                row.state,
                *(_cell(row.figures.get(m)) for m in metrics),
                *(_cell(row.change.get(m)) for m in metrics),
                _cell(row.coverage),
                row.received_at.isoformat() if row.received_at else "",
                int(row.correction),
                row.submissions,
                "",
            ]
        )


def _print_province_csv(days: list[DayLedger], settings: Settings) -> None:
    metrics = [m.id for m in settings.campaign.metrics]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(
        ["date", *metrics, *(f"change_{m}" for m in metrics), "reported", "expected", "coverage_percent", "note"]
    )
    for day in days:
        if not day.reporting_day:
            writer.writerow([day.day.isoformat(), *([""] * (2 * len(metrics) + 3)), day.no_reporting_reason])
            continue
        counted = day.reported > 0
        writer.writerow(
            [
                day.day.isoformat(),
                *(_cell(day.totals.get(m) if counted else None) for m in metrics),
                *(_cell(day.change.get(m)) for m in metrics),
                day.reported,
                day.expected,
                _cell(day.coverage if counted else None),
                "",
            ]
        )


def _cell(value: object) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if isinstance(value, float) else str(value)
