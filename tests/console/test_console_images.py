"""A figure read from a picture (read_from_image): the console shows the picture beside the figure
read, only to signed-in users and only as the picture its bytes are; `mailbot review show` names it."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from console_day import DAY, PASSWORD, Console, at, settings_for
from starlette.testclient import TestClient

from mailbot import service
from mailbot.app import App
from mailbot.models import InboundMessage
from mailbot.samples import report_mail
from mailbot.store import Store
from mailbot.web import create_app

ROOT = Path(__file__).resolve().parents[2]
PHOTO_MAIL = ROOT / "tests" / "channels" / "corpus" / "image_png.eml"
HOSTILE_NAME = "<img src=x onerror=alert(1)>.png"
NOT_A_PICTURE = b"<html><script>alert('png')</script></html>"


def photo() -> bytes:
    message = message_from_bytes(PHOTO_MAIL.read_bytes(), policy=policy.default)
    return next(message.iter_attachments()).get_content()


def mail_with(settings, sender_unit: str, name: str, data: bytes, minute: int) -> bytes:
    unit = settings.known_unit(sender_unit)
    return report_mail(
        sender=unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to=settings.campaign.reporting_mailbox,
        subject="Báo cáo Bluezone ngày 14/8/2020",
        body="Gửi ảnh báo cáo.",
        sent_at=at(settings, 15, minute),
        attachment_name=name,
        attachment=data,
        attachment_type=("image", "png"),
        received_at=at(settings, 15, minute),
    )


@pytest.fixture
def pictured(sqlite_url, tmp_path):
    """Nam Sách's photographed report, Tứ Kỳ's under a hostile name, and Gia Lộc's "png" that is HTML."""
    settings = settings_for(sqlite_url, tmp_path)
    store = Store.open(sqlite_url, settings.language)
    mails = {
        "photo": PHOTO_MAIL.read_bytes(),
        "hostile": mail_with(settings, "tu-ky", HOSTILE_NAME, photo(), 45),
        "fake": mail_with(settings, "gia-loc", "anh.png", NOT_A_PICTURE, 50),
    }
    for key, raw in mails.items():
        message = InboundMessage(source="test", key=key, raw=raw, received_at=at(settings, 15, 55), size=len(raw))
        service.ingest_message(settings, store, message, at(settings, 15, 55))
    app = App(settings, store, clock=lambda: at(settings, 16, 30))
    units = {"photo": "nam-sach", "hostile": "tu-ky", "fake": "gia-loc"}
    ids = {key: app.submissions_of(unit, DAY)[0].id for key, unit in units.items()}
    app.accounts.add("lan", "reviewer", PASSWORD, at(settings, 8), by="test")
    app.ids = ids
    yield app
    store.close()


def signed_in(app: App) -> TestClient:
    client = TestClient(create_app(app))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text).group(1)
    client.post("/signin", data={"name": "lan", "password": PASSWORD, "csrf": token})
    return client


def test_the_submission_and_the_review_show_the_picture_beside_the_figure_read(pictured):
    client = signed_in(pictured)
    number = pictured.ids["photo"]
    page = html.unescape(client.get(f"/submission/{number}").text)
    assert f'<img src="/submission/{number}/image/1"' in page
    assert "Số lượng cài đặt Bluezone: 17.356 (đọc bằng nhận dạng chữ, dòng 2, tệp anh.png)" in page
    picture = client.get(f"/submission/{number}/image/1")
    assert picture.status_code == 200 and picture.content == photo()
    assert picture.headers["content-type"] == "image/png"
    assert picture.headers["x-content-type-options"] == "nosniff"
    assert picture.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert picture.headers["content-disposition"].startswith('inline; filename="anh.png"')
    review = client.get("/review").text
    assert f'src="/submission/{number}/image/1"' in review


def test_a_hostile_file_name_is_text_and_what_is_not_a_picture_is_never_served_as_one(pictured):
    client = signed_in(pictured)
    hostile = client.get(f"/submission/{pictured.ids['hostile']}").text
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in hostile and HOSTILE_NAME not in hostile
    fake = client.get(f"/submission/{pictured.ids['fake']}/image/1")
    assert fake.status_code == 404 and b"<script>" not in fake.content
    assert "không phải là ảnh có thể hiển thị" in fake.text
    assert client.get(f"/submission/{pictured.ids['photo']}/image/9").status_code == 404


def test_a_signed_out_visitor_gets_no_picture(pictured):
    answer = TestClient(create_app(pictured)).get(
        f"/submission/{pictured.ids['photo']}/image/1", follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
    assert photo()[:8] not in answer.content


def test_review_show_names_the_picture_and_where_to_see_it(pictured, sqlite_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_CONFIG=str(ROOT / "config" / "mailbot.toml"),
        MAILBOT_DB_URL=sqlite_url,
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        COLUMNS="200",
    )
    number = pictured.ids["photo"]
    shown = subprocess.run(
        [sys.executable, "-m", "mailbot", "review", "show", str(number)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    said = " ".join(shown.stdout.split())
    assert "đọc bằng nhận dạng chữ từ ảnh anh.png (tệp đính kèm số 1)" in said
    assert f"http://127.0.0.1:8080/submission/{number}" in said


def test_the_picture_shows_on_a_phone(pictured, phone):
    with Console(pictured) as console:
        phone.goto(f"{console.url}/signin")
        phone.fill("input[name=name]", "lan")
        phone.fill("input[name=password]", PASSWORD)
        phone.click("form[action='/signin'] button[type=submit]")
        phone.goto(f"{console.url}/submission/{pictured.ids['photo']}")
        image = phone.locator(".from-image img")
        image.wait_for()
        assert phone.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle())
        assert image.bounding_box()["width"] <= 390
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert phone.locator(".from-image .figure-read").inner_text().startswith("Số lượng cài đặt Bluezone: 17.356")
