"""A poll hands over what it stored as soon as it is stored, while the last acknowledgements are on their way:
`mailbot poll --once` shows the readings then, and the delivery's counts once every answer has gone."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from dataclasses import replace

import pytest
from fixtures_smtp import ScriptedHandler, _start

from mailbot.app import App
from mailbot.config import load_settings
from mailbot.samples import district_workbook, report_mail

VN = dt.timezone(dt.timedelta(hours=7))
AT = dt.datetime(2020, 8, 14, 9, 0, tzinfo=VN)
UNITS = {"vanphong.namsach@haiduong.gov.vn": "Huyện Nam Sách", "vanphong.kinhmon@haiduong.gov.vn": "Thị xã Kinh Môn"}


class GatedHandler(ScriptedHandler):
    """Takes no mail's data until the gate opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.waiting = threading.Event()  # a mail's data is at the gate

    async def handle_DATA(self, server, session, envelope):
        self.waiting.set()
        while not self.gate.is_set():
            await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


def _polled(tmp_path, imap_account, units=UNITS, batch_size=50, paused=()):
    """The units' reports in the mailbox (those numbered in `paused` make the ingest wait for the test's go),
    and the application over them with a server that waits at the gate."""
    for number, (sender, name) in enumerate(units.items()):
        raw = report_mail(
            sender=sender,
            sender_name=f"Văn phòng {name}",
            to="baocao.stttt@haiduong.gov.vn",
            subject="Báo cáo số lượng cài đặt Bluezone ngày 14/8/2020",
            body="Kính gửi Sở TT&TT, đơn vị gửi báo cáo." + (" MAILBOT-FAULT:pause" if number in paused else ""),
            sent_at=AT,
            attachment_name="BC 14-8.xlsx",
            attachment=district_workbook(name, 17356 + number, dt.date(2020, 8, 14), "Số lượng cài đặt Bluezone"),
        )
        imap_account.append(raw, AT)
    handler = GatedHandler()
    controller = _start(handler)
    base = load_settings("config/mailbot.toml", env={})
    connections = imap_account.connections(
        f"smtp://127.0.0.1:{controller.port}?timeout=30", f"sqlite:///{tmp_path / 'mailbot.db'}"
    )
    settings = replace(base, connections=connections, inbox=replace(base.inbox, batch_size=batch_size))
    app = App.open(settings, clock=lambda: AT + dt.timedelta(minutes=5))
    return app, handler, controller


def test_the_readings_are_handed_over_before_the_answers_have_gone(tmp_path, imap_account):
    app, handler, controller = _polled(tmp_path, imap_account)
    seen = []

    def on_stored(result):
        seen.append((result.stored, app.store.outbox_counts().get("sent", 0), len(handler.messages)))
        handler.gate.set()  # only now may the server take the answers

    try:
        outcome = app.poll(on_stored=on_stored)
    finally:
        handler.gate.set()
        app.close()
        controller.stop()
    assert seen == [(2, 0, 0)]  # both stored, neither answer taken yet
    assert outcome.delivery is not None and outcome.delivery.sent == 2  # and the poll waited for both
    assert sorted(m.rcpt_tos for m in handler.messages) == [(s,) for s in sorted(UNITS)]


def test_a_failure_to_show_the_readings_stops_no_answer(tmp_path, imap_account, monkeypatch):
    """`mailbot poll --once | head -1`: the pipe closes while the readings are shown. Every answer still goes,
    the ones queued after the lane took the first too: one mail a batch, and the second batch is read only once
    the first answer is at the server's gate."""
    units = {**UNITS, "vanphong.chilinh@haiduong.gov.vn": "Thành phố Chí Linh"}
    monkeypatch.setenv("MAILBOT_READER_FAULTS", "1")
    monkeypatch.setenv("MAILBOT_FAULT_PAUSE", str(tmp_path))
    app, handler, controller = _polled(tmp_path, imap_account, units, batch_size=1, paused={1})

    def go_once_the_first_answer_waits():
        handler.waiting.wait(60)
        while not (tmp_path / "paused").exists():
            threading.Event().wait(0.02)
        (tmp_path / "go").touch()

    def on_stored(result):
        threading.Timer(0.3, handler.gate.set).start()  # the server takes mail again once the showing failed
        raise BrokenPipeError(32, "Broken pipe")

    threading.Thread(target=go_once_the_first_answer_waits, daemon=True).start()
    try:
        with pytest.raises(BrokenPipeError):
            app.poll(on_stored=on_stored)
        assert app.store.outbox_counts().get("sent", 0) == 3
    finally:
        handler.gate.set()
        (tmp_path / "go").touch()
        app.close()
        controller.stop()
    assert sorted(m.rcpt_tos for m in handler.messages) == [(s,) for s in sorted(units)]
