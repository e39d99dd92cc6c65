"""Several mailboxes in one deployment: how they are declared, and the mistakes refused in one line."""

from __future__ import annotations

import datetime as dt

import pytest
from several import deployment, district_mail, on
from several_mailboxes import SECOND, departments_in, two_mailboxes

from mailbot import health, routing, service
from mailbot.cli import views
from mailbot.config import load_settings
from mailbot.errors import ConfigError
from mailbot.inbox import source_identity
from mailbot.models import InboundMessage
from mailbot.store import Store

ENV = {"MAILBOT_INBOX_URL": "imap://baocao%40haiduong.gov.vn@127.0.0.1:1143/INBOX"}
SECOND_URL = "imaps://vanban%40haiduong.gov.vn@127.0.0.1:1993/INBOX"


def refused(path, env=None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=ENV if env is None else env)
    return str(caught.value)


def test_each_campaign_reads_from_its_mailbox_with_its_own_password(tmp_path):
    env = {**ENV, "MAILBOT_INBOX_URL_VANBAN": SECOND_URL, "MAILBOT_INBOX_PASSWORD_VANBAN": "bí mật"}
    settings = load_settings(two_mailboxes(tmp_path), env=env)
    assert [m.campaign.id for m in settings.mailboxes] == ["districts", "departments"]
    districts, departments = settings.mailboxes
    assert districts.connections.inbox_url == ENV["MAILBOT_INBOX_URL"]
    assert departments.connections.inbox_url == SECOND_URL and departments.connections.inbox_password == "bí mật"
    assert [c.campaign.id for c in departments.mailbox_campaigns] == ["departments"]
    assert source_identity(departments) == "imaps://vanban%40haiduong.gov.vn@127.0.0.1:1993/INBOX"
    assert "bí mật" not in repr(departments)


def test_check_config_names_the_mailbox_each_campaign_reads_without_its_password(tmp_path):
    env = {**ENV, "MAILBOT_INBOX_URL_VANBAN": SECOND_URL, "MAILBOT_INBOX_PASSWORD_VANBAN": "bí mật"}
    said = views.config_summary(load_settings(two_mailboxes(tmp_path), env=env)).splitlines()
    districts = next(line for line in said if line.startswith("[districts]"))
    departments = next(line for line in said if line.startswith("[departments]"))
    assert districts.endswith("đọc từ hộp thư mặc định ($MAILBOT_INBOX_URL)")
    assert departments.endswith(f"đọc từ hộp thư {SECOND}")
    assert f"{SECOND} = imaps://vanban%40haiduong.gov.vn@127.0.0.1:1993/INBOX" in said[-1]
    assert "mặc định ($MAILBOT_INBOX_URL) = imap://baocao%40haiduong.gov.vn@127.0.0.1:1143/INBOX" in said[-1]
    assert "bí mật" not in "\n".join(said)
    one_mailbox = views.config_summary(deployment(env=ENV))
    assert "đọc từ hộp thư" not in one_mailbox and "Hộp thư: imap://baocao" in one_mailbox


def test_a_mailbox_url_in_the_file_and_its_password_from_a_secrets_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("mật-khẩu\n", encoding="utf-8")
    declared = f'[[mailboxes]]\nid = "{SECOND}"\nurl = "{SECOND_URL}"\npassword_file = "{secret}"\n'
    departments = load_settings(two_mailboxes(tmp_path / "d", declared), env=ENV).mailboxes[1]
    assert departments.connections.inbox_url == SECOND_URL and departments.connections.inbox_password == "mật-khẩu"
    env = {**ENV, "MAILBOT_INBOX_URL_VANBAN": "imap://khac%40haiduong.gov.vn:pw@127.0.0.1:143/INBOX"}
    overridden = load_settings(two_mailboxes(tmp_path / "d", declared), env=env).mailboxes[1]
    assert (
        overridden.connections.inbox_url.startswith("imap://khac")
        and overridden.connections.inbox_password == "mật-khẩu"
    )


def test_a_single_campaign_file_and_a_deployment_without_mailboxes_read_the_environments_mailbox(tmp_path):
    shipped = deployment(env=ENV)
    assert [m.campaign.id for m in shipped.mailboxes] == ["districts"]
    assert [c.campaign.id for c in shipped.mailbox_campaigns] == ["districts", "departments"]


def test_a_mailbox_declared_twice_is_one_line_naming_the_file(tmp_path):
    twice = f'[[mailboxes]]\nid = "{SECOND}"\nurl = "{SECOND_URL}"\n\n[[mailboxes]]\nid = "{SECOND}"\nurl = "{SECOND_URL}"\n'
    message = refused(two_mailboxes(tmp_path, twice))
    assert "deployment.toml" in message and "'vanban'" in message and "2" in message and "\n" not in message


def test_a_campaign_naming_an_unknown_mailbox_is_one_line_naming_its_file_and_the_fix(tmp_path):
    path = two_mailboxes(tmp_path, departments=departments_in("van-thu"))
    message = refused(path, {**ENV, "MAILBOT_INBOX_URL_VANBAN": SECOND_URL})
    assert "departments.toml" in message and "'van-thu'" in message and "[[mailboxes]]" in message
    assert 'id = "van-thu"' in message and "vanban" in message


def test_a_single_campaign_file_naming_a_mailbox_says_a_deployment_file_declares_them(tmp_path):
    path = tmp_path / "departments.toml"
    path.write_text(departments_in(SECOND), encoding="utf-8")
    message = refused(path)
    assert "departments.toml" in message and "'vanban'" in message and "campaigns = [...]" in message


@pytest.mark.parametrize(
    ("declared", "env", "words"),
    [
        (f'[[mailboxes]]\nid = "{SECOND}"\n', {}, ["MAILBOT_INBOX_URL_VANBAN", "url"]),
        (
            f'[[mailboxes]]\nid = "{SECOND}"\nurl = "imap://vanban:secret@127.0.0.1/INBOX"\n',
            {},
            ["password", "MAILBOT_INBOX_PASSWORD_VANBAN"],
        ),
        (
            f'[[mailboxes]]\nid = "{SECOND}"\nurl = "{SECOND_URL}"\npassword = "x"\n',
            {},
            ["'password'", "password_file"],
        ),
        (f'[[mailboxes]]\nid = "Văn bản"\nurl = "{SECOND_URL}"\n', {}, ["id", "tiemchung"]),
        (f'[[mailboxes]]\nid = "{SECOND}"\nurl = "{SECOND_URL}"\npassword_file = "nowhere"\n', {}, ["nowhere"]),
        ('[[mailboxes]]\nid = "vanban"\nurl = "pop3://127.0.0.1/INBOX"\n', {}, ["MAILBOT_INBOX_URL_VANBAN", "pop3"]),
        ("mailboxes = 3\n", {}, ["[[mailboxes]]"]),
    ],
)
def test_a_mistake_in_a_mailbox_is_one_line_saying_how_to_fix_it(tmp_path, declared, env, words):
    message = refused(two_mailboxes(tmp_path, declared), {**ENV, **env})
    assert "\n" not in message and all(word in message for word in words), message


def test_a_declared_mailbox_no_campaign_reads_is_refused(tmp_path):
    path = two_mailboxes(tmp_path, f'[[mailboxes]]\nid = "{SECOND}"\n', departments=departments_in(SECOND))
    path.write_text(
        path.read_text() + f'\n[[mailboxes]]\nid = "spare"\nurl = "{SECOND_URL.replace("vanban", "spare")}"\n'
    )
    message = refused(path, {**ENV, "MAILBOT_INBOX_URL_VANBAN": SECOND_URL})
    assert "'spare'" in message and 'mailbox = "spare"' in message


def test_two_mailbox_names_for_one_account_and_folder_are_refused(tmp_path):
    same = ENV["MAILBOT_INBOX_URL"].replace("imap://", "imap+starttls://")
    message = refused(two_mailboxes(tmp_path), {**ENV, "MAILBOT_INBOX_URL_VANBAN": same})
    assert "vanban" in message and "MAILBOT_INBOX_URL" in message and "twice" not in message


def test_an_address_registered_in_campaigns_of_two_mailboxes_needs_nothing_to_tell_them_apart(tmp_path):
    """The mailbox tells them apart: a mail is routed among the campaigns of the mailbox it arrived in."""
    shared = departments_in(SECOND).replace(
        'senders = ["vanphong.so-y-te@haiduong.gov.vn"]',
        'senders = ["vanphong.so-y-te@haiduong.gov.vn", "vanphong.namsach@haiduong.gov.vn"]',
    )
    env = {**ENV, "MAILBOT_INBOX_URL_VANBAN": SECOND_URL}
    settings = load_settings(two_mailboxes(tmp_path, departments=shared), env=env)
    districts, departments = settings.mailboxes
    raw = district_mail(settings, "nam-sach", 17356, on(14, 15, 42))
    message = InboundMessage(source="test", key="1", raw=raw, received_at=on(14, 15, 42), size=len(raw))
    first = routing.route(districts, raw, lambda c: service.safe_read(c, message))
    second = routing.route(departments, raw, lambda c: service.safe_read(c, message))
    assert (first.reading.campaign, first.reading.unit) == ("districts", "nam-sach")
    assert second.reading.campaign == "departments"  # its only campaign, never the districts'
    stranger = raw.replace(b"vanphong.namsach@haiduong.gov.vn", b"canbo@gmail.com")
    alone = routing.route(departments, stranger, lambda c: service.safe_read(c, message))
    assert alone.reading.campaign == "departments"
    assert "unknown_campaign" not in {p.code for p in alone.reading.problems}


def test_the_monitoring_check_sees_a_mailbox_not_read_behind_anothers_fresh_heartbeat(tmp_path):
    env = {**ENV, "MAILBOT_INBOX_URL_VANBAN": SECOND_URL}
    settings = load_settings(two_mailboxes(tmp_path), env=env)
    store = Store.open(f"sqlite:///{tmp_path / 'mailbot.db'}")
    now = dt.datetime(2020, 8, 14, 9, 0, tzinfo=dt.UTC)
    try:
        districts, departments = settings.mailboxes
        store.record_heartbeat(source_identity(districts), now)
        assert health.assess(settings, store, now).level == health.CRITICAL  # the second was never read
        store.record_heartbeat(source_identity(departments), now - dt.timedelta(hours=2))
        checked = health.assess(settings, store, now)
        assert checked.level == health.CRITICAL and "vanban" in checked.line
        store.record_heartbeat(source_identity(departments), now)
        assert health.assess(settings, store, now).level == health.OK
        health.record_outage(store, "vanban", "LOGIN refused", now, SECOND)
        assert health.assess(settings, store, now).level == health.WARNING
        assert health.current_outage(store, settings).error == "LOGIN refused"
        health.clear_outage(store, None)  # the other mailbox's recovery leaves it in place
        assert health.current_outage(store, settings) is not None
    finally:
        store.close()
