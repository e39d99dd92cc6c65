"""The board of a national day: a page at a time, those needing a person first, every unit on some page."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from console_day import DAY, PASSWORD, at, settings_for
from starlette.testclient import TestClient

from mailbot.app import App
from mailbot.config import Unit
from mailbot.models import InboundMessage, Problem, Reading
from mailbot.store import Store
from mailbot.web import create_app
from mailbot.web.shown import BOARD_PAGE

UNITS = 520  # three pages of the board
MISSING = range(0, UNITS, 2)  # 260 units, more than a page
REVIEW = range(1, 40, 4)  # 10 units whose only mail waits for review
LATE = range(41, 80, 4)  # 10 units late
ROW = re.compile(r'<tr class="unit" data-unit="([^"]+)">\s*<td[^>]*>(\d+)\. ')
STATE = re.compile(r'<span class="state (\w+)">')


def unit_id(n: int) -> str:
    return f"xa-{n:04d}"


@pytest.fixture
def client(sqlite_url, tmp_path):
    shipped = settings_for(sqlite_url, tmp_path)
    units = tuple(Unit(unit_id(n), f"Xã số {n}", (f"xa{n}@tinh.gov.vn",), population=10_000 + n) for n in range(UNITS))
    settings = replace(shipped, units=units)
    store = Store.open(sqlite_url, settings.language)
    for n in range(UNITS):
        if n in MISSING:
            continue
        received = at(settings, 17 if n in LATE else 9)
        problems = (Problem("total_mismatch", "Tổng không khớp"),) if n in REVIEW else ()
        key = unit_id(n)
        message = InboundMessage(source="test", key=key, raw=key.encode(), received_at=received, size=len(key))
        reading = Reading(None, f"<{key}>", units[n].senders[0], received, DAY, None, key, {"installs": n}, problems)
        store.ingest(message, reading, [], None)
    app = App(settings, store, clock=lambda: at(settings, 18))
    app.accounts.add("lan", "viewer", PASSWORD, at(settings, 8), by="test")
    web = TestClient(create_app(app))
    token = re.search(r'name="csrf" value="([^"]+)"', web.get("/signin").text).group(1)
    web.post("/signin", data={"name": "lan", "password": PASSWORD, "csrf": token}, follow_redirects=False)
    yield web
    store.close()


def rows_of(page: str) -> list[tuple[str, int, str]]:
    """(unit id, its number in the table, its state) of each row, top to bottom."""
    rows = page.split('<tr class="unit"')[1:]
    found = []
    for row in rows:
        unit, number = ROW.search('<tr class="unit"' + row).groups()
        found.append((unit, int(number), STATE.search(row).group(1)))
    return found


def test_a_national_board_lists_every_unit_once_those_needing_a_person_first(client):
    pages = [rows_of(client.get(f"/?d={DAY.isoformat()}&p={p}").text) for p in (1, 2, 3)]
    assert [len(rows) for rows in pages] == [BOARD_PAGE, BOARD_PAGE, UNITS - 2 * BOARD_PAGE]
    every = [row for rows in pages for row in rows]
    assert sorted(unit for unit, _, _ in every) == [unit_id(n) for n in range(UNITS)]  # each exactly once
    states = [state for _, _, state in every]
    review, missing, late = len(REVIEW), len(MISSING), len(LATE)
    assert states == ["needs_review"] * review + ["missing"] * missing + ["late"] * late + ["on_time"] * (
        UNITS - review - missing - late
    )
    assert {unit for unit, _, state in every if state == "missing"} == {unit_id(n) for n in MISSING}
    for state in ("missing", "on_time"):  # within a state, table order, each unit keeping its number
        numbers = [number for _, number, s in every if s == state]
        assert numbers == sorted(numbers)
    assert all(number == int(unit[3:]) + 1 for unit, number, _ in every)


def test_the_first_page_is_the_default_and_links_to_every_page(client):
    first = client.get(f"/?d={DAY.isoformat()}").text
    assert rows_of(first) == rows_of(client.get(f"/?d={DAY.isoformat()}&p=1").text)
    assert "Trang 1/3: 520 đơn vị, mỗi trang 200" in first
    for page in (2, 3):
        assert f'href="/?d={DAY.isoformat()}&amp;p={page}"' in first
    assert "Trang 1 (Chờ kiểm tra, Chưa báo cáo)" in first
    assert "Trang 2 (Chưa báo cáo, Muộn, Đúng hạn)" in first and "Trang 3 (Đúng hạn)" in first
    refresh = re.search(r'hx-get="([^"]+)"', client.get(f"/?d={DAY.isoformat()}&p=2").text).group(1)
    assert refresh == f"/board?d={DAY.isoformat()}&amp;p=2"  # the refresh keeps the page
    assert rows_of(client.get(f"/?d={DAY.isoformat()}&p=99").text) == rows_of(
        client.get(f"/?d={DAY.isoformat()}&p=3").text
    )


def test_a_small_day_has_one_page(sqlite_url, tmp_path):
    settings = settings_for(sqlite_url, tmp_path)
    store = Store.open(sqlite_url, settings.language)
    try:
        app = App(settings, store, clock=lambda: at(settings, 18) + timedelta(0))
        app.accounts.add("lan", "viewer", PASSWORD, at(settings, 8), by="test")
        web = TestClient(create_app(app))
        token = re.search(r'name="csrf" value="([^"]+)"', web.get("/signin").text).group(1)
        web.post("/signin", data={"name": "lan", "password": PASSWORD, "csrf": token}, follow_redirects=False)
        page = web.get(f"/?d={DAY.isoformat()}").text
        assert 'class="pages"' not in page
        assert len(rows_of(page)) == len(settings.units)
    finally:
        store.close()
