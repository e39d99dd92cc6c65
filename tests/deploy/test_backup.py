"""`mailbot backup FILE`: a consistent copy of a live SQLite store, restored and read back."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mailbot.samples import appendix_figures

ROOT = Path(__file__).resolve().parents[2]


def mailbot(*args, db: Path | str, cwd: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["MAILBOT_DB_URL"] = db if isinstance(db, str) else f"sqlite:///{db}"
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    work = tmp_path_factory.mktemp("backup")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    done = subprocess.run(
        [sys.executable, "-m", "mailbot", "demo", "--dir", str(work / "day")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return work / "day" / "mailbot.db"


def _keep_writing(path: Path, stop: threading.Event, written: list) -> None:
    """The service at work: one committed write after another."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    while not stop.is_set():
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('state:writer', ?)", (str(len(written)),))
        written.append(1)
    conn.close()


def test_a_backup_taken_while_the_store_is_written_restores_the_day(demo_store, tmp_path):
    live = tmp_path / "live.db"
    shutil.copyfile(demo_store, live)
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_keep_writing, args=(live, stop, written))
    writer.start()
    try:
        done = mailbot("backup", str(tmp_path / "copy.db"), db=live, cwd=tmp_path)
    finally:
        stop.set()
        writer.join()
    assert done.returncode == 0, done.stderr
    assert "36" in done.stdout and written  # the messages it holds; the writer did write meanwhile
    assert not [p.name for p in tmp_path.iterdir() if "partial" in p.name]
    assert sqlite3.connect(tmp_path / "copy.db").execute("PRAGMA integrity_check").fetchone() == ("ok",)

    restored = tmp_path / "restored" / "mailbot.db"
    restored.parent.mkdir()
    shutil.copyfile(tmp_path / "copy.db", restored)  # restoring is copying the file back while mailbot is stopped
    status = mailbot("status", "--date", "2020-08-14", "--json", db=restored, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    ledger = json.loads(status.stdout)
    appendix = appendix_figures()
    counted = sum(appendix.values()) - appendix["thanh-mien"] - appendix["kim-thanh"]  # missing, held for review
    assert ledger["totals"]["reported"] == 10 and ledger["totals"]["installs"] == counted
    states = {u["unit"]: u["state"] for u in ledger["units"]}
    assert states["ninh-giang"] == "late" and states["thanh-mien"] == "missing"


def test_a_backup_that_cannot_be_written_is_one_line_and_leaves_nothing(demo_store, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    done = mailbot("backup", str(blocked / "copy.db"), db=demo_store, cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("mailbot: Không sao lưu được vào")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_postgresql_store_is_backed_up_with_pg_dump(tmp_path):
    done = mailbot("backup", str(tmp_path / "copy.db"), db="postgresql://mailbot@127.0.0.1:1/mailbot", cwd=tmp_path)
    assert done.returncode == 1 and "pg_dump" in done.stderr and done.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_backup_and_the_status_are_read_while_a_writer_holds_its_transaction(demo_store, tmp_path):
    """Reads take a snapshot: a write under way holds up neither, and neither sees it."""
    live = tmp_path / "live.db"
    shutil.copyfile(demo_store, live)
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('state:writer', 'uncommitted')")
    try:
        done = mailbot("backup", str(tmp_path / "copy.db"), db=live, cwd=tmp_path)
        status = mailbot("status", "--date", "2020-08-14", "--json", db=live, cwd=tmp_path)
    finally:
        writer.rollback()
        writer.close()
    assert done.returncode == 0, done.stderr
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["totals"]["reported"] == 10
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT value FROM meta WHERE key = 'state:writer'").fetchone() is None
