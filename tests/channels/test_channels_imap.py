"""Every channel through a real poll: the stored .eml files appended to Dovecot, one poll
of the application layer, the store's submissions and the acknowledgements checked."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.config import load_settings
from mailbot.sheets import ocr

CORPUS = Path(__file__).resolve().parent / "corpus"
VN = dt.timezone(dt.timedelta(hours=7))
AT = dt.datetime(2020, 8, 14, 15, 42, tzinfo=VN)
CASES = [
    "text_sentence",
    "html_only_text",
    "html_table_outlook",
    "docx_merged_cells",
    "pdf_table",
    "zip_in_zip",
    "seven_zip_xlsx",
    "winmail_dat",
    "text_two_counts",
    "zip_in_zip_in_zip",
    "image_png",
    "image_table_communes_total",
]
PICTURES = {"image_png", "image_table_communes_total"}


@pytest.fixture
def app(tmp_path, imap_account):
    base = load_settings("config/mailbot.toml", env={})
    connections = imap_account.connections(f"file://{tmp_path / 'outbox'}", f"sqlite:///{tmp_path / 'mailbot.db'}")
    settings = replace(base, connections=connections, inbox=replace(base.inbox, timeout_seconds=10.0))
    opened = App.open(settings, clock=lambda: AT + dt.timedelta(minutes=30))
    yield opened
    opened.close()


def test_each_channel_is_recorded_from_the_mailbox(app, imap_account, tmp_path):
    cases = [c for c in CASES if c not in PICTURES or ocr.tesseract() is not None]
    for number, name in enumerate(cases):
        raw = (CORPUS / f"{name}.eml").read_bytes()
        imap_account.append(raw.replace(b"<report@haiduong.gov.vn>", f"<r{number}@haiduong.gov.vn>".encode()), AT)
    outcome = app.poll()
    assert outcome.result.stored == len(cases)
    stored = {s.message_id: s for s in app.store.submissions_between(dt.date(2020, 8, 14), dt.date(2020, 8, 14))}
    for number, name in enumerate(cases):
        expected = json.loads((CORPUS / f"{name}.eml.json").read_text(encoding="utf-8"))
        sub = stored[f"<r{number}@haiduong.gov.vn>"]
        assert dict(sub.figures) == expected["figures"], name
        assert sub.status == expected["status"], name
        assert [p.code for p in sub.problems] == expected["problems"], name
    acks = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "outbox").glob("*.eml")]
    assert acks  # one sender's answers are capped per day (mailbot/replies.py): the first ones go
    typed = next(a for a in acks if "r0@" in str(a["In-Reply-To"]))
    assert "17.356" in typed.get_body(("plain",)).get_content()
