"""The console of a deployment of several campaigns (config/haiduong.toml): each page shows and filters
by campaign, links keep the campaign chosen, and a deployment of one campaign looks as it always has.

The day: two districts and two departments report; a department's report from an unregistered address
waits for review in its campaign; an office's table that both campaigns know, fitting neither whole,
waits with its campaign not known.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from console_day import PASSWORD, Console
from several_mailboxes import ROOT, VN, department_mail, district_mail, unknown_campaign_mail
from starlette.testclient import TestClient

from mailbot import service
from mailbot.app import App
from mailbot.config import load_settings
from mailbot.models import InboundMessage
from mailbot.store import Store
from mailbot.web import create_app

NOW = datetime(2020, 8, 15, 16, 30, tzinfo=VN)


def env_for(tmp_path, db_url: str) -> dict[str, str]:
    return {
        "MAILBOT_INBOX_URL": f"maildir://{tmp_path / 'inbox'}",
        "MAILBOT_DB_URL": db_url,
        "MAILBOT_SMTP_URL": f"file://{tmp_path / 'outbox'}",
    }


@pytest.fixture
def deployment_app(sqlite_url, tmp_path):
    settings = load_settings(ROOT / "config" / "haiduong.toml", env=env_for(tmp_path, sqlite_url))
    departments = settings.with_campaign("departments")
    store = Store.open(sqlite_url, settings.language)
    stranger = department_mail(departments.unit("tinh-doan"), datetime(2020, 8, 15, 11, tzinfo=VN))
    mails = [
        district_mail(settings.unit("nam-sach"), 17356, datetime(2020, 8, 15, 9, tzinfo=VN)),
        district_mail(settings.unit("gia-loc"), 9120, datetime(2020, 8, 15, 9, 30, tzinfo=VN)),
        department_mail(departments.unit("so-y-te"), datetime(2020, 8, 15, 10, tzinfo=VN)),
        stranger.replace(b"vanphong.tinh-doan@", b"canbo.tinhdoan@"),
        unknown_campaign_mail(datetime(2020, 8, 15, 12, tzinfo=VN)),
    ]
    for number, raw in enumerate(mails):
        arrived = datetime(2020, 8, 15, 9 + number, tzinfo=VN)
        message = InboundMessage(source="test", key=str(number), raw=raw, received_at=arrived, size=len(raw))
        service.ingest_message(settings, store, message, arrived)
    app = App(settings, store, clock=lambda: NOW)
    app.accounts.add("lan", "reviewer", PASSWORD, NOW, by="test")
    yield app
    store.close()


@pytest.fixture
def client(deployment_app):
    http = TestClient(create_app(deployment_app))
    token = re.search(r'name="csrf" value="([^"]+)"', http.get("/signin").text).group(1)
    assert http.post("/signin", data={"name": "lan", "password": PASSWORD, "csrf": token}).status_code == 200
    return http


def waiting_ids(app: App) -> dict[str | None, int]:
    found = {s.id: s for each in app.campaign_apps() for s in each.waiting()}
    return {s.campaign: s.id for s in found.values()}


def test_the_board_switches_campaign_and_its_links_keep_it(client):
    first = client.get("/?d=15/8/2020").text
    assert 'class="campaigns"' in first and 'data-campaign="departments"' in first
    assert "Huyện Nam Sách" in first and "Sở Y tế" not in first  # the first campaign's board
    assert re.search(r'data-campaign="districts" aria-current="page"', first)

    board = client.get("/?d=15/8/2020&campaign=departments").text
    assert "Sở Y tế" in board and "Huyện Nam Sách" not in board
    assert re.search(r'data-campaign="departments" aria-current="page"', board)
    assert re.search(r'hx-get="/board\?d=2020-08-1\d&amp;campaign=departments"', board)  # its report's day
    assert re.search(r'href="/unit/so-y-te\?d=2020-08-1\d&amp;campaign=departments"', board)
    assert 'href="/review?campaign=departments"' in board and 'href="/report?campaign=departments"' in board
    assert 'name="campaign" value="departments"' in board  # the day picker keeps it too
    refreshed = client.get("/board?d=2020-08-15&campaign=departments").text
    assert "Sở Y tế" in refreshed and "Huyện Nam Sách" not in refreshed
    unit = client.get("/unit/so-y-te?d=2020-08-15&campaign=departments")
    assert unit.status_code == 200 and "Sở Y tế" in unit.text


def test_an_unknown_campaign_is_a_404_naming_the_campaigns(client):
    refused = client.get("/?campaign=vaccination")
    assert refused.status_code == 404
    assert "vaccination" in refused.text and "districts, departments" in refused.text


def test_the_review_queue_shows_every_campaigns_and_filters_by_one(client, deployment_app):
    ids = waiting_ids(deployment_app)
    assert set(ids) == {"departments", None}
    every = client.get("/review").text
    assert f'data-id="{ids["departments"]}"' in every and f'data-id="{ids[None]}"' in every
    assert "Kết quả cài đặt Bluezone của cán bộ" in every  # the departments' campaign named on its card
    assert "Chưa rõ chiến dịch" in every
    districts = client.get("/review?campaign=districts").text
    assert f'data-id="{ids[None]}"' in districts and f'data-id="{ids["departments"]}"' not in districts
    assert f'action="/submission/{ids[None]}?campaign=districts"' in districts
    departments = client.get("/review?campaign=departments").text
    assert f'data-id="{ids["departments"]}"' in departments


def test_the_report_page_is_the_chosen_campaigns_and_its_files_too(client):
    page = client.get("/report?d=15/8/2020&campaign=departments").text
    assert "/report/html?d=2020-08-15&amp;campaign=departments" in page
    assert 'action="/report?campaign=departments"' in page
    shown = client.get("/report/html?d=2020-08-15&campaign=departments").text
    assert "Sở Y tế" in shown and "Huyện Nam Sách" not in shown
    assert re.search(r"/report/png\?d=2020-08-15&(amp;)?campaign=departments", shown)
    first = client.get("/report/html?d=2020-08-15").text
    assert "Huyện Nam Sách" in first and "Sở Y tế" not in first


def test_a_mail_whose_campaign_is_not_known_is_assigned_a_unit_of_any_campaign(client, deployment_app):
    held = waiting_ids(deployment_app)[None]
    page = client.get(f"/submission/{held}").text
    assert "Chưa rõ chiến dịch" in page
    assert '<optgroup label="' in page and 'value="so-noi-vu"' in page and 'value="nam-sach"' in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    moved = client.post(
        f"/submission/{held}?campaign=districts",
        data={"csrf": token, "action": "assign", "unit": "so-noi-vu", "reason": "gọi điện xác nhận"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and "campaign=districts" in moved.headers["location"]
    after = client.get(f"/submission/{held}").text
    assert 'class="campaign"' in after and "Chưa rõ chiến dịch" not in after
    assert '<optgroup label="' not in after  # its campaign is known now: only its units are offered
    assert deployment_app.submission(held).submission.campaign == "departments"


def test_a_single_campaign_console_has_no_campaign_switch(sqlite_url, tmp_path):
    settings = load_settings(ROOT / "config" / "mailbot.toml", env=env_for(tmp_path, sqlite_url))
    store = Store.open(sqlite_url, settings.language)
    try:
        app = App(settings, store, clock=lambda: NOW)
        app.accounts.add("lan", "reviewer", PASSWORD, NOW, by="test")
        http = TestClient(create_app(app))
        token = re.search(r'name="csrf" value="([^"]+)"', http.get("/signin").text).group(1)
        http.post("/signin", data={"name": "lan", "password": PASSWORD, "csrf": token})
        for path in ("/", "/review", "/report"):
            shown = http.get(path).text
            assert 'class="campaigns"' not in shown and "campaign=" not in shown
        assert http.get("/?campaign=anything").status_code == 200  # nothing to choose: the one campaign
    finally:
        store.close()


def test_in_a_browser_the_switch_and_the_links_keep_the_campaign(deployment_app, phone):
    with Console(deployment_app) as console:
        phone.goto(f"{console.url}/?d=15/8/2020")
        phone.fill("input[name=name]", "lan")
        phone.fill("input[name=password]", PASSWORD)
        phone.click("form[action='/signin'] button[type=submit]")
        phone.wait_for_selector("nav.campaigns")
        assert "Huyện Nam Sách" in phone.inner_text("#board")
        phone.click("nav.campaigns a[data-campaign='departments']")
        phone.wait_for_url(re.compile(r"campaign=departments"))
        board = phone.inner_text("#board")
        assert "Sở Y tế" in board and "Huyện Nam Sách" not in board
        phone.click("tr.unit[data-unit='so-y-te'] a")
        phone.wait_for_url(re.compile(r"/unit/so-y-te\?.*campaign=departments"))
        phone.click("header nav a[href='/review?campaign=departments']")
        phone.wait_for_url(re.compile(r"/review\?campaign=departments"))
        assert phone.locator("article.waiting").count() == 2  # its own, and the one whose campaign is not known
        phone.click("nav.campaigns a:not([data-campaign])")  # every campaign's queue
        phone.wait_for_url(re.compile(r"/review$"))
        assert phone.locator("article.waiting").count() == 2
        assert phone.dialogs == []


def test_the_api_names_the_campaign_of_each_waiting_report_and_of_a_history(deployment_app):
    """/api/review holds every campaign's waiting mail (as `review list --json`), /api/history the unit's own campaign."""
    http = TestClient(create_app(deployment_app))
    token = deployment_app.accounts.new_token("lan", NOW, by="test")
    auth = {"Authorization": f"Bearer {token}"}
    waiting = http.get("/api/review", headers=auth).json()["waiting"]
    ids = waiting_ids(deployment_app)
    assert {(w["campaign"], w["id"]) for w in waiting} == {(c, i) for c, i in ids.items()}
    department = http.get("/api/history?unit=so-y-te&from=15/8/2020&to=15/8/2020", headers=auth).json()
    assert department["campaign"] == "departments" and department["unit"] == "so-y-te"
    district = http.get("/api/history?unit=nam-sach&from=15/8/2020&to=15/8/2020", headers=auth).json()
    assert district["campaign"] == "districts" and district["days"][0]["state"] == "on_time"
    area = http.get("/api/history?campaign=departments&from=15/8/2020&to=15/8/2020", headers=auth).json()
    assert area["campaign"] == "departments" and area["unit"] is None
    assert http.get("/api/history?campaign=nowhere", headers=auth).status_code == 400
