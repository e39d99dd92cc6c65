"""Records turned into the finished strings the console's templates show."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from mailbot.app import DayStatus, FigureImage, ProvinceHistory, UnitHistory
from mailbot.config import Settings
from mailbot.i18n import format_count, format_day, format_percent, format_time, state_name, text, where_read
from mailbot.models import (
    LATE,
    MISSING,
    NEEDS_REVIEW,
    REJECTED,
    CellValue,
    QueuedMail,
    ReviewDecision,
    Source,
    Submission,
    Table,
    UnitDay,
)

CELL_RE = re.compile(r"^([A-Z]+)(\d+)$")


def when(moment: datetime | None, settings: Settings) -> str:
    return format_time(moment.astimezone(settings.campaign.tz) if moment else None, settings.language)


def figures(values: Mapping[str, int], settings: Settings) -> str:
    return ", ".join(format_count(v, settings.language) for v in values.values()) or "–"


def state(code: str, settings: Settings) -> str:
    return state_name(code, settings.language)


def source(found: Source | None) -> str:
    if found is None:
        return "–"
    parts = [found.file, found.sheet, found.cell, f"#{found.line}" if found.line else None]
    return " · ".join(p for p in parts if p) or "–"


BOARD_PAGE = 200  # units on one page of the board: a day of more is shown a page at a time
ATTENTION_FIRST = (NEEDS_REVIEW, MISSING, REJECTED, LATE)  # on a paged board, these first, in this order


def board(status: DayStatus, settings: Settings, page: int = 1) -> dict:
    """The board's strings. Up to BOARD_PAGE units, every one in table order; more, a page of
    them: those that need a person first (waiting for review, missing, rejected, late), each
    state in table order and each unit keeping its number, and a link to every page."""
    day = status.ledger
    counts = {state: sum(1 for u in day.units if u.state == state) for state in (LATE, MISSING, NEEDS_REVIEW)}
    numbered = list(enumerate(day.units, start=1))
    pages: list[dict] = []
    if len(numbered) > BOARD_PAGE:
        numbered.sort(key=lambda pair: _attention(pair[1].state))
        chunks = [numbered[start : start + BOARD_PAGE] for start in range(0, len(numbered), BOARD_PAGE)]
        page = min(max(page, 1), len(chunks))
        pages = [_page_link(n, chunk, n == page, settings) for n, chunk in enumerate(chunks, start=1)]
        numbered = chunks[page - 1]
    return {
        "page": page if pages else 1,
        "pages": pages,
        "page_size": format_count(BOARD_PAGE, settings.language),
        "expected_text": format_count(day.expected, settings.language),
        "day": format_day(day.day, settings.language),
        "iso": day.day.isoformat(),
        "reporting_day": day.reporting_day,
        "no_reporting_reason": day.no_reporting_reason or "",
        "deadline": when(day.deadline, settings),
        "as_of": when(day.as_of, settings),
        "units": [unit_row(n, u, settings) for n, u in numbered],
        "reported": day.reported,
        "expected": day.expected,
        "totals": figures(day.totals, settings) if day.reported else "–",
        "estimate": figures(day.estimate, settings) if day.estimate else "",
        "coverage": format_percent(day.coverage, settings.language) if day.reported else "–",
        "goal": format_percent(day.goal_percent, settings.language, digits=0) if day.goal_percent else "",
        "late": counts[LATE],
        "missing": counts[MISSING],
        "review": counts[NEEDS_REVIEW],
        "waiting_all": status.waiting,
        "held": len(status.held),
        "report_held": when(status.report_held_since, settings) if status.report_held_since else "",
        "heartbeat": when(status.heartbeat[1], settings) if status.heartbeat else "",
        "heartbeat_stale": status.heartbeat_stale,
    }


def _attention(state_code: str) -> int:
    return ATTENTION_FIRST.index(state_code) if state_code in ATTENTION_FIRST else len(ATTENTION_FIRST)


def _page_link(number: int, chunk: list[tuple[int, UnitDay]], current: bool, settings: Settings) -> dict:
    """A page of the board: its number and the states of the units it shows."""
    states = dict.fromkeys(u.state for _, u in chunk)
    return {"number": number, "current": current, "states": ", ".join(state(s, settings) for s in states)}


def unit_row(number: int, row: UnitDay, settings: Settings) -> dict:
    carried = row.last_counted
    return {
        "number": number,
        "id": row.unit,
        "name": row.name,
        "state": row.state,
        "state_text": state(row.state, settings),
        "figures": figures(row.figures, settings),
        "carried": (
            text(
                "web.carried",
                settings.language,
                figures=figures(carried.figures, settings),
                day=format_day(carried.day, settings.language),
            )
            if carried
            else ""
        ),
        "received": when(row.received_at, settings),
        "source": source(row.source),
        "submissions": row.submissions,
        "correction": row.correction,
        "problems": [p.message for p in row.problems],
    }


def submission_row(sub: Submission, settings: Settings, sources: Mapping[str, Source] | None = None) -> dict:
    unit = settings.unit(sub.unit) if sub.unit else None
    return {
        "id": sub.id,
        "unit": unit.name if unit else "–",
        "unit_id": sub.unit or "",
        "period": format_day(sub.period, settings.language) if sub.period else "–",
        "period_iso": sub.period.isoformat() if sub.period else "",
        "received": when(sub.received_at, settings),
        "sender": sub.sender or "–",
        "subject": sub.subject or "",
        "status": sub.status,
        "status_text": state(sub.status, settings),
        "read": figures(sub.read_figures, settings),
        "counted": figures(sub.figures, settings),
        "problems": [p.message for p in sub.problems],
        "decided_by": sub.decided_by or "",
        "note": sub.decision_note or "",
        "sources": [source(s) for s in (sources if sources is not None else sub.sources).values()],
    }


def figure_image(image: FigureImage, sub: Submission, settings: Settings) -> dict:
    """A picture a figure was read from (mailbot.message_view.FigureImage), beside the figures read."""
    lang = settings.language
    labels = {m.id: m.label for m in settings.campaign.metrics}
    read = [
        text(
            "web.image_read",
            lang,
            metric=labels.get(metric, metric),
            figure=format_count(sub.read_figures[metric], lang) if metric in sub.read_figures else "–",
            where=where_read(place, lang),
        )
        for metric, place in image.sources.items()
    ]
    base = f"/submission/{sub.id}"
    return {
        "name": image.name,
        "url": f"{base}/image/{image.number}" if image.media_type else "",
        "download": f"{base}/attachment/{image.number}",
        "read": read,
    }


def decision_row(decision: ReviewDecision, settings: Settings) -> dict:
    return {
        "action": text(f"review.action_{decision.action}", settings.language),
        "by": decision.by,
        "at": when(decision.at, settings),
        "unit": decision.unit or "",
        "figures": figures(decision.figures, settings) if decision.figures else "",
        "reason": decision.reason or "",
    }


def marked_cells(sources: Mapping[str, Source], file_name: str, sheet: str) -> set[tuple[int, int]]:
    """The (row, column) of each figure the sources place in this sheet of this file."""
    marked = set()
    for found in sources.values():
        if found.cell and found.sheet == sheet and (found.file is None or found.file == file_name):
            match = CELL_RE.match(found.cell.upper())
            if match:
                marked.add((int(match.group(2)) - 1, column_index(match.group(1))))
    return marked


def column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - ord("A") + 1
    return index - 1


def column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def sheet_grid(table: Table, marked: set[tuple[int, int]], rows: int, columns: int) -> dict:
    width = min(columns, max((len(r) for r in table.cells), default=0))
    return {
        "sheet": table.sheet,
        "columns": [column_name(c) for c in range(width)],
        "rows": [
            {
                "number": r + 1,
                "cells": [
                    {"value": _cell(row[c] if c < len(row) else None), "marked": (r, c) in marked} for c in range(width)
                ],
            }
            for r, row in enumerate(table.cells[:rows])
        ],
        "cut": len(table.cells) > rows,
    }


def _cell(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def history(found: UnitHistory | ProvinceHistory, settings: Settings) -> list[dict]:
    rows = []
    if isinstance(found, UnitHistory):
        peak = max((max(r.figures.values(), default=0) for _, r, _ in found.rows if r), default=0)
        for day, row, reason in found.rows:
            value = next(iter(row.figures.values()), None) if row else None
            rows.append(
                {
                    "day": format_day(day, settings.language),
                    "state": state(row.state, settings) if row else (reason or ""),
                    "state_code": row.state if row else "",
                    "figures": figures(row.figures, settings) if row else "",
                    "bar": round(100 * value / peak) if value and peak else 0,
                }
            )
        return rows
    peak = max((max(d.totals.values(), default=0) for d in found.days if d.reported), default=0)
    for one in found.days:
        value = next(iter(one.totals.values()), None) if one.reported else None
        rows.append(
            {
                "day": format_day(one.day, settings.language),
                "state": f"{one.reported}/{one.expected}" if one.reporting_day else (one.no_reporting_reason or ""),
                "state_code": "",
                "figures": figures(one.totals, settings) if one.reported else "",
                "bar": round(100 * value / peak) if value and peak else 0,
            }
        )
    return rows


def mail_row(mail: QueuedMail, settings: Settings) -> dict:
    """An outgoing mail as the outbox page lists it: its kind and state in words, never the queue's codes."""
    return {
        "id": mail.id,
        "kind": text(f"outbox.kind_{mail.kind}", settings.language),
        "recipients": ", ".join(mail.recipients),
        "state": text(f"outbox.state_{mail.state}", settings.language),
        "attempts": mail.attempts,
        "error": mail.last_error or "",
    }
