"""The systemd unit in deploy/ is valid, and the paths the service uses never depend on its working folder."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from service_helpers import clean_env, mailbot

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "mailbot.service"


def unit_settings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_unit_runs_as_a_dedicated_user_in_a_locked_down_state_directory():
    found = unit_settings()
    assert found["User"] == ["mailbot"] and found["StateDirectory"] == ["mailbot"]
    assert found["ProtectSystem"] == ["strict"] and found["Restart"] == ["on-failure"]
    assert found["RestartPreventExitStatus"] == ["2"]  # a setup that cannot work is not restarted in a loop
    assert found["ExecStart"] == ["/opt/mailbot/bin/mailbot run"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_analyze_verify_passes(tmp_path):
    installed = Path(sys.executable).parent / "mailbot"
    assert installed.exists()
    copy = tmp_path / "mailbot.service"
    copy.write_text(UNIT.read_text(encoding="utf-8").replace("/opt/mailbot/bin/mailbot", str(installed)))
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_relative_paths_resolve_against_the_state_directory_not_the_working_folder(tmp_path):
    state = tmp_path / "state"
    env = clean_env(STATE_DIRECTORY=str(state), MAILBOT_DB_URL="sqlite:///mailbot.db")
    done = mailbot("check-config", env=env, cwd=Path("/"))
    assert done.returncode == 0, done.stderr
    assert f"maildir://{state}/var/inbox" in done.stdout and f"file://{state}/var/outbox" in done.stdout
    assert f"sqlite:///{state}/mailbot.db" in done.stdout


def test_without_a_state_directory_the_defaults_are_those_of_the_working_folder(tmp_path):
    done = mailbot("check-config", env=clean_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"maildir://{tmp_path}/var/inbox" in done.stdout and f"sqlite:///{tmp_path}/var/mailbot.db" in done.stdout
