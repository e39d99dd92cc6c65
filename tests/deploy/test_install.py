"""mailbot installs from its sdist and wheel into a fresh virtual environment, and runs from any folder."""

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = shutil.ignore_patterns(".venv", ".git", "var", "__pycache__", "*.egg-info", "work", "build", "dist")


def run(args, cwd, timeout=600, env=None):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist, and the wheel built from it (as `python -m build` does), from a copy of the checkout."""
    work = tmp_path_factory.mktemp("dist")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SHIPPED)
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "out"), str(source)], cwd=work)
    return sorted((work / "out").glob("*.whl"))[0], sorted((work / "out").glob("*.tar.gz"))[0]


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory):
    """A fresh virtual environment with the wheel installed by pip."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home / "env", with_pip=True)
    python = home / "env" / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", str(dist[0])], cwd=home)
    return home / "env"


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_") and k != "PYTHONPATH"}


def test_the_wheel_carries_the_catalogues_the_templates_and_the_campaigns(dist):
    import zipfile

    names = set(zipfile.ZipFile(dist[0]).namelist())
    for name in ("vi/errors.toml", "en/errors.toml", "vi/report.html.j2", "vi/ack.txt.j2"):
        assert f"mailbot/_templates/{name}" in names
    for name in ("mailbot.toml", "demo.toml", "starter.toml", "words.toml"):
        assert f"mailbot/_campaigns/{name}" in names


def test_the_demo_runs_from_the_installed_wheel_in_any_folder(installed, tmp_path):
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    result = run([str(installed / "bin" / "mailbot"), "demo"], cwd=elsewhere, env=clean_env())
    assert "Huyện Gia Lộc" in result.stdout  # the broken report answered
    day = elsewhere / "var" / "demo"
    assert len(list((day / "outbox").glob("*.eml"))) > 12
    assert (day / "report" / "bao-cao-tong-hop-2020-08-14.xlsx").is_file()
    env = clean_env() | {"MAILBOT_DB_URL": f"sqlite:///{day / 'mailbot.db'}"}
    status = run([str(installed / "bin" / "mailbot"), "status", "--date", "2020-08-14", "--json"], elsewhere, env=env)
    ledger = json.loads(status.stdout)
    assert ledger["totals"]["reported"] == 10 and ledger["totals"]["expected"] == 12


def test_init_writes_a_starter_campaign_that_checks_clean(installed, tmp_path):
    mailbot = str(installed / "bin" / "mailbot")
    run([mailbot, "init", "campaign"], cwd=tmp_path, env=clean_env())
    written = tmp_path / "campaign" / "mailbot.toml"
    assert written.read_text(encoding="utf-8").startswith("# A mailbot campaign")
    checked = run([mailbot, "check-config", "--config", str(written)], cwd=tmp_path, env=clean_env())
    assert "2 đơn vị" in checked.stdout
    again = subprocess.run([mailbot, "init", "campaign"], cwd=tmp_path, capture_output=True, text=True, env=clean_env())
    assert again.returncode == 1 and "--force" in again.stderr


def test_the_sdist_installs_and_runs_too(dist, installed, tmp_path):
    python = str(installed / "bin" / "python")
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(dist[1])], cwd=tmp_path)
    result = run([str(installed / "bin" / "mailbot"), "demo", "--dir", "day"], cwd=tmp_path, env=clean_env())
    assert (tmp_path / "day" / "mailbot.db").is_file() and "Huyện Gia Lộc" in result.stdout


def test_a_missing_postgres_driver_names_the_pip_install_that_fixes_it(installed, tmp_path):
    env = clean_env() | {"MAILBOT_DB_URL": "postgresql://mailbot@127.0.0.1:1/mailbot"}
    done = subprocess.run(
        [str(installed / "bin" / "mailbot"), "status"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "psycopg" in done.stderr and "pip install 'mailbot[postgres]'" in done.stderr
