"""A poll hands over what it stored as soon as it is stored, while the last acknowledgements are on their way:
`mailbot poll --once` shows the readings then, and the delivery's counts once every answer has gone."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from dataclasses import replace

from fixtures_smtp import ScriptedHandler, _start

from mailbot.app import App
from mailbot.config import Connections, load_settings
from mailbot.samples import district_workbook, report_mail

VN = dt.timezone(dt.timedelta(hours=7))
AT = dt.datetime(2020, 8, 14, 9, 0, tzinfo=VN)
UNITS = {"vanphong.namsach@haiduong.gov.vn": "Huyện Nam Sách", "vanphong.kinhmon@haiduong.gov.vn": "Thị xã Kinh Môn"}


class GatedHandler(ScriptedHandler):
    """Takes no mail's data until the gate opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        while not self.gate.is_set():
            await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


def test_the_readings_are_handed_over_before_the_answers_have_gone(tmp_path, imap_account):
    for number, (sender, name) in enumerate(UNITS.items()):
        raw = report_mail(
            sender=sender,
            sender_name=f"Văn phòng {name}",
            to="baocao.stttt@haiduong.gov.vn",
            subject="Báo cáo số lượng cài đặt Bluezone ngày 14/8/2020",
            body="Kính gửi Sở TT&TT, đơn vị gửi báo cáo.",
            sent_at=AT,
            attachment_name="BC 14-8.xlsx",
            attachment=district_workbook(name, 17356 + number, dt.date(2020, 8, 14), "Số lượng cài đặt Bluezone"),
        )
        imap_account.append(raw, AT)
    handler = GatedHandler()
    controller = _start(handler)
    base = load_settings("config/mailbot.toml", env={})
    connections = Connections(
        inbox_url=imap_account.url(with_password=False),
        inbox_password=imap_account.password,
        smtp_url=f"smtp://127.0.0.1:{controller.port}?timeout=30",
        db_url=f"sqlite:///{tmp_path / 'mailbot.db'}",
    )
    app = App.open(replace(base, connections=connections), clock=lambda: AT + dt.timedelta(minutes=5))
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
