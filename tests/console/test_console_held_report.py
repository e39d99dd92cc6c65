"""`schedule.hold_report`: the scheduled report waits on the console until a reviewer approves it,
then goes out through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from console_day import DAY, PASSWORD, at, seed_day, settings_for
from starlette.testclient import TestClient

from mailbot.app import App
from mailbot.config import Connections
from mailbot.i18n import format_time
from mailbot.store import Store
from mailbot.web import create_app

REPORT_TO = "stttt@haiduong.gov.vn"


@pytest.fixture
def held_day(sqlite_url, tmp_path, smtp_server):
    base = settings_for(sqlite_url, tmp_path)
    settings = replace(
        base,
        schedule=replace(base.schedule, hold_report=True),
        connections=Connections(inbox_url=base.connections.inbox_url, smtp_url=smtp_server.url, db_url=sqlite_url),
    )
    store = Store.open(sqlite_url, settings.language)
    seed_day(settings, store)
    app = App(settings, store, clock=lambda: at(settings, 16, 30))
    app.accounts.add("lan", "reviewer", PASSWORD, at(settings, 8), by="test")
    app.accounts.add("xem", "viewer", PASSWORD, at(settings, 8), by="test")
    app.deliver()  # the day's acknowledgements go first
    yield app
    store.close()


def reports(smtp_server) -> list:
    return [m for m in smtp_server.messages if m.rcpt_tos == (REPORT_TO,)]


def signed_in(app: App, name: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(app))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text).group(1)
    client.post("/signin", data={"name": name, "password": PASSWORD, "csrf": token})
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def test_the_scheduled_report_waits_until_a_reviewer_approves_it(held_day, smtp_server):
    assert held_day.report_due() is None
    assert reports(smtp_server) == [] and not [m for m in held_day.outbox() if m.kind == "report"]
    held_day.report_due()  # the job running again holds it once, still unsent
    assert reports(smtp_server) == []

    viewer, viewer_csrf = signed_in(held_day, "xem")
    page = html.unescape(viewer.get("/report?d=14/8/2020").text)
    since = format_time(at(held_day.settings, 16, 30), "vi")
    assert f"đang chờ duyệt từ {since}; chưa gửi cho ai" in page and "/report/approve" not in page
    board = html.unescape(viewer.get("/?d=14/8/2020").text)
    assert f'<a href="/report?d=2020-08-14">Báo cáo tổng hợp chờ duyệt từ {since}</a>' in board
    refused = viewer.post("/report/approve", data={"csrf": viewer_csrf, "d": DAY.isoformat()})
    assert refused.status_code == 403 and reports(smtp_server) == []

    reviewer, csrf = signed_in(held_day, "lan")
    assert reviewer.post("/report/approve", data={"d": DAY.isoformat()}).status_code == 403  # no CSRF token
    assert 'action="/report/approve"' in reviewer.get("/report?d=14/8/2020").text
    answer = reviewer.post("/report/approve", data={"csrf": csrf, "d": DAY.isoformat()}, follow_redirects=False)
    assert answer.status_code == 303 and "ok=report_approved" in answer.headers["location"]

    sent = reports(smtp_server)
    assert len(sent) == 1 and "14/8/2020" in str(sent[0].message["Subject"])
    page = html.unescape(reviewer.get(answer.headers["location"]).text)
    assert "Đã duyệt; báo cáo đã được đưa vào hàng gửi." in page and "chờ duyệt từ" not in page
    assert "chờ duyệt từ" not in html.unescape(reviewer.get("/?d=14/8/2020").text)
    trail = [
        (r.who, r.action, r.address, r.target) for r in held_day.accounts.trail() if r.action.startswith("report_")
    ]
    assert sorted(trail) == [
        ("lan", "report_approve", "testclient", "report:2020-08-14"),
        ("mailbot", "report_held", None, "report:2020-08-14"),
    ]

    again = reviewer.post("/report/approve", data={"csrf": csrf, "d": DAY.isoformat()})
    assert again.status_code == 400 and "không chờ duyệt" in html.unescape(again.text)
    assert len(reports(smtp_server)) == 1


def test_without_the_setting_the_scheduled_report_goes_at_once(held_day, smtp_server):
    app = App(
        replace(held_day.settings, schedule=replace(held_day.settings.schedule, hold_report=False)),
        held_day.store,
        clock=held_day.clock,
    )
    assert app.report_due() is not None
    assert len(reports(smtp_server)) == 1 and app.report_waiting(DAY) is None
