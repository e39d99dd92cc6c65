"""One delivery run sends everything that is due, however long the queue."""

from dataclasses import replace
from datetime import UTC, datetime

from mailbot import service
from mailbot.config import Connections, load_settings
from mailbot.models import OutboundMail
from mailbot.outbox import BATCH_SIZE
from mailbot.store import Store


def test_a_long_queue_is_delivered_in_one_run(tmp_path):
    settings = load_settings("config/mailbot.toml", env={})
    settings = replace(
        settings,
        connections=Connections(
            inbox_url=f"maildir://{tmp_path}/inbox",
            smtp_url=f"file://{tmp_path}/outbox",
            db_url=f"sqlite:///{tmp_path}/mailbot.db",
        ),
    )
    store = Store.open(settings.connections.db_url)
    count = BATCH_SIZE * 4 + 7
    store.queue(
        [
            OutboundMail(
                key=f"ack:{n}",
                kind="ack",
                recipients=("a@haiduong.gov.vn",),
                message_id=f"<{n}@t>",
                raw=f"Message-ID: <{n}@t>\r\nSubject: {n}\r\n\r\nok\r\n".encode(),
            )
            for n in range(count)
        ]
    )
    result = service.deliver(settings, store, datetime.now(UTC))
    assert result.sent == count and store.outbox_counts()["pending"] == 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == count
    store.close()
