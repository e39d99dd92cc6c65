"""The shipped campaign loads as docs/settings.md states it; bad files fail with one clear line."""

from datetime import date, datetime, time
from pathlib import Path

import pytest

from mailbot.config import load_settings, redact_url
from mailbot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "mailbot.toml"


def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "mailbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_campaign_matches_the_contract():
    s = load_settings(SHIPPED, env={})
    c = s.campaign
    assert c.time_zone == "Asia/Ho_Chi_Minh"
    assert c.deadline == time(16, 0, 0)
    assert c.deadline_of(date(2020, 8, 14)).isoformat() == "2020-08-14T16:00:00+07:00"
    assert [m.id for m in c.metrics] == ["installs"]
    assert c.metrics[0].label == "Số lượng cài đặt Bluezone" and c.metrics[0].cumulative
    assert c.population == 1705059 and c.goal_percent == 60
    assert c.reporting_mailbox == "baocao.stttt@haiduong.gov.vn"
    assert c.report_to == ("stttt@haiduong.gov.vn",)
    assert c.trusted_authserv_id == "mx.haiduong.gov.vn"
    assert [u.id for u in s.units] == [
        "hai-duong",
        "chi-linh",
        "kinh-mon",
        "nam-sach",
        "kim-thanh",
        "thanh-ha",
        "cam-giang",
        "binh-giang",
        "gia-loc",
        "tu-ky",
        "ninh-giang",
        "thanh-mien",
    ]
    assert s.unit("nam-sach").name == "Huyện Nam Sách"
    assert s.unit("nam-sach").population is None  # unverified in the sources
    assert s.unit("hai-duong").population == 299638
    assert s.language == "vi"


def test_sender_matching_is_case_insensitive_on_the_address_alone():
    s = load_settings(SHIPPED, env={})
    assert s.unit_of_sender("VanPhong.NamSach@HaiDuong.gov.vn").id == "nam-sach"
    assert s.unit_of_sender("Huyện Nam Sách <someone@gmail.com>") is None
    assert s.unit_of_sender(None) is None


def test_every_day_is_a_reporting_day_by_default():
    c = load_settings(SHIPPED, env={}).campaign
    assert all(c.is_reporting_day(date(2020, 8, d)) for d in range(10, 17))


def test_environment_overrides_and_secrets_stay_out_of_repr():
    env = {
        "MAILBOT_INBOX_URL": "imaps://baocao.stttt%40haiduong.gov.vn:s%3Dcret@mail.example:993/INBOX",
        "MAILBOT_SMTP_URL": "smtp+starttls://relay.example:587",
        "MAILBOT_DB_URL": "sqlite:////tmp/x.db",
        "MAILBOT_REPORT_TO": "a@haiduong.gov.vn, B@haiduong.gov.vn",
    }
    s = load_settings(SHIPPED, env=env)
    assert s.connections.inbox_password == "s=cret"
    assert s.campaign.report_to == ("a@haiduong.gov.vn", "b@haiduong.gov.vn")
    assert "s%3Dcret" not in repr(s) and "s=cret" not in repr(s)
    assert redact_url(env["MAILBOT_INBOX_URL"]).startswith("imaps://baocao.stttt%40haiduong.gov.vn:***@")


def test_password_variable_wins_over_nothing_in_url():
    s = load_settings(SHIPPED, env={"MAILBOT_INBOX_URL": "imap://u@h:143/INBOX", "MAILBOT_INBOX_PASSWORD": "pw"})
    assert s.connections.inbox_password == "pw"


@pytest.mark.parametrize(
    "change, key, fix",
    [
        (('deadline = "16:00:00"', 'deadline = "4pm"'), "campaign.deadline", '"HH:MM" hoặc "HH:MM:SS"'),
        (('time_zone = "Asia/Ho_Chi_Minh"', 'time_zone = "Asia/Hanoi_City"'), "campaign.time_zone", "chuẩn IANA"),
        (('language = "vi"', 'language = "fr"'), "language", 'dùng "vi" cho tiếng Việt hoặc "en"'),
        (("population = 1705059", 'population = "1.705.059"'), "campaign.population", "không đặt trong dấu ngoặc kép"),
        (("goal_percent = 60", "goal_percent = 160"), "campaign.goal_percent", "không quá 100"),
        (('id = "tu-ky"', 'id = "hai-duong"'), "units.id", "chỉ được dùng một lần"),
        (
            ("[schedule]", "[schedule]\npoll_every = 5"),
            "schedule.poll_every",
            "các mục hợp lệ: heartbeat_stale_seconds",
        ),
        (('reminder_at = "15:00"', 'reminder_at = "25:00"'), "schedule.reminder_at", '"HH:MM"'),
        (
            ('senders = ["vanphong.tuky@haiduong.gov.vn"]', 'senders = ["vanphong.tuky"]'),
            "units[9].senders",
            "tên@tên-miền",
        ),
        (("outlier_threshold = 8.0", "outlier_threshold = -1"), "validation.outlier_threshold", "số lớn hơn 0"),
    ],
)
def test_a_bad_value_names_the_key_the_problem_and_the_fix(tmp_path, change, key, fix):
    old, new = change
    assert old in shipped_text()
    path = write(tmp_path, shipped_text().replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    line = str(caught.value)
    assert line.startswith(f"Tệp cấu hình {path}, mục {key}: ") and fix in caught.value.hint and "\n" not in line
    assert caught.value.exit_code == 2


def test_a_file_that_asks_for_english_is_checked_in_english(tmp_path):
    english = shipped_text().replace('language = "vi"', 'language = "en"', 1)
    path = write(tmp_path, english.replace('deadline = "16:00:00"', 'deadline = "4pm"', 1))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value) == (
        f'{path}: campaign.deadline: \'4pm\' is not a time of day (write it as "HH:MM" or "HH:MM:SS", e.g. "16:00")'
    )
    path = write(tmp_path, english)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={"MAILBOT_INBOX_URL": "pop3://baocao:Sup3rSecret@h/INBOX"})
    line = str(caught.value)
    assert "has an unsupported scheme 'pop3'" in line and "imaps://" in line and "Sup3rSecret" not in line
    with pytest.raises(ConfigError, match="MAILBOT_REPORT_TO: 'nobody' is not an email address"):
        load_settings(path, env={"MAILBOT_REPORT_TO": "nobody"})


def test_missing_file_and_broken_toml_are_told_in_the_default_language(tmp_path):
    with pytest.raises(ConfigError, match="^Không tìm thấy tệp cấu hình .*nope.toml.*--config") as caught:
        load_settings(tmp_path / "nope.toml", env={})
    assert "MAILBOT_CONFIG" in caught.value.hint and caught.value.exit_code == 2
    broken = write(tmp_path, 'language = "en"\n[campaign\nname=')  # not parsed: its language is not known
    with pytest.raises(ConfigError, match="không đúng cú pháp TOML.*line 2"):
        load_settings(broken, env={})


def test_unknown_url_scheme_is_refused():
    with pytest.raises(ConfigError, match="MAILBOT_INBOX_URL.*pop3.*không được hỗ trợ"):
        load_settings(SHIPPED, env={"MAILBOT_INBOX_URL": "pop3://h/INBOX"})


def test_units_have_reporting_periods(tmp_path):
    text = shipped_text().replace(
        'id = "thanh-mien"', 'id = "thanh-mien"\nactive_from = "2020-08-01"\nactive_until = "2020-08-15"'
    )
    s = load_settings(write(tmp_path, text), env={})
    assert [u.id for u in s.units_on(date(2020, 8, 16))][-1] == "ninh-giang"
    assert s.units_on(date(2020, 8, 15))[-1].id == "thanh-mien"
    assert len(s.units_on(date(2020, 7, 31))) == 11


def test_deadline_second_precision():
    c = load_settings(SHIPPED, env={}).campaign
    tz = c.tz
    assert datetime(2020, 8, 14, 16, 0, 0, tzinfo=tz) <= c.deadline_of(date(2020, 8, 14))
    assert datetime(2020, 8, 14, 16, 0, 1, tzinfo=tz) > c.deadline_of(date(2020, 8, 14))


def test_the_words_mail_is_read_by_come_from_words_toml_where_a_campaign_names_none(tmp_path):
    """Total labels and reply prefixes are configuration: the campaign's own, else config/words.toml's."""
    import re
    import tomllib

    words = tomllib.loads((ROOT / "config" / "words.toml").read_text(encoding="utf-8"))["campaign"]
    text = re.sub(r"(?m)^(total_labels|reply_prefixes) = .*\n", "", shipped_text())
    campaign = load_settings(write(tmp_path, text), env={}).campaign
    assert campaign.reply_prefixes == tuple(words["reply_prefixes"]) == ("Re", "Fw", "Fwd")
    assert campaign.total_labels == tuple(words["total_labels"]) and "Tổng cộng" in campaign.total_labels
    own = load_settings(SHIPPED, env={}).campaign
    assert "Trả lời" in own.reply_prefixes and "Trả lời" not in campaign.reply_prefixes
    from dataclasses import fields

    from mailbot.config import Campaign

    in_code = {f.name: f.default for f in fields(Campaign)}
    assert in_code["total_labels"] == in_code["reply_prefixes"] == ()  # no words of policy in the code


def test_a_configuration_read_twice_is_parsed_once_and_read_again_when_it_changes(tmp_path):
    from mailbot.config import read_toml

    path = tmp_path / "c.toml"
    path.write_text('language = "vi"\n[campaign]\nname = "A"\n', encoding="utf-8")
    first = read_toml(path)
    first["campaign"]["name"] = "changed by a caller"
    assert read_toml(path) == {"language": "vi", "campaign": {"name": "A"}}  # each caller gets its own copy
    path.write_text('language = "en"\n[campaign]\nname = "B"\n', encoding="utf-8")
    assert read_toml(path) == {"language": "en", "campaign": {"name": "B"}}
