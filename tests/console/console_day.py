"""A reporting day in a real store for the console's tests, and the console served on loopback.

Eleven units report 14/8/2020 from their registered addresses; Tứ Kỳ's report has a
total row that does not add up (it waits for review) and comes with a hostile
subject and sheet name; Thanh Miện sends nothing.
"""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import uvicorn
from local_servers import free_port
from openpyxl import Workbook

from mailbot import service
from mailbot.app import App
from mailbot.config import Connections, load_settings
from mailbot.models import InboundMessage
from mailbot.samples import district_workbook, report_mail
from mailbot.store import Store
from mailbot.web import create_app

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2020, 8, 14)
HOSTILE_SUBJECT = '<script>alert("subject")</script> Báo cáo ngày 14/8/2020'
HOSTILE_SHEET = "<img src=x onerror=alert(1)>"
DOUBTFUL_UNIT = "tu-ky"
SILENT_UNIT = "thanh-mien"
STATED_TOTAL, ROWS_SUM = 17_356, 17_300
PASSWORD = "mật-khẩu-đủ-dài"


STEADY_STAMP = (
    2020,
    8,
    14,
    8,
    0,
    0,
)  # the workbooks' zip entries and properties, so that every run makes the same bytes


def steady_workbook(data: bytes) -> bytes:
    """The workbook with fixed zip timestamps and document properties (openpyxl writes the time of saving)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as steady:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2020-08-14T01:00:00Z", content)
            steady.writestr(zipfile.ZipInfo(info.filename, STEADY_STAMP), content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def steady_message_id(raw: bytes, unit_id: str) -> bytes:
    """The mail with a Message-ID of its own unit and day instead of a random one."""
    return re.sub(rb"(?m)^Message-ID: .*$", f"Message-ID: <{unit_id}.{DAY.isoformat()}@haiduong.gov.vn>".encode(), raw)


def settings_for(db_url: str, tmp: Path):
    settings = load_settings(ROOT / "config" / "mailbot.toml")
    return replace(
        settings,
        connections=Connections(
            inbox_url=f"maildir://{tmp / 'inbox'}", smtp_url=f"file://{tmp / 'outbox'}", db_url=db_url
        ),
    )


def at(settings, hour: int, minute: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=settings.campaign.tz)


def doubtful_workbook() -> bytes:
    """Tứ Kỳ's sheet: communes that sum to ROWS_SUM under a total row stating STATED_TOTAL."""
    book = Workbook()
    sheet = book.active
    sheet.title = HOSTILE_SHEET
    sheet.append(["UBND HUYỆN TỨ KỲ"])
    sheet.append(["BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE"])
    sheet.append([f"(Tính đến ngày {DAY.day}/{DAY.month}/{DAY.year})"])
    sheet.append([])
    sheet.append(["STT", "Đơn vị", "Số lượng cài đặt Bluezone"])
    sheet.append([1, "Xã Tứ Xuyên", 9_000])
    sheet.append([2, "Xã Đại Sơn", ROWS_SUM - 9_000])
    sheet.append(["", "Tổng cộng", STATED_TOTAL])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def seed_day(settings, store: Store) -> dict[str, int]:
    """Store the day's mail through the service's own ingestion; returns each unit's figure."""
    figures = {}
    for number, unit in enumerate(settings.units):
        if unit.id == SILENT_UNIT:
            continue
        received = at(settings, 9, 0) + timedelta(minutes=17 * number)
        figure = 10_000 + 1_111 * number
        if unit.id == DOUBTFUL_UNIT:
            subject, book, figure = HOSTILE_SUBJECT, doubtful_workbook(), STATED_TOTAL
        else:
            subject = f"Báo cáo số lượng cài đặt Bluezone ngày {DAY.day}/{DAY.month}/{DAY.year}"
            book = district_workbook(unit.name, figure, DAY, "Số lượng cài đặt Bluezone")
        raw = report_mail(
            sender=unit.senders[0],
            sender_name=f"Văn phòng {unit.name}",
            to=settings.campaign.reporting_mailbox,
            subject=subject,
            body=f"Kính gửi Sở TT&TT,\n{unit.name} gửi báo cáo ngày {DAY.day}/{DAY.month}/{DAY.year}.",
            sent_at=received,
            attachment_name=f"BC {unit.id} 14-8.xlsx",
            attachment=steady_workbook(book),
            received_at=received,
        )
        raw = steady_message_id(raw, unit.id)
        message = InboundMessage(source="test", key=unit.id, raw=raw, received_at=received, size=len(raw))
        service.ingest_message(settings, store, message, received)
        figures[unit.id] = figure
    return figures


class Console:
    """The console served by uvicorn in a thread, on a free loopback port."""

    def __init__(self, app: App, refresh_seconds: int = 30) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(app, refresh_seconds), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Console:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the console did not start within 30 s; see the log above")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def save_screenshot(page, path: Path) -> bool:
    """Write the page's full screenshot to `path` only when its pixels differ from what is there.

    The README shows these files; a test run on a clean checkout leaves them, and so
    `git status`, unchanged. Returns True when the file was written.
    """
    from PIL import Image, ImageChops

    shot = page.screenshot(full_page=True)
    if path.exists():
        with Image.open(path) as old, Image.open(io.BytesIO(shot)) as new:
            same = (
                old.size == new.size and ImageChops.difference(old.convert("RGB"), new.convert("RGB")).getbbox() is None
            )
        if same:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(shot)
    return True
