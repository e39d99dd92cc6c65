"""A sent report, first or updated, builds the day's ledger once: its fingerprint is of the ledger
the report was built from, and the watch for updates compares the day's lines without building one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from stored_reports import SOURCE, ingest, mail_of
from talking_days import APPENDIX, DAY, local, shipped_settings

from mailbot import ledger, service
from mailbot.models import Problem
from mailbot.store import Store

MISSING = "thanh-mien"


@pytest.fixture
def day_store(tmp_path):
    """The shipped campaign's day in SQLite, every state on it: on time, late, corrected, rejected,
    waiting for review, missing; and the day before, so figures are carried and changed."""
    settings = shipped_settings()
    store = Store.open(f"sqlite:///{tmp_path / 'mailbot.db'}")
    units = [u for u in APPENDIX if u != MISSING]
    before = date.fromordinal(DAY.toordinal() - 1)
    for number, unit_id in enumerate(APPENDIX):
        at = local(settings, before, 9, number)
        mail = mail_of(settings, unit_id, APPENDIX[unit_id] - 100, at)
        store.ingest_many([(mail[0], replace(mail[1], period=before), [])], SOURCE, None)
    rejected, review, late, corrected = units[0], units[1], units[2], units[3]
    for number, unit_id in enumerate(units[4:]):
        ingest(store, settings, unit_id, APPENDIX[unit_id], local(settings, DAY, 8, number))
    ingest(store, settings, rejected, None, local(settings, DAY, 9, 0), [Problem("no_spreadsheet", "no file")])
    ingest(store, settings, review, 999999, local(settings, DAY, 9, 5), [Problem("decreasing_figure", "less")])
    ingest(store, settings, late, APPENDIX[late], local(settings, DAY, 16, 20))
    ingest(store, settings, corrected, APPENDIX[corrected], local(settings, DAY, 9, 10))
    ingest(store, settings, corrected, APPENDIX[corrected] + 7, local(settings, DAY, 16, 25))
    yield settings, store
    store.close()


@pytest.fixture
def ledgers_built(monkeypatch):
    """How many times the day's ledger is built (ledger.build_day, as the service calls it)."""
    calls = []
    build_day = ledger.build_day

    def counted(*args, **kwargs):
        calls.append(args[1])
        return build_day(*args, **kwargs)

    monkeypatch.setattr(ledger, "build_day", counted)
    return calls


def fingerprint_sent(settings, store) -> str | None:
    return store.get_state(settings.scoped(f"report:{DAY}:fingerprint"))


def test_the_day_has_every_state(day_store):
    settings, store = day_store
    states = {u.state for u in service.day_ledger(settings, store, DAY, local(settings, DAY, 16, 30)).units}
    assert states == {"on_time", "late", "rejected", "needs_review", "missing"}


def test_a_sent_report_builds_the_days_ledger_once(day_store, ledgers_built):
    settings, store = day_store
    service.send_report(settings, store, DAY, local(settings, DAY, 16, 30))
    assert ledgers_built == [DAY]


def test_the_fingerprint_sent_is_the_days_ledgers(day_store):
    settings, store = day_store
    now = local(settings, DAY, 16, 30)
    service.send_report(settings, store, DAY, now)
    expected = service.ledger_fingerprint(service.day_ledger(settings, store, DAY, now))
    assert fingerprint_sent(settings, store) == expected
    assert service.day_fingerprint(settings, store, DAY, now) == expected


def test_the_watch_for_updates_builds_no_ledger_while_nothing_changed(day_store, ledgers_built):
    settings, store = day_store
    service.send_report(settings, store, DAY, local(settings, DAY, 16, 30))
    ledgers_built.clear()
    assert service.send_updates(settings, store, local(settings, DAY, 16, 45)) == []
    assert ledgers_built == []


def test_an_update_builds_the_days_ledger_once_and_stores_its_fingerprint(day_store, ledgers_built):
    settings, store = day_store
    service.send_report(settings, store, DAY, local(settings, DAY, 16, 30))
    sent = fingerprint_sent(settings, store)
    ingest(store, settings, MISSING, APPENDIX[MISSING], local(settings, DAY, 17, 0))
    ledgers_built.clear()
    assert service.send_updates(settings, store, local(settings, DAY, 17, 5)) == [DAY]
    assert ledgers_built == [DAY]
    now = local(settings, DAY, 17, 5)
    assert fingerprint_sent(settings, store) != sent
    assert fingerprint_sent(settings, store) == service.ledger_fingerprint(
        service.day_ledger(settings, store, DAY, now)
    )
    assert store.get_state(settings.scoped(f"report:{DAY}:version")) == "2"
    assert service.send_updates(settings, store, local(settings, DAY, 17, 10)) == []  # sent once


@pytest.mark.parametrize("change", ["review_held", "rejected_again", "correction"])
def test_every_change_the_report_states_sends_an_update(day_store, change):
    """The day's lines alone tell each change: a unit's state, or its counted figures."""
    settings, store = day_store
    service.send_report(settings, store, DAY, local(settings, DAY, 16, 30))
    units = [u for u in APPENDIX if u != MISSING]
    at = local(settings, DAY, 17, 0)
    if change == "review_held":  # an accepted unit's newer mail waits for review: the counted figure stays
        ingest(store, settings, units[5], 5, at, [Problem("decreasing_figure", "less")])
        expected = []
    elif change == "rejected_again":  # a rejected unit sends another rejected mail: still rejected
        ingest(store, settings, units[0], None, at, [Problem("no_spreadsheet", "no file")])
        expected = []
    else:
        ingest(store, settings, units[5], APPENDIX[units[5]] + 1, at)
        expected = [DAY]
    now = local(settings, DAY, 17, 5)
    assert service.day_fingerprint(settings, store, DAY, now) == service.ledger_fingerprint(
        service.day_ledger(settings, store, DAY, now)
    )
    assert service.send_updates(settings, store, now) == expected
