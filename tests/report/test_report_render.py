"""The consolidated report: HTML table, workbook, chart, files."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from PIL import Image
from talking_days import APPENDIX, DAY, demo_ledger, demo_submissions, demo_trend, local, shipped_settings, submission

from mailbot import i18n, report
from mailbot.models import AMBIGUOUS_NUMBER, NEEDS_REVIEW, DayLedger, TrendPoint

REPORTED_TOTAL = sum(APPENDIX.values()) - APPENDIX["thanh-mien"]
FORMULA = '=HYPERLINK("http://evil.example/x","Bấm vào đây")'


class TableRows(HTMLParser):
    """Text of every table row (cells), plus every link and image source."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.links: list[str] = []
        self.images: list[str] = []
        self.items: list[str] = []
        self._in_item = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "a":
            self.links.append(attrs.get("href", ""))
        elif tag == "img":
            self.images.append(attrs.get("src", ""))
        elif tag == "li":
            self._in_item = True
            self.items.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "li":
            self._in_item = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self._in_item:
            self.items[-1] += data


@pytest.fixture(scope="module")
def settings():
    return shipped_settings()


@pytest.fixture(scope="module")
def sender_submissions(settings):
    problem = i18n.problem(AMBIGUOUS_NUMBER, "vi", value=FORMULA, where_text="")
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
    return demo_submissions(settings) + [odd]


@pytest.fixture(scope="module")
def rendered(settings, sender_submissions):
    ledger = demo_ledger(settings)
    return report.render(settings, ledger, demo_trend(settings, ledger), sender_submissions)


def parse(html: str) -> TableRows:
    parser = TableRows()
    parser.feed(html)
    return parser


def test_the_html_table_has_every_unit_in_order_and_the_totals(settings, rendered):
    page = parse(rendered.html)
    table = [row for row in page.rows if len(row) == 9]  # the province table; the goal bar has fewer cells
    header, *units, total, estimate = table
    assert header[:4] == ["STT", "Đơn vị", "Số lượng cài đặt Bluezone", "Tăng so với ngày trước"]
    assert [row[1] for row in units] == [u.name for u in settings.units]
    hai_duong = units[0]
    assert hai_duong[:3] == ["1", "Thành phố Hải Dương", "70.635"]
    assert hai_duong[4:] == ["299.638", "23,57%", "1", "08:30", "Đúng hạn"]
    assert header[5] == "Tỷ lệ cài đặt/dân số (%)"
    assert units[10][-2:] == ["16:20", "Muộn"]
    assert units[11][2] == "–" and units[11][-1].startswith("Chưa báo cáo")
    assert "ước tính theo số liệu ngày 13/8/2020: Số lượng cài đặt Bluezone: 11.565" in units[11][-1]
    assert total[1] == "Tổng số liệu đã báo cáo" and total[2] == i18n.format_count(REPORTED_TOTAL, "vi") == "273.054"
    assert total[4:6] == ["1.705.059", "16,01%"] and total[-1] == "11/12 đơn vị"
    assert estimate[1].startswith("Ước tính") and estimate[2] == "284.619" and estimate[5] == "16,69%"


def test_the_html_says_the_headline_the_lists_and_the_goal(rendered):
    page = parse(rendered.html)
    assert (
        "Tính đến 16:30 ngày 14/8/2020, số lượng cài đặt Bluezone trên địa bàn tỉnh Hải Dương ước tính là 284.619 "
        "trên tổng số 1.705.059 dân số, chiếm 16,69% dân số; trong đó đơn vị chưa có số liệu được ghi nhận "
        "trong ngày được tính theo số liệu gần nhất: Huyện Thanh Miện (số liệu ngày 13/8/2020)."
    ) in rendered.html
    assert "Tổng số liệu các đơn vị đã báo cáo trong ngày: 273.054 (11/12 đơn vị)." in rendered.html
    assert " là 273.054" not in rendered.html  # the incomplete sum is never the area's figure
    assert "Huyện Ninh Giang: nhận lúc 16:20" in page.items
    assert "Huyện Thanh Miện" in page.items
    # The letter's goal: its base (smartphone users) is unknown, so it is said in words, with no made-up count.
    assert (
        "Mục tiêu đến ngày 20/8/2020: 60% người dùng điện thoại thông minh hoặc tối thiểu xếp thứ 10/63 tỉnh, "
        "thành phố về số lượng người dân có điện thoại thông minh đã cài đặt ứng dụng Bluezone. Chưa có số người "
        "dùng điện thoại thông minh trên địa bàn nên báo cáo không tính số lượng cần đạt."
    ) in rendered.html
    assert "1.023.036" not in rendered.html  # 60 % of the population is not the letter's goal
    assert "Số liệu tính đến 16:30 ngày 14/8/2020" in rendered.html


def test_the_html_has_no_links_and_shows_the_chart_inline(rendered):
    page = parse(rendered.html)
    assert page.links == [] and "http" not in rendered.html.replace("http-equiv", "")
    assert page.images == [f"cid:{report.CHART_CID}"]


def test_text_from_the_configuration_is_escaped(settings):
    odd = replace(settings, units=(replace(settings.units[0], name="Phòng <b>A</b> & B"), *settings.units[1:]))
    ledger = demo_ledger(odd)
    html = report.render(odd, ledger, demo_trend(odd, ledger), []).html
    assert "Phòng &lt;b&gt;A&lt;/b&gt; &amp; B" in html and "<b>A</b>" not in html


def test_the_workbook_holds_the_table_and_the_totals(settings, rendered):
    book = load_workbook(io.BytesIO(rendered.xlsx))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(min_row=4, max_row=4 + len(settings.units) + 2, values_only=True))
    header, *units, total, estimate = rows  # the notes and lists follow, below a blank row
    assert header[:3] == ("STT", "Đơn vị", "Số lượng cài đặt Bluezone")
    assert estimate[2] == REPORTED_TOTAL + 11565 and estimate[5] == pytest.approx((REPORTED_TOTAL + 11565) / 1705059)
    assert [(r[1], r[2]) for r in units] == [
        (u.name, APPENDIX[u.id] if u.id != "thanh-mien" else None) for u in settings.units
    ]
    assert total[1] == "Tổng số liệu đã báo cáo" and total[2] == REPORTED_TOTAL and total[4] == 1705059
    assert total[5] == pytest.approx(REPORTED_TOTAL / 1705059)
    assert sheet.freeze_panes == "C5"
    assert sheet["C5"].number_format == "#,##0" and sheet["F5"].number_format == "0.00%"
    late_row = 4 + 11
    assert sheet.cell(late_row, 2).value == "Huyện Ninh Giang"
    assert sheet.cell(late_row, 2).fill.fgColor.rgb.endswith(report.STATE_FILLS["late"])
    assert sheet.cell(5, 2).fill.fgColor.rgb != sheet.cell(late_row, 2).fill.fgColor.rgb


def test_the_second_sheet_lists_every_submission_and_writes_sender_text_as_text(rendered, sender_submissions):
    sheet = load_workbook(io.BytesIO(rendered.xlsx)).worksheets[1]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(sender_submissions)
    odd = next(row for row in rows if row[0].value == 40)
    cells = {sheet.cell(1, c.column).value: c for c in odd}
    assert cells["Tiêu đề thư"].value == FORMULA and cells["Tiêu đề thư"].data_type == "s"
    assert cells["Người gửi"].value == "-cmd@example.org" and cells["Người gửi"].data_type == "s"
    assert FORMULA in cells["Vấn đề"].value and cells["Vấn đề"].data_type == "s"
    assert cells["Kết quả"].value == "Chờ kiểm tra"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_the_chart_is_a_real_png(rendered):
    assert rendered.chart_png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(rendered.chart_png))
    image.load()
    assert image.format == "PNG" and image.width > 600 and image.height > 300


def test_an_update_is_marked(settings):
    ledger = demo_ledger(settings)
    updated = report.render(settings, ledger, demo_trend(settings, ledger), [], update=True)
    assert updated.update and updated.subject.startswith("[Cập nhật]")
    assert "Đây là bản cập nhật của báo cáo ngày 14/8/2020" in updated.html
    assert "bản cập nhật" in updated.text


def test_a_day_without_reporting_says_why(settings):
    quiet = DayLedger(
        day=DAY,
        deadline=settings.campaign.deadline_of(DAY),
        as_of=local(settings, DAY, 16, 30),
        reporting_day=False,
        units=(),
        totals={},
        reported=0,
        expected=0,
        no_reporting_reason="Ngày 14/8/2020 là ngày nghỉ, các đơn vị không phải báo cáo.",
    )
    rendered = report.render(settings, quiet, [(DAY, None)], [])
    assert "ngày nghỉ" in rendered.html and rendered.chart_png.startswith(b"\x89PNG")


def test_write_files_puts_html_png_and_xlsx_side_by_side(rendered, tmp_path):
    paths = report.write_files(rendered, tmp_path / "out")
    assert [p.suffix for p in paths] == [".html", ".png", ".xlsx"]
    html = paths[0].read_text(encoding="utf-8")
    assert f'src="{paths[1].name}"' in html and "cid:" not in html
    assert paths[1].read_bytes() == rendered.chart_png and paths[2].read_bytes() == rendered.xlsx
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def many_units(settings, count: int) -> DayLedger:
    """The demo day with `count` units: coverage falls from the first unit to the last, one sent nothing."""
    ledger = demo_ledger(settings)
    model = ledger.units[0]
    units = tuple(replace(model, unit=f"u{n}", name=f"Xã số {n}", coverage=50.0 - n * 0.25) for n in range(count))
    units = (*units[:-1], replace(units[-1], state="missing", figures={}, coverage=None))
    return replace(ledger, units=units, expected=count)


def test_a_chart_of_many_units_shows_the_lowest_coverage_and_stays_small(settings):
    ledger = many_units(settings, 150)
    shown, title = report.chart_units(ledger, "vi")
    assert [u.name for u in shown] == [f"Xã số {n}" for n in range(148, 108, -1)]  # lowest first, none missing
    assert title == "Tỷ lệ so với dân số (%): 40 đơn vị có tỷ lệ thấp nhất (trong số 149/150 đơn vị có số liệu)"
    assert report.chart_units(ledger, "en")[1] == (
        "Share of the population (%): the 40 units with the lowest share (of 149/150 units with figures)"
    )
    image = Image.open(io.BytesIO(report.chart_png(settings, ledger, demo_trend(settings, ledger))))
    assert image.height <= 1700  # one bar per unit would be over 5,000 px


def test_a_chart_of_few_units_shows_every_unit_in_table_order(settings):
    ledger = demo_ledger(settings)
    shown, title = report.chart_units(ledger, "vi")
    assert shown == ledger.units and title == "Tỷ lệ so với dân số (%) theo đơn vị"
    assert report.chart_units(ledger, "vi", "Tỷ lệ cài đặt/dân số (%)")[1] == "Tỷ lệ cài đặt/dân số (%) theo đơn vị"


def test_text_that_looks_like_a_formula_is_marked_as_text(rendered):
    sheet = load_workbook(io.BytesIO(rendered.xlsx)).worksheets[1]
    subject = next(c for row in sheet.iter_rows() for c in row if c.value == FORMULA)
    assert subject.quotePrefix and subject.data_type == "s"
    assert not sheet.cell(1, 1).quotePrefix


def test_commands_do_not_import_matplotlib_or_openpyxl_until_they_draw():
    probe = "import sys, mailbot.cli; print(sorted({'matplotlib', 'openpyxl'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def goal_settings(settings, **goal):
    return replace(settings, campaign=replace(settings.campaign, **goal))


def test_a_goal_on_the_population_gives_the_count_the_days_left_and_the_pace(settings):
    on_population = goal_settings(settings, goal_base_label="", goal_note="")
    ledger = demo_ledger(on_population)
    html = report.render(on_population, ledger, demo_trend(on_population, ledger), []).html
    # 60 % of 1.705.059 = 1.023.036 (rounded up); the estimate 284.619 leaves 738.417 over 6 days to 20/8/2020.
    assert "Mục tiêu đến ngày 20/8/2020: 60% dân số (1.023.036 trên 1.705.059); còn thiếu 738.417." in html
    assert "Còn 6 ngày, cần tăng bình quân 123.070 mỗi ngày." in html
    assert "border-right:3px solid #c0392b" in html  # the goal bar: the goal is a share of the coverage's base


def test_a_goal_on_another_known_base_uses_that_base_and_its_label(settings):
    smartphones = goal_settings(settings, goal_base=1_000_000, goal_note="")
    ledger = demo_ledger(smartphones)
    html = report.render(smartphones, ledger, demo_trend(smartphones, ledger), []).html
    assert "60% người dùng điện thoại thông minh (600.000 trên 1.000.000); còn thiếu 315.381." in html
    assert "cần tăng bình quân 52.564 mỗi ngày" in html
    assert "border-right:3px solid #c0392b" not in html  # coverage is of the population: no bar against it


def test_a_goal_whose_date_has_passed_says_so(settings):
    passed = goal_settings(settings, goal_base_label="", goal_note="", goal_date=date(2020, 8, 10))
    ledger = demo_ledger(passed)
    html = report.render(passed, ledger, demo_trend(passed, ledger), []).html
    assert "Hạn mục tiêu (10/8/2020) đã qua." in html and "mỗi ngày" not in html


def test_a_complete_day_says_the_sum_as_the_areas_figure(settings):
    ledger = demo_ledger(settings, missing=())
    view = report.build_view(settings, ledger, update=False)
    assert view.headline == (
        "Tính đến 16:30 ngày 14/8/2020, số lượng cài đặt Bluezone trên địa bàn tỉnh Hải Dương là 285.228 "
        "trên tổng số 1.705.059 dân số, chiếm 16,73% dân số."
    )
    assert view.day_sum is None and view.estimate is None and view.total["label"] == "Tổng cộng"
    assert view.rank_note.startswith("Xếp hạng theo số lượng của từng đơn vị")


def test_the_trend_draws_carried_days_as_such(settings):
    ledger = demo_ledger(settings)
    plain = demo_trend(settings, ledger)
    carried = [TrendPoint(day, figures, ("thanh-mien",) if day == ledger.day else ()) for day, figures in plain]
    assert report.chart_png(settings, ledger, carried) != report.chart_png(settings, ledger, plain)


@pytest.mark.parametrize("text", ["+SUM(A1:A9)", "-2+3", "@cmd", "\t=1+1", "\r=1+1", "=1+1"])
def test_sender_text_with_a_formula_prefix_is_written_as_quoted_text(settings, text):
    odd = submission(settings, 41, None, None, sender="x@example.org", subject=text, status=NEEDS_REVIEW)
    ledger = demo_ledger(settings)
    sheet = load_workbook(io.BytesIO(report.render(settings, ledger, demo_trend(settings, ledger), [odd]).xlsx))
    stored = text.replace("\r", "_x000D_")  # a carriage return is kept as XML's escape of it
    cell = next(c for row in sheet.worksheets[1].iter_rows(min_row=2) for c in row if c.value == stored)
    assert cell.data_type == "s" and cell.quotePrefix
