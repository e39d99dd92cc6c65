"""The report's HTML on a 390-pixel phone screen, in a real browser (Debian's Chromium)."""

from __future__ import annotations

import base64

import pytest
from talking_days import demo_ledger, demo_submissions, demo_trend, shipped_settings

from mailbot import report

PHONE_WIDTH = 390


@pytest.fixture(scope="module")
def html():
    settings = shipped_settings()
    ledger = demo_ledger(settings)
    rendered = report.render(settings, ledger, demo_trend(settings, ledger), demo_submissions(settings))
    chart = "data:image/png;base64," + base64.b64encode(rendered.chart_png).decode()
    return rendered.html.replace(f'src="{report.CHART_SRC}"', f'src="{chart}"')


def test_the_page_never_scrolls_sideways_on_a_phone(phone, html):
    phone.set_content(html)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert phone.evaluate("document.body.scrollWidth") <= PHONE_WIDTH


def test_the_province_table_scrolls_inside_its_box_and_keeps_every_column(phone, html):
    phone.set_content(html)
    box = phone.locator(".scroll")
    assert box.evaluate("b => b.clientWidth") <= PHONE_WIDTH
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # the table is wider: it scrolls in its box
    headings = box.locator("th").all_inner_texts()
    assert headings[0] == "STT" and headings[-1] == "Tình trạng" and len(headings) == 9
    assert "70.635" in box.inner_text() and "Huyện Thanh Miện" in box.inner_text()


def test_the_chart_and_the_text_fit_the_screen(phone, html):
    phone.set_content(html)
    chart = phone.locator("img")
    assert chart.evaluate("i => i.complete && i.naturalWidth > 0")
    assert chart.bounding_box()["width"] <= PHONE_WIDTH
    assert "SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH HẢI DƯƠNG" in phone.locator("body").inner_text()
