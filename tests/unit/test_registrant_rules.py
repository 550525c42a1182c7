"""The staff registrant list's pure rules (R-PRIV-2, R-ORG-3, R-PRE-6, R-BAS-2): filters, the key range of a day
range, the relationship types of an answer, one row as of today, the shard of a person."""

from __future__ import annotations

from datetime import date

import pytest

from shared.dal import keys
from shared.dal.registrants import filter_expression
from shared.domain.errors import InvalidInput
from shared.domain.models import PersonalInfo
from shared.domain.registrants import RELATIONSHIP_CHOICES, RegistrantFilter, last_active_month, relationships_of, summary
from shared.domain.survey import COMMON_QUESTIONS

TODAY = date(2026, 12, 3)
ITEM = {"user_id": "u1", "since": "2026-04-02T09:00:00+09:00", "direct": True, "resident": False}


def test_r_bas_2_the_filterable_relationship_types_are_the_surveys_choices():
    question = next(q for q in COMMON_QUESTIONS if q.id == "relationship")
    assert RELATIONSHIP_CHOICES == tuple(c.id for c in question.choices)


def test_relationships_of_an_answer_keeps_only_known_choices():
    assert relationships_of({"relationship": ["birthplace", "type4_dual_residence", "made_up"]}) == {
        "birthplace", "type4_dual_residence"
    }
    assert relationships_of({"relationship": "birthplace"}) == {"birthplace"}
    assert relationships_of({}) == frozenset()


def test_a_day_range_is_a_sort_key_range_of_whole_tokyo_days():
    low, high = RegistrantFilter(since_from=date(2026, 4, 1), since_to=date(2026, 4, 2)).since_bounds()
    assert low <= "2026-04-01T00:00:00+09:00#u" <= high
    assert low <= "2026-04-02T23:59:59+09:00#u" <= high
    assert not low <= "2026-04-03T00:00:00+09:00#u" <= high
    assert not low <= "2026-03-31T23:59:59+09:00#u" <= high
    assert RegistrantFilter().since_bounds() is None
    assert RegistrantFilter(since_to=date(2026, 4, 2)).since_bounds()[0] < "2000"
    with pytest.raises(InvalidInput):
        RegistrantFilter(since_from=date(2026, 4, 3), since_to=date(2026, 4, 2)).since_bounds()


def test_r_pre_6_a_row_is_premium_through_its_expiry_day_then_basic():
    assert summary({**ITEM, "premium_expires_on": "2026-12-03"}, None, TODAY).level == "premium"
    lapsed = summary({**ITEM, "premium_expires_on": "2026-12-02", "premium_lapsed": "2026-12-02"}, None, TODAY)
    assert lapsed.level == "basic" and lapsed.premium_expires_on == date(2026, 12, 2)
    assert summary(ITEM, None, TODAY).level == "basic"


def test_a_row_shows_verification_relationships_via_and_personal_data_given():
    row = summary(
        {**ITEM, "personal_verified_on": "2026-05-20", "relationships": {"family_ties", "birthplace"}, "via": {"212172"},
         "last_active_month": "2026-11"},
        PersonalInfo(name="飛騨 花子"), TODAY,
    )
    assert row.verified and row.verified_on == date(2026, 5, 20)
    assert row.relationships == ["birthplace", "family_ties"] and row.via == ["212172"]
    assert row.last_active_month == "2026-11" and row.personal.name == "飛騨 花子"
    assert summary(ITEM, None, TODAY).verified is False


def test_filters_become_one_filter_expression():
    assert filter_expression(RegistrantFilter(), TODAY) == {}
    assert filter_expression(RegistrantFilter(since_from=TODAY), TODAY) == {}  # a key condition, not a filter
    request = filter_expression(
        RegistrantFilter(level="premium", verified=False, resident=True, relationship="birthplace"), TODAY
    )
    assert request["FilterExpression"] == (
        "premium_expires_on >= :today AND attribute_not_exists(personal_verified_on) AND resident = :resident"
        " AND contains(relationships, :relationship)"
    )
    assert request["ExpressionAttributeValues"][":today"] == {"S": "2026-12-03"}
    basic = filter_expression(RegistrantFilter(level="basic"), TODAY)["FilterExpression"]
    assert basic == "(attribute_not_exists(premium_expires_on) OR premium_expires_on < :today)"


def test_a_persons_shard_is_stable_and_the_shards_are_used_evenly():
    assert keys.registrant_shard("user-1") == keys.registrant_shard("user-1")
    counts = [0] * keys.REGISTRANT_SHARDS
    for n in range(1600):
        counts[keys.registrant_shard(f"user-{n}")] += 1
    assert min(counts) > 60 and max(counts) < 140
    assert keys.registrant_of_organisation("212172", "u", "2026-04-02T09:00:00+09:00") == {
        "registrants_pk": f"REGISTRANTS#212172#{keys.registrant_shard('u')}", "registrants_sk": "2026-04-02T09:00:00+09:00#u"
    }


def test_the_last_active_month():
    assert last_active_month(date(2026, 12, 31)) == "2026-12"
