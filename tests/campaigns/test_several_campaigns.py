"""Several campaigns through one mailbox: how they are configured, how mail is routed, and the JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from several import (
    DEPLOYMENT,
    department_mail,
    deployment,
    district_mail,
    on,
    text_mail,
    write_deployment,
)

from mailbot import app as application
from mailbot.config import load_settings
from mailbot.errors import ConfigError

ROOT = DEPLOYMENT.parents[1]


def mailbot(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    command = [sys.executable, "-m", "mailbot", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd or ROOT, timeout=180)


def parsed(settings, tmp_path, *mails: bytes, campaign_given: bool = False) -> list[dict]:
    paths = []
    for number, raw in enumerate(mails):
        path = tmp_path / f"mail-{number}.eml"
        path.write_bytes(raw)
        paths.append(path)
    readings = application.read_files(settings, paths, routed=not campaign_given)
    return [application.reading_json(r, settings) for r in readings]


# --- configuration ------------------------------------------------------------------------


def test_the_shipped_deployment_holds_both_flows_of_the_letter():
    settings = deployment()
    assert settings.several
    assert [c.campaign.id for c in settings.deployment] == ["districts", "departments"]
    assert settings.campaign.id == "districts" and len(settings.units) == 12
    departments = deployment("departments")
    assert departments.campaign.id == "departments" and departments.campaign.once
    assert [c.campaign.id for c in departments.deployment] == ["districts", "departments"]
    assert departments.connections == settings.connections


def test_a_folder_of_campaign_files_is_a_deployment_in_the_order_of_their_names(tmp_path):
    settings = load_settings(write_deployment(tmp_path / "campaigns"), env={})
    assert [c.campaign.id for c in settings.deployment] == ["districts", "departments"]


def test_a_single_campaign_file_is_as_before(tmp_path):
    settings = load_settings(ROOT / "config" / "mailbot.toml", env={})
    assert not settings.several and settings.deployment == (settings,)
    mail = district_mail(settings, "nam-sach", 17356, on(14, 15, 42))
    (line,) = parsed(settings, tmp_path, mail)
    assert "campaign" not in line and line["unit"] == "nam-sach" and line["figures"] == {"installs": 17356}


def test_an_unknown_campaign_is_a_usage_error_naming_the_campaigns():
    result = mailbot("--config", str(DEPLOYMENT), "status", "--campaign", "vaccination", "--json")
    assert result.returncode == 2
    assert "'vaccination'" in result.stderr and "districts, departments" in result.stderr


def test_check_config_names_each_campaign():
    result = mailbot("--config", str(DEPLOYMENT), "check-config")
    assert result.returncode == 0, result.stderr
    assert "[districts]" in result.stdout and "12 đơn vị" in result.stdout
    assert "[departments]" in result.stdout and "24 đơn vị" in result.stdout


def test_a_campaign_file_reusing_another_campaigns_id_is_one_line_naming_it(tmp_path):
    departments = (ROOT / "config" / "departments.toml").read_text(encoding="utf-8")
    folder = write_deployment(tmp_path / "c", departments=departments.replace('id = "departments"', 'id = "districts"'))
    with pytest.raises(ConfigError) as caught:
        load_settings(folder, env={})
    message = str(caught.value)
    assert "2-departments.toml" in message and "'districts'" in message and "1-districts.toml" in message
    assert 'id = "districts-2"' in message and "\n" not in message


def test_a_campaign_file_reusing_another_campaigns_unit_id_is_one_line_naming_it(tmp_path):
    departments = (ROOT / "config" / "departments.toml").read_text(encoding="utf-8")
    folder = write_deployment(tmp_path / "c", departments=departments.replace('id = "so-y-te"', 'id = "nam-sach"'))
    with pytest.raises(ConfigError) as caught:
        load_settings(folder, env={})
    message = str(caught.value)
    assert "2-departments.toml" in message and "'nam-sach'" in message and "districts" in message
    assert "departments-nam-sach" in message


def _shared_sender(departments: str) -> str:
    """The departments' campaign with the Sở Y tế's address also registered for it by Nam Sách's office."""
    return departments.replace(
        'senders = ["vanphong.so-y-te@haiduong.gov.vn"]',
        'senders = ["vanphong.so-y-te@haiduong.gov.vn", "vanphong.namsach@haiduong.gov.vn"]',
    )


def test_an_address_in_two_campaigns_that_nothing_tells_apart_is_refused(tmp_path):
    districts = (ROOT / "config" / "mailbot.toml").read_text(encoding="utf-8")
    twin = districts.replace('id = "districts"', 'id = "districts-copy"')
    twin = twin.replace('id = "', 'id = "copy-').replace('id = "copy-installs"', 'id = "installs"')
    twin = twin.replace('id = "copy-districts-copy"', 'id = "districts-copy"')
    folder = write_deployment(tmp_path / "c", departments=twin)
    with pytest.raises(ConfigError) as caught:
        load_settings(folder, env={})
    message = str(caught.value)
    assert "vanphong.haiduong@haiduong.gov.vn" in message and "keywords" in message
    assert "2-departments.toml" in message and "districts" in message
    with_keywords = twin.replace("[campaign]\n", '[campaign]\nkeywords = ["bản sao"]\n', 1)
    assert load_settings(write_deployment(tmp_path / "d", departments=with_keywords), env={}).several


# --- routing --------------------------------------------------------------------------------


def test_each_mail_goes_to_the_campaign_its_sender_is_registered_in(tmp_path):
    settings = deployment()
    departments = deployment("departments")
    district = district_mail(settings, "nam-sach", 17356, on(14, 15, 42))
    department = department_mail(departments, "so-y-te", on(15, 10, 1))
    lines = parsed(settings, tmp_path, district, department)
    assert [(x["campaign"], x["unit"], x["status"]) for x in lines] == [
        ("districts", "nam-sach", "accepted"),
        ("departments", "so-y-te", "accepted"),
    ]
    assert lines[0]["figures"] == {"installs": 17356} and lines[0]["period"] == "2020-08-14"
    assert set(lines[1]["figures"]) == {"smartphone_staff", "installed_staff"} and lines[1]["period"] == "2020-08-16"


def test_an_unregistered_senders_report_goes_to_the_campaign_its_table_fits(tmp_path):
    settings = deployment()
    departments = deployment("departments")
    stranger = "canbo.yte@gmail.com"
    department = department_mail(departments, "so-y-te", on(15, 10, 1)).replace(
        b"vanphong.so-y-te@haiduong.gov.vn", stranger.encode()
    )
    district = district_mail(settings, "nam-sach", 17356, on(14, 15, 42), sender=stranger)
    lines = parsed(settings, tmp_path, department, district)
    assert [x["campaign"] for x in lines] == ["departments", "districts"]
    assert all("unknown_sender" in {p["code"] for p in x["problems"]} for x in lines)
    assert lines[0]["unit"] == "so-y-te" and set(lines[0]["figures"]) == {"smartphone_staff", "installed_staff"}


def test_a_sender_in_two_campaigns_is_routed_by_the_table_and_the_subject(tmp_path):
    folder = write_deployment(
        tmp_path / "c", departments=_shared_sender((ROOT / "config" / "departments.toml").read_text("utf-8"))
    )
    settings = load_settings(folder, env={})
    departments = settings.with_campaign("departments")
    shared = "vanphong.namsach@haiduong.gov.vn"
    district = district_mail(settings, "nam-sach", 17356, on(14, 15, 42))
    department = department_mail(departments, "so-y-te", on(15, 10, 1)).replace(
        b"vanphong.so-y-te@haiduong.gov.vn", shared.encode()
    )
    lines = parsed(settings, tmp_path, district, department)
    assert [(x["campaign"], x["unit"]) for x in lines] == [("districts", "nam-sach"), ("departments", "so-y-te")]
    assert lines[1]["status"] == "accepted" and lines[0]["status"] == "accepted"


def test_a_mail_whose_campaign_cannot_be_told_waits_for_review(tmp_path):
    settings = deployment()
    mail = text_mail("canbo@gmail.com", "Báo cáo", "Kính gửi Sở, đơn vị xin gửi báo cáo.", on(15, 9))
    (line,) = parsed(settings, tmp_path, mail)
    assert line["campaign"] is None and line["unit"] is None
    assert "unknown_campaign" in {p["code"] for p in line["problems"]}
    assert line["status"] in ("needs_review", "rejected")
    message = next(p["message"] for p in line["problems"] if p["code"] == "unknown_campaign")
    assert "Kết quả cài đặt Bluezone" in message and "tiêu đề" in message


def test_parse_json_names_the_campaign_on_the_command_line(tmp_path):
    settings = deployment()
    path = tmp_path / "nam-sach.eml"
    path.write_bytes(district_mail(settings, "nam-sach", 17356, on(14, 15, 42)))
    result = mailbot("--config", str(DEPLOYMENT), "parse", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["campaign"] == "districts"
    chosen = mailbot("--config", str(DEPLOYMENT), "parse", str(path), "--json", "--campaign", "departments")
    line = json.loads(chosen.stdout)
    assert line["campaign"] == "departments" and line["unit"] is None  # read as the departments' mail, as asked
