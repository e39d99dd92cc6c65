"""The console's JSON API and health check, over HTTP on loopback, and `mailbot web` itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
import sqlalchemy as sa
from console_day import DOUBTFUL_UNIT, PASSWORD, ROOT, Console, at, free_port, seed_day, settings_for

from mailbot.app import App
from mailbot.store import Store


@pytest.fixture
def served(store_url, tmp_path):
    """The day in a real store, the console on loopback with the real clock, and a viewer's token."""
    settings = settings_for(store_url, tmp_path)
    store = Store.open(store_url, settings.language)
    seed_day(settings, store)
    app = App(settings, store)
    app.accounts.add("may-chu", "viewer", PASSWORD, at(settings, 8), by="test")
    token = app.accounts.new_token("may-chu", at(settings, 8), by="test")
    with Console(app) as console:
        yield console, token, store_url, tmp_path
    store.close()


def cli_status(store_url, tmp_path) -> dict:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "MAILBOT_DB_URL": store_url}
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", "status", "--date", "2020-08-14", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_api_status_is_the_command_lines_json(served):
    console, token, store_url, tmp_path = served
    answer = httpx.get(f"{console.url}/api/status?date=2020-08-14", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.json() == cli_status(store_url, tmp_path)
    assert {u["unit"]: u["state"] for u in answer.json()["units"]}[DOUBTFUL_UNIT] == "needs_review"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer mbt_not-a-token", "Basic bWF5LWNodTp4"])
def test_api_without_a_valid_token_is_401(served, header):
    console, *_ = served
    headers = {"Authorization": header} if header else {}
    for path in ("/api/status?date=2020-08-14", "/api/review", "/api/history?unit=tu-ky"):
        answer = httpx.get(f"{console.url}{path}", headers=headers)
        assert answer.status_code == 401 and "mailbot user token" in answer.json()["error"]


def test_api_review_and_history(served):
    console, token, *_ = served
    auth = {"Authorization": f"Bearer {token}"}
    waiting = httpx.get(f"{console.url}/api/review", headers=auth).json()["waiting"]
    assert [w["unit"] for w in waiting] == [DOUBTFUL_UNIT] and waiting[0]["status"] == "needs_review"
    history = httpx.get(f"{console.url}/api/history?unit=Huyện Nam Sách&from=13/8/2020&to=14/8/2020", headers=auth)
    assert history.status_code == 200
    days = history.json()["days"]
    assert history.json()["unit"] == "nam-sach" and [d["date"] for d in days] == ["2020-08-13", "2020-08-14"]
    assert days[1]["state"] == "on_time" and days[1]["figures"] == {"installs": 13_333}
    bad = httpx.get(f"{console.url}/api/status?date=31/02/2020", headers=auth)
    assert bad.status_code == 400 and "không phải là ngày hợp lệ" in bad.json()["error"]


def test_healthz_answers_while_the_store_can_be_read(served):
    console, _, store_url, _ = served
    assert httpx.get(f"{console.url}/healthz").json() == {"ok": True}
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE messages RENAME TO messages_gone"))
    engine.dispose()
    answer = httpx.get(f"{console.url}/healthz")
    assert answer.status_code == 503 and answer.json() == {"ok": False}


def test_mailbot_web_serves_until_sigterm(tmp_path):
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "MAILBOT_DB_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "mailbot", "web", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
                time.sleep(0.2)
        assert answer.json() == {"ok": True}
        assert httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=False).headers["location"] == "/signin?next=/"
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
