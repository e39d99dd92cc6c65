"""The console's people: `mailbot user …`, argon2id hashes, hashed tokens, sign-in throttling."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from mailbot.accounts import SIGN_IN_ATTEMPTS, AccessError, Accounts
from mailbot.errors import NotFoundError, UsageError

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2020, 8, 14, 9, 0, tzinfo=UTC)
PASSWORD = "mật-khẩu-dài-đủ"


def mailbot(*args, env, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], input=stdin, capture_output=True, text=True, env=env, cwd=ROOT
    )


@pytest.fixture
def env(tmp_path):
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MAILBOT_DB_URL": f"sqlite:///{tmp_path / 'm.db'}"}


def test_user_commands_from_adding_to_disabling(env, tmp_path):
    added = mailbot("user", "add", "lan.nguyen", "--role", "reviewer", env=env, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "lan.nguyen" in added.stdout and "reviewer" in added.stdout
    listed = mailbot("user", "list", env=env)
    assert "lan.nguyen" in listed.stdout and "đang dùng" in listed.stdout
    token = mailbot("user", "token", "lan.nguyen", env=env).stdout.strip()
    assert token.startswith("mbt_") and len(token) > 40
    engine = sa.create_engine(env["MAILBOT_DB_URL"])
    with engine.connect() as conn:
        stored_hash = conn.execute(sa.text("SELECT password_hash FROM users")).scalar()
        token_rows = conn.execute(sa.text("SELECT token_hash FROM api_tokens")).scalars().all()
        trail = conn.execute(sa.text("SELECT action, address FROM audit ORDER BY id")).all()
    assert stored_hash.startswith("$argon2id$") and PASSWORD not in stored_hash
    assert token_rows and token not in token_rows
    assert [tuple(r) for r in trail] == [("user_add", "cli"), ("user_token", "cli")]
    assert mailbot("user", "disable", "lan.nguyen", env=env).returncode == 0
    assert "đã khóa" in mailbot("user", "list", env=env).stdout


@pytest.mark.parametrize(
    "args, stdin, status, message",
    [
        (["user", "add", "x.y", "--role", "boss"], PASSWORD, 2, "Vai trò 'boss' không hợp lệ"),
        (["user", "add", "x.y", "--role", "viewer"], "ngắn", 2, "Mật khẩu quá ngắn"),
        (["user", "add", "x.y", "--role", "viewer"], "", 2, "Không nhận được mật khẩu"),
        (["user", "add", "<b>", "--role", "viewer"], PASSWORD, 2, "Tên người dùng '<b>' không hợp lệ"),
        (["user", "token", "nobody"], "", 1, "Không có người dùng tên 'nobody'"),
        (["user", "passwd", "nobody"], PASSWORD, 1, "Không có người dùng tên 'nobody'"),
    ],
)
def test_bad_user_commands_say_what_is_wrong(env, args, stdin, status, message):
    result = mailbot(*args, env=env, stdin=stdin + "\n" if stdin else "")
    assert result.returncode == status, result.stderr
    assert result.stderr.startswith(f"mailbot: {message} (") and result.stderr.count("\n") == 1


def test_a_name_is_taken_once(store):
    accounts = Accounts(store, "vi")
    accounts.add("lan", "viewer", PASSWORD, NOW, by="test")
    with pytest.raises(UsageError, match="Đã có người dùng tên 'lan'"):
        accounts.add("lan", "admin", PASSWORD, NOW, by="test")


def test_sign_in_session_and_sign_out(store):
    accounts = Accounts(store, "vi")
    accounts.add("lan", "reviewer", PASSWORD, NOW, by="test")
    session = accounts.sign_in("lan", PASSWORD, "192.0.2.7", NOW)
    assert session.user.may("reviewer") and not session.user.may("admin")
    assert accounts.session(session.token, NOW + timedelta(hours=1)).csrf == session.csrf
    assert accounts.session(session.token, NOW + timedelta(days=1)) is None  # expired
    assert accounts.session("made-up", NOW) is None
    accounts.sign_out(session, "192.0.2.7", NOW)
    assert accounts.session(session.token, NOW) is None


def test_a_wrong_password_an_unknown_name_and_a_disabled_user_are_refused_alike(store):
    accounts = Accounts(store, "vi")
    accounts.add("lan", "reviewer", PASSWORD, NOW, by="test")
    for name, password in (("lan", "sai-mat-khau-roi"), ("ai-do", PASSWORD)):
        with pytest.raises(AccessError, match="Tên đăng nhập hoặc mật khẩu không đúng"):
            accounts.sign_in(name, password, "192.0.2.7", NOW)
    live = accounts.sign_in("lan", PASSWORD, "192.0.2.8", NOW)
    accounts.disable("lan", NOW, by="test")
    assert accounts.session(live.token, NOW) is None  # disabling ends the sessions
    with pytest.raises(AccessError):
        accounts.sign_in("lan", PASSWORD, "192.0.2.8", NOW)


def test_sign_in_pauses_after_repeated_failures_even_with_the_right_password(store):
    accounts = Accounts(store, "vi")
    accounts.add("lan", "reviewer", PASSWORD, NOW, by="test")
    for attempt in range(SIGN_IN_ATTEMPTS):
        with pytest.raises(AccessError):
            accounts.sign_in("lan", f"sai-{attempt}-mat-khau", "198.51.100.1", NOW)
    with pytest.raises(AccessError, match="Đăng nhập sai quá nhiều lần"):
        accounts.sign_in("lan", PASSWORD, "198.51.100.2", NOW + timedelta(minutes=1))
    later = NOW + timedelta(minutes=20)
    assert accounts.sign_in("lan", PASSWORD, "198.51.100.2", later).user.name == "lan"


def test_tokens_name_their_user_until_disabled(store):
    accounts = Accounts(store, "vi")
    accounts.add("may-chu", "viewer", PASSWORD, NOW, by="test")
    token = accounts.new_token("may-chu", NOW, by="test")
    assert accounts.token_user(token).name == "may-chu"
    assert accounts.token_user(token + "x") is None
    accounts.disable("may-chu", NOW, by="test")
    assert accounts.token_user(token) is None
    with pytest.raises(NotFoundError):
        accounts.new_token("nobody", NOW, by="test")
