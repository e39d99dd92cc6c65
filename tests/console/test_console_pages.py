"""The console's pages over HTTP without a browser: English by setting, sign-in throttling, downloads."""

from __future__ import annotations

import re
import sys
from dataclasses import replace

import pytest
from console_day import DOUBTFUL_UNIT, PASSWORD, at, seed_day, settings_for
from starlette.testclient import TestClient

from mailbot.accounts import SIGN_IN_ATTEMPTS
from mailbot.app import App
from mailbot.store import Store
from mailbot.web import create_app


@pytest.fixture
def make_client(sqlite_url, tmp_path):
    opened = []

    def make(language="vi"):
        settings = replace(settings_for(sqlite_url, tmp_path), language=language)
        store = Store.open(sqlite_url, settings.language)
        opened.append(store)
        if not store.counts()["messages"]:
            seed_day(settings, store)
        app = App(settings, store, clock=lambda: at(settings, 16, 30))
        if not app.accounts.users():
            app.accounts.add("lan", "reviewer", PASSWORD, at(settings, 8), by="test")
        return TestClient(create_app(app)), app

    yield make
    for store in opened:
        store.close()


def form_token(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(client, password=PASSWORD):
    token = form_token(client.get("/signin").text)
    return client.post("/signin", data={"name": "lan", "password": password, "csrf": token}, follow_redirects=False)


def test_english_by_setting(make_client):
    client, _ = make_client("en")
    assert "<h1>Sign in</h1>" in client.get("/signin").text
    assert sign_in(client).status_code == 303
    board = client.get("/?d=14/8/2020").text
    assert "Reports of 14/08/2020" in board and "To review" in board and 'lang="en"' in board


def test_sign_in_pauses_after_repeated_failures(make_client):
    client, app = make_client()
    for _ in range(SIGN_IN_ATTEMPTS):
        assert sign_in(client, password="sai-mat-khau-roi").status_code == 401
    refused = sign_in(client)
    assert refused.status_code == 401 and "Đăng nhập sai quá nhiều lần" in refused.text
    failures = [r for r in app.accounts.trail() if r.action == "sign_in_failed"]
    assert len(failures) == SIGN_IN_ATTEMPTS + 1 and {r.address for r in failures} == {"testclient"}


def test_a_sign_in_form_without_its_token_is_refused(make_client):
    client, _ = make_client()
    client.get("/signin")
    answer = client.post("/signin", data={"name": "lan", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403 and "mb_session" not in answer.headers.get("set-cookie", "")


def test_session_cookie_is_httponly_and_strict(make_client):
    client, _ = make_client()
    cookie = sign_in(client).headers["set-cookie"]
    assert "mb_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback; behind TLS the cookie is Secure


def test_the_mail_and_attachment_download_as_sent(make_client):
    client, app = make_client()
    sign_in(client)
    doubtful = app.waiting()[0]
    eml = client.get(f"/submission/{doubtful.id}/eml")
    assert eml.content == app.raw_message(doubtful.id)
    assert eml.headers["content-disposition"].startswith("attachment;")
    sheet = client.get(f"/submission/{doubtful.id}/attachment/1")
    assert sheet.content[:2] == b"PK" and "BC%20" + DOUBTFUL_UNIT in sheet.headers["content-disposition"]
    assert client.get(f"/submission/{doubtful.id}/attachment/9").status_code == 404
    assert client.get("/submission/999999").status_code == 404


def test_the_report_previews_and_downloads(make_client):
    client, _ = make_client()
    sign_in(client)
    assert client.get("/report?d=14/8/2020").status_code == 200
    preview = client.get("/report/html?d=2020-08-14")
    assert preview.status_code == 200 and "/report/png?d=2020-08-14" in preview.text
    assert client.get("/report/png?d=2020-08-14").content[:4] == b"\x89PNG"
    assert client.get("/report/xlsx?d=2020-08-14").content[:2] == b"PK"
    assert 'href="/report/pdf?d=2020-08-14">Tải bản PDF</a>' in client.get("/report?d=14/8/2020").text
    printed = client.get("/report/pdf?d=2020-08-14")
    assert printed.content[:5] == b"%PDF-" and printed.headers["content-type"] == "application/pdf"
    assert (
        printed.headers["content-disposition"].startswith("attachment;")
        and ".pdf" in printed.headers["content-disposition"]
    )


def test_without_weasyprint_the_pdf_download_says_what_to_install(make_client, monkeypatch):
    client, _ = make_client()
    sign_in(client)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails as when it is not installed
    answer = client.get("/report/pdf?d=2020-08-14")
    assert answer.status_code == 503
    assert "pip install &#39;mailbot[pdf]&#39;" in answer.text or "pip install 'mailbot[pdf]'" in answer.text


def test_the_outbox_says_what_each_mail_is_and_where_it_stands_in_words(make_client):
    client, app = make_client()
    sign_in(client)
    page = client.get("/outbox").text
    assert app.outbox(), "the seeded day queues its acknowledgements"
    assert "Thư báo đã nhận" in page and ("Chờ gửi" in page or "Đã gửi" in page)
    assert not re.search(r">(ack|pending|sent|held)<", page)
