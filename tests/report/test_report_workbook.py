"""The report's workbook, cell by cell, against a stored answer.

Every cell a person sees (its value, type, number format, font, fill, border,
alignment, quote prefix), the merged ranges, the widths and heights, the frozen
panes and the page setup, of a day with every state a unit can be in, written in
Vietnamese and in English. The answer in answers/report_workbook.json was written
from the workbook as the report made it before its writer was made faster: a
change that alters anything a person sees or computes fails here. A blank cell
with nothing to show (no border, no fill) is no part of what a person sees.

To write the answer anew after a change meant to be seen:
    .venv/bin/python tests/report/test_report_workbook.py > tests/report/answers/report_workbook.json
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook
from talking_days import DAY, demo_ledger, demo_submissions, demo_trend, local, shipped_settings, submission

from mailbot import i18n, report
from mailbot.models import AMBIGUOUS_NUMBER, NEEDS_REVIEW, REJECTED, Source

ANSWER = Path(__file__).parent / "answers" / "report_workbook.json"
FORMULA = '=HYPERLINK("http://evil.example/x","Bấm vào đây")'


def varied_day(settings):
    """The demo day with a correction, a report waiting for review with its newer figure, a rejected one,
    a unit without population; and the day's mails with sources, problems and a formula-like subject."""
    ledger = demo_ledger(settings)
    units = list(ledger.units)
    units[1] = replace(units[1], correction=True, corrected_at=local(settings, DAY, 17, 5))
    units[2] = replace(
        units[2], state=NEEDS_REVIEW, figures={}, coverage=None, rank=None, pending_figures={"installs": 4321}
    )
    units[3] = replace(units[3], state=REJECTED, figures={}, coverage=None, rank=None, change={})
    units[4] = replace(units[4], population=None, coverage=None)
    ledger = replace(ledger, units=tuple(units))
    problem = i18n.problem(AMBIGUOUS_NUMBER, settings.language, value=FORMULA, where_text="")
    odd = submission(
        settings,
        40,
        None,
        None,
        sender="-cmd@example.org",
        subject=FORMULA,
        status=NEEDS_REVIEW,
        problems=(problem,),
        at=local(settings, DAY, 11, 0),
    )
    subs = demo_submissions(settings)
    subs[0] = replace(subs[0], sources={"installs": Source(file="BC 14-8.xlsx", sheet="Báo cáo", cell="C24")})
    return ledger, [*subs, odd]


def workbook_of(lang: str) -> bytes:
    settings = replace(shipped_settings(), language=lang)
    ledger, subs = varied_day(settings)
    return report.render(settings, ledger, demo_trend(settings, ledger), subs).xlsx


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _cell(cell) -> dict | None:
    border = {side: getattr(cell.border, side) for side in ("left", "right", "top", "bottom")}
    lines = {side: [b.style, b.color.rgb if b.color is not None else None] for side, b in border.items() if b.style}
    fill = cell.fill.fgColor.rgb if cell.fill.fill_type else None
    if cell.value is None and not lines and not fill:
        return None  # nothing to see
    font, align = cell.font, cell.alignment
    return {
        "value": _plain(cell.value),
        "type": cell.data_type,
        "format": cell.number_format,
        "font": [bool(font.b), bool(font.i), font.sz],
        "fill": fill,
        "border": lines,
        "align": [align.horizontal, align.vertical, bool(align.wrap_text)],
        "quoted": bool(cell.quotePrefix),
    }


def workbook_cells(xlsx: bytes) -> list[dict]:
    """What a person sees and computes in each sheet of the workbook."""
    sheets = []
    for sheet in load_workbook(io.BytesIO(xlsx)).worksheets:
        cells = {}
        for row in sheet.iter_rows():
            for cell in row:
                seen = _cell(cell)
                if seen is not None:
                    cells[cell.coordinate] = seen
        setup = sheet.page_setup
        sheets.append(
            {
                "title": sheet.title,
                "cells": cells,
                "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
                "widths": {k: d.width for k, d in sorted(sheet.column_dimensions.items()) if d.customWidth},
                "heights": {str(k): d.height for k, d in sorted(sheet.row_dimensions.items()) if d.height},
                "frozen": sheet.freeze_panes,
                "print": [
                    setup.orientation,
                    setup.paperSize,
                    setup.fitToWidth,
                    setup.fitToHeight,
                    sheet.print_area,
                    sheet.print_title_rows,
                    sheet.oddFooter.center.text,
                ],
            }
        )
    return sheets


def answers() -> dict:
    return {lang: workbook_cells(workbook_of(lang)) for lang in ("vi", "en")}


def test_the_workbook_shows_and_computes_what_it_did_cell_by_cell():
    expected = json.loads(ANSWER.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(answers()))  # the same shapes as read from the file
    for lang in ("vi", "en"):
        for sheet_got, sheet_expected in zip(got[lang], expected[lang], strict=True):
            assert sheet_got["title"] == sheet_expected["title"]
            missing = sorted(set(sheet_expected["cells"]) - set(sheet_got["cells"]))
            extra = sorted(set(sheet_got["cells"]) - set(sheet_expected["cells"]))
            assert (missing, extra) == ([], []), f"{lang} {sheet_got['title']}: cells missing {missing}, extra {extra}"
            for where, cell in sheet_expected["cells"].items():
                assert sheet_got["cells"][where] == cell, f"{lang} {sheet_got['title']}!{where}"
            assert sheet_got == sheet_expected


def test_the_workbook_is_dated_by_its_figures_so_the_same_figures_give_the_same_bytes():
    settings = shipped_settings()
    ledger, subs = varied_day(settings)
    first = report.render(settings, ledger, demo_trend(settings, ledger), subs).xlsx
    book = load_workbook(io.BytesIO(first))
    assert book.properties.created == ledger.as_of.astimezone(UTC).replace(tzinfo=None)  # not the clock's time
    assert report.render(settings, ledger, demo_trend(settings, ledger), subs).xlsx == first


if __name__ == "__main__":
    sys.stdout.write(json.dumps(answers(), ensure_ascii=False, indent=1, sort_keys=True) + "\n")
