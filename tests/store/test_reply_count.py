"""The daily count of answers to one address is exact, whatever the address looks like.

Store.replies_since leaves most outbox rows out in SQL before comparing addresses
in Python; these cases pin that nothing it should count is left out.
"""

from datetime import UTC, datetime, timedelta

from mailbot.models import OutboundMail


def answer(number: int, to: str, kind: str = "ack") -> OutboundMail:
    return OutboundMail(f"{kind}:{number}", kind, (to,), f"<a{number}@mailbot>", b"Subject: Re\r\n\r\nok")


def test_answers_are_counted_by_address_ignoring_case_and_nothing_else(store):
    to = [
        "VanPhong.NamSach@HaiDuong.gov.vn",
        "vanphong.namsach@haiduong.gov.vn",
        "xvanphong.namsach@haiduong.gov.vn",
        "vanphong.namsach@haiduong.gov.vn.example",
        "a_b%c@haiduong.gov.vn",
        "aXbYc@haiduong.gov.vn",
    ]
    store.queue([answer(i, address) for i, address in enumerate(to)])
    store.queue([answer(99, "vanphong.namsach@haiduong.gov.vn", kind="reminder")])
    since = datetime.now(UTC) - timedelta(hours=1)
    assert store.replies_since(" vanphong.namsach@HAIDUONG.gov.vn", since) == 2
    assert store.replies_since("a_b%c@haiduong.gov.vn", since) == 1
    assert store.replies_since("aXbYc@haiduong.gov.vn", since) == 1
    assert store.replies_since("vanphong.namsach@haiduong.gov.vn", datetime.now(UTC) + timedelta(hours=1)) == 0


def test_answers_to_addresses_beyond_ascii_are_counted_too(store):
    store.queue([answer(1, "Văn.Phòng@haiduong.gov.vn"), answer(2, "văn.phòng@haiduong.gov.vn")])
    store.queue([answer(3, "\u212aim@haiduong.gov.vn")])  # KELVIN SIGN: lower-cased, an ASCII "k"
    since = datetime.now(UTC) - timedelta(hours=1)
    assert store.replies_since("VĂN.PHÒNG@haiduong.gov.vn", since) == 2
    assert store.replies_since("kim@haiduong.gov.vn", since) == 1


def test_every_addresses_count_at_once_is_what_each_address_is_told(store):
    to = ["VanPhong.NamSach@HaiDuong.gov.vn", "vanphong.namsach@haiduong.gov.vn", "Văn.Phòng@haiduong.gov.vn"]
    store.queue([answer(i, address) for i, address in enumerate(to)])
    store.queue([answer(9, "kim@haiduong.gov.vn", kind="reminder")])  # not an answer
    since = datetime.now(UTC) - timedelta(hours=1)
    counted = store.answers_since(since)
    assert counted == {"vanphong.namsach@haiduong.gov.vn": 2, "văn.phòng@haiduong.gov.vn": 1}
    for address in [*to, "kim@haiduong.gov.vn"]:
        assert counted[address.lower()] == store.replies_since(address, since)
    assert store.answers_since(datetime.now(UTC) + timedelta(hours=1)) == {}
