"""Hostile and broken mail, made for real: what the robustness tests feed mailbot.

Faults in a reader are caused for real in the worker process (MAILBOT_READER_FAULTS=1
and an attachment starting with b"MAILBOT-FAULT:<kind>", see mailbot.workers);
the crafted workbooks in crafted/ make python-calamine itself panic or abort.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from mailbot.samples import district_workbook, report_mail

ROOT = Path(__file__).resolve().parents[2]
CRAFTED = Path(__file__).resolve().parent / "crafted"
MAILBOX = "baocao.stttt@haiduong.gov.vn"
METRIC = "Số lượng cài đặt Bluezone"
NAM_SACH = ("vanphong.namsach@haiduong.gov.vn", "Huyện Nam Sách")
GIA_LOC = ("vanphong.gialoc@haiduong.gov.vn", "Huyện Gia Lộc")
FAULTS = ("error", "panic", "segfault", "abort", "memory", "cpu")
CRASHING_FILES = ("calamine_panic.xls", "calamine_abort_alloc.xls")


def now() -> datetime:
    return datetime.now(UTC)


def mail(sender=NAM_SACH, attachment: bytes | None = None, name: str = "bc.xlsx", subject: str | None = None) -> bytes:
    address, unit = sender
    return report_mail(
        sender=address,
        sender_name=f"Văn phòng {unit}",
        to=MAILBOX,
        subject=subject or f"Báo cáo Bluezone - {unit}",
        body="Kính gửi Sở.",
        sent_at=now(),
        attachment_name=name,
        attachment=attachment,
    )


def good(sender=GIA_LOC, figure: int = 17356) -> bytes:
    return mail(sender, district_workbook(sender[1], figure, now().date(), METRIC))


def sender(unit: str) -> tuple[str, str]:
    """The address a unit's office reports from, and the unit (as `good` takes them)."""
    return f"vanphong.{unit.replace('-', '')}@haiduong.gov.vn", unit


def backlog(units: tuple[str, ...], pause_at: int) -> list[bytes]:
    """A report from each unit (figures 10,000, 10,001, …); the one at `pause_at` pauses the ingest where it is read
    (b"MAILBOT-FAULT:pause", see mailbot.workers.pause_if_asked)."""
    mails = [good(sender(unit), figure=10_000 + n) for n, unit in enumerate(units)]
    mails[pause_at] = mails[pause_at].replace(b"Subject: ", b"X-Test: MAILBOT-FAULT:pause\nSubject: ", 1)
    return mails


def pause_place(tmp_path: Path) -> Path:
    """The folder a paused ingest and its test speak through (MAILBOT_FAULT_PAUSE)."""
    place = tmp_path / "pause"
    place.mkdir()
    return place


def fault(kind: str) -> bytes:
    return mail(attachment=f"MAILBOT-FAULT:{kind}\n".encode(), name=f"{kind}.xlsx")


def crashing(file_name: str) -> bytes:
    return mail(attachment=(CRAFTED / file_name).read_bytes(), name="bc.xls")


def bad_from(address: bytes) -> bytes:
    """A report whose From holds raw bytes as sent (8-bit, NUL)."""
    lines = good(NAM_SACH).split(b"\n")
    lines = [b"From: " + address if line.startswith(b"From: ") else line for line in lines]
    assert any(line.startswith(b"From: " + address) for line in lines)
    return b"\n".join(lines)


def nested(depth: int) -> bytes:
    """A multipart nested `depth` deep, each level one part."""
    lines = [b"From: Van phong <vanphong.namsach@haiduong.gov.vn>", b"To: " + MAILBOX.encode(), b"Subject: deep"]
    lines += [b"Message-ID: <deep@haiduong.gov.vn>", b"MIME-Version: 1.0"]
    for level in range(depth):
        lines += [f'Content-Type: multipart/mixed; boundary="b{level}"'.encode(), b"", f"--b{level}".encode()]
    lines += [b"Content-Type: text/plain", b"", b"hello"]
    for level in reversed(range(depth)):
        lines += [f"--b{level}--".encode()]
    return b"\r\n".join(lines) + b"\r\n"


def test_config(tmp_path: Path, **replacements: str) -> Path:
    """The shipped campaign with quick limits for the faults (1 CPU second, 256 MB)."""
    text = (ROOT / "config/mailbot.toml").read_text(encoding="utf-8")
    text = text.replace("read_timeout_seconds = 20 ", "read_timeout_seconds = 1 ")
    text = text.replace("worker_memory_mb = 512 ", "worker_memory_mb = 256 ")
    text = text.replace("poll_every_seconds = 60", "poll_every_seconds = 1")
    for old, new in replacements.items():
        text = text.replace(old, new)
    path = tmp_path / "mailbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def environment(tmp_path: Path, inbox_url: str, shipped: bool = False, **extra: str) -> dict[str, str]:
    """The environment of a mailbot process; `shipped`: the shipped campaign's limits, not the quick ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_CONFIG=str(ROOT / "config/mailbot.toml" if shipped else test_config(tmp_path)),
        MAILBOT_INBOX_URL=inbox_url,
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'store' / 'mailbot.db'}",
        MAILBOT_READER_FAULTS="1",
        COLUMNS="400",  # tables as wide as they need: no address wrapped in a cell
    )
    env.update(extra)
    return env


def mailbot(*args: str, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def spawn(*args: str, env: dict, stdout: int = subprocess.PIPE) -> subprocess.Popen:
    """`mailbot ARGS` started and left running (its stderr read as text), for tests that act while it works."""
    return subprocess.Popen(
        [sys.executable, "-m", "mailbot", *args], cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True
    )


def submissions(tmp_path: Path) -> list[tuple]:
    """(sender, unit, status, problem codes) of every stored submission, in arrival order."""
    with sqlite3.connect(tmp_path / "store" / "mailbot.db") as db:
        rows = db.execute("SELECT sender, unit, status, problems FROM submissions ORDER BY id").fetchall()
    return [(s, u, st, tuple(p["code"] for p in json.loads(pr))) for s, u, st, pr in rows]


def stored_so_far(tmp_path: Path) -> int:
    """How many submissions a running service has stored; 0 before its store and tables exist."""
    if not (tmp_path / "store" / "mailbot.db").exists():
        return 0
    try:
        return len(submissions(tmp_path))
    except sqlite3.OperationalError:  # the service has created the file but not yet its tables
        return 0


def raw_messages(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "store" / "mailbot.db") as db:
        return db.execute("SELECT count(*) FROM messages WHERE length(raw) > 0").fetchone()[0]
