"""Tables read and searched for figures inside a worker process (mailbot.workers).

The parent gets back each sheet's findings and title texts, never its cells: a
sheet of a million cells costs the worker, within its limits, and not the service.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from mailbot.config import Limits, Metric
from mailbot.reading.table import SheetReading, read_sheet


def read_sheets(
    name: str, data: bytes, limits: Limits, metrics: tuple[Metric, ...], totals: tuple[str, ...], arrival: date | None
) -> list[SheetReading]:
    """Every sheet of the file, read in a worker; raises SpreadsheetError as mailbot.sheets.read_tables does."""
    from mailbot import workers
    from mailbot.sheets.limits import check_size

    check_size(data, limits)  # nothing over the size limit is even handed over
    args = (name, data, limits, metrics, totals, arrival)
    found: list[SheetReading] = workers.run("mailbot.reading.isolated:read_sheets_here", *args, limits=limits)
    return found


def read_sheets_here(
    name: str, data: bytes, limits: Limits, metrics: tuple[Metric, ...], totals: tuple[str, ...], arrival: date | None
) -> list[SheetReading]:
    """What a worker runs: the tables, the findings in each, and each table emptied of its cells."""
    from mailbot.sheets import read_tables_here

    readings = [read_sheet(table, metrics, totals, arrival) for table in read_tables_here(name, data, limits)]
    return [replace(r, table=replace(r.table, cells=(), fonts=None, merged=())) for r in readings]
