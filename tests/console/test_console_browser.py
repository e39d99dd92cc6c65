"""The console in a real browser (Debian's Chromium through Playwright), on a 390-pixel phone screen."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from console_day import (
    DOUBTFUL_UNIT,
    HOSTILE_SHEET,
    HOSTILE_SUBJECT,
    PASSWORD,
    ROWS_SUM,
    SILENT_UNIT,
    STATED_TOTAL,
    Console,
    at,
    save_screenshot,
    seed_day,
    settings_for,
)
from playwright.sync_api import expect

from mailbot.app import App, Decider
from mailbot.i18n import format_count
from mailbot.store import Store

DOCS = Path(__file__).resolve().parents[2] / "docs"
CARRIED = 9_876  # Thanh Miện's figure of 13/8, carried into the estimate of 14/8 while it has none
PHONED = 12_500  # the figure Thanh Miện telephones on 14/8


@pytest.fixture
def db_url(request):
    """SQLite, or the store named by the test's `db_url` parameter."""
    kind = getattr(request, "param", "sqlite")
    return request.getfixturevalue("sqlite_url" if kind == "sqlite" else "postgres_url")


@pytest.fixture
def day_app(db_url, tmp_path):
    """The reporting day of console_day in a real store, seen at 16:30 on the day."""
    settings = settings_for(db_url, tmp_path)
    store = Store.open(db_url, settings.language)
    figures = seed_day(settings, store)
    app = App(settings, store, clock=lambda: at(settings, 16, 30))
    app.accounts.add("lan", "reviewer", PASSWORD, at(settings, 8), by="test")
    app.accounts.add("xem", "viewer", PASSWORD, at(settings, 8), by="test")
    app.record(SILENT_UNIT, str(CARRIED), "test", day=date(2020, 8, 13), at="15:00")
    app.figures = figures
    yield app
    store.close()


@pytest.fixture
def console(day_app):
    with Console(day_app) as served:
        yield served


def sign_in(page, console, name="lan", password=PASSWORD, then="/"):
    page.goto(f"{console.url}{then}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form[action='/signin'] button[type=submit]")


def unit_row(page, unit_id):
    return page.locator(f"tr.unit[data-unit='{unit_id}']")


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_the_whole_flow_changes_the_board_and_the_estimate(console, day_app, phone):
    """Sign in, see the board, open the doubtful report, correct it, record a phone report:
    the board and the province's estimate change with each step."""
    lang = day_app.lang
    sign_in(phone, console)
    counted = sum(v for k, v in day_app.figures.items() if k != DOUBTFUL_UNIT)
    assert phone.locator("h1").inner_text() == "Tình hình báo cáo ngày 14/8/2020"
    assert phone.locator(".totals").inner_text() == format_count(counted, lang)
    assert phone.locator(".estimate").inner_text() == format_count(counted + CARRIED, lang)  # Thanh Miện's 13/8
    assert unit_row(phone, DOUBTFUL_UNIT).locator(".state").inner_text() == "Chờ kiểm tra"
    assert unit_row(phone, SILENT_UNIT).locator(".state").inner_text() == "Chưa báo cáo"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    if "sqlite" in day_app.store.url:
        save_screenshot(phone, DOCS / "console-board.png")

    unit_row(phone, DOUBTFUL_UNIT).locator("a").first.click()
    phone.locator("tr.submission a").first.click()
    assert phone.locator("h1 .state").inner_text() == "Chờ kiểm tra"
    assert "Dòng tổng cộng" in phone.locator(".problem").first.inner_text()
    marked = phone.locator("table.sheet td.marked")  # the figure's cell, as the reading placed it
    assert marked.count() == 1 and marked.inner_text() == str(STATED_TOTAL)
    assert marked.locator("xpath=..").locator("th").inner_text() == "8"
    if "sqlite" in day_app.store.url:
        save_screenshot(phone, DOCS / "console-submission.png")

    phone.fill("input[name=value]", format_count(ROWS_SUM, lang))
    phone.locator("form:has(input[name=value]) input[name=reason]").fill("tổng các xã mới đúng")
    phone.click("form:has(input[name=value]) button[type=submit]")
    assert phone.locator(".notice.ok").inner_text() == "Đã ghi nhận quyết định."
    assert phone.locator("h1 .state").inner_text() == "Đã ghi nhận"
    assert "lan" in phone.locator("ul.decisions").inner_text()

    phone.click("header nav a[href='/']")
    assert unit_row(phone, DOUBTFUL_UNIT).locator(".state").inner_text() == "Đúng hạn"
    assert unit_row(phone, DOUBTFUL_UNIT).locator(".figure").inner_text() == format_count(ROWS_SUM, lang)
    assert phone.locator(".totals").inner_text() == format_count(counted + ROWS_SUM, lang)
    assert phone.locator(".estimate").inner_text() == format_count(counted + ROWS_SUM + CARRIED, lang)

    unit_row(phone, SILENT_UNIT).locator("a.record").click()  # the board offers it for a missing unit
    assert phone.locator("select[name=unit]").input_value() == SILENT_UNIT
    assert phone.locator("input[name=d]").input_value() == "14/8/2020"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.fill("input[name=figure]", "12,5")  # not a count: said, nothing recorded
    phone.fill("input[name=at]", "15:40")
    phone.click("form.record button[type=submit]")
    assert 'Số liệu "12,5" không phải là một số nguyên rõ ràng' in phone.locator(".notice.error").inner_text()
    phone.fill("input[name=figure]", format_count(PHONED, lang))
    phone.fill("input[name=note]", "gọi điện lúc 15:40")
    phone.click("form.record button[type=submit]")
    assert phone.locator(".notice.ok").inner_text().startswith("Đã ghi số liệu nhận qua điện thoại")
    assert phone.locator("dd.figure").inner_text() == format_count(PHONED, lang)

    phone.click("header nav a[href='/']")
    assert unit_row(phone, SILENT_UNIT).locator(".state").inner_text() == "Đúng hạn"
    assert unit_row(phone, SILENT_UNIT).locator(".figure").inner_text() == format_count(PHONED, lang)
    assert phone.locator(".totals").inner_text() == format_count(counted + ROWS_SUM + PHONED, lang)
    assert phone.locator(".estimate").inner_text() == format_count(counted + ROWS_SUM + PHONED, lang)

    trail = {r.action: r for r in day_app.accounts.trail() if r.who == "lan"}
    assert (trail["review_correct"].address, trail["review_correct"].detail["reason"]) == (
        "127.0.0.1",
        "tổng các xã mới đúng",
    )
    assert (trail["record"].address, trail["record"].detail["note"]) == ("127.0.0.1", "gọi điện lúc 15:40")


def test_the_board_takes_a_day_as_staff_write_it_and_says_when_it_is_not_a_day(console, phone):
    sign_in(phone, console)
    phone.fill("input[name=d]", "13/8/2020")
    phone.click("form.daypick button")
    assert phone.locator("h1").inner_text() == "Tình hình báo cáo ngày 13/8/2020"
    assert phone.locator(".totals").inner_text() == format_count(CARRIED, "vi")  # only Thanh Miện reported that day
    phone.fill("input[name=d]", "31/02/2020")
    phone.click("form.daypick button")
    assert "không phải là ngày hợp lệ" in phone.locator(".notice.error").inner_text()


def test_what_a_sender_wrote_is_shown_as_text(console, day_app, phone):
    sign_in(phone, console)
    doubtful = day_app.waiting()[0].id
    phone.goto(f"{console.url}/submission/{doubtful}")
    headers = phone.locator("dl.headers").inner_text()
    assert HOSTILE_SUBJECT in headers
    assert phone.locator(".sheet-name").inner_text() == HOSTILE_SHEET
    assert phone.locator("main script").count() == 0 and phone.locator("main img").count() == 0
    phone.goto(f"{console.url}/review")
    assert phone.locator(".subject").first.inner_text() == HOSTILE_SUBJECT
    assert phone.dialogs == []


def test_a_signed_out_visitor_is_sent_to_sign_in_and_a_wrong_password_is_said_so(console, phone):
    phone.goto(f"{console.url}/review")
    assert re.search(r"/signin\?next=/review$", phone.url)
    sign_in(phone, console, password="không-phải-mật-khẩu", then="/review")
    assert phone.locator(".notice.error").inner_text().startswith("Tên đăng nhập hoặc mật khẩu không đúng")
    phone.fill("input[name=name]", "lan")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form[action='/signin'] button[type=submit]")
    assert phone.url.endswith("/review") and phone.locator("article.waiting").count() == 1


def test_a_post_without_the_csrf_token_changes_nothing(console, day_app, phone):
    sign_in(phone, console)
    doubtful = day_app.waiting()[0].id
    answer = phone.evaluate(
        """async (id) => {
            const r = await fetch(`/submission/${id}`, {method: "POST",
                headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "action=accept"});
            return [r.status, await r.text()];
        }""",
        doubtful,
    )
    assert answer[0] == 403 and "thiếu mã xác nhận" in answer[1]
    assert [s.id for s in day_app.waiting()] == [doubtful]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_viewer_sees_but_cannot_decide(console, day_app, phone):
    sign_in(phone, console, name="xem")
    doubtful = day_app.waiting()[0].id
    phone.goto(f"{console.url}/submission/{doubtful}")
    assert phone.locator("button[name=action]").count() == 0
    csrf = phone.locator("form.signout input[name=csrf]").get_attribute("value")  # the viewer's own valid token
    answer = phone.evaluate(
        """async ([id, csrf]) => {
            const body = new URLSearchParams({csrf, action: "accept", reason: "thử"});
            const r = await fetch(`/submission/${id}`, {method: "POST", body});
            return [r.status, await r.text()];
        }""",
        [doubtful, csrf],
    )
    assert answer[0] == 403 and "cần vai trò kiểm tra" in answer[1]
    assert [s.id for s in day_app.waiting()] == [doubtful]


def test_the_board_refreshes_itself(day_app, phone):
    """A decision taken elsewhere reaches an open board without reloading it (htmx from the package)."""
    with Console(day_app, refresh_seconds=1) as console:
        sign_in(phone, console)
        row = unit_row(phone, DOUBTFUL_UNIT)
        assert row.locator(".state").inner_text() == "Chờ kiểm tra"
        day_app.accept(day_app.waiting()[0].id, Decider("lan", "đã gọi điện xác nhận"))
        expect(row.locator(".state")).to_have_text("Đúng hạn")
        assert phone.evaluate("typeof htmx") == "object"


def test_a_form_sent_after_the_session_ended_changes_nothing(console, day_app, phone):
    sign_in(phone, console)
    doubtful = day_app.waiting()[0].id
    phone.goto(f"{console.url}/submission/{doubtful}")
    phone.context.clear_cookies()
    phone.locator("form:has(button[value=accept]) input[name=reason]").fill("muộn quá")
    phone.click("button[value=accept]")
    assert "Phiên đăng nhập đã hết" in phone.locator(".notice.error").inner_text()
    assert [s.id for s in day_app.waiting()] == [doubtful]
