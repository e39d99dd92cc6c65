"""Odd real-world mail: each message gives a Reading, and none a figure it did not see."""

from pathlib import Path

import pytest

from mailbot.reading.message import read_path

ODD_MAIL = Path(__file__).resolve().parent / "odd_mail"
MESSAGES = sorted(ODD_MAIL.glob("*.eml"))


def test_the_odd_mail_is_there():
    assert len(MESSAGES) >= 100


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: p.name)
def test_odd_mail_reads_without_figures(path, shipped):
    reading = read_path(path, shipped)
    assert reading.figures == {}
    assert reading.status == "rejected"
    assert {p.code for p in reading.problems} & {"no_spreadsheet", "unreadable_file", "no_figure"}
    assert reading.message_id is None or reading.message_id.startswith("<") or reading.message_id
