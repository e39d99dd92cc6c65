"""The one mapping between store rows and mailbot's records, both ways.

Each record type has its pair here: `*_values` gives the columns a record is
written as, `*_of` the record a row is read back as. Nothing else in the store
builds a record from a row or a row from a record.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from mailbot.models import (
    Action,
    InboundMessage,
    MailState,
    OutboundMail,
    Problem,
    QueuedMail,
    Reading,
    ReviewDecision,
    Source,
    SourceMark,
    Status,
    Submission,
)
from mailbot.store.records import AuditEntry, AuditRow, SessionRow, UserRow
from mailbot.store.schema import submissions

Row = sa.Row[Any]  # a row as SQLAlchemy returns it

Values = dict[str, Any]


def attributes(source: object, *names: str) -> Values:
    """The named attributes of a row or a record, as they are: where a column and a field share a name."""
    return {name: getattr(source, name) for name in names}


# -- messages ------------------------------------------------------------------


def message_values(message: InboundMessage, reading: Reading, digest: str, stored_at: datetime) -> Values:
    return dict(
        **attributes(message, "source", "received_at", "size", "headers_only", "raw"),
        **attributes(reading, "message_id", "sender", "subject"),
        sha256=digest,
        source_key=message.key,
        stored_at=stored_at,
    )


def message_key_values(message: InboundMessage, message_row: int) -> Values:
    return dict(source=message.source, source_key=message.key, message_row=message_row)


# -- mailbox marks -------------------------------------------------------------


def mark_values(mark: SourceMark) -> Values:
    return dict(uidvalidity=mark.uidvalidity, last_uid=mark.last_uid)


def mark_of(row: Row) -> SourceMark:
    return SourceMark(row.uidvalidity, row.last_uid)


# -- submissions ---------------------------------------------------------------


def problem_json(problem: Problem) -> dict:
    return {"code": problem.code, "message": problem.message, "where": problem.where}


def problem_of(stored: dict) -> Problem:
    return Problem(stored["code"], stored["message"], stored.get("where"))


def submission_values(message_row: int, reading: Reading, received_at: datetime) -> Values:
    return dict(
        **attributes(reading, "unit", "period", "sender", "subject", "message_id", "status"),
        message_row=message_row,
        received_at=received_at,
        read_unit=reading.unit,
        read_figures=dict(reading.figures),
        sources={metric: place.to_json() for metric, place in reading.sources.items()} or None,
        figures=dict(reading.figures),
        problems=[problem_json(p) for p in reading.problems],
        read_status=reading.status,
        campaign=reading.campaign,
    )


def json_text(column: sa.Column) -> sa.ColumnElement[str]:
    """A JSON column read as its stored text, the same on every database (PostgreSQL's driver would decode it
    itself), for `decoded`: a national day reads thousands, and text that repeats need not be decoded again."""
    return sa.cast(column, sa.Text)


def decoded(stored: str | None) -> Any:
    """What `json_text` read, decoded."""
    return None if stored is None else json.loads(stored)


JSON_READ_AS_TEXT = ("figures", "problems", "read_figures", "sources")  # submission_of decodes them itself
SUBMISSION_COLUMNS = tuple(
    json_text(submissions.c[name]).label(name) if name in JSON_READ_AS_TEXT else submissions.c[name]
    for name in (
        "id",
        "message_row",
        "unit",
        "period",
        "received_at",
        "sender",
        "status",
        "subject",
        "message_id",
        "decided_by",
        "decision_note",
        "figures",
        "problems",
        "read_figures",
        "sources",
        "campaign",
    )
)  # what submission_of reads, in its order


def submission_of(row: Row) -> Submission:
    """A row of SUBMISSION_COLUMNS, by position: a national day reads thousands (a name costs a lookup each).

    Its JSON columns are read as their text (`json_text`) and decoded here, and what repeats from one row to
    the next is made once: the figures read, while no one corrected them, are the same text as the figures that
    count and become the same mapping; the problems' text, most often "[]", becomes its tuple of (frozen)
    problems once; the unit, sender, status and campaign are interned strings.
    A poll keeps thousands of these read (batches.Known), and a national day's ledger reads them all.
    """
    values: tuple[Any, ...] = tuple(row)
    (id_, message_row, unit, period, received_at, sender, status, subject, message_id, decided_by, note) = values[:11]
    figures_json, problems_json, read_figures_json, sources_json, campaign = values[11:]
    figures = decoded(figures_json) or {}
    return Submission(
        id=id_,
        message_row=message_row,
        unit=_interned(unit),
        period=period,
        received_at=received_at,
        sender=_interned(sender),
        status=sys.intern(status),
        subject=subject,
        message_id=message_id,
        decided_by=decided_by,
        decision_note=note,
        figures=figures,
        problems=_problems(problems_json),
        read_figures=figures if read_figures_json == figures_json else decoded(read_figures_json) or {},
        sources=_sources(decoded(sources_json)),
        campaign=_interned(campaign) or None,
    )


HISTORY_COLUMNS = tuple(
    json_text(submissions.c[name]).label(name) if name in JSON_READ_AS_TEXT else submissions.c[name]
    for name in ("id", "message_row", "unit", "period", "received_at", "sender", "status", "figures", "campaign")
)  # what history_of reads, in its order


def history_of(row: Row) -> Submission:
    """A row of HISTORY_COLUMNS: a submission as the history checks and an answer's "replaces" line see it.

    Its problems, sources, subject and review note are left out (its read figures are the figures that
    count): a poll keeps thousands of these across its batches (batches.Known), a third of a whole one each.
    """
    id_, message_row, unit, period, received_at, sender, status, figures_json, campaign = tuple(row)
    figures = decoded(figures_json) or {}
    return Submission(
        id=id_,
        message_row=message_row,
        unit=_interned(unit),
        period=period,
        received_at=received_at,
        sender=_interned(sender),
        figures=figures,
        status=sys.intern(status),
        problems=(),
        read_figures=figures,
        campaign=_interned(campaign) or None,
    )


@lru_cache(maxsize=1024)
def _problems(stored: str | None) -> tuple[Problem, ...]:
    problems = decoded(stored)
    return tuple(problem_of(p) for p in problems) if problems else ()


def _sources(places: dict | None) -> dict[str, Source]:
    if not places:
        return {}
    return {sys.intern(metric): Source.from_json(place) for metric, place in places.items()}


def _interned(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


# -- review decisions ----------------------------------------------------------


def decision_values(decision: ReviewDecision, login: str | None) -> Values:
    return dict(
        submission_id=decision.submission_id,
        action=decision.action,
        decided_by=decision.by,
        decided_at=decision.at,
        reason=decision.reason,
        unit=decision.unit,
        figures=dict(decision.figures) if decision.figures is not None else None,
        os_login=login,
        campaign=decision.campaign,
    )


def decision_of(row: Row) -> ReviewDecision:
    return ReviewDecision(
        **attributes(row, "submission_id", "action", "reason", "unit", "figures"),
        by=row.decided_by,
        at=row.decided_at,
        login=row.os_login,
        campaign=row.campaign,
    )


def decision_changes(decision: ReviewDecision) -> Values:
    """What a decision changes in its submission's row."""
    changes: Values = {"decided_by": decision.by, "decision_note": decision.reason}
    if decision.action == Action.ACCEPT:
        changes["status"] = Status.ACCEPTED
    elif decision.action == Action.REJECT:
        changes["status"] = Status.REJECTED
    elif decision.action == Action.ASSIGN:
        changes["unit"] = decision.unit
        changes.update(moved_values(decision))
    elif decision.action == Action.CORRECT:  # a correction is a decision: the corrected figures count
        changes["figures"] = dict(decision.figures or {})
        changes["status"] = Status.ACCEPTED
    else:
        raise ValueError(f"unknown review action {decision.action!r}")
    if decision.problems is not None:
        changes["problems"] = [problem_json(p) for p in decision.problems]
    return changes


def moved_values(decision: ReviewDecision) -> Values:
    """An assignment into another campaign: the submission as that campaign read it."""
    if decision.campaign is None:
        return {}
    moved: Values = {"campaign": decision.campaign}
    reading = decision.reading
    if reading is not None:
        figures = dict(reading.figures)
        sources = {metric: place.to_json() for metric, place in reading.sources.items()} or None
        moved.update(period=reading.period, figures=figures, read_figures=figures, sources=sources)
    return moved


# -- the outbox ----------------------------------------------------------------


def mail_values(mail: OutboundMail, created_at: datetime, due: datetime) -> Values:
    return dict(
        key=mail.key,
        kind=mail.kind,
        recipients=list(mail.recipients),
        message_id=mail.message_id,
        raw=mail.raw,
        state=MailState.PENDING,
        attempts=0,
        next_attempt_at=due,
        created_at=created_at,
        campaign=mail.campaign,
    )


def queued_of(row: Row, state: str | None = None, attempts: int | None = None) -> QueuedMail:
    return QueuedMail(
        **attributes(row, "id", "key", "kind", "message_id", "last_error"),
        recipients=tuple(row.recipients),
        raw=bytes(row.raw),
        attempts=row.attempts if attempts is None else attempts,
        state=row.state if state is None else state,
    )


# -- the console's people ------------------------------------------------------


def user_of(row: Row) -> UserRow:
    return UserRow(row.id, row.name, row.role, row.password_hash, bool(row.disabled), row.created_at)


def session_of(row: Row) -> SessionRow:
    return SessionRow(user_of(row), row.csrf, row.expires_at)


def audit_values(entry: AuditEntry) -> Values:
    values = {name: getattr(entry, name) for name in ("at", "who", "address", "action", "target")}
    return values | {"detail": json.dumps(dict(entry.detail))}


def audit_of(row: Row) -> AuditRow:
    detail = json.loads(row.detail or "{}")
    return AuditRow(
        id=row.id, at=row.at, who=row.who, address=row.address, action=row.action, target=row.target, detail=detail
    )
