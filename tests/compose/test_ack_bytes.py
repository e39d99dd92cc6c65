"""Every acknowledgement is the very bytes it was before composing got cheaper.

tests/compose/acks/*.eml hold the acknowledgements composed, for the readings
below, by the code that built each mail part by part with email.mime and
serialized it with the standard generator: in Vietnamese and in English, subjects
that fold (long, Vietnamese, mostly ASCII with a few diacritics, with characters
outside the BMP), units with diacritics, problems that hold or reject, on time and
late, a correction replacing an earlier report (a late one of an on-time report
too), no unit, links in the subject and a problem, a campaign with one report. Run this file as a script to write
them again, only with the code before a change (its tree first on the path):

    PYTHONPATH=BEFORE_TREE .venv/bin/python tests/compose/test_ack_bytes.py
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from talking_days import DAY, local, nam_sach_reading, shipped_settings, submission  # noqa: E402

from mailbot import compose  # noqa: E402
from mailbot.config import Settings, load_settings  # noqa: E402
from mailbot.models import NO_SPREADSHEET, OUTLIER_JUMP, UNIT_MISMATCH, Problem, Reading  # noqa: E402
from mailbot.resources import CHECKOUT  # noqa: E402

FROZEN = Path(__file__).resolve().parent / "acks"
LONG = "Báo cáo số liệu cài đặt Bluezone của các xã, phường, thị trấn trên địa bàn huyện Nam Sách "


def base(settings: Settings) -> Reading:
    return nam_sach_reading(settings, subject="Báo cáo Bluezone ngày 14/8/2020 - Huyện Nam Sách")


def district_cases(settings: Settings) -> dict[str, tuple[Reading, object]]:
    """Name -> (reading, the submission it replaces) for the districts campaign."""
    one = base(settings)
    earlier = submission(settings, 7, "nam-sach", 17001, at=local(settings, DAY, 9, 30))
    late_earlier = submission(settings, 8, "nam-sach", 16990, at=local(settings, DAY, 16, 30))
    outlier = Problem(OUTLIER_JUMP, "Số liệu tăng gấp 10 lần so với hôm trước", where="C24")
    mismatch = Problem(UNIT_MISMATCH, "Tên đơn vị trong tệp (Huyện Thanh Hà) khác người gửi")
    no_sheet = Problem(NO_SPREADSHEET, "Thư không có tệp bảng tính đính kèm; đề nghị gửi lại kèm tệp .xlsx")
    return {
        "on-time": (one, None),
        "ascii-subject": (replace(one, subject="Bao cao ngay 14/8/2020", references=()), None),
        "long-subject-late": (
            replace(one, subject=LONG * 3, late=True, received_at=local(settings, DAY, 16, 20)),
            None,
        ),
        "mostly-ascii-subject": (
            replace(one, subject="Re: Bao cao so lieu cai dat Bluezone ngay 14/8/2020 cua huyen Nam Sach - đã sửa"),
            None,
        ),
        "astral-subject": (replace(one, subject="📊 Báo cáo 📊 ngày 14/8/2020 " * 4, unit="thanh-ha"), None),
        "no-subject-many-references": (
            replace(one, subject=None, references=tuple(f"<r{n}@haiduong.gov.vn>" for n in range(30))),
            None,
        ),
        "long-message-id": (replace(one, message_id="<" + "m" * 80 + "@haiduong.gov.vn>"), None),
        "outlier-review": (replace(one, problems=(outlier,), unit="kinh-mon"), None),
        "mismatch-review-replacing": (replace(one, problems=(mismatch,)), earlier),
        "rejected": (replace(one, figures={}, sources={}, problems=(no_sheet,)), earlier),
        "correction": (replace(one, figures={"installs": 17400}, sources={}), earlier),
        "late-correction-of-on-time": (replace(one, late=True, received_at=local(settings, DAY, 17, 5)), earlier),
        "late-correction-of-late": (replace(one, late=True, received_at=local(settings, DAY, 17, 5)), late_earlier),
        "no-unit": (
            replace(one, unit=None, figures={}, sources={}, subject="  Re:  Fwd: báo cáo\r\nBcc: x@y.vn "),
            None,
        ),
        "no-period": (replace(one, period=None, late=None, received_at=None), None),
        "links-broken-up": (
            replace(
                one,
                subject="Xem http://evil.example/x, www.abc.vn: mailto:a@b.vn; BC.xlsx 17.356",
                problems=(Problem(OUTLIER_JUMP, "Mở javascript:alert(1) hoặc tel:0904 tại evil.com.vn"),),
            ),
            None,
        ),
    }


def department_cases(settings: Settings) -> dict[str, tuple[Reading, object]]:
    """The campaign with one report, due before a day."""
    at = datetime.combine(date(2020, 8, 15), time(10, 5), tzinfo=settings.campaign.tz)
    one = replace(
        base(settings),
        unit="so-tu-phap",
        period=settings.campaign.period_of(at.date()),
        received_at=at,
        figures={"smartphone_staff": 85, "installed_staff": 70},
        sources={},
        subject="Báo cáo kết quả cài đặt Bluezone của Sở Tư pháp",
    )
    return {"once": (one, None), "once-late": (replace(one, late=True), None)}


def all_cases() -> dict[str, tuple[Settings, Reading, object]]:
    districts = shipped_settings()
    departments = load_settings(CHECKOUT / "config" / "haiduong.toml", env={}).with_campaign("departments")
    assert departments is not None
    found: dict[str, tuple[Settings, Reading, object]] = {}
    for language in ("vi", "en"):
        for settings, cases in (
            (districts, district_cases(districts)),
            (departments, department_cases(departments)),
        ):
            chosen = replace(settings, language=language)
            for name, (reading, replaced) in cases.items():
                found[f"{language}-{name}"] = (chosen, reading, replaced)
    return found


def composed(name: str, settings: Settings, reading: Reading, replaced) -> bytes:
    now = local(settings, DAY, 17, 43)
    basis = hashlib.sha256(name.encode()).hexdigest()  # a case's own, whatever the other cases
    mail = compose.acknowledgement(settings, reading, replaced=replaced, now=now, key_basis=basis)
    assert mail is not None
    return mail.raw


CASES = all_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_acknowledgement_is_the_bytes_frozen_before(name):
    settings, reading, replaced = CASES[name]
    expected = (FROZEN / f"{name}.eml").read_bytes()
    assert composed(name, settings, reading, replaced) == expected
    assert composed(name, settings, reading, replaced) == expected  # again, from whatever was kept


def test_every_frozen_acknowledgement_has_its_case():
    assert sorted(p.stem for p in FROZEN.glob("*.eml")) == sorted(CASES)


def freeze() -> None:
    print("composing with", compose.__file__)
    FROZEN.mkdir(exist_ok=True)
    for name, (settings, reading, replaced) in CASES.items():
        (FROZEN / f"{name}.eml").write_bytes(composed(name, settings, reading, replaced))


if __name__ == "__main__":
    freeze()
