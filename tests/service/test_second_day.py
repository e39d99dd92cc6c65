"""A second reporting day through real servers: Dovecot (IMAP) in, aiosmtpd (SMTP) out, SQLite.

Day one every unit reports. Day two: Gia Lộc's registered mailbox sends Tứ Kỳ's
workbook (held as unit_mismatch), Thanh Miện sends nothing (carried into the
estimate from day one), Nam Sách's figure is lower than the day before (held),
and a reviewer corrects it: the corrected figure counts and Nam Sách is told it.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from openpyxl import load_workbook

from mailbot.app import App, Decider
from mailbot.config import load_settings
from mailbot.samples import appendix_figures, district_workbook, report_mail

ROOT = Path(__file__).resolve().parents[2]
VN = dt.timezone(dt.timedelta(hours=7))
DAY_ONE, DAY_TWO = dt.date(2020, 8, 13), dt.date(2020, 8, 14)
APPENDIX = appendix_figures()  # the letter's appendix, as the demo day holds it
YESTERDAY = {unit: figure - 400 for unit, figure in APPENDIX.items()}


def send(settings, account, unit_id: str, figure: int, day: dt.date, at: dt.datetime, author: str | None = None):
    """A unit's report mail appended to the mailbox; `author` names the unit the workbook says it is from."""
    unit = settings.unit(unit_id)
    name = settings.unit(author).name if author else unit.name
    raw = report_mail(
        sender=unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to=settings.campaign.reporting_mailbox,
        subject=f"Báo cáo số lượng cài đặt Bluezone ngày {day.day}/{day.month}/{day.year} - {unit.name}",
        body="Kính gửi Sở Thông tin và Truyền thông.",
        sent_at=at,
        attachment_name="baocao.xlsx",
        attachment=district_workbook(name, figure, day, settings.campaign.metrics[0].label),
    )
    account.append(raw, at)


def test_a_second_day_end_to_end(tmp_path, imap_account, smtp_server):
    settings = load_settings(
        ROOT / "config/mailbot.toml",
        env={
            "MAILBOT_INBOX_URL": imap_account.url(),
            "MAILBOT_SMTP_URL": smtp_server.url,
            "MAILBOT_DB_URL": f"sqlite:///{tmp_path / 'mailbot.db'}",
        },
    )
    clock = {"now": dt.datetime(2020, 8, 13, 16, 30, tzinfo=VN)}
    app = App.open(settings, clock=lambda: clock["now"])
    try:
        for number, unit in enumerate(APPENDIX):
            send(settings, imap_account, unit, YESTERDAY[unit], DAY_ONE, dt.datetime(2020, 8, 13, 9, number, tzinfo=VN))
        app.cycle()
        assert app.status_json(DAY_ONE)["totals"]["reported"] == 12

        for number, unit in enumerate(APPENDIX):
            at = dt.datetime(2020, 8, 14, 9, number, tzinfo=VN)
            if unit == "thanh-mien":
                continue  # sends nothing on day two
            if unit == "gia-loc":  # its own mailbox and subject, but Tứ Kỳ's workbook
                send(settings, imap_account, unit, APPENDIX["tu-ky"], DAY_TWO, at, author="tu-ky")
            elif unit == "nam-sach":  # a slip: lower than the day before
                send(settings, imap_account, unit, 1735, DAY_TWO, at)
            else:
                send(settings, imap_account, unit, APPENDIX[unit], DAY_TWO, at)
        clock["now"] = dt.datetime(2020, 8, 14, 15, 30, tzinfo=VN)
        app.cycle()

        status = app.status_json(DAY_TWO)
        units = {u["unit"]: u for u in status["units"]}
        assert units["gia-loc"]["state"] == "needs_review"
        assert "unit_mismatch" in [p["code"] for p in units["gia-loc"]["problems"]]
        assert units["nam-sach"]["state"] == "needs_review"
        assert units["thanh-mien"]["state"] == "missing"
        for carried in ("gia-loc", "nam-sach", "thanh-mien"):
            assert units[carried]["last_counted"] == {"date": "2020-08-13", "figures": {"installs": YESTERDAY[carried]}}
        assert units["hai-duong"]["source"] == {
            "installs": {"file": "baocao.xlsx", "sheet": "Báo cáo", "cell": "C6", "line": None}
        }
        counted = sum(APPENDIX[u] for u in APPENDIX if u not in ("gia-loc", "nam-sach", "thanh-mien"))
        carried_sum = YESTERDAY["gia-loc"] + YESTERDAY["nam-sach"] + YESTERDAY["thanh-mien"]
        assert status["totals"]["installs"] == counted
        assert status["totals"]["estimate"] == {"installs": counted + carried_sum}

        mismatch_ack = next(
            m.message
            for m in smtp_server.messages
            if m.rcpt_tos == ("vanphong.gialoc@haiduong.gov.vn",)
            and "2020" in str(m.message["Date"])
            and "14 Aug" in str(m.message["Date"])
        )
        assert "Kính gửi: UBND huyện Gia Lộc" in mismatch_ack.get_content()
        assert "Huyện Tứ Kỳ" in mismatch_ack.get_content()

        waiting = {s.unit: s for s in app.waiting()}
        clock["now"] = dt.datetime(2020, 8, 14, 15, 45, tzinfo=VN)
        outcome = app.correct_first(waiting["nam-sach"].id, 17356, Decider("ktv.nguyen", "Đơn vị gõ thiếu chữ số 6"))
        assert outcome.submission.status == "accepted"

        after = app.status_json(DAY_TWO)
        units = {u["unit"]: u for u in after["units"]}
        assert units["nam-sach"]["state"] == "on_time" and units["nam-sach"]["figures"] == {"installs": 17356}
        assert units["nam-sach"]["last_counted"] is None
        assert after["totals"]["installs"] == counted + 17356
        assert after["totals"]["estimate"] == {
            "installs": counted + 17356 + YESTERDAY["gia-loc"] + YESTERDAY["thanh-mien"]
        }

        notices = [m.message for m in smtp_server.messages if m.rcpt_tos == ("vanphong.namsach@haiduong.gov.vn",)]
        told = notices[-1].get_content()
        assert "số liệu được ghi nhận sau khi điều chỉnh" in told and "Số lượng cài đặt Bluezone: 17.356" in told
        assert "Đơn vị gõ thiếu chữ số 6" in told

        clock["now"] = dt.datetime(2020, 8, 14, 16, 30, tzinfo=VN)
        rendered = app.report(DAY_TWO)
        assert "Huyện Gia Lộc (số liệu ngày 13/8/2020)" in rendered.text
        assert "Huyện Thanh Miện (số liệu ngày 13/8/2020)" in rendered.text
        assert "ước tính là" in rendered.text
        sheet = load_workbook(io.BytesIO(rendered.xlsx)).worksheets[1]
        headings = [c.value for c in sheet[1]]
        places = [row[headings.index("Nơi đọc số liệu")] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert 'ô C6, trang tính "Báo cáo", tệp baocao.xlsx' in places
    finally:
        app.close()
