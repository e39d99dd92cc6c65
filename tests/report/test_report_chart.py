"""The report's chart: its own title and day, value axes from 0, and readable for thousands of units."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from PIL import Image
from talking_days import demo_ledger, demo_trend, shipped_settings

from mailbot import chart, report

TITLE = "Số lượng cài đặt Bluezone trên địa bàn tỉnh Hải Dương ngày 14/8/2020 (số liệu tính đến 16:30)"
NATIONAL = 3321  # the country's district-level units


@pytest.fixture(scope="module")
def settings():
    return shipped_settings()


def national_day(settings):
    """The demo day with 3,321 units: coverage spread over 2 %–68 %, one in ten sent nothing."""
    ledger = demo_ledger(settings)
    model = ledger.units[0]
    units = tuple(
        replace(model, unit=f"u{n}", name=f"Xã số {n}", coverage=2.0 + (n * 37 % 661) / 10.0)
        if n % 10
        else replace(model, unit=f"u{n}", name=f"Xã số {n}", state="missing", figures={}, coverage=None)
        for n in range(NATIONAL)
    )
    return replace(ledger, units=units, expected=NATIONAL)


def test_the_chart_has_its_own_title_and_day_in_the_picture_and_the_png(settings):
    ledger = demo_ledger(settings)
    content = report.chart_content(settings, ledger, demo_trend(settings, ledger))
    drawn = chart.figure(content)
    assert drawn.get_suptitle() == TITLE
    png = Image.open(io.BytesIO(chart.render_png(content)))
    assert png.text["Title"] == TITLE


def test_the_chart_title_speaks_english_by_setting(settings):
    english = replace(settings, language="en")
    ledger = demo_ledger(english)
    content = report.chart_content(english, ledger, demo_trend(english, ledger))
    assert content.title == "Số lượng cài đặt Bluezone in tỉnh Hải Dương, 14/08/2020 (figures as of 16:30)"


def test_every_value_axis_starts_at_zero(settings):
    ledger = demo_ledger(settings)
    drawn = chart.figure(report.chart_content(settings, ledger, demo_trend(settings, ledger)))
    coverage, trend = drawn.axes
    assert coverage.get_xlim()[0] == 0
    assert trend.get_ylim()[0] == 0  # the province's figure rises from 192.000 to 273.054: still drawn from 0


def test_a_national_day_shows_the_lowest_units_and_the_distribution_of_all(settings):
    ledger = national_day(settings)
    content = report.chart_content(settings, ledger, demo_trend(settings, demo_ledger(settings)))
    counted = [u.coverage for u in ledger.units if u.coverage is not None]
    assert len(content.units) == chart.MAX_BARS
    assert [c for _, c, _ in content.units] == sorted(counted)[: chart.MAX_BARS]
    assert sorted(content.distribution) == sorted(counted)
    assert content.distribution_title == (
        "Phân bố tỷ lệ cài đặt/dân số (%): số đơn vị theo từng khoảng tỷ lệ (2.988/3.321 đơn vị có số liệu)"
    )
    drawn = chart.figure(content)
    coverage, _, distribution = drawn.axes
    assert len(coverage.patches) == chart.MAX_BARS  # 40 bars, not 3,321
    assert sum(bar.get_height() for bar in distribution.patches) == len(counted)
    assert distribution.get_xlim()[0] == 0 and distribution.get_ylim()[0] == 0
    image = Image.open(io.BytesIO(chart.render_png(content)))
    assert image.height <= 1800


def test_a_small_day_has_no_distribution(settings):
    ledger = demo_ledger(settings)
    content = report.chart_content(settings, ledger, demo_trend(settings, ledger))
    assert content.distribution == () and len(chart.figure(content).axes) == 2


def test_a_national_chart_is_laid_out_once_and_drawn_once_when_saved(settings):
    """The layout measures every label; saving the laid-out figure draws it once, without laying it out again."""
    ledger = national_day(settings)
    content = report.chart_content(settings, ledger, demo_trend(settings, ledger))
    drawn = chart.figure(content)
    draws = []
    drawn.canvas.mpl_connect("draw_event", draws.append)
    png = chart._png_bytes(drawn, content.title)
    assert len(draws) == 1 and png == chart.render_png(content)
