"""How the command shows things to ICT staff: rich tables in the configured language."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape

from mailbot.cli.tables import Column, fitted
from mailbot.config import Settings, redact_url, resolve_config_path
from mailbot.i18n import format_count, format_day, format_time, section_texts, state_name, text, where_read
from mailbot.models import DayLedger, MailState, OutboundMail, QueuedMail, Reading, State, Status, UnitDay

if TYPE_CHECKING:
    from mailbot.app import DayStatus, DeliveryResult, DemoOutcome, PollResult

TEXT_CELL = 40  # a cell of sentences (problems, sources) wraps at this width, however wide the terminal
STATUS_ROWS_DRAWN = 200  # a day of more units is written as a plain aligned table, not drawn
STATE_STYLES: dict[str, str] = {
    State.ON_TIME: "green",
    State.LATE: "yellow",
    State.MISSING: "red",
    State.NEEDS_REVIEW: "magenta",
    State.REJECTED: "red",
    Status.ACCEPTED: "green",
}


t = section_texts("cli")


def figures_text(figures: Mapping[str, int], settings: Settings) -> str:
    return ", ".join(format_count(v, settings.language) for v in figures.values()) or "–"


def state_text(state: str, settings: Settings) -> str:
    style = STATE_STYLES.get(state, "")
    return f"[{style}]{state_name(state, settings.language)}[/{style}]"


def local(moment: datetime | None, settings: Settings) -> datetime | None:
    return moment.astimezone(settings.campaign.tz) if moment else None


def clock_on(moment: datetime | None, day: date, settings: Settings) -> str:
    """ "08:30" for a time on `day` (the table's title says the day), the full time otherwise."""
    shown = local(moment, settings)
    if shown is None:
        return "–"
    return shown.strftime("%H:%M") if shown.date() == day else format_time(shown, settings.language)


def kind_text(kind: str, settings: Settings) -> str:
    """What an outgoing mail is, in words (never the queue's code)."""
    return text(f"outbox.kind_{kind}", settings.language)


def mail_state_text(state: str, settings: Settings) -> str:
    return text(f"outbox.state_{state}", settings.language)


# --- check-config ------------------------------------------------------------------


def config_summary(settings: Settings) -> str:
    """What check-config says: each campaign (its file, deadline, units), then the connections."""
    conn = settings.connections
    several_inboxes = len(settings.mailboxes) > 1
    lines = [line for campaign in settings.deployment for line in _campaign_summary(campaign, several_inboxes)]
    lines.append(
        t(
            settings,
            "config_connections",
            inbox=", ".join(_inbox_text(m, several_inboxes) for m in settings.mailboxes),
            smtp=redact_url(conn.smtp_url),
            db=redact_url(conn.db_url),
        )
    )
    return "\n".join(lines)


def _inbox_text(settings: Settings, named: bool) -> str:
    """A mailbox's address without its password; with its id where the deployment reads several."""
    address = redact_url(settings.connections.inbox_url)
    return f"{_mailbox_name(settings)} = {address}" if named else address


def _mailbox_name(settings: Settings) -> str:
    return settings.inbox.mailbox or t(settings, "config_default_mailbox")


def _campaign_summary(settings: Settings, several_inboxes: bool = False) -> list[str]:
    c = settings.campaign
    described = t(
        settings,
        "config_campaign",
        name=c.name,
        deadline=deadline_text(settings),
        tz=c.time_zone,
        units=len(settings.units),
        language=settings.language,
    )
    if several_inboxes:
        described = t(settings, "config_campaign_inbox", campaign=described, inbox=_mailbox_name(settings))
    return [
        t(settings, "config_ok", path=settings.config_path),
        f"[{c.id}] {described}" if settings.several else described,
    ]


def deadline_text(settings: Settings) -> str:
    """ "16:00:00" for a daily campaign (as before); "trước ngày 17/8/2020 (…)" for one report."""
    c = settings.campaign
    if not c.once or c.due_before is None or c.due_day is None:
        return c.deadline.isoformat()
    return text(
        "campaigns.deadline_once",
        settings.language,
        due_before=format_day(c.due_before, settings.language),
        due_day=format_day(c.due_day, settings.language),
    )


# --- poll and delivery -----------------------------------------------------------------


def print_stored(console: Console, result: PollResult, settings: Settings) -> None:
    """What a poll stored: the counts, the readings kept for the table (READINGS_SHOWN: those needing a look first),
    the rest counted by status."""
    console.print(
        t(
            settings,
            "poll_done",
            source=result.source,
            fetched=result.fetched,
            stored=result.stored,
            duplicates=result.duplicates,
        ),
        markup=False,
    )
    if result.readings:
        print_readings(console, result.readings, settings)
    total = sum(result.statuses.values())
    if total > len(result.readings):
        summary = ", ".join(
            f"{text(f'states.{status}', settings.language)}: {n}" for status, n in sorted(result.statuses.items())
        )
        console.print(t(settings, "poll_more", shown=len(result.readings), total=total, summary=summary), markup=False)


def print_delivery(console: Console, delivery: DeliveryResult | None, settings: Settings) -> None:
    if delivery is None:
        console.print(t(settings, "delivery_skipped"), markup=False)
        return
    console.print(
        t(settings, "delivery", sent=delivery.sent, retried=delivery.retried, held=delivery.held), markup=False
    )


def print_sent_report(
    console: Console, mail: OutboundMail, delivery: DeliveryResult | None, settings: Settings
) -> None:
    day = mail.key.split(":")[-2]  # report[:campaign]:day:version
    console.print(t(settings, "report_queued", day=day, recipients=", ".join(mail.recipients)), markup=False)
    print_delivery(console, delivery, settings)


def print_retry(console: Console, released: int, delivery: DeliveryResult | None, settings: Settings) -> None:
    console.print(t(settings, "released", count=released), markup=False)
    print_delivery(console, delivery, settings)


def print_outbox(console: Console, mails: list[QueuedMail], settings: Settings) -> None:
    if not mails:
        console.print(t(settings, "outbox_empty"), markup=False)
        return
    columns = [
        Column("id", t(settings, "col_id"), justify="right", no_wrap=True),
        Column("kind", t(settings, "col_kind")),
        Column("recipients", t(settings, "col_recipients")),
        Column("state", t(settings, "col_state")),
        Column("attempts", t(settings, "col_attempts"), drop=1, justify="right"),
        Column("error", t(settings, "col_error")),
    ]
    rows = [
        {
            "id": str(mail.id),
            "kind": kind_text(mail.kind, settings),
            "recipients": escape(", ".join(mail.recipients)),
            "state": mail_state_text(mail.state, settings),
            "attempts": str(mail.attempts),
            "error": escape(mail.last_error or ""),
        }
        for mail in mails
    ]
    console.print(fitted(console, columns, rows)[0])


# --- parse -------------------------------------------------------------------------------


def print_readings(console: Console, readings: list[Reading], settings: Settings) -> None:
    """What was read from each file; in a narrow terminal the sender and the day are left out."""
    columns = [
        Column("file", t(settings, "col_file")),
        Column("sender", t(settings, "col_sender"), drop=2),
        Column("unit", t(settings, "col_unit")),
        Column("period", t(settings, "col_period"), drop=1, no_wrap=True),
        Column("received", t(settings, "col_received")),
        Column("figures", t(settings, "col_figures")),
        Column("status", t(settings, "col_status")),
        Column("problems", t(settings, "col_problems")),
    ]
    rows = []
    for r in readings:
        unit = settings.unit(r.unit) if r.unit else None
        rows.append(
            {
                "file": escape(r.path or ""),
                "sender": escape(r.sender or "–"),
                "unit": escape(unit.name) if unit else "–",
                "period": format_day(r.period, settings.language) if r.period else "–",
                "received": _received_cell(r, settings),
                "figures": _figures_cell(r, settings),
                "status": state_text(r.status, settings),
                "problems": escape("\n".join(p.message for p in r.problems)),  # the message, never its code
            }
        )
    console.print(fitted(console, columns, rows, show_lines=True)[0])


def _figures_cell(reading: Reading, settings: Settings) -> str:
    """Each figure with where it was read, so a person can check it."""
    lines = []
    for metric, value in reading.figures.items():
        source = reading.sources.get(metric)
        shown = format_count(value, settings.language)
        lines.append(f"{shown} ({where_read(source, settings.language)})" if source else shown)
    return "\n".join(lines) or "–"


def _received_cell(reading: Reading, settings: Settings) -> str:
    if reading.received_at is None:
        return "–"
    when = format_time(local(reading.received_at, settings), settings.language)
    return f"{when} ({state_text(State.LATE if reading.late else State.ON_TIME, settings)})"


# --- status ------------------------------------------------------------------------------


def print_status(console: Console, extras: DayStatus, settings: Settings) -> None:
    lang = settings.language
    day_state = extras.ledger
    if not day_state.reporting_day:
        console.print(
            t(
                settings,
                "status_no_reporting",
                day=format_day(day_state.day, lang),
                reason=day_state.no_reporting_reason,
            ),
            markup=False,
        )
    else:
        console.print(
            t(
                settings,
                "status_title",
                day=format_day(day_state.day, lang),
                deadline=format_time(day_state.deadline, lang),
                as_of=format_time(local(day_state.as_of, settings), lang),
            ),
            markup=False,
        )
        if len(day_state.units) > STATUS_ROWS_DRAWN:
            _write_plain_table(console, _status_rows(day_state, settings, markup=False))
        else:
            print_status_table(console, day_state, settings)
        _print_totals(console, day_state, settings)
    _print_health(console, extras, settings)


def _print_totals(console: Console, day_state: DayLedger, settings: Settings) -> None:
    """The sum of the day's reports and, when a unit's figure is carried, the estimate with each carried unit."""
    lang = settings.language
    totals = ", ".join(format_count(v, lang) for v in day_state.totals.values())
    console.print(
        t(settings, "status_totals", totals=totals, reported=day_state.reported, expected=day_state.expected),
        markup=False,
    )
    carried = [(u.name, u.last_counted.day) for u in day_state.units if u.last_counted is not None]
    if carried and day_state.estimate:
        names = "; ".join(f"{name} ({format_day(day, lang)})" for name, day in carried)
        estimate = ", ".join(format_count(v, lang) for v in day_state.estimate.values())
        console.print(t(settings, "status_estimate", estimate=estimate, carried=names), markup=False)


def print_status_table(console: Console, day_state: DayLedger, settings: Settings) -> None:
    """Every unit's state; in a narrow terminal the source and the count of mails are left out
    and the problems are listed below the table, one line per unit."""
    columns = [
        Column("no", t(settings, "col_no"), justify="right", no_wrap=True),
        Column("unit", t(settings, "col_unit"), no_wrap=True),
        Column("figures", t(settings, "col_figures"), justify="right", max_width=TEXT_CELL // 2),
        Column("source", t(settings, "col_source"), drop=3, max_width=TEXT_CELL),
        Column("received", t(settings, "col_received"), no_wrap=True),
        Column("state", t(settings, "col_state")),
        Column("submissions", t(settings, "col_submissions"), drop=2, justify="right"),
        Column("problems", t(settings, "col_problems"), drop=1, max_width=TEXT_CELL),
    ]
    rows = [
        {
            "no": str(number),
            "unit": escape(unit.name),
            "figures": _unit_figures_cell(unit, settings),
            "source": escape(where_read(unit.source, settings.language)) if unit.source else "–",
            "received": clock_on(unit.received_at, day_state.day, settings),
            "state": state_text(unit.state, settings),
            "submissions": str(unit.submissions),
            "problems": escape("\n".join(p.message for p in unit.problems)),
        }
        for number, unit in enumerate(day_state.units, start=1)
    ]
    table, left_out = fitted(console, columns, rows)
    console.print(table)
    if "problems" in left_out:
        troubled = [u for u in day_state.units if u.problems]
        if troubled:
            console.print(t(settings, "problems_below"), markup=False)
        for unit in troubled:
            for problem in unit.problems:
                console.print(t(settings, "problem_line", unit=unit.name, message=problem.message), markup=False)
    if "source" in left_out:
        console.print(t(settings, "source_left_out"), style="dim", markup=False)


def _status_rows(day_state: DayLedger, settings: Settings, markup: bool) -> list[tuple[str, ...]]:
    """The heading and one row per unit; rich markup in the cells, or plain text for a plain table."""
    keys = ("col_no", "col_unit", "col_figures", "col_source", "col_received", "col_state", "col_submissions")
    quoted = escape if markup else str
    rows = [tuple(t(settings, key) for key in (*keys, "col_problems"))]
    for number, unit in enumerate(day_state.units, start=1):
        rows.append(
            (
                str(number),
                quoted(unit.name),
                _unit_figures_cell(unit, settings, markup),
                quoted(where_read(unit.source, settings.language)) if unit.source else "–",
                format_time(local(unit.received_at, settings), settings.language),
                state_text(unit.state, settings) if markup else text(f"states.{unit.state}", settings.language),
                str(unit.submissions),
                quoted(("\n" if markup else "; ").join(p.message for p in unit.problems)),
            )
        )
    return rows


def _write_plain_table(console: Console, rows: list[tuple[str, ...]]) -> None:
    """Rows in aligned columns, written as they are: drawing thousands of rows as a rich table takes seconds."""
    widths = [max(_cells(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell + " " * (width - _cells(cell)) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    console.file.write("\n".join(lines) + "\n")


def _cells(value: str) -> int:
    return len(value) if value.isascii() else cell_len(value)


def _unit_figures_cell(unit: UnitDay, settings: Settings, markup: bool = True) -> str:
    if unit.figures or unit.last_counted is None:
        return figures_text(unit.figures, settings)
    carried = figures_text(unit.last_counted.figures, settings)
    day = format_day(unit.last_counted.day, settings.language)
    cell = t(settings, "carried_cell", day=day, figures=carried)
    return "[dim]" + escape(cell) + "[/dim]" if markup else cell


def _print_health(console: Console, extras: DayStatus, settings: Settings) -> None:
    lang = settings.language
    if extras.heartbeat is None:
        console.print(t(settings, "heartbeat_none"), markup=False)
    else:
        source, at = extras.heartbeat
        shown = format_time(local(at, settings), lang)
        if extras.heartbeat_stale:
            console.print("[red]" + t(settings, "heartbeat_stale", at=shown) + "[/red]")
        else:
            console.print(t(settings, "heartbeat", at=shown, source=source), markup=False)
    if extras.outage is not None:
        since = format_time(local(extras.outage.since, settings), lang)
        line = text("health.outage", lang, source=extras.outage.source, since=since, error=extras.outage.error)
        console.print(text("health.warning", lang, what=line), style="red", markup=False)
    if extras.waiting:
        console.print("[magenta]" + t(settings, "waiting_review", count=extras.waiting) + "[/magenta]")
    if extras.report_held_since is not None:
        since = format_time(local(extras.report_held_since, settings), lang)
        console.print(t(settings, "report_held", at=since), style="magenta", markup=False)
    console.print(
        t(
            settings,
            "outbox_state",
            pending=extras.outbox.get(MailState.PENDING, 0),
            held=extras.outbox.get(MailState.HELD, 0),
        ),
        markup=False,
    )
    for mail in extras.held:
        console.print(
            t(
                settings,
                "held_line",
                id=mail.id,
                kind=kind_text(mail.kind, settings),
                recipients=", ".join(mail.recipients),
                error=mail.last_error,
            ),
            markup=False,
        )
    if extras.held:
        console.print(t(settings, "retry_hint"), markup=False)


# --- demo --------------------------------------------------------------------------------


def print_demo(console: Console, outcome: DemoOutcome, settings: Settings) -> None:
    lang = settings.language
    schedule = settings.schedule
    console.print(
        t(
            settings,
            "demo_title",
            day=format_day(outcome.ledger.day, lang),
            reminder=schedule.reminder_at.strftime("%H:%M"),
            report=schedule.report_at.strftime("%H:%M"),
            at=format_time(outcome.now, lang),
        ),
        markup=False,
    )
    print_status_table(console, outcome.ledger, settings)
    _print_totals(console, outcome.ledger, settings)
    console.print(t(settings, "demo_inbox", path=outcome.inbox, count=outcome.seeded), markup=False)
    console.print(t(settings, "demo_acks", count=len(outcome.acknowledgements), path=outcome.outbox), markup=False)
    for unit_name, path in outcome.error_replies:
        console.print(t(settings, "demo_error_reply", unit=unit_name, path=path), markup=False)
    for unit_name, at, path in outcome.reminders:
        console.print(t(settings, "demo_reminder", unit=unit_name, at=format_time(at, lang), path=path), markup=False)
    for sub in outcome.held:
        unit = settings.unit(sub.unit) if sub.unit else None
        name = unit.name if unit is not None else sub.sender
        problems = "; ".join(p.message for p in sub.problems)
        console.print(t(settings, "demo_held", unit=name, id=sub.id, problems=problems), markup=False)
    files = {p.suffix: p for p in outcome.report_files}
    console.print(
        t(settings, "demo_report", html=files.get(".html"), xlsx=files.get(".xlsx"), png=files.get(".png")),
        markup=False,
    )
    if outcome.report_mail:
        console.print(
            t(settings, "demo_report_mail", recipients=", ".join(settings.report_recipients), path=outcome.report_mail),
            markup=False,
        )
    console.print(t(settings, "demo_store", path=outcome.store), markup=False)
    _print_demo_commands(console, outcome, settings)


def _print_demo_commands(console: Console, outcome: DemoOutcome, settings: Settings) -> None:
    """The other commands read the configured store: say the one variable that points them at the demo's."""
    variable = f"MAILBOT_DB_URL={shlex.quote(f'sqlite:///{outcome.store}')}"
    chosen, default = settings.config_path, resolve_config_path(None, os.environ)
    config = f" --config {shlex.quote(str(chosen))}" if chosen and chosen.resolve() != default.resolve() else ""
    console.print(t(settings, "demo_commands", variable=variable), markup=False, soft_wrap=True)
    commands = [f"status --date {outcome.ledger.day.isoformat()}"] + [f"review show {s.id}" for s in outcome.held[:1]]
    for command in commands:
        console.print(f"  {variable} mailbot {command}{config}", markup=False, soft_wrap=True)
