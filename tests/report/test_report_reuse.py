"""A report built again from the same store: the chart of unchanged figures is not drawn twice,
one changed figure draws it anew; and the cycle collector waits until the report is built."""

from __future__ import annotations

import gc
import sys
from dataclasses import replace

import pytest
from stored_reports import SOURCE, ingest, mail_of
from talking_days import APPENDIX, DAY, local, shipped_settings

from mailbot import service
from mailbot.memory import collector_paused
from mailbot.store import Store

WIDE = 300


@pytest.fixture
def day_store(tmp_path):
    """The shipped campaign's day in a real SQLite store: every unit but the last reported."""
    settings = shipped_settings()
    store = Store.open(f"sqlite:///{tmp_path / 'mailbot.db'}")
    for number, (unit_id, figure) in enumerate(list(APPENDIX.items())[:-1]):
        ingest(store, settings, unit_id, figure, local(settings, DAY, 8, number))
    yield settings, store
    store.close()


@pytest.fixture
def wide_store(tmp_path):
    """A day of WIDE units (more than the chart has bars for) in a real SQLite store, all but one reported."""
    shipped = shipped_settings()
    model = shipped.units[0]
    units = tuple(
        replace(model, id=f"xa-{n}", name=f"Xã số {n}", senders=(f"xa{n}@example.gov.vn",), population=5000 + n)
        for n in range(WIDE)
    )
    settings = replace(shipped, units=units)
    store = Store.open(f"sqlite:///{tmp_path / 'wide.db'}")
    mails = [mail_of(settings, u.id, 100 + 7 * n, local(settings, DAY, 8, n % 60)) for n, u in enumerate(units[:-1])]
    store.ingest_many(mails, SOURCE, None)
    yield settings, store
    store.close()


def build(settings, store, hour: int = 16, minute: int = 30):
    return service.build_report(settings, store, DAY, local(settings, DAY, hour, minute))


def test_the_same_figures_reuse_the_drawn_chart(day_store):
    settings, store = day_store
    first, again = build(settings, store), build(settings, store)
    assert again.chart_png is first.chart_png  # the same picture, not drawn a second time
    assert again.html == first.html


def test_one_changed_figure_draws_the_chart_anew(day_store):
    settings, store = day_store
    before = build(settings, store, 16, 30)
    unit_id = next(iter(APPENDIX))
    ingest(store, settings, unit_id, APPENDIX[unit_id] + 5000, local(settings, DAY, 16, 40))  # a correction
    after = build(settings, store, 16, 50)
    assert after.chart_png != before.chart_png
    assert build(settings, store, 16, 30).chart_png is before.chart_png  # as it was at 16:30, before the correction


def test_another_language_draws_its_own_chart(day_store):
    settings, store = day_store
    vietnamese = build(settings, store)
    english = build(replace(settings, language="en"), store)
    assert english.chart_png != vietnamese.chart_png


STEPS = {"day_history", "build_day", "province_trend", "render"}  # what service.build_report and day_ledger do


def collections_during(action) -> list[tuple[str, int, str]]:
    """The cycle collections that ran inside one of STEPS while `action` ran."""
    during = []

    def seen(phase: str, info: dict) -> None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name in STEPS and "mailbot" in frame.f_code.co_filename:
                during.append((phase, info["generation"], frame.f_code.co_name))
            frame = frame.f_back

    gc.callbacks.append(seen)
    try:
        action()
    finally:
        gc.callbacks.remove(seen)
    return during


def test_no_cycle_collection_runs_while_a_report_is_built(wide_store):
    settings, store = wide_store
    build(settings, store)  # imports, templates and fonts loaded
    during = collections_during(lambda: build(settings, store, 16, 45))  # another moment: its chart is drawn
    assert during == [] and gc.isenabled()  # the collector runs again once the report is built


def test_no_cycle_collection_runs_while_the_days_ledger_is_built(wide_store):
    """The status, its JSON and the console's board all ask for the day's ledger."""
    settings, store = wide_store
    during = collections_during(lambda: service.day_ledger(settings, store, DAY, local(settings, DAY, 16, 30)))
    assert during == [] and gc.isenabled()


def test_the_collector_runs_again_after_the_last_pause_even_after_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
        raise RuntimeError("the report failed")
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_report_of_a_moment_counts_only_what_had_arrived(day_store):
    """Reuse never serves a later picture for an earlier moment (the key is what the chart shows)."""
    settings, store = day_store
    early = build(settings, store, 8, 5)
    late = build(settings, store, 16, 30)
    assert early.chart_png != late.chart_png and early.as_of < late.as_of
