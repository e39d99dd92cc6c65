"""A reverse proxy's user header (`web.user_header`), believed only from `web.trusted_proxies`."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from console_day import PASSWORD, at, seed_day, settings_for
from starlette.testclient import TestClient

from mailbot.app import App
from mailbot.config import WebOptions
from mailbot.store import Store
from mailbot.web import create_app

PROXY, ELSEWHERE = "10.0.0.5", "192.0.2.77"
HEADER = "X-Remote-User"


@pytest.fixture
def day(sqlite_url, tmp_path):
    base = settings_for(sqlite_url, tmp_path)
    settings = replace(base, web=WebOptions(user_header=HEADER, trusted_proxies=("10.0.0.0/24",)))
    store = Store.open(sqlite_url, settings.language)
    seed_day(settings, store)
    app = App(settings, store, clock=lambda: at(settings, 16, 30))
    app.accounts.add("lan", "reviewer", PASSWORD, at(settings, 8), by="test")
    app.accounts.add("xem", "viewer", PASSWORD, at(settings, 8), by="test")
    yield app
    store.close()


def client_from(app: App, address: str, user: str | None = None, forwarded: str | None = None) -> TestClient:
    headers = {HEADER: user} if user else {}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return TestClient(create_app(app), client=(address, 40000), headers=headers, follow_redirects=False)


def test_the_trusted_proxys_user_is_signed_in_with_mailbots_own_role(day):
    client = client_from(day, PROXY, "lan", forwarded="203.0.113.9")
    board = client.get("/?d=14/8/2020")
    assert board.status_code == 200 and "lan (kiểm tra)" in board.text
    cookie = board.headers["set-cookie"]
    assert "mb_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    csrf = re.search(r'name="csrf" value="([^"]+)"', board.text).group(1)
    waiting = day.waiting()[0].id
    decided = client.post(f"/submission/{waiting}", data={"csrf": csrf, "action": "accept", "reason": "đã gọi lại"})
    assert decided.status_code == 303 and day.waiting() == []
    trail = {r.action: r for r in day.accounts.trail()}
    assert (trail["review_accept"].who, trail["review_accept"].address) == ("lan", "203.0.113.9")
    assert trail["sign_in"].detail == {"via": "proxy"}
    viewer = client_from(day, PROXY, "xem")
    assert "xem (xem)" in viewer.get("/").text and viewer.get("/record").status_code == 403


def test_the_header_from_another_address_is_treated_as_signed_out(day):
    signed_in = client_from(day, PROXY, "lan")
    assert signed_in.get("/").status_code == 200
    forged = client_from(day, ELSEWHERE, "lan")
    forged.cookies.update(signed_in.cookies)  # even a valid session cookie is not believed beside a forged header
    refused = forged.get("/review")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/signin")
    assert "set-cookie" not in refused.headers
    token = re.search(r'name="csrf" value="([^"]+)"', signed_in.get("/").text).group(1)
    post = forged.post(f"/submission/{day.waiting()[0].id}", data={"csrf": token, "action": "accept"})
    assert post.status_code == 401 and "Phiên đăng nhập đã hết" in html.unescape(post.text)
    assert len(day.waiting()) == 1


def test_an_address_outside_the_trusted_ones_cannot_say_which_client_it_forwards(day):
    client = client_from(day, ELSEWHERE, forwarded="203.0.113.9")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text).group(1)
    client.post("/signin", data={"name": "lan", "password": "sai-mat-khau-roi", "csrf": token})
    failed = [r for r in day.accounts.trail() if r.action == "sign_in_failed"]
    assert [r.address for r in failed] == [ELSEWHERE]


def test_a_user_the_proxy_names_but_mailbot_does_not_know_is_signed_out(day):
    answer = client_from(day, PROXY, "ai-do").get("/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")


def test_without_the_setting_the_header_means_nothing(day):
    plain = App(replace(day.settings, web=WebOptions()), day.store, clock=day.clock)
    answer = client_from(plain, "127.0.0.1", "lan").get("/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
