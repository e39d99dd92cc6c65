"""Any attachment read and searched for figures inside a worker process (mailbot.workers).

    read_documents(name, data, limits, metrics, totals, arrival) -> (sheet readings, texts)

The worker runs the reader of the file's format (mailbot/sheets/document.py): a
spreadsheet, a Word or PDF document, an archive, winmail.dat, a picture through
Tesseract. The parent gets back each table's findings and title texts (never its
cells) and the documents' text lines, to look for figures stated in words.
"""

from __future__ import annotations

from datetime import date

from mailbot.config import Limits, Metric
from mailbot.models import Table
from mailbot.reading.table import SheetReading, read_sheet
from mailbot.sheets.document import Text


def read_documents(
    name: str, data: bytes, limits: Limits, metrics: tuple[Metric, ...], totals: tuple[str, ...], arrival: date | None
) -> tuple[list[SheetReading], list[Text]]:
    """What the file holds, read in a worker; raises SpreadsheetError with the problem code."""
    from mailbot import workers
    from mailbot.sheets.limits import check_size

    check_size(data, limits)  # nothing over the size limit is even handed over
    args = (name, data, limits, metrics, totals, arrival)
    found: tuple[list[SheetReading], list[Text]] = workers.run(
        "mailbot.reading.documents:read_documents_here", *args, limits=limits
    )
    return found


def read_documents_here(
    name: str, data: bytes, limits: Limits, metrics: tuple[Metric, ...], totals: tuple[str, ...], arrival: date | None
) -> tuple[list[SheetReading], list[Text]]:
    """What a worker runs: the document, the findings in each table, each table emptied of its cells."""
    from mailbot.sheets.document import read_document

    document = read_document(name, data, limits)
    readings = [read_sheet(table, metrics, totals, arrival) for table in document.tables]
    return [SheetReading(emptied(r.table), r.metrics, r.titles) for r in readings], list(document.texts)


def emptied(table: Table) -> Table:
    """The table without its cells, fonts and merged ranges: what the parent needs of it (its names)."""
    return Table(table.file_name, table.sheet, (), None, (), table.from_image)
