"""Helpers for the tests of several campaigns through one mailbox: the shipped deployment and its mail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from departments import ROOT, VN, department_mail

from mailbot.config import load_settings
from mailbot.samples import district_workbook, report_mail

DEPLOYMENT = ROOT / "config" / "haiduong.toml"
DISTRICTS = ROOT / "config" / "mailbot.toml"
DEPARTMENTS = ROOT / "config" / "departments.toml"

__all__ = ["DEPLOYMENT", "VN", "department_mail", "deployment", "district_mail", "on", "text_mail", "write_deployment"]


def deployment(campaign: str | None = None, env: dict | None = None):
    return load_settings(DEPLOYMENT, env=env or {}, campaign=campaign)


def district_mail(
    settings, unit_id: str, figure: int, arrived: dt.datetime, sender: str | None = None, subject: str | None = None
) -> bytes:
    """A district's daily report as its office mails it (with the receiving server's stamp)."""
    unit = settings.unit(unit_id)
    day = arrived.date()
    label = settings.campaign.metrics[0].label
    return report_mail(
        sender=sender or unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to=settings.campaign.reporting_mailbox,
        subject=subject or f"{unit.name} báo cáo số lượng cài đặt Bluezone ngày {day.day}/{day.month}/{day.year}",
        body="Kính gửi Sở Thông tin và Truyền thông. Đơn vị gửi kèm báo cáo.",
        sent_at=arrived,
        attachment_name=f"BC {day.day}-{day.month}.xlsx",
        attachment=district_workbook(unit.name, figure, day, label),
        received_at=arrived,
    )


def write_deployment(folder: Path, districts: str | None = None, departments: str | None = None) -> Path:
    """A folder holding the two shipped campaign files, each as given (default: as shipped)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "1-districts.toml").write_text(districts or DISTRICTS.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "2-departments.toml").write_text(departments or DEPARTMENTS.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def text_mail(sender: str, subject: str, body: str, arrived: dt.datetime) -> bytes:
    """A mail without attachment."""
    return report_mail(
        sender=sender,
        sender_name="Văn phòng",
        to="baocao.stttt@haiduong.gov.vn",
        subject=subject,
        body=body,
        sent_at=arrived,
        received_at=arrived,
    )


def on(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2020, 8, day, hour, minute, tzinfo=VN)
