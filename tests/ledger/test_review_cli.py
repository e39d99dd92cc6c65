"""`mailbot review ...` and `mailbot history` as a person runs them, on a real store."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from synthetic import ROOT, campaign_settings, day_of, figure, load_store

from mailbot.store import Store


def mailbot(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """The synthetic month in a store, and a configuration with its holiday and merged unit."""
    folder = tmp_path_factory.mktemp("cli")
    config = folder / "campaign.toml"
    text = (ROOT / "config" / "mailbot.toml").read_text(encoding="utf-8")
    text = text.replace("holidays = []", 'holidays = ["2020-08-10"]')
    text = text.replace('id = "kim-thanh"\n', 'id = "kim-thanh"\nactive_until = "2020-08-15"\n')
    config.write_text(text, encoding="utf-8")
    url = f"sqlite:///{folder}/mailbot.db"
    store = Store.open(url)
    try:
        labels = load_store(campaign_settings(), store)
    finally:
        store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_CONFIG=str(config),
        MAILBOT_DB_URL=url,
        MAILBOT_INBOX_URL=f"maildir://{folder}/inbox",
        MAILBOT_SMTP_URL=f"file://{folder}/outbox",
        MAILBOT_USER="ktv.nguyen",
        COLUMNS="200",
    )
    return env, labels, url


def test_list_shows_what_waits_with_reasons_and_figures_read(seeded):
    env, labels, _ = seeded
    result = mailbot("review", env=env)
    assert result.returncode == 0, result.stderr
    assert "Huyện Tứ Kỳ" in result.stdout and "thấp hơn số đã ghi nhận trước đó" in result.stdout
    as_json = mailbot("review", "list", "--json", env=env)
    waiting = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [w["id"] for w in waiting] == [labels["tu-ky/18"]]
    assert waiting[0]["read_figures"] == {"installs": figure("tu-ky", 17) - 500}
    assert [p["code"] for p in waiting[0]["problems"]] == ["decreasing_figure"]


def test_bad_input_is_one_line_with_the_right_status(seeded):
    env, labels, _ = seeded
    cases = [
        (["review", "accept", "99999"], 1, "Không có báo cáo số 99999", "mailbot review list"),
        (["review", "assign", str(labels["tu-ky/18"]), "atlantis"], 2, "Không có đơn vị mang mã 'atlantis'", "tu-ky"),
        (["review", "reject", str(labels["tu-ky/18"])], 2, "Cần nêu lý do khi từ chối báo cáo", "--reason"),
        (
            ["review", "correct", str(labels["tu-ky/18"]), "12,5", "--reason", "r"],
            2,
            "'12,5' không phải là số nguyên",
            "17.356",
        ),
        (["history", "--unit", "atlantis"], 2, "Không có đơn vị mang mã 'atlantis'", "nam-sach"),
        (
            ["history", "--unit", "tu-ky", "--from", "14/13/2020"],
            2,
            "--from '14/13/2020' không phải là ngày hợp lệ",
            "YYYY-MM-DD",
        ),
        (
            ["history", "--from", "2020-08-20", "--to", "2020-08-01"],
            2,
            "Ngày --from 2020-08-20 muộn hơn ngày --to 2020-08-01",
            "--from",
        ),
    ]
    for args, status, message, hint in cases:
        result = mailbot(*args, env=env)
        assert result.returncode == status, (args, result.stderr)
        line = result.stderr.strip()
        assert line.count("\n") == 0 and line.startswith(f"mailbot: {message} ("), (args, result.stderr)
        assert hint in line.removeprefix(f"mailbot: {message}"), (args, result.stderr)


def test_an_english_configuration_gives_english_errors(seeded, tmp_path):
    env, labels, _ = seeded
    english = tmp_path / "english.toml"
    english.write_text(
        open(env["MAILBOT_CONFIG"], encoding="utf-8").read().replace('language = "vi"', 'language = "en"', 1),
        encoding="utf-8",
    )
    env = {**env, "MAILBOT_CONFIG": str(english)}
    cases = [
        (["review", "accept", "99999"], "submission 99999 does not exist"),
        (["review", "reject", str(labels["tu-ky/18"])], "a reason is required to reject a submission"),
        (["history", "--from", "2020-08-20", "--to", "2020-08-01"], "--from 2020-08-20 is after --to 2020-08-01"),
    ]
    for args, message in cases:
        result = mailbot(*args, env=env)
        assert result.stderr.startswith(f"mailbot: {message} (") and result.stderr.count("\n") == 1, (
            args,
            result.stderr,
        )


def test_unit_history_as_csv(seeded):
    env, _, _ = seeded
    result = mailbot("history", "--unit", "tu-ky", "--from", "2020-08-09", "--to", "2020-08-19", "--csv", env=env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["date"] for r in rows] == [day_of(n).isoformat() for n in range(9, 20)]
    by_day = {r["date"]: r for r in rows}
    holiday = by_day["2020-08-10"]
    assert holiday["state"] == "" and "ngày nghỉ" in holiday["note"]
    assert by_day["2020-08-11"]["installs"] == str(figure("tu-ky", 11))
    assert by_day["2020-08-11"]["change_installs"] == str(figure("tu-ky", 11) - figure("tu-ky", 9))
    assert by_day["2020-08-11"]["coverage_percent"] == f"{figure('tu-ky', 11) * 100 / 152541:.2f}"
    assert (by_day["2020-08-18"]["state"], by_day["2020-08-18"]["installs"]) == ("needs_review", "")
    assert by_day["2020-08-19"]["change_installs"] == str(figure("tu-ky", 19) - figure("tu-ky", 17))


def test_province_history_table(seeded):
    env, _, _ = seeded
    result = mailbot("history", "--from", "2020-08-15", "--to", "2020-08-16", "--csv", env=env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["date"], r["reported"], r["expected"]) for r in rows] == [
        ("2020-08-15", "12", "12"),
        ("2020-08-16", "11", "11"),
    ]
    table = mailbot("history", "--from", "2020-08-10", "--to", "2020-08-11", env=env)
    assert table.returncode == 0 and "ngày nghỉ" in table.stdout and "11/12" in table.stdout


def test_decisions_from_the_command_line(seeded):
    env, labels, url = seeded
    target = str(labels["tu-ky/18"])
    typed = f"{figure('tu-ky', 18):,}".replace(",", ".")  # as staff type it: 25.877
    corrected = mailbot("review", "correct", target, typed, "--reason", "Đơn vị báo nhầm", env=env)
    assert corrected.returncode == 0, corrected.stderr
    assert "số liệu đã sửa được ghi nhận từ nay" in corrected.stdout and "Trạng thái: Đã ghi nhận" in corrected.stdout
    again = mailbot("review", "accept", target, "--by", "ktv.le", env=env)
    assert again.returncode == 0 and "không ghi nhận thêm" in again.stdout
    overturn = mailbot("review", "reject", target, "--reason", "sai", "--by", "ktv.le", env=env)
    assert overturn.returncode == 2 and overturn.stderr.strip().count("\n") == 0 and "--force" in overturn.stderr
    shown = mailbot("review", "show", target, env=env)
    assert "Quyết định: Đã ghi nhận bởi ktv.nguyen; lý do: Đơn vị báo nhầm" in shown.stdout
    assert "thấp hơn số đã ghi nhận trước đó" not in shown.stdout  # a decided submission: not its old problems
    store = Store.open(url)
    try:
        decisions = store.decisions_of(int(target))
    finally:
        store.close()
    assert [(d.action, d.by) for d in decisions] == [("correct", "ktv.nguyen")]  # nothing else changed
    assert decisions[0].figures == {"installs": figure("tu-ky", 18)}
    status = mailbot("review", "list", "--json", env=env)
    assert status.stdout.strip() == ""
