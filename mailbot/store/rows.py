"""Conversions between store rows and mailbot's records."""

from __future__ import annotations

import os
import socket

from mailbot.models import Action, Problem, QueuedMail, ReviewDecision, Source, Status, Submission


def holder_alive(holder: str) -> bool:
    """A lock holder on this host whose process is gone has released its lock."""
    host, _, rest = holder.partition(":")
    if host != socket.gethostname():
        return True
    pid = int(rest.partition(":")[0] or 0)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def problem_json(problem: Problem) -> dict:
    return {"code": problem.code, "message": problem.message, "where": problem.where}


def decision_changes(decision: ReviewDecision) -> dict:
    changes: dict = {"decided_by": decision.by, "decision_note": decision.reason}
    if decision.action == Action.ACCEPT:
        changes["status"] = Status.ACCEPTED
    elif decision.action == Action.REJECT:
        changes["status"] = Status.REJECTED
    elif decision.action == Action.ASSIGN:
        changes["unit"] = decision.unit
    elif decision.action == Action.CORRECT:  # a correction is a decision: the corrected figures count
        changes["figures"] = dict(decision.figures or {})
        changes["status"] = Status.ACCEPTED
    else:
        raise ValueError(f"unknown review action {decision.action!r}")
    if decision.problems is not None:
        changes["problems"] = [problem_json(p) for p in decision.problems]
    return changes


def submission_of(row) -> Submission:
    return Submission(
        id=row.id,
        message_row=row.message_row,
        unit=row.unit,
        period=row.period,
        received_at=row.received_at,
        sender=row.sender,
        figures=dict(row.figures),
        status=row.status,
        problems=tuple(Problem(p["code"], p["message"], p.get("where")) for p in row.problems),
        read_figures=dict(row.read_figures),
        sources={metric: Source.from_json(place) for metric, place in (row.sources or {}).items()},
        subject=row.subject,
        message_id=row.message_id,
        decided_by=row.decided_by,
        decision_note=row.decision_note,
    )


def queued_of(row, state: str | None = None, attempts: int | None = None) -> QueuedMail:
    return QueuedMail(
        id=row.id,
        key=row.key,
        kind=row.kind,
        recipients=tuple(row.recipients),
        message_id=row.message_id,
        raw=bytes(row.raw),
        attempts=row.attempts if attempts is None else attempts,
        state=row.state if state is None else state,
        last_error=row.last_error,
    )
