"""Replies only to real senders, sender text escaped in the terminal, the store private to its owner.

The replies are tested on real servers: the mail arrives on Dovecot, `mailbot poll
--once` runs as a process and hands its acknowledgements to aiosmtpd.
"""

import os
import stat
from datetime import timedelta

from robust.hostile import MAILBOX, METRIC, environment, mailbot, now, submissions

from mailbot.samples import district_workbook, report_mail  # noqa: E402

TRUSTED = "mx.haiduong.gov.vn"


def outside(sender: str, name: str, auth: str | None = None, subject: str = "Báo cáo Bluezone") -> bytes:
    headers = {"Authentication-Results": f"{TRUSTED}; {auth}"} if auth else None
    return report_mail(
        sender=sender,
        sender_name=name,
        to=MAILBOX,
        subject=subject,
        body="Kính gửi Sở.",
        sent_at=now(),
        attachment_name="bc.xlsx",
        attachment=district_workbook("Huyện Nam Sách", 17356, now().date(), METRIC),
        domain=sender.split("@")[1],
        extra_headers=headers,
    )


def test_forged_outside_senders_get_no_reply_and_real_ones_do(tmp_path, imap_account, smtp_server):
    mails = {
        "dmarc fail": outside("vanphong.namsach@haiduong.gov.vn", "Nam Sách", "dmarc=fail header.from=haiduong.gov.vn"),
        "outsider": outside("lure@spam.example", "Free prize"),
        "outsider again": outside("lure@spam.example", "Free prize", subject="Báo cáo http://evil.example/x"),
        "own domain": outside("canbo.namsach@haiduong.gov.vn", "Cán bộ Nam Sách"),
        "authenticated": outside("staff@partner.example", "Partner", "dmarc=pass header.from=partner.example"),
    }
    for number, raw in enumerate(mails.values()):
        imap_account.append(raw, now() - timedelta(minutes=10 - number))
    env = environment(tmp_path, imap_account.url(), MAILBOT_SMTP_URL=smtp_server.url)
    result = mailbot("poll", "--once", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    answered = sorted(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert answered == ["canbo.namsach@haiduong.gov.vn", "staff@partner.example"]
    stored = submissions(tmp_path)
    assert len(stored) == 5  # every mail is kept
    assert [s[2] for s in stored] == ["rejected", "needs_review", "needs_review", "needs_review", "needs_review"]


def test_replies_to_one_address_stop_after_the_daily_limit(tmp_path):
    inbox = tmp_path / "inbox"
    from mailbot.inbox import deliver_to_maildir

    for number in range(7):
        deliver_to_maildir(inbox, outside("canbo.namsach@haiduong.gov.vn", f"Cán bộ {number}"), now())
    env = environment(tmp_path, f"maildir://{inbox}")
    assert mailbot("poll", "--once", env=env).returncode == 0
    assert len(submissions(tmp_path)) == 7
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 5  # limits.replies_per_day


def test_sender_markup_is_shown_as_written(tmp_path):
    inbox = tmp_path / "inbox"
    from mailbot.inbox import deliver_to_maildir

    deliver_to_maildir(inbox, outside("[/x]@example.org", "[bold]x"), now())
    deliver_to_maildir(inbox, outside("[link=http://evil.example]click[/link]@example.org", "y"), now())
    env = environment(tmp_path, f"maildir://{inbox}")
    polled = mailbot("poll", "--once", env=env)
    assert polled.returncode == 0, polled.stderr[-2000:]
    assert "[/x]@example.org" in polled.stdout
    listed = mailbot("review", "list", env=env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "[/x]@example.org" in listed.stdout and "[link=http://evil.example]click[/link]" in listed.stdout
    shown = mailbot("review", "show", "1", env=env)
    assert shown.returncode == 0 and "[/x]@example.org" in shown.stdout, shown.stderr[-2000:]
    assert mailbot("outbox", "list", env=env).returncode == 0


def test_the_store_is_private_to_its_owner(tmp_path):
    env = environment(tmp_path, f"maildir://{tmp_path / 'inbox'}")
    for sub in ("new", "cur", "tmp"):
        (tmp_path / "inbox" / sub).mkdir(parents=True)
    assert mailbot("poll", "--once", env=env).returncode == 0
    folder, database = tmp_path / "store", tmp_path / "store" / "mailbot.db"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(database).st_mode) == 0o600
    for extra in folder.glob("mailbot.db-*"):
        assert stat.S_IMODE(os.stat(extra).st_mode) == 0o600


def test_a_review_decision_records_the_login_beside_the_name_given(tmp_path):
    import getpass
    import sqlite3

    from mailbot.inbox import deliver_to_maildir

    deliver_to_maildir(tmp_path / "inbox", outside("canbo.namsach@haiduong.gov.vn", "Cán bộ"), now())
    env = environment(tmp_path, f"maildir://{tmp_path / 'inbox'}", MAILBOT_USER="someone else")
    assert mailbot("poll", "--once", env=env).returncode == 0
    decided = mailbot("review", "accept", "1", "--by", "Nguyễn Văn A", "--reason", "đã gọi điện", env=env)
    assert decided.returncode == 0, decided.stderr[-2000:]
    with sqlite3.connect(tmp_path / "store" / "mailbot.db") as db:
        assert db.execute("SELECT decided_by, os_login FROM decisions").fetchall() == [
            ("Nguyễn Văn A", getpass.getuser())
        ]
    shown = mailbot("review", "show", "1", env=env)
    assert f"Nguyễn Văn A (tài khoản máy: {getpass.getuser()})" in shown.stdout


def test_a_store_of_schema_2_gains_the_login_column(tmp_path):
    import sqlite3

    from mailbot.store import SCHEMA_VERSION, Store

    url = f"sqlite:///{tmp_path / 'old.db'}"
    Store.open(url).close()
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("ALTER TABLE decisions DROP COLUMN os_login")
        db.execute("ALTER TABLE submissions DROP COLUMN sources")  # added later, at schema 4
        db.execute("DROP INDEX ix_submissions_campaign")  # and the campaigns of schema 5
        for table in ("submissions", "decisions", "outbox"):
            db.execute(f"ALTER TABLE {table} DROP COLUMN campaign")
        db.execute("UPDATE alembic_version SET version_num = '0002'")  # the store as schema 2 left it
    store = Store.open(url)
    assert store.schema_version == SCHEMA_VERSION == 6
    store.close()
    with sqlite3.connect(tmp_path / "old.db") as db:
        assert "os_login" in [row[1] for row in db.execute("PRAGMA table_info(decisions)")]
