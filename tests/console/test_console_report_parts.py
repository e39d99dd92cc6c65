"""The report page's files: each makes only its part of the report, the same as the whole report's,
from the store as it is at the request (a report that arrives shows at once)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from console_day import DAY, PASSWORD, SILENT_UNIT, at, seed_day, settings_for, steady_workbook
from openpyxl import load_workbook
from starlette.testclient import TestClient

import mailbot.report
from mailbot import service
from mailbot.app import App
from mailbot.models import InboundMessage
from mailbot.samples import district_workbook, report_mail
from mailbot.store import Store
from mailbot.web import create_app

LATE_FIGURE = 54_321


@pytest.fixture
def console(sqlite_url, tmp_path):
    settings = settings_for(sqlite_url, tmp_path)
    store = Store.open(sqlite_url, settings.language)
    seed_day(settings, store)
    app = App(settings, store, clock=lambda: at(settings, 16, 30))
    app.accounts.add("lan", "reviewer", PASSWORD, at(settings, 8), by="test")
    client = TestClient(create_app(app))
    token = client.get("/signin").text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/signin", data={"name": "lan", "password": PASSWORD, "csrf": token}, follow_redirects=False)
    yield client, app
    store.close()


@pytest.fixture
def made(monkeypatch):
    """The report's parts made, by name, as the console asks for them."""
    calls = []
    for name in ("chart_png", "workbook_bytes", "render_template"):
        original = getattr(mailbot.report, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(mailbot.report, name, counted)
    return calls


def get(client, kind: str):
    answer = client.get(f"/report/{kind}?d={DAY.isoformat()}")
    assert answer.status_code == 200, answer.text
    return answer


def workbook_figures(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]


@pytest.mark.parametrize(
    ("kind", "only"),
    [("html", ["render_template"]), ("png", ["chart_png"]), ("xlsx", ["workbook_bytes"])],
)
def test_each_file_makes_only_its_part(console, made, kind, only):
    client, _ = console
    get(client, kind)
    assert made == only


def test_each_part_is_the_whole_reports(console):
    client, app = console
    whole = app.report(DAY)
    assert get(client, "html").text == app.report_preview(whole.html, f"/report/png?d={DAY.isoformat()}")
    assert get(client, "png").content == whole.chart_png
    sheet = get(client, "xlsx")
    assert steady_workbook(sheet.content) == steady_workbook(whole.xlsx)
    assert whole.file_stem in sheet.headers["content-disposition"]
    saved = client.get(f"/report/download?d={DAY.isoformat()}")
    assert saved.text == app.report_preview(whole.html, f"{whole.file_stem}.png")


def test_a_report_that_arrives_shows_at_once_in_every_file(console):
    client, app = console
    html, png, xlsx = get(client, "html").text, get(client, "png").content, get(client, "xlsx").content
    assert "54.321" not in html and LATE_FIGURE not in workbook_figures(xlsx)
    unit = app.settings.unit(SILENT_UNIT)
    received = at(app.settings, 16, 0)
    raw = report_mail(
        sender=unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to=app.settings.campaign.reporting_mailbox,
        subject=f"Báo cáo số lượng cài đặt Bluezone ngày {DAY.day}/{DAY.month}/{DAY.year}",
        body="Kính gửi Sở TT&TT.",
        sent_at=received - timedelta(minutes=1),
        attachment_name="BC 14-8.xlsx",
        attachment=district_workbook(unit.name, LATE_FIGURE, DAY, "Số lượng cài đặt Bluezone"),
        received_at=received,
    )
    message = InboundMessage(source="test", key=SILENT_UNIT, raw=raw, received_at=received, size=len(raw))
    service.ingest_message(app.settings, app.store, message, received)
    assert "54.321" in get(client, "html").text
    assert get(client, "png").content != png
    assert LATE_FIGURE in workbook_figures(get(client, "xlsx").content)
