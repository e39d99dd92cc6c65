"""The systemd unit in deploy/ is valid, and the paths the service uses never depend on its working folder."""

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from service_helpers import clean_env, mailbot
from unit_file import read_unit, read_unit_file

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "mailbot.service"


def sections() -> dict[str, dict[str, list[str]]]:
    found, problems = read_unit_file(UNIT)
    assert problems == []
    return found


def test_the_unit_runs_as_a_dedicated_user_in_a_locked_down_state_directory():
    service = sections()["Service"]
    assert service["User"] == ["mailbot"] and service["StateDirectory"] == ["mailbot"]
    assert service["ProtectSystem"] == ["strict"] and service["Restart"] == ["on-failure"]
    assert service["RestartPreventExitStatus"] == ["2"]  # a setup that cannot work is not restarted in a loop
    assert service["ExecStart"] == ["/opt/mailbot/bin/mailbot run"]
    assert sections()["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_unit_file_is_sound_and_systemd_verifies_it_where_it_is_installed(tmp_path):
    """Always read strictly; `systemd-analyze verify` in addition, only where systemd is installed."""
    found, problems = read_unit_file(UNIT)
    assert problems == [], problems
    assert set(found) == {"Unit", "Service", "Install"}
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        warnings.warn(
            "systemd-analyze is not installed: the unit was checked by reading it, not by systemd", stacklevel=1
        )
        return
    installed = Path(sys.executable).parent / "mailbot"
    assert installed.exists()
    copy = tmp_path / "mailbot.service"
    copy.write_text(UNIT.read_text(encoding="utf-8").replace("/opt/mailbot/bin/mailbot", str(installed)))
    done = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize(
    "change, said",
    [
        (("ProtectSystem=strict", "ProtectSytem=strict"), "unknown directive ProtectSytem= in [Service]"),
        (("WantedBy=multi-user.target", "[Install]\nWantedBy=multi-user.target"), None),  # still sound
        (("Restart=on-failure", "[Install]\nRestart=on-failure"), "(it belongs in [Service])"),
        (("NoNewPrivileges=true", "NoNewPrivileges=maybe"), "NoNewPrivileges=maybe is not one of"),
        (("RestartSec=10s", "RestartSec=ten seconds"), "RestartSec=ten seconds cannot be parsed"),
        (("ExecStart=/opt/mailbot/bin/mailbot run", "ExecStart=mailbot run"), "does not start with an absolute path"),
        (("[Unit]", "[Uint]"), "unknown section [Uint]"),
        (("Type=exec", "Type exec"), "not a Key=Value line"),
    ],
)
def test_the_strict_reading_finds_what_verify_would_refuse(change, said):
    text = UNIT.read_text(encoding="utf-8").replace(*change, 1)
    _, problems = read_unit(text)
    if said is None:
        assert problems == []
    else:
        assert any(said in problem for problem in problems), problems


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
