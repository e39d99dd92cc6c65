"""The report's HTML and workbook made apart (as the console asks for them) read only the day's ledger,
not the trend's earlier days that only the chart shows, and say what the whole report says: each unit's
change and carried figure from before the day included."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from stored_reports import SOURCE, mail_of
from talking_days import APPENDIX, DAY, local, shipped_settings

from mailbot import service
from mailbot.i18n import format_count
from mailbot.store import Store

EARLIER_DAYS = 4
SILENT = list(APPENDIX)[-1]  # reported before the day, not on it: its earlier figure is carried


def report_of(settings, store, unit_id: str, figure: int, day, hour: int, minute: int) -> None:
    message, reading, acks = mail_of(settings, unit_id, figure, local(settings, day, hour, minute))
    store.ingest_many([(message, replace(reading, period=day), acks)], SOURCE, None)


@pytest.fixture
def history_store(tmp_path):
    """The shipped campaign: every unit reported on each of the days before DAY, all but SILENT on DAY."""
    settings = shipped_settings()
    store = Store.open(f"sqlite:///{tmp_path / 'mailbot.db'}")
    for back in range(EARLIER_DAYS, 0, -1):
        day = DAY - timedelta(days=back)
        for number, (unit_id, figure) in enumerate(APPENDIX.items()):
            report_of(settings, store, unit_id, figure - 90 * back + number, day, 9, number % 60)
    for number, (unit_id, figure) in enumerate(APPENDIX.items()):
        if unit_id != SILENT:
            report_of(settings, store, unit_id, figure, DAY, 10, number % 60)
    yield settings, store
    store.close()


def cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]


@pytest.fixture
def trend_reads(history_store, monkeypatch):
    """The days read for the trend (Store.counted_between's first and last), in order."""
    _, store = history_store
    reads = []
    original = store.counted_between

    def counted_between(first, last, *args, **kwargs):
        reads.append((first, last))
        return original(first, last, *args, **kwargs)

    monkeypatch.setattr(store, "counted_between", counted_between)
    return reads


def test_the_html_and_workbook_alone_say_what_the_whole_report_says(history_store):
    settings, store = history_store
    now = local(settings, DAY, 16, 30)
    whole = service.build_report(settings, store, DAY, now)
    carried = APPENDIX[SILENT] - 90 + len(APPENDIX) - 1  # SILENT's figure of the day before
    assert format_count(carried, settings.language) in whole.html  # the history is in what is compared
    assert service.report_html(settings, store, DAY, now) == whole.html
    assert cells(service.report_workbook(settings, store, DAY, now)) == cells(whole.xlsx)


def test_the_html_and_workbook_alone_read_none_of_the_trends_days(history_store, trend_reads):
    settings, store = history_store
    now = local(settings, DAY, 16, 30)
    service.report_html(settings, store, DAY, now)
    service.report_workbook(settings, store, DAY, now)
    assert trend_reads == []
    service.report_chart(settings, store, DAY, now)  # the chart shows the trend: it reads the days before
    assert trend_reads and trend_reads[0][1] == DAY - timedelta(days=1)
