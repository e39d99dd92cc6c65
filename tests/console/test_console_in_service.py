"""`[web] enabled`: the console served inside a real `mailbot run` process, and stopping with it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from local_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
WAIT_LIMIT = 90  # seconds a step may take on a loaded machine before the test gives up


def mailbot(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


def campaign_with_web(tmp_path: Path, port: int) -> Path:
    text = (ROOT / "config" / "mailbot.toml").read_text(encoding="utf-8")
    path = tmp_path / "campaign.toml"
    path.write_text(f'{text}\n[web]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n', encoding="utf-8")
    return path


def environment(tmp_path: Path, config: Path) -> dict[str, str]:
    for folder in ("new", "cur", "tmp"):
        (tmp_path / "inbox" / folder).mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_") and k != "STATE_DIRECTORY"}
    env.update(
        MAILBOT_CONFIG=str(config),
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
    )
    return env


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def wait_for_health(url: str, service: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline and service.poll() is None:
        try:
            if get(f"{url}/healthz") == (200, b'{"ok":true}'):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the console inside `mailbot run` never answered /healthz")


def test_the_console_runs_inside_the_service_and_stops_with_it(tmp_path):
    port = free_port()
    env = environment(tmp_path, campaign_with_web(tmp_path, port))
    added = subprocess.run(
        [sys.executable, "-m", "mailbot", "user", "add", "lan", "--role", "reviewer"],
        input="mật-khẩu-đủ-dài\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    token = mailbot("user", "token", "lan", env=env, cwd=tmp_path).stdout.strip()
    expected = json.loads(mailbot("status", "--date", "2020-08-14", "--json", env=env, cwd=tmp_path).stdout)
    service = subprocess.Popen(
        [sys.executable, "-m", "mailbot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, service)
        status, body = get(f"{url}/api/status?date=2020-08-14", token)
        assert status == 200 and json.loads(body) == expected
        assert get(f"{url}/api/status?date=2020-08-14")[0] == 401
        status, page = get(f"{url}/signin")
        assert status == 200 and "Đăng nhập" in page.decode()
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=WAIT_LIMIT)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, output
    assert "the console stopped" in output and "mailbot stopped" in output
    with socket.socket() as probe:  # the port is free again
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_port_in_use_stops_the_service_at_once_saying_so(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = environment(tmp_path, campaign_with_web(tmp_path, port))
        answer = mailbot("run", env=env, cwd=tmp_path, timeout=WAIT_LIMIT)
    assert answer.returncode == 2
    assert f"Không mở được bảng theo dõi tại 127.0.0.1:{port}" in answer.stderr
    assert "mailbot is running" not in answer.stderr + answer.stdout
