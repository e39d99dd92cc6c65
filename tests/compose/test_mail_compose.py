"""Acknowledgements, reminders and the report mail: threading, loop safety, content."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy

import pytest
from talking_days import (
    DAY,
    day_reading,
    demo_ledger,
    demo_submissions,
    demo_trend,
    local,
    shipped_settings,
    submission,
    unit_sender,
)

from mailbot import compose, i18n, report
from mailbot.models import NO_SPREADSHEET, OUTLIER_JUMP, UNIT_MISMATCH, Reading, ReviewDecision, Source

SENDER = unit_sender("hai-duong")
BASIS = "ab" * 32


@pytest.fixture(scope="module")
def settings():
    return shipped_settings()


def reading(settings, **changes) -> Reading:
    return day_reading(settings, "hai-duong", 70635, **changes)


def parsed(mail):
    return message_from_bytes(mail.raw, policy=policy.default)


def body(mail) -> str:
    return parsed(mail).get_body(("plain",)).get_content()


def ack(settings, the_reading, replaced=None):
    return compose.acknowledgement(
        settings, the_reading, replaced=replaced, now=local(settings, DAY, 15, 43), key_basis=BASIS
    )


def test_the_acknowledgement_is_threaded_and_marked_automatic(settings):
    mail = ack(settings, reading(settings))
    message = parsed(mail)
    assert mail.key == f"ack:{BASIS}" and mail.kind == "ack" and mail.recipients == (SENDER,)
    assert message["In-Reply-To"] == "<r1@haiduong.gov.vn>"
    assert message["References"].split() == ["<r0@haiduong.gov.vn>", "<r1@haiduong.gov.vn>"]
    assert message["Subject"] == "Re: Báo cáo Bluezone ngày 14/8/2020"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Message-ID"] == mail.message_id
    assert message["From"].addresses[0].addr_spec == "baocao.stttt@haiduong.gov.vn"


def test_the_message_id_is_stable_for_the_same_event(settings):
    again = ack(settings, reading(settings))
    assert (
        again.message_id == ack(settings, reading(settings)).message_id
        and again.raw == ack(settings, reading(settings)).raw
    )
    other = compose.acknowledgement(
        settings, reading(settings), replaced=None, now=local(settings, DAY, 15, 43), key_basis="cd" * 32
    )
    assert other.message_id != again.message_id


def test_a_reply_subject_is_not_prefixed_twice(settings):
    message = parsed(ack(settings, reading(settings, subject="RE: Báo cáo")))
    assert message["Subject"] == "RE: Báo cáo"


def test_an_accepted_report_states_unit_figure_arrival_and_timeliness(settings):
    text = body(ack(settings, reading(settings)))
    assert text.startswith("Kính gửi: UBND thành phố Hải Dương\n")  # the unit type lower-case mid-sentence
    assert (
        "Sở Thông tin và Truyền thông đã nhận được và ghi nhận báo cáo ngày 14/8/2020 của Quý đơn vị "
        "lúc 15 giờ 42 ngày 14/8/2020."
    ) in text
    assert "Số lượng cài đặt Bluezone: 70.635" in text
    assert "đúng hạn" in text and "16 giờ 00 ngày 14/8/2020" in text
    # signed by the department's reporting desk, with the contact and telephone of the configuration
    assert "Bộ phận tổng hợp báo cáo - Sở Thông tin và Truyền thông tỉnh Hải Dương" in text
    assert "Liên hệ: nguyenminhkha@haiduong.gov.vn" in text and "Điện thoại: 0220.3897.353, 0904081819" in text
    assert "14/08/2020" not in text  # one date form everywhere


def test_the_acknowledgement_says_where_each_figure_was_read(settings):
    source = Source(file="BC 14-8.xlsx", sheet="Báo cáo", cell="C24")
    text = body(ack(settings, replace(reading(settings), sources={"installs": source})))
    assert 'Số lượng cài đặt Bluezone: 70.635 (đọc tại ô C24, trang tính "Báo cáo", tệp BC 14-8.xlsx)' in text


def test_a_report_waiting_for_review_never_says_both_resend_and_do_not(settings):
    problem = i18n.problem(
        UNIT_MISMATCH, "vi", unit_name="Thành phố Hải Dương", other_name="Huyện Gia Lộc", where="tên tệp"
    )
    text = body(ack(settings, reading(settings, problems=(problem,))))
    assert "gửi lại" in text  # the problem says how to fix it
    assert "không cần gửi lại" not in text.lower()
    assert "Cán bộ của Sở sẽ kiểm tra và thông báo kết quả" in text


def test_a_late_report_is_told_it_is_late(settings):
    text = body(ack(settings, reading(settings, received_at=local(settings, DAY, 16, 20), late=True)))
    assert "muộn" in text and "đúng hạn" not in text


def test_a_correction_says_what_it_replaced_and_stays_on_time(settings):
    earlier = submission(settings, 7, "hai-duong", 70000, at=local(settings, DAY, 9, 5))
    text = body(ack(settings, reading(settings, received_at=local(settings, DAY, 16, 20), late=True), replaced=earlier))
    assert "thay thế báo cáo đã nhận lúc 09 giờ 05 ngày 14/8/2020" in text and "70.000" in text
    assert "vẫn được tính là báo cáo đúng hạn" in text


def test_a_rejected_report_says_nothing_was_recorded_and_why(settings):
    problem = i18n.problem(NO_SPREADSHEET, "vi")
    text = body(ack(settings, reading(settings, figures={}, problems=(problem,))))
    assert "chưa được ghi nhận" in text and "KHÔNG" not in text
    assert problem.message in text
    assert "Số liệu đã ghi nhận" not in text


def test_a_report_waiting_for_review_says_so(settings):
    problem = i18n.problem(OUTLIER_JUMP, "vi", metric="Số lượng cài đặt Bluezone", increase="50.000", typical="3.000")
    text = body(ack(settings, reading(settings, problems=(problem,))))
    assert "chờ cán bộ Sở kiểm tra" in text and problem.message in text
    assert "Số liệu đọc được từ báo cáo" in text


@pytest.mark.parametrize(
    "address",
    [
        None,
        "baocao.stttt@haiduong.gov.vn",
        "MAILER-DAEMON@mx.haiduong.gov.vn",
        "postmaster@haiduong.gov.vn",
        "no-reply@example.org",
        "noreply@example.org",
        "stttt@haiduong.gov.vn",
    ],
)
def test_no_acknowledgement_to_robots_or_to_the_mailbox_itself(settings, address):
    assert ack(settings, reading(settings, reply_to=address)) is None


def test_acknowledgements_speak_english_when_configured(settings):
    english = replace(settings, language="en")
    text = body(ack(english, reading(english)))
    assert "recorded your report" in text and "70,635" in text and "on time" in text


def test_the_reminder_goes_to_every_registered_address_of_the_unit(settings):
    unit = replace(settings.unit("thanh-mien"), senders=("a@haiduong.gov.vn", "b@haiduong.gov.vn"))
    mail = compose.reminder(settings, unit, DAY, local(settings, DAY, 15, 0))
    message = parsed(mail)
    assert mail.key == "reminder:thanh-mien:2020-08-14" and mail.recipients == (
        "a@haiduong.gov.vn",
        "b@haiduong.gov.vn",
    )
    assert message["Auto-Submitted"] == "auto-generated" and "In-Reply-To" not in message
    text = body(mail)
    assert (
        "Kính gửi: UBND huyện Thanh Miện" in text
        and "trước 16 giờ 00 ngày 14/8/2020" in text
        and "baocao.stttt@haiduong.gov.vn" in text
    )
    assert "chưa nhận được báo cáo" in text


def test_a_reminder_after_a_rejected_mail_says_which_mail_and_why(settings):
    problem = i18n.problem(NO_SPREADSHEET, "vi")
    bad = submission(settings, 5, "thanh-mien", None, status="rejected", problems=(problem,), subject="BC ngày 14/8")
    mail = compose.reminder(settings, settings.unit("thanh-mien"), DAY, local(settings, DAY, 15, 0), rejected=bad)
    text = body(mail)
    assert 'thư nhận lúc 09 giờ 05 ngày 14/8/2020 (tiêu đề "BC ngày 14/8") chưa được ghi nhận vì:' in text
    assert problem.message in text and "chưa nhận được báo cáo" not in text


def test_a_reminder_after_the_deadline_says_it_has_passed(settings):
    text = body(compose.reminder(settings, settings.unit("thanh-mien"), DAY, local(settings, DAY, 16, 30)))
    assert "đã qua" in text


def rendered(settings, update=False):
    ledger = demo_ledger(settings)
    return report.render(settings, ledger, demo_trend(settings, ledger), demo_submissions(settings), update=update)


def test_the_report_mail_has_html_text_inline_chart_and_workbook(settings):
    the_report = rendered(settings)
    mail = compose.report_mail(settings, the_report, ("stttt@haiduong.gov.vn",), 1)
    message = parsed(mail)
    assert mail.key == "report:2020-08-14:1" and mail.recipients == ("stttt@haiduong.gov.vn",)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == "Báo cáo tổng hợp số lượng cài đặt Bluezone ngày 14/8/2020"
    html = message.get_body(("html",)).get_content()
    assert f'src="cid:{report.CHART_CID}"' in html
    parts = {part.get_content_type(): part for part in message.walk()}
    assert parts["image/png"]["Content-ID"] == f"<{report.CHART_CID}>"
    assert parts["image/png"].get_content() == the_report.chart_png
    workbook = parts["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    assert workbook.get_filename() == "bao-cao-tong-hop-2020-08-14.xlsx" and workbook.get_content() == the_report.xlsx
    assert "70.635" in message.get_body(("plain",)).get_content()


def test_an_updated_report_is_marked_in_subject_and_body(settings):
    mail = compose.report_mail(settings, rendered(settings, update=True), ("stttt@haiduong.gov.vn",), 2)
    message = parsed(mail)
    assert mail.key == "report:2020-08-14:2"
    assert message["Subject"].startswith("[Cập nhật]")
    assert "bản cập nhật" in message.get_body(("html",)).get_content()


def test_the_sender_hears_of_a_review_decision(settings):
    sub = submission(settings, 9, "hai-duong", 70635, status="needs_review")
    decision = ReviewDecision(
        submission_id=9,
        action="reject",
        by="cb.ict",
        at=local(settings, DAY, 17, 0),
        reason="số liệu trùng với ngày trước",
    )
    mail = compose.review_notice(settings, sub, decision)
    message = parsed(mail)
    assert message["In-Reply-To"] == sub.message_id and message["Auto-Submitted"] == "auto-replied"
    text = body(mail)
    assert "chưa được ghi nhận" in text and "số liệu trùng với ngày trước" in text


def test_a_correction_notice_tells_the_corrected_figure(settings):
    sub = replace(
        submission(settings, 9, "hai-duong", 700000, status="needs_review"), read_figures={"installs": 700000}
    )
    decision = ReviewDecision(
        9, "correct", "cb.ict", local(settings, DAY, 17, 0), "thừa số 0", figures={"installs": 70000}
    )
    text = body(compose.review_notice(settings, sub, decision))
    assert "số liệu được ghi nhận sau khi điều chỉnh" in text
    assert "  - Số lượng cài đặt Bluezone: 70.000" in text
    assert "(Số liệu đọc được từ báo cáo: Số lượng cài đặt Bluezone: 700.000.)" in text


def test_the_same_report_mail_is_the_same_bytes(settings):
    the_report = rendered(settings)
    first = compose.report_mail(settings, the_report, ("stttt@haiduong.gov.vn",), 1)
    again = compose.report_mail(settings, the_report, ("stttt@haiduong.gov.vn",), 1)
    assert first.raw == again.raw
    assert compose.report_mail(settings, the_report, ("stttt@haiduong.gov.vn",), 2).raw != first.raw


def test_the_report_mail_nests_its_parts_as_mail_clients_expect(settings):
    message = parsed(compose.report_mail(settings, rendered(settings), ("stttt@haiduong.gov.vn",), 1))
    mixed = message.get_payload()
    assert message.get_content_type() == "multipart/mixed" and len(mixed) == 2
    alternative, workbook = mixed
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "multipart/related"]
    assert [p.get_content_type() for p in alternative.get_payload()[1].get_payload()] == ["text/html", "image/png"]
    assert workbook.get_content_disposition() == "attachment"
    assert message["MIME-Version"] == "1.0" and all("MIME-Version" not in p for p in message.walk() if p is not message)
