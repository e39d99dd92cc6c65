"""Helpers for the tests of several mailboxes served by one deployment.

`two_mailboxes(folder)` writes a deployment of the letter's two flows where the departments'
campaign reads from a mailbox of its own (`vanban`: $MAILBOT_INBOX_URL_VANBAN), the
districts' from $MAILBOT_INBOX_URL; `district_mail` and `department_mail` are their reports,
`unknown_campaign_mail` a report that neither campaign can claim.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mailbot.samples import department_workbook, district_workbook, report_mail

ROOT = Path(__file__).resolve().parents[1]
DISTRICTS = ROOT / "config" / "mailbot.toml"
DEPARTMENTS = ROOT / "config" / "departments.toml"
SECOND = "vanban"
VN = dt.timezone(dt.timedelta(hours=7))


def departments_in(mailbox: str) -> str:
    """The shipped departments' campaign, reading from mailbox `mailbox`."""
    return DEPARTMENTS.read_text(encoding="utf-8") + f'\n[inbox]\nmailbox = "{mailbox}"\n'


def two_mailboxes(
    folder: Path, mailboxes: str | None = None, departments: str | None = None, batch_size: int = 50
) -> Path:
    """A deployment file with the districts (environment's mailbox) and the departments (mailbox `vanban`)."""
    folder.mkdir(parents=True, exist_ok=True)
    districts = DISTRICTS.read_text(encoding="utf-8").replace("batch_size = 50", f"batch_size = {batch_size}")
    assert f"batch_size = {batch_size}" in districts
    (folder / "districts.toml").write_text(districts, encoding="utf-8")
    (folder / "departments.toml").write_text(departments or departments_in(SECOND), encoding="utf-8")
    declared = mailboxes if mailboxes is not None else f'[[mailboxes]]\nid = "{SECOND}"\n'
    path = folder / "deployment.toml"
    path.write_text(f'campaigns = ["districts.toml", "departments.toml"]\n\n{declared}', encoding="utf-8")
    return path


def district_mail(unit, figure: int, arrived: dt.datetime, marker: str = "") -> bytes:
    """A district's daily report (with the receiving server's stamp); `marker` goes into its text."""
    day = arrived.date()
    return report_mail(
        sender=unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to="baocao.stttt@haiduong.gov.vn",
        subject=f"{unit.name} báo cáo ngày {day.day}/{day.month}/{day.year}",
        body=f"Kính gửi Sở Thông tin và Truyền thông. {marker}".strip(),
        sent_at=arrived,
        received_at=arrived,
        attachment_name=f"BC {day.day}-{day.month}.xlsx",
        attachment=district_workbook(unit.name, figure, day, "Số lượng cài đặt Bluezone"),
    )


def department_mail(unit, arrived: dt.datetime, marker: str = "", sender: str | None = None) -> bytes:
    """A department's one report: one office, 20 staff with a smartphone, `installed` of them installed."""
    day = arrived.date()
    return report_mail(
        sender=sender or unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to="vanban@haiduong.gov.vn",
        subject=f"{unit.name} báo cáo kết quả cài đặt Bluezone",
        body=f"Kính gửi Sở Thông tin và Truyền thông. {marker}".strip(),
        sent_at=arrived,
        received_at=arrived,
        attachment_name=f"BC Bluezone {unit.id}.xlsx",
        attachment=department_workbook(unit.name, day, [("Văn phòng", 22, 20, 18)]),
    )


def unknown_campaign_mail(arrived: dt.datetime) -> bytes:
    """An unregistered office's table of one count that both campaigns know, fitting neither whole."""
    return report_mail(
        sender="canbo.noivu@haiduong.gov.vn",
        sender_name="Cán bộ",
        to="baocao.stttt@haiduong.gov.vn",
        subject="Báo cáo",
        body="Kính gửi Sở Thông tin và Truyền thông.",
        sent_at=arrived,
        received_at=arrived,
        attachment_name="bao-cao.xlsx",
        attachment=district_workbook("Sở Nội vụ", 39, arrived.date(), "Số người đã cài đặt"),
    )
