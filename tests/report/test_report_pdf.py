"""The report as a PDF: the mail's HTML printed on A4 landscape, Vietnamese letters and figures intact."""

from __future__ import annotations

import io
import unicodedata

import pdfplumber
import pytest
from local_servers import missing_message, pango_found
from talking_days import demo_ledger, demo_submissions, demo_trend, shipped_settings

from mailbot import report
from mailbot.report import pdf

A4_LANDSCAPE = (841.9, 595.3)  # points


@pytest.fixture(scope="module", autouse=True)
def pango():
    """WeasyPrint's system libraries and fonts, installed by `python -m tests.local_servers install`."""
    if not pango_found():
        pytest.fail(missing_message("pango"))


@pytest.fixture(scope="module")
def rendered():
    settings = shipped_settings()
    ledger = demo_ledger(settings)
    return report.render(settings, ledger, demo_trend(settings, ledger), demo_submissions(settings))


@pytest.fixture(scope="module")
def document(rendered):
    with pdfplumber.open(io.BytesIO(pdf.pdf_bytes(rendered.html, rendered.chart_png, "vi"))) as opened:
        pages = [(page.width, page.height, page.extract_text(), page.chars, page.images) for page in opened.pages]
    return pages


def said(document) -> str:
    return unicodedata.normalize("NFC", "\n".join(text for _, _, text, _, _ in document))


def test_the_pdf_is_a4_landscape(document):
    for width, height, *_ in document:
        assert (round(width, 1), round(height, 1)) == A4_LANDSCAPE


def test_the_pdf_has_the_vietnamese_text_of_the_report(document):
    text = said(document)
    for words in (
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH HẢI DƯƠNG",
        "Đơn vị báo cáo muộn",
        "Huyện Ninh Giang: nhận lúc 16:20",
        "Đơn vị chưa báo cáo",
        "Huyện Thanh Miện",
        "Mục tiêu đến ngày 20/8/2020: 60% người dùng điện thoại thông minh",
        "Thành phố Hải Dương",
    ):
        assert words in text


def test_the_pdf_has_the_figures(document):
    text = said(document)
    for figure in ("70.635", "23.954", "15.164", "273.054", "284.619", "1.705.059"):
        assert figure in text


def test_every_letter_is_drawn_in_a_font_that_has_it(document):
    fonts = {char["fontname"] for *_, chars, _ in document for char in chars}
    assert fonts and all("Liberation" in font or "DejaVu" in font for font in fonts), fonts
    assert "\ufffd" not in said(document)


def test_the_chart_is_in_the_pdf(document):
    assert sum(len(images) for *_, images in document) == 1


def test_the_pdf_fetches_nothing_but_its_chart(rendered):
    sneaky = rendered.html.replace(
        "</body>", '<img src="file:///etc/passwd"><img src="http://evil.example/x.png"></body>'
    )
    with pdfplumber.open(io.BytesIO(pdf.pdf_bytes(sneaky, rendered.chart_png, "vi"))) as opened:
        assert sum(len(page.images) for page in opened.pages) == 1


def test_without_weasyprint_the_message_names_what_to_install():
    import subprocess
    import sys

    probe = (
        "import sys; sys.modules['weasyprint'] = None\n"  # `import weasyprint` now fails as when it is not installed
        "from mailbot.report import pdf\n"
        "print(pdf.available('vi'))"
    )
    said = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert said.startswith("Chưa xuất được báo cáo ra tệp PDF: chưa cài đặt gói WeasyPrint")
    assert "pip install 'mailbot[pdf]'" in said
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-dejavu-core" in said


def test_a_campaign_asking_for_the_pdf_attaches_it_to_the_report_mail(tmp_path):
    from dataclasses import replace
    from email import message_from_bytes, policy

    from mailbot import compose

    settings = shipped_settings()
    asking = replace(settings, campaign=replace(settings.campaign, pdf_in_report=True))
    ledger = demo_ledger(asking)
    rendered = report.render(asking, ledger, demo_trend(asking, ledger), [])
    mail = compose.report_mail(asking, rendered, ("stttt@haiduong.gov.vn",), 1)
    message = message_from_bytes(mail.raw, policy=policy.default)
    attached = {part.get_filename(): part.get_content_type() for part in message.iter_attachments()}
    assert attached == {
        "bao-cao-tong-hop-2020-08-14.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "bao-cao-tong-hop-2020-08-14.pdf": "application/pdf",
    }
    printed = next(p for p in message.iter_attachments() if p.get_content_type() == "application/pdf")
    with pdfplumber.open(io.BytesIO(printed.get_content())) as opened:
        assert "Huyện Thanh Miện" in unicodedata.normalize("NFC", opened.pages[0].extract_text())
    paths = report.write_files(rendered, tmp_path)
    assert [p.suffix for p in paths] == [".html", ".png", ".xlsx", ".pdf"]


def test_by_default_the_report_mail_has_no_pdf(rendered):
    assert rendered.pdf is None


def test_report_pdf_writes_the_file_from_the_command(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(MAILBOT_DB_URL=f"sqlite:///{tmp_path}/mailbot.db", MAILBOT_SMTP_URL=f"file://{tmp_path}/outbox")
    target = tmp_path / "in" / "bao-cao.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "mailbot", "report", "--date", "14/8/2020", "--pdf", str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)
    with pdfplumber.open(target) as opened:
        text = unicodedata.normalize("NFC", opened.pages[0].extract_text())
    assert "BÁO CÁO TỔNG HỢP SỐ LƯỢNG CÀI ĐẶT BLUEZONE" in text and "ngày 14/8/2020" in text


def test_asking_for_the_pdf_without_weasyprint_refuses_the_configuration_saying_what_to_install(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[2] / "config" / "mailbot.toml"
    asking = tmp_path / "campaign.toml"
    asking.write_text(
        shipped.read_text(encoding="utf-8").replace("[campaign]\n", "[campaign]\npdf_in_report = true\n", 1),
        encoding="utf-8",
    )
    probe = (
        "import sys; sys.modules['weasyprint'] = None\n"
        "from mailbot.config import load_settings\n"
        "from mailbot.errors import ConfigError\n"
        f"try: load_settings({str(asking)!r}, env={{}})\n"
        "except ConfigError as exc: print(exc)\n"
        "else: print('accepted')"
    )
    said = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert said.startswith(f"Tệp cấu hình {asking}, mục campaign.pdf_in_report: Chưa xuất được báo cáo ra tệp PDF")
    assert "pip install 'mailbot[pdf]'" in said and "fonts-dejavu-core" in said
    found = subprocess.run(
        [sys.executable, "-c", probe.replace("sys.modules['weasyprint'] = None", "pass")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "accepted"
