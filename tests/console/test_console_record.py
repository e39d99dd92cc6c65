"""Recording a figure received by telephone from the console: who may, what it changes, what it refuses."""

from __future__ import annotations

import html
import re

import pytest
from console_day import PASSWORD, SILENT_UNIT, at, seed_day, settings_for
from starlette.testclient import TestClient

from mailbot.app import App
from mailbot.store import Store
from mailbot.web import create_app


@pytest.fixture
def day(sqlite_url, tmp_path):
    settings = settings_for(sqlite_url, tmp_path)
    store = Store.open(sqlite_url, settings.language)
    seed_day(settings, store)
    app = App(settings, store, clock=lambda: at(settings, 16, 30))
    app.accounts.add("lan", "reviewer", PASSWORD, at(settings, 8), by="test")
    app.accounts.add("xem", "viewer", PASSWORD, at(settings, 8), by="test")
    yield app
    store.close()


def signed_in(app: App, name: str = "lan") -> tuple[TestClient, str]:
    client = TestClient(create_app(app))
    token = csrf_of(client.get("/signin").text)
    answer = client.post("/signin", data={"name": name, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert answer.status_code == 303
    return client, csrf_of(client.get("/").text)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def silent_state(app: App) -> tuple[str, dict]:
    row = next(u for u in app.day().units if u.unit == SILENT_UNIT)
    return row.state, dict(row.figures)


def post(client, csrf, **fields):
    data = {"csrf": csrf, "unit": SILENT_UNIT, "figure": "17.356", "d": "14/8/2020", "at": "15:40"}
    data.update(fields)
    return client.post("/record", data={k: v for k, v in data.items() if v is not None}, follow_redirects=False)


def test_a_reviewer_records_a_telephoned_figure_that_counts_and_is_audited(day):
    client, csrf = signed_in(day)
    form = client.get(f"/record?unit={SILENT_UNIT}&d=14/8/2020")
    assert form.status_code == 200 and f'<option value="{SILENT_UNIT}" selected>' in form.text
    answer = post(client, csrf, note="gọi điện lúc 15:40")
    assert answer.status_code == 303 and answer.headers["location"].endswith("?ok=recorded")
    assert silent_state(day) == ("on_time", {"installs": 17356})
    page = client.get(answer.headers["location"]).text
    assert "Đã ghi số liệu nhận qua điện thoại" in page and "17.356" in page
    trail = [r for r in day.accounts.trail() if r.action == "record"]
    assert [(r.who, r.address) for r in trail] == [("lan", "testclient")]
    assert trail[0].detail["note"] == "gọi điện lúc 15:40" and trail[0].detail["figures"] == {"installs": 17356}
    assert trail[0].detail["received_at"].startswith("2020-08-14T15:40")


def test_a_figure_received_after_the_deadline_is_late(day):
    client, csrf = signed_in(day)
    assert post(client, csrf, at="16:20").status_code == 303
    assert silent_state(day)[0] == "late"


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"figure": "12,5"}, 'Số liệu "12,5" không phải là một số nguyên rõ ràng'),
        ({"figure": "mười bảy nghìn"}, "không phải là một số nguyên rõ ràng"),
        ({"unit": "huyen-khong-co"}, "Không có đơn vị mang mã 'huyen-khong-co'"),
        ({"at": "25:70"}, 'Giờ "25:70" không hợp lệ (ghi giờ theo dạng HH:MM, ví dụ 15:40)'),
        ({"d": "31/02/2020"}, "không phải là ngày hợp lệ"),
    ],
)
def test_bad_input_is_said_in_vietnamese_and_changes_nothing(day, fields, said):
    client, csrf = signed_in(day)
    answer = post(client, csrf, **fields)
    assert answer.status_code == 400 and said in html.unescape(answer.text)
    assert silent_state(day) == ("missing", {})
    assert 'value="' + (fields.get("figure") or "17.356") + '"' in answer.text  # what was typed stays in the form
    assert [r for r in day.accounts.trail() if r.action == "record"] == []


def test_a_viewer_may_not_record_and_a_form_without_its_token_is_refused(day):
    viewer, viewer_csrf = signed_in(day, "xem")
    assert viewer.get("/record").status_code == 403
    refused = post(viewer, viewer_csrf)
    assert refused.status_code == 403 and "cần vai trò kiểm tra" in refused.text
    reviewer, _ = signed_in(day)
    no_token = post(reviewer, None)
    assert no_token.status_code == 403 and "thiếu mã xác nhận" in no_token.text
    assert silent_state(day) == ("missing", {})


def test_the_board_offers_to_record_a_missing_unit_to_reviewers_only(day):
    reviewer, _ = signed_in(day)
    assert f'href="/record?unit={SILENT_UNIT}&amp;d=14/8/2020"' in reviewer.get("/?d=14/8/2020").text
    viewer, _ = signed_in(day, "xem")
    board = viewer.get("/?d=14/8/2020").text
    assert "/record" not in board
