"""The daily schedules' pure rules (R-PRE-6, R-BAS-5): the run's day, the anchor days each job reads, leap days."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from shared.dal import keys
from shared.domain import schedules as rules

TIMING = rules.Timing(reminder_days=30, inactivity_years=3, notice_days=90)


def test_the_run_day_is_the_scheduled_time_in_tokyo_not_utc():
    assert rules.run_day("2027-04-30T18:00:00Z") == date(2027, 5, 1)  # 03:00 JST on 1 May
    assert rules.run_day("2027-05-01T02:59:00+09:00") == date(2027, 5, 1)
    with pytest.raises(ValueError):
        rules.run_day("2027-05-01T03:00:00")  # no zone: refused rather than guessed


def test_a_run_covers_the_catch_up_days_oldest_first():
    days = rules.run_days(date(2027, 5, 8))
    assert days[0] == date(2027, 5, 1) and days[-1] == date(2027, 5, 8) and len(days) == rules.CATCH_UP_DAYS + 1


def test_r_pre_6_reminder_reads_the_expiry_in_reminder_days_and_the_lapse_yesterdays():
    assert rules.anchor_days("premium_reminder", date(2027, 5, 1), TIMING) == [date(2027, 5, 31)]
    assert rules.anchor_days("premium_lapse", date(2027, 5, 1), TIMING) == [date(2027, 4, 30)]
    assert rules.anchor_days("inactivity_removal", date(2027, 5, 1), TIMING) == [date(2027, 4, 30)]


def test_r_bas_5_every_last_access_is_told_exactly_once_leap_days_included():
    """Over ten years of run days, each last access is read on exactly one day, the one 90 days before its
    deadline three years on (29 February's deadline is 1 March)."""
    seen: Counter = Counter()
    day = date(2026, 1, 1)
    while day < date(2036, 1, 1):
        for last_access in rules.anchor_days("inactivity_notice", day, TIMING):
            assert rules.notice_day(last_access, TIMING) == day
            seen[last_access] += 1
        day += timedelta(days=1)
    last_access = date(2024, 1, 1)
    while last_access < date(2032, 1, 1):
        assert seen[last_access] == 1, last_access
        last_access += timedelta(days=1)
    assert rules.removal_deadline(date(2028, 2, 29), 3) == date(2031, 3, 1)


def test_years_before_and_after_handle_29_february():
    assert rules.years_before(date(2028, 2, 29), 1) == date(2027, 2, 28)
    assert rules.years_after(date(2028, 2, 29), 1) == date(2029, 3, 1)


def test_due_keys_are_sharded_stably_and_spread():
    shards = Counter(keys.due_shard(f"user-{i}") for i in range(16_000))
    assert set(shards) == set(range(keys.DUE_SHARDS))
    assert max(shards.values()) < 1.2 * 16_000 / keys.DUE_SHARDS  # no hot shard
    assert keys.due("premium", "2027-05-31", "u1", "212172")["due_pk"].startswith("DUE#premium#2027-05-31#")
    assert keys.due_shard("u1") == keys.due_shard("u1")


def test_texts_name_the_day_in_japanese():
    title, body = rules.inactivity_text("飛騨市", date(2027, 1, 10))
    assert "2027年1月10日" in title and "アプリを開いて" in body
    assert "基本登録に戻りました" in rules.lapse_text("飛騨市", date(2027, 12, 10))[1]
