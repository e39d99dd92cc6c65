"""campaign.strict_authentication: a registered sender the trusted server did not authenticate waits for review."""

import dataclasses

from robust.hostile import METRIC, NAM_SACH, now

from mailbot.config import PROJECT_ROOT, load_settings  # noqa: E402
from mailbot.reading.message import read_message  # noqa: E402
from mailbot.samples import district_workbook, report_mail  # noqa: E402


def registered(auth: str | None) -> bytes:
    return report_mail(
        sender=NAM_SACH[0],
        sender_name="Văn phòng Huyện Nam Sách",
        to="baocao.stttt@haiduong.gov.vn",
        subject="Báo cáo Bluezone - Huyện Nam Sách",
        body="Kính gửi Sở.",
        sent_at=now(),
        attachment_name="bc.xlsx",
        attachment=district_workbook("Huyện Nam Sách", 17356, now().date(), METRIC),
        extra_headers={"Authentication-Results": f"mx.haiduong.gov.vn; {auth}"} if auth else None,
    )


def settings(strict: bool):
    shipped = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})
    return dataclasses.replace(shipped, campaign=dataclasses.replace(shipped.campaign, strict_authentication=strict))


def test_off_in_the_shipped_campaign():
    shipped = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})
    assert shipped.campaign.strict_authentication is False
    assert read_message(registered(None), shipped).status == "accepted"


def test_strict_holds_an_unauthenticated_registered_sender_for_review():
    reading = read_message(registered(None), settings(strict=True))
    assert reading.status == "needs_review" and [p.code for p in reading.problems] == ["unverified_sender"]
    assert NAM_SACH[0] in reading.problems[0].message


def test_strict_counts_a_registered_sender_the_trusted_server_authenticated():
    for auth in ("dmarc=pass header.from=haiduong.gov.vn", "dkim=pass header.d=haiduong.gov.vn"):
        reading = read_message(registered(auth), settings(strict=True))
        assert reading.status == "accepted" and reading.sender_verified, auth
