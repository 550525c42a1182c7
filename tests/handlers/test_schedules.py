"""The daily renewal and expiry schedules on moto (R-PRE-6, R-BAS-5): the real handlers, their events as EventBridge
Scheduler sends them, their work queues drained as the event source mappings deliver them."""

from __future__ import annotations

import json
import os
from datetime import date, datetime

import pytest

from shared import clock
from shared.dal import keys
from shared.dal.items import load
from tests.handlers.premium_helpers import GIFU, HIDA, active_person, premium_at, register, settings

TABLE = os.environ["TABLE_NAME"]


def _item(moto, key: dict) -> dict:
    found = moto.get_item(TableName=TABLE, Key={k: {"S": v} for k, v in key.items()}, ConsistentRead=True)
    return load(found["Item"]) if "Item" in found else {}


def _notices(moto, user: str) -> list[dict]:
    """The person's notices read from the table (reading them through the app would be an app access, R-BAS-5)."""
    found = moto.query(TableName=TABLE, IndexName="inbox", KeyConditionExpression="inbox_pk = :p",
                       ExpressionAttributeValues={":p": {"S": keys.notices_inbox(user)}})["Items"]
    return [load(i) for i in found]


def _kinds(moto, user: str) -> list[str]:
    return sorted(n["kind"] for n in _notices(moto, user))


def _mail_to(address: str) -> list:
    from moto.ses.models import ses_backends

    return [m for m in ses_backends["123456789012"]["ap-northeast-1"].sent_messages if address in m.destinations]


def _register_on(register_api, user: str, day: date, email: str | None = None, code: str = HIDA) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, 12, 0, tzinfo=clock.TOKYO))
    register(register_api, user, code, email)


def test_r_pre_6_reminded_before_the_expiry_then_basic_again_after_it(moto, register_api, days):
    _register_on(register_api, "u1", date(2026, 12, 3), "u1@example.jp")
    premium_at(moto, "u1", HIDA, date(2027, 12, 10))
    days.run(date(2027, 11, 9))
    assert _kinds(moto, "u1") == []  # 31 days before: not yet
    days.run(date(2027, 11, 10))  # PREMIUM_REMINDER_DAYS (30) before the expiry
    assert _kinds(moto, "u1") == ["premium_reminder"]
    assert len(_mail_to("u1@example.jp")) == 1
    days.run(date(2027, 11, 10))  # the same event again: nothing twice
    assert _kinds(moto, "u1") == ["premium_reminder"] and len(_mail_to("u1@example.jp")) == 1
    days.run(date(2027, 12, 10))  # the last day of premium
    assert "premium_lapsed" not in _item(moto, keys.registration(HIDA, "u1"))
    days.run(date(2027, 12, 11))
    registration = _item(moto, keys.registration(HIDA, "u1"))
    assert registration["premium_lapsed"] == "2027-12-10" and "due_pk" not in registration
    assert _kinds(moto, "u1") == ["premium_lapsed", "premium_reminder"]
    assert len(_mail_to("u1@example.jp")) == 2
    card = register_api("GET", f"/me/registrations/{HIDA}/card", "u1").body
    assert card["level"] == "basic"


def test_a_missed_day_is_done_by_the_next_run_within_the_catch_up_days(moto, register_api, days):
    _register_on(register_api, "u1", date(2026, 12, 3))
    premium_at(moto, "u1", HIDA, date(2027, 12, 10))
    days.run(date(2027, 12, 17))  # no run from 11 to 16 December: the 17th's run does the 11th's work
    assert _item(moto, keys.registration(HIDA, "u1"))["premium_lapsed"] == "2027-12-10"
    assert _kinds(moto, "u1") == ["premium_lapsed"]


def test_a_run_cut_short_leaves_the_shard_undone_and_the_next_run_finishes_it(moto, register_api, days, monkeypatch):
    from shared.dal.schedules import ScheduleRepository

    _register_on(register_api, "u1", date(2026, 12, 3))
    premium_at(moto, "u1", HIDA, date(2027, 12, 10))
    failing = {"left": 1}
    real_lapse = ScheduleRepository.lapse

    def lapse_fails_once(self, *args):
        if failing["left"]:
            failing["left"] -= 1
            raise RuntimeError("DynamoDB unavailable")
        return real_lapse(self, *args)

    monkeypatch.setattr(ScheduleRepository, "lapse", lapse_fails_once)
    with pytest.raises(AssertionError, match="failed|unavailable"):
        days.run(date(2027, 12, 11))  # the message failed: reported, kept in the queue for another delivery
    days.worker.errors.clear()
    assert "premium_lapsed" not in _item(moto, keys.registration(HIDA, "u1"))
    shard = keys.due_shard("u1")
    assert shard not in _item(moto, keys.schedule_run("premium_lapse", "2027-12-10")).get("shards", set())
    days.run(date(2027, 12, 12))  # the next run sends the undone shard again
    assert _item(moto, keys.registration(HIDA, "u1"))["premium_lapsed"] == "2027-12-10"
    assert _kinds(moto, "u1") == ["premium_lapsed"]  # told once, though the step ran twice
    assert {shard} <= _item(moto, keys.schedule_run("premium_lapse", "2027-12-10"))["shards"]


def test_a_message_delivered_twice_changes_nothing_twice(moto, register_api, days):
    from local.events import sqs_event

    _register_on(register_api, "u1", date(2026, 12, 3), "u1@example.jp")
    premium_at(moto, "u1", HIDA, date(2027, 12, 10))
    body = json.dumps({"job": "premium_reminder", "day": "2027-11-10", "anchor_day": "2027-12-10",
                       "shard": keys.due_shard("u1")})
    clock.freeze(datetime(2027, 11, 10, 3, 0, tzinfo=clock.TOKYO))
    message = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": body}
    for _ in range(2):
        result = days.invoke("renewal", sqs_event([message], "arn:aws:sqs:ap-northeast-1:123456789012:q"))
        assert result == {"batchItemFailures": []}
    assert _kinds(moto, "u1") == ["premium_reminder"] and len(_mail_to("u1@example.jp")) == 1


def test_a_malformed_message_is_reported_failed_the_others_of_its_batch_are_not(days):
    from local.events import sqs_event

    good = {"MessageId": "ok", "ReceiptHandle": "r0", "Body": json.dumps(
        {"job": "premium_lapse", "day": "2027-12-11", "anchor_day": "2027-12-10", "shard": 3})}
    bad = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": '{"job": "nonsense"}'}
    clock.freeze(datetime(2027, 12, 11, 3, 0, tzinfo=clock.TOKYO))
    result = days.invoke("expiry", sqs_event([good, bad], "arn:aws:sqs:ap-northeast-1:123456789012:q"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}  # to the dead-letter queue after its retries


def test_r_bas_5_inactive_registrations_are_told_then_removed_while_one_who_came_back_stays(moto, register_api, days):
    # Both last used the app on 2024-01-10: told on 2026-10-12 (90 days before 2027-01-10), removed after it.
    for user in ("gone", "back"):
        _register_on(register_api, user, date(2024, 1, 10), f"{user}@example.jp")  # and co-registered with Gifu
    days.run(date(2026, 10, 11))
    assert _kinds(moto, "gone") == []
    days.run(date(2026, 10, 12))
    assert _kinds(moto, "gone") == ["inactivity_warning", "inactivity_warning"]  # Hida and Gifu
    assert _item(moto, keys.account("gone"))["removal_due"] == "2027-01-10"
    assert len(_mail_to("gone@example.jp")) == 1  # the address was given to Hida only (Gifu's co-registration has none)
    clock.freeze(datetime(2026, 11, 1, 12, 0, tzinfo=clock.TOKYO))
    assert register_api("GET", "/me/registrations", "back").status == 200  # opened the app: stays
    assert "removal_due" not in _item(moto, keys.account("back"))
    days.run(date(2027, 1, 10))  # the deadline itself: an access today still keeps them
    assert _item(moto, keys.registration(HIDA, "gone"))
    days.run(date(2027, 1, 11))
    assert not _item(moto, keys.registration(HIDA, "gone")) and not _item(moto, keys.registration(GIFU, "gone"))
    account = _item(moto, keys.account("gone"))
    assert "inactivity_removed_at" in account and "removal_due" not in account and "due_pk" not in account
    assert len(_mail_to("gone@example.jp")) == 2
    assert _item(moto, keys.registration(HIDA, "back")) and _item(moto, keys.registration(GIFU, "back"))
    clock.freeze(datetime(2027, 1, 11, 12, 0, tzinfo=clock.TOKYO))
    assert register_api("GET", "/me/registrations", "gone").body["registrations"] == []


def test_r_pre_6_automatic_renewal_where_the_organisation_approves_automatically(
    moto, register_api, admin_api, card_tap, renewal_api, premium_workflow, days
):
    clock.freeze(datetime(2026, 12, 19, 12, 0, tzinfo=clock.TOKYO))
    active_person(register_api, admin_api, card_tap, "u1", email="u1@example.jp")
    settings(admin_api, auto_approve=True)
    premium_at(moto, "u1", HIDA, date(2027, 6, 30))
    days.run(date(2027, 5, 31))  # 30 days before: renewed by the system's judgement, not reminded
    premium_workflow.until(
        lambda: [a for a in renewal_api("GET", "/me/premium-applications", "u1").body["applications"]
                 if a["status"] == "approved"], what="the renewal approved")
    assert _item(moto, keys.registration(HIDA, "u1"))["premium_expires_on"] == "2028-06-30"  # from the old expiry
    kinds = premium_workflow.until(lambda: _kinds(moto, "u1"), what="the outcome notice")
    assert kinds == ["premium_approved"]


def test_no_automatic_renewal_for_one_who_does_not_qualify_a_reminder_instead(
    moto, register_api, admin_api, renewal_api, premium_workflow, days
):
    _register_on(register_api, "u1", date(2026, 12, 3))
    clock.freeze(datetime(2026, 12, 3, 12, 0, tzinfo=clock.TOKYO))
    settings(admin_api, auto_approve=True)
    premium_at(moto, "u1", HIDA, date(2027, 6, 30))
    days.run(date(2027, 5, 31))
    assert _kinds(moto, "u1") == ["premium_reminder"]
    assert renewal_api("GET", "/me/premium-applications", "u1").body["applications"] == []

