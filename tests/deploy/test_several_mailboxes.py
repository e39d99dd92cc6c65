"""Several mailboxes served by one deployment, with real Dovecot accounts and real processes.

The districts' campaign reads from the environment's mailbox, the departments' from mailbox
`vanban` (a second Dovecot account). `mailbot poll --once` and `check-config --connect` go
through both; `mailbot run` watches each with its own watcher, mark and lease, exits when one
watcher dies, and on PostgreSQL each mailbox fails over on its own after a kill -9.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading

import pytest
from service_helpers import clean_env, mailbot, start_service, stop_service, wait_until
from several_mailboxes import VN, department_mail, district_mail, two_mailboxes

from mailbot.config import load_settings
from mailbot.inbox import source_identity
from mailbot.store import Store

POISONED = 5  # the sixth district mail: in the second batch of four when the mail is read in one poll


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2020, 8, day, hour, minute, tzinfo=VN)


def environment(first, second, db_url: str, outbox) -> dict[str, str]:
    return clean_env(
        MAILBOT_INBOX_URL=first.url(with_password=False),
        MAILBOT_INBOX_PASSWORD=first.password,
        MAILBOT_INBOX_URL_VANBAN=second.url(with_password=False),
        MAILBOT_INBOX_PASSWORD_VANBAN=second.password,
        MAILBOT_DB_URL=db_url,
        MAILBOT_SMTP_URL=f"file://{outbox}",
    )


def stored(url: str) -> list:
    store = Store.open(url)
    try:
        return store.submissions_between(dt.date(2020, 8, 1), dt.date(2020, 8, 31))
    finally:
        store.close()


def counts(url: str) -> tuple[int, int, int]:
    store = Store.open(url)
    try:
        found = store.counts()
    finally:
        store.close()
    return found["messages"], found["submissions"], found["outbox"]


def test_poll_once_and_check_config_go_through_each_mailbox(tmp_path, imap_account, second_imap_account):
    config = two_mailboxes(tmp_path / "config")
    db_url = f"sqlite:///{tmp_path / 'mailbot.db'}"
    env = environment(imap_account, second_imap_account, db_url, tmp_path / "outbox")
    settings = load_settings(config, env=env)
    districts, departments = settings.mailboxes
    nam_sach, so_y_te = districts.unit("nam-sach"), departments.unit("so-y-te")
    imap_account.append(district_mail(nam_sach, 17356, at(14, 15, 42)), at(14, 15, 42))
    second_imap_account.append(department_mail(so_y_te, at(15, 10)), at(15, 10))
    # Nam Sách's office writing to the departments' mailbox: that mailbox's campaign, where it is not registered
    second_imap_account.append(district_mail(nam_sach, 17400, at(15, 11)), at(15, 11))

    polled = mailbot("--config", str(config), "poll", "--once", env=env, cwd=tmp_path)
    assert polled.returncode == 0, polled.stderr
    found = {(s.campaign, s.unit, s.sender) for s in stored(db_url)}
    assert found == {
        ("districts", "nam-sach", nam_sach.senders[0]),
        ("departments", "so-y-te", so_y_te.senders[0]),
        ("departments", None, nam_sach.senders[0]),
    }
    store = Store.open(db_url)
    try:
        assert store.source_mark(source_identity(districts)).last_uid == 1
        assert store.source_mark(source_identity(departments)).last_uid == 2
    finally:
        store.close()
    again = mailbot("--config", str(config), "poll", "--once", env=env, cwd=tmp_path)
    assert again.returncode == 0 and counts(db_url)[0] == 3  # each mailbox read on from its own mark

    checked = mailbot("--config", str(config), "check-config", "--connect", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (
        imap_account.user.split("@")[0] in checked.stdout and second_imap_account.user.split("@")[0] in checked.stdout
    )
    wrong = {**env, "MAILBOT_INBOX_PASSWORD_VANBAN": "not-the-password"}
    refused = mailbot("--config", str(config), "check-config", "--connect", env=wrong, cwd=tmp_path)
    assert refused.returncode == 1
    assert second_imap_account.user.split("@")[0] in refused.stdout + refused.stderr


@pytest.mark.timeout(300)
def test_run_watches_each_mailbox_and_exits_when_one_watcher_dies(tmp_path, imap_account, second_imap_account):
    config = two_mailboxes(tmp_path / "config")
    db_url = f"sqlite:///{tmp_path / 'mailbot.db'}"
    env = environment(imap_account, second_imap_account, db_url, tmp_path / "outbox")
    settings = load_settings(config, env=env)
    districts, departments = settings.mailboxes
    (tmp_path / "run").mkdir()
    process, log = start_service(config, {**env, "MAILBOT_READER_FAULTS": "1"}, tmp_path / "run")
    try:
        wait_until(lambda: log.read_text().count("this instance serves the mailbox") == 2, 120, "both served", log)
        imap_account.append(district_mail(districts.unit("nam-sach"), 17356, at(14, 15, 42)), at(14, 15, 42))
        second_imap_account.append(department_mail(departments.unit("so-y-te"), at(15, 10)), at(15, 10))
        wait_until(lambda: counts(db_url)[1] == 2, 120, "each mailbox's report stored", log)
        assert {s.campaign for s in stored(db_url)} == {"districts", "departments"}

        poison = department_mail(departments.unit("tinh-doan"), at(15, 11), marker="MAILBOT-FAULT:thread-exit")
        second_imap_account.append(poison, at(15, 11))
        wait_until(lambda: process.poll() is not None, 120, "mailbot exiting with a dead watcher", log)
        assert process.returncode == 1
        said = log.read_text()
        dead = next(line for line in said.splitlines() if "the inbox watcher of the mailbox" in line)
        assert second_imap_account.url(with_password=False) in dead
    finally:
        stop_service(process)


@pytest.mark.timeout(600)
def test_each_mailbox_fails_over_on_its_own_after_a_kill_9(tmp_path, imap_account, second_imap_account, postgres_url):
    """Instance A serves the districts' mailbox while the departments' lease is held elsewhere; B stands
    by for both. A is killed mid-batch: B takes the districts' mailbox over alone, and the departments'
    only once its lease is free; every mail of both is stored and answered once."""
    config = two_mailboxes(tmp_path / "config", batch_size=4)
    outbox = tmp_path / "outbox"
    env = environment(imap_account, second_imap_account, postgres_url, outbox)
    settings = load_settings(config, env=env)
    districts, departments = settings.mailboxes
    first_url, second_url = imap_account.url(with_password=False), second_imap_account.url(with_password=False)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    holder, stop = Store.open(postgres_url), threading.Event()
    a = b = None
    try:
        with holder.lease(f"mailbox:{second_url}", 1.0, stop) as held:  # the departments' mailbox: another holder's
            assert held is not None
            a, a_log = start_service(config, {**env, "MAILBOT_READER_FAULTS": "1"}, tmp_path / "a")
            wait_until(lambda: f"serves the mailbox {first_url}" in a_log.read_text(), 120, "A serving", a_log)
            wait_until(lambda: f"mailbox {second_url} is served by another" in a_log.read_text(), 60, "A waits", a_log)
            b, b_log = start_service(config, env, tmp_path / "b")
            wait_until(lambda: b_log.read_text().count("this one stands by") == 2, 120, "B standing by", b_log)
            units = districts.units
            for number, unit in enumerate(units):
                marker = "MAILBOT-FAULT:die" if number == POISONED else ""
                imap_account.append(district_mail(unit, 10000 + number, at(14, 15, number), marker), at(14, 15, number))
            wait_until(lambda: a.poll() is not None, 120, "A killed mid-batch", a_log)
            assert a.returncode == -signal.SIGKILL
            # Killed before storing the mail that killed it; how many went before depends on when each arrived
            # (new mail goes first), and B may already be filling the store: so A's own log says what A stored.
            stored_by_a = [line for line in a_log.read_text().splitlines() if "mailbot.service: stored <" in line]
            assert len(stored_by_a) < len(units)
            assert not any(f"unit={units[POISONED].id} " in line for line in stored_by_a)
            wait_until(lambda: f"serves the mailbox {first_url}" in b_log.read_text(), 60, "B taking over", b_log)
            wait_until(lambda: len(list(outbox.glob("*-ack-*.eml"))) >= len(units), 180, "every answer", b_log)
            second_imap_account.append(department_mail(departments.unit("so-y-te"), at(15, 10)), at(15, 10))
            assert f"serves the mailbox {second_url}" not in b_log.read_text()  # its lease is still held elsewhere
        wait_until(lambda: f"serves the mailbox {second_url}" in b_log.read_text(), 60, "B taking the second", b_log)
        wait_until(lambda: counts(postgres_url) == (13, 13, 13), 180, "the departments' report answered", b_log)
        subs = stored(postgres_url)
        assert sorted(s.unit for s in subs if s.campaign == "districts") == sorted(u.id for u in units)
        assert [s.unit for s in subs if s.campaign == "departments"] == ["so-y-te"]
        assert all(s.status == "accepted" for s in subs)
        wait_until(lambda: len(list(outbox.glob("*-ack-*.eml"))) == 13, 60, "the thirteenth answer", b_log)
    finally:
        for process in (a, b):
            if process is not None:
                stop_service(process)
        holder.close()
