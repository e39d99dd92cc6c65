"""Review decisions through the real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from synthetic import TZ, campaign_settings

from mailbot import ledger, review
from mailbot.errors import NotFoundError, UsageError
from mailbot.models import InboundMessage, OutboundMail, Problem, Reading
from mailbot.review import Decider
from mailbot.store import Store

DAY = date(2020, 8, 14)
NOON = datetime(2020, 8, 14, 12, 0, tzinfo=TZ)
EVENING = datetime(2020, 8, 14, 22, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def settings():
    return campaign_settings()


def put(store, key: str, unit: str | None, figures: dict, problems=(), hour: int = 9) -> int:
    received = datetime(2020, 8, 14, hour, 0, tzinfo=TZ)
    raw = f"Message-ID: <{key}@t>\r\n\r\nx\r\n".encode()
    message = InboundMessage(source="maildir:///t", key=key, raw=raw, received_at=received, size=len(raw))
    reading = Reading(
        path=None,
        message_id=f"<{key}@t>",
        sender="someone@example.org",
        received_at=received,
        period=DAY,
        late=False,
        unit=unit,
        figures=figures,
        problems=tuple(problems),
    )
    return store.ingest(message, reading, [], None).submission_id


def notice(key: str) -> OutboundMail:
    return OutboundMail(key=key, kind="notice", recipients=("a@example.org",), message_id=f"<{key}@t>", raw=b"x")


OUTLIER = Problem("outlier_jump", "x")
UNKNOWN = Problem("unknown_sender", "y")


def test_accept_counts_from_then_on_and_is_recorded_with_who_when_why(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 90000}, [OUTLIER])
    assert [s.id for s in review.pending(store)] == [sub_id]
    before = ledger.build_day(settings, DAY, store.submissions_between(DAY, DAY), EVENING)
    assert before.units[0].state == "needs_review" and before.totals["installs"] == 0
    outcome = review.accept(store, sub_id, Decider("ktv.nguyen", "Đã gọi điện xác minh"), NOON, outgoing=[notice("n1")])
    assert outcome.changed and outcome.submission.status == "accepted"
    assert outcome.submission.decided_by == "ktv.nguyen"
    [decision] = store.decisions_of(sub_id)
    assert (decision.action, decision.by, decision.at, decision.reason) == (
        "accept",
        "ktv.nguyen",
        NOON,
        "Đã gọi điện xác minh",
    )
    assert store.outbox_counts()["pending"] == 1
    after = ledger.build_day(settings, DAY, store.submissions_between(DAY, DAY), EVENING)
    assert after.units[0].state == "on_time" and after.totals["installs"] == 90000
    assert review.pending(store) == []


def test_the_same_decision_twice_is_recorded_once(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 90000}, [OUTLIER])
    review.accept(store, sub_id, Decider("ktv.nguyen"), NOON, outgoing=[notice("n1")])
    again = review.accept(store, sub_id, Decider("ktv.tran"), NOON + timedelta(minutes=1), outgoing=[notice("n2")])
    assert not again.changed and again.submission.decided_by == "ktv.nguyen"
    assert len(store.decisions_of(sub_id)) == 1
    assert store.outbox_counts()["pending"] == 1  # the second notice was not queued


def test_concurrent_reviewers_apply_a_decision_once(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 90000}, [OUTLIER])
    outcomes = []
    threads = [
        threading.Thread(target=lambda who=who: outcomes.append(review.accept(store, sub_id, Decider(who), NOON)))
        for who in ("a", "b", "c", "d")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.changed for o in outcomes) == [False, False, False, True]
    assert len(store.decisions_of(sub_id)) == 1


def test_overturning_a_decision_needs_force(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 90000}, [OUTLIER])
    review.reject(store, sub_id, Decider("ktv.nguyen", "Số liệu nhầm"), NOON)
    with pytest.raises(UsageError) as error:
        review.accept(store, sub_id, Decider("ktv.tran"), NOON)
    assert error.value.message == f"Báo cáo số {sub_id} đã bị từ chối bởi ktv.nguyen; lý do: Số liệu nhầm"
    assert f"mailbot review accept {sub_id} --force" in error.value.hint
    review.accept(store, sub_id, Decider("ktv.tran", "Đơn vị xác nhận số đúng", force=True), NOON)
    assert store.submission(sub_id).status == "accepted"
    with pytest.raises(UsageError):
        review.reject(store, sub_id, Decider("ktv.nguyen", "again"), NOON)
    assert [d.action for d in store.decisions_of(sub_id)] == ["reject", "accept"]


def test_an_automatically_accepted_report_can_be_rejected_with_force_only(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 70000})
    with pytest.raises(UsageError):
        review.reject(store, sub_id, Decider("ktv.nguyen", "Gửi nhầm tệp"), NOON)
    review.reject(store, sub_id, Decider("ktv.nguyen", "Gửi nhầm tệp", force=True), NOON)
    result = ledger.build_day(settings, DAY, store.submissions_between(DAY, DAY), EVENING)
    assert result.units[0].state == "rejected" and result.reported == 0


def test_reject_needs_a_reason(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 90000}, [OUTLIER])
    with pytest.raises(UsageError, match="^Cần nêu lý do khi từ chối báo cáo [(]") as error:
        review.reject(store, sub_id, Decider("ktv.nguyen", "  "), NOON)
    assert "--reason" in error.value.hint
    assert store.decisions_of(sub_id) == []


def test_a_missing_submission_is_not_found(settings, store):
    with pytest.raises(NotFoundError) as error:
        review.accept(store, 4242, Decider("ktv.nguyen"), NOON)
    assert error.value.exit_code == 1 and error.value.message == "Không có báo cáo số 4242"
    assert "mailbot review list" in error.value.hint


def test_errors_are_in_english_when_the_store_and_the_settings_are(settings, store_url):
    english = Store.open(store_url, "en")
    try:
        sub_id = put(english, "a", "hai-duong", {"installs": 90000}, [OUTLIER])
        review.reject(english, sub_id, Decider("ktv.nguyen", "Wrong figure"), NOON)
        with pytest.raises(UsageError) as error:
            review.accept(english, sub_id, Decider("ktv.tran"), NOON)
        assert error.value.message == f"submission {sub_id} was already rejected by ktv.nguyen (Wrong figure)"
        assert error.value.hint == f"to change that decision: mailbot review accept {sub_id} --force"
        with pytest.raises(NotFoundError, match="^submission 4242 does not exist [(]"):
            review.accept(english, 4242, Decider("ktv.nguyen"), NOON)
        with pytest.raises(UsageError, match="^unknown unit 'atlantis' [(]"):
            review.assign(replace(settings, language="en"), english, sub_id, "atlantis", Decider("ktv.nguyen"), NOON)
    finally:
        english.close()


def test_assign_an_unknown_sender_then_accept(settings, store):
    sub_id = put(store, "a", None, {"installs": 25900}, [UNKNOWN])
    with pytest.raises(UsageError) as error:
        review.accept(store, sub_id, Decider("ktv.nguyen"), NOON)
    assert "assign" in error.value.hint
    with pytest.raises(UsageError) as error:
        review.assign(settings, store, sub_id, "atlantis", Decider("ktv.nguyen"), NOON)
    assert error.value.exit_code == 2 and "cam-giang" in error.value.hint
    assigned = review.assign(
        settings, store, sub_id, "cam-giang", Decider("ktv.nguyen", "Thư của chuyên viên huyện"), NOON
    )
    assert (assigned.submission.unit, assigned.submission.status) == ("cam-giang", "needs_review")
    assert not review.assign(settings, store, sub_id, "cam-giang", Decider("ktv.tran"), NOON).changed
    review.accept(store, sub_id, Decider("ktv.nguyen"), NOON)
    result = ledger.build_day(settings, DAY, store.submissions_between(DAY, DAY), EVENING)
    line = next(r for r in result.units if r.unit == "cam-giang")
    assert (line.state, line.figures["installs"]) == ("on_time", 25900)
    assert [(d.action, d.unit) for d in store.decisions_of(sub_id)] == [("assign", "cam-giang"), ("accept", None)]


def test_moving_a_decided_submission_to_another_unit_needs_force(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 70000})
    with pytest.raises(UsageError) as error:
        review.assign(settings, store, sub_id, "chi-linh", Decider("ktv.nguyen"), NOON)
    assert error.value.message == f"Báo cáo số {sub_id} thuộc đơn vị hai-duong và đã được chấp nhận"
    assert f"mailbot review assign {sub_id} chi-linh --force" in error.value.hint
    review.assign(settings, store, sub_id, "chi-linh", Decider("ktv.nguyen", "Nhầm đơn vị", force=True), NOON)
    assert store.submission(sub_id).unit == "chi-linh"


def test_correct_keeps_the_figure_read(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 700000}, [Problem("above_population", "z")])
    with pytest.raises(UsageError, match="^Cần nêu lý do khi sửa số liệu báo cáo [(]"):
        review.correct(settings, store, sub_id, {"installs": 70000}, Decider("ktv.nguyen", ""), NOON)
    with pytest.raises(UsageError, match="^Không có chỉ tiêu 'downloads' [(]") as error:
        review.correct(settings, store, sub_id, {"downloads": 1}, Decider("ktv.nguyen", "r"), NOON)
    assert "installs" in error.value.hint
    with pytest.raises(UsageError, match="^-1 không phải là số liệu hợp lệ [(]"):
        review.correct(settings, store, sub_id, {"installs": -1}, Decider("ktv.nguyen", "r"), NOON)
    fixed = review.correct(
        settings, store, sub_id, {"installs": 70000}, Decider("ktv.nguyen", "Thừa một chữ số 0"), NOON
    )
    assert dict(fixed.submission.figures) == {"installs": 70000}
    assert dict(fixed.submission.read_figures) == {"installs": 700000}
    assert fixed.submission.status == "accepted"  # a correction is a decision: the corrected figure counts
    assert not review.correct(settings, store, sub_id, {"installs": 70000}, Decider("ktv.tran", "again"), NOON).changed
    result = ledger.build_day(settings, DAY, store.submissions_between(DAY, DAY), EVENING)
    assert result.totals["installs"] == 70000
    assert [(d.action, d.figures) for d in store.decisions_of(sub_id)] == [("correct", {"installs": 70000})]


def test_correcting_a_rejected_submission_needs_force_and_changes_nothing_without(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 700000}, [Problem("above_population", "z")])
    review.reject(store, sub_id, Decider("ktv.nguyen", "Sai mẫu"), NOON)
    with pytest.raises(UsageError, match="--force"):
        review.correct(settings, store, sub_id, {"installs": 70000}, Decider("ktv.le", "r"), NOON)
    assert store.submission(sub_id).status == "rejected" and len(store.decisions_of(sub_id)) == 1
    forced = review.correct(settings, store, sub_id, {"installs": 70000}, Decider("ktv.le", "r", force=True), NOON)
    assert forced.submission.status == "accepted" and dict(forced.submission.figures) == {"installs": 70000}


def test_notices_can_be_built_from_the_decision(settings, store):
    sub_id = put(store, "a", "hai-duong", {"installs": 90000}, [OUTLIER])
    seen = []

    def build(before, decision):
        seen.append((before.status, decision.action, decision.by))
        return [notice(f"review:{decision.submission_id}:{decision.action}")]

    review.reject(store, sub_id, Decider("ktv.nguyen", "Sai mẫu"), NOON, outgoing=build)
    assert seen == [("needs_review", "reject", "ktv.nguyen")]
    assert [m.key for m in store.mail("pending")] == [f"review:{sub_id}:reject"]


def test_who_decides():
    assert review.reviewer("  ktv.le ", {"MAILBOT_USER": "ktv.nguyen"}) == "ktv.le"
    assert review.reviewer(None, {"MAILBOT_USER": "ktv.nguyen"}) == "ktv.nguyen"
    assert review.reviewer(None, {}) != ""
