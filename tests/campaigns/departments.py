"""Helpers for the departments' campaign tests: its settings, a department's report mail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mailbot.config import load_settings
from mailbot.samples import department_workbook, report_mail

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS = ROOT / "config" / "departments.toml"
VN = dt.timezone(dt.timedelta(hours=7))
OFFICES = {
    "so-y-te": [("Văn phòng Sở", 40, 38, 38), ("Thanh tra Sở", 12, 12, 11), ("Phòng Nghiệp vụ Y", 15, 14, 14)],
    "so-noi-vu": [("Văn phòng Sở", 30, 30, 30), ("Ban Thi đua - Khen thưởng", 10, 9, 9)],
    "tinh-doan": [("Văn phòng", 25, 25, 20)],
}


def departments_text() -> str:
    return DEPARTMENTS.read_text(encoding="utf-8")


def departments(env: dict | None = None):
    return load_settings(DEPARTMENTS, env=env or {})


def department_mail(settings, unit_id: str, arrived: dt.datetime, day: dt.date | None = None) -> bytes:
    """A department's one report, as its office mails it (with the receiving server's stamp)."""
    unit = settings.unit(unit_id)
    workbook = department_workbook(unit.name, day or arrived.date(), OFFICES[unit_id])
    return report_mail(
        sender=unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to=settings.campaign.reporting_mailbox,
        subject=f"{unit.name} báo cáo kết quả cài đặt Bluezone",
        body="Kính gửi Sở Thông tin và Truyền thông. Đơn vị gửi kèm báo cáo.",
        sent_at=arrived,
        attachment_name=f"BC Bluezone {unit.id}.xlsx",
        attachment=workbook,
        received_at=arrived,
    )


def totals(unit_id: str) -> tuple[int, int]:
    """(with a smartphone, installed) of a unit's report."""
    offices = OFFICES[unit_id]
    return sum(o[2] for o in offices), sum(o[3] for o in offices)
