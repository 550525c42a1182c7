"""Unclaimed pre-launch records on moto (R-ACT-5, R-BAS-4): stored under the organisation's area (R-PRIV-1) by
identity key, found again for a claim with one Query, exact and near matches alike; storing stays idempotent."""

from __future__ import annotations

import os
from datetime import date

import pytest

from shared.dal.prelaunch import MAX_UNCLAIMED_PER_QUERY, PrelaunchRepository
from shared.domain import claims
from tests.handlers.test_prelaunch_import import unclaimed_items
from tests.unit.test_prelaunch import GIFU, HEADER, HIDA, SAMPLE_BYTES, as_csv, row, validate

BIRTH = date(1955, 7, 29)  # 高橋 亮介, the row `row()` changes


@pytest.fixture
def repository(moto) -> PrelaunchRepository:
    return PrelaunchRepository(moto, os.environ["TABLE_NAME"])


def test_r_act_5_stored_by_identity_key_in_the_uploaders_area(repository, moto):
    records = validate(SAMPLE_BYTES).accepted
    assert len(repository.store_new(records)) == 14
    items = unclaimed_items(moto)
    assert {i["pk"]["S"] for i in items} == {f"ORG#{HIDA.code}#UNCLAIMED#{r.participant.identity_key}" for r in records}
    assert len({i["pk"]["S"] for i in items}) == 10  # ten people, four of them twice
    assert all(i["participant"]["M"]["identity_key"]["S"] in i["pk"]["S"] for i in items)


def test_r_act_5_store_new_stays_idempotent(repository, moto):
    records = validate(SAMPLE_BYTES).accepted
    assert len(repository.store_new(records[:5])) == 5
    again = repository.store_new(records)
    assert [r.row_key for r in again] == [r.row_key for r in records[5:]]
    assert repository.store_new(records) == []
    assert len(unclaimed_items(moto)) == 14


def test_r_bas_4_unclaimed_of_finds_exact_and_near_records_of_one_identity(repository):
    here = row()  # 高橋 亮介, 901-4422, 沖縄県那覇市…, EVT-001
    elsewhere = row(**{"郵便番号": "506-0271", "住所(除郵便番号)": "岐阜県飛騨市古川町", "活動名": "清掃"})
    spaced = row(**{"氏名": "高橋　亮介", "活動名": "雪かき"})  # the same person, written with a full-width space
    other_person = row(**{"氏名": "高橋 亮", "活動名": "草刈り"})
    other_birth = row(**{"生年月日": "1955/7/30", "活動名": "植樹"})
    records = validate(as_csv(HEADER + [here, elsewhere, spaced, other_person, other_birth])).accepted
    assert len(repository.store_new(records)) == 5

    key = claims.claimant_identity_key("高橋亮介", BIRTH)
    found = repository.unclaimed_of(HIDA.code, key)
    assert sorted(r.activity_name for r in found) == ["清掃", "農業ボランティア", "雪かき"]
    assert {r.row_key for r in found} <= {r.row_key for r in records}
    assert found == sorted(found, key=lambda r: r.row_key)  # sort key order
    assert {r.activity_name: r for r in found}["清掃"] == records[1]  # round-trips whole (row number included)

    card = claims.ClaimantIdentity(
        name="高橋 亮介", birth_date=BIRTH, address="沖縄県那覇市泉崎1-2-2", postal_code="901-4422",
        municipality_code=None,
    )
    assert sorted((r.activity_name, claims.match(card, r)) for r in found) == [
        ("清掃", "near"), ("農業ボランティア", "exact"), ("雪かき", "exact")
    ]


def test_unclaimed_of_reads_only_its_organisation_and_identity(repository):
    records = validate(SAMPLE_BYTES).accepted
    by_prefecture = validate(SAMPLE_BYTES, uploader=GIFU, venue=HIDA).accepted
    repository.store_new(records + by_prefecture)
    key = records[0].participant.identity_key  # 佐藤 健一, twice in the sample
    assert len(repository.unclaimed_of(HIDA.code, key)) == 2
    assert len(repository.unclaimed_of(GIFU.code, key)) == 2
    assert {r.uploader_code for r in repository.unclaimed_of(GIFU.code, key)} == {GIFU.code}
    assert repository.unclaimed_of("042056", key) == []
    assert repository.unclaimed_of(HIDA.code, claims.claimant_identity_key("誰か", date(2000, 1, 1))) == []


def test_unclaimed_of_is_bounded_by_its_limit(repository, moto):
    """A partition larger than the limit gives the first `limit` records; the bound itself is checked."""
    rows = [row(**{"活動名": f"活動{i:03d}"}) for i in range(30)]
    records = validate(as_csv(HEADER + rows)).accepted
    repository.store_new(records)
    key = records[0].participant.identity_key
    assert len(repository.unclaimed_of(HIDA.code, key)) == 30
    assert len(repository.unclaimed_of(HIDA.code, key, limit=7)) == 7
    assert repository.unclaimed_of(HIDA.code, key, limit=7) == repository.unclaimed_of(HIDA.code, key)[:7]
    for limit in (0, MAX_UNCLAIMED_PER_QUERY + 1):
        with pytest.raises(ValueError):
            repository.unclaimed_of(HIDA.code, key, limit=limit)


def test_unclaimed_of_is_one_consistent_query_of_the_partition(repository, moto, monkeypatch):
    records = validate(SAMPLE_BYTES).accepted
    repository.store_new(records)
    calls = []
    original = moto.query

    def spy(**request):
        calls.append(request)
        return original(**request)

    monkeypatch.setattr(moto, "query", spy)
    key = records[0].participant.identity_key
    repository.unclaimed_of(HIDA.code, key)
    assert len(calls) == 1 and calls[0]["ConsistentRead"] is True and calls[0]["Limit"] == 100
    assert calls[0]["ExpressionAttributeValues"][":p"] == {"S": f"ORG#{HIDA.code}#UNCLAIMED#{key}"}
    assert "IndexName" not in calls[0]


def test_unclaimed_of_reads_on_when_a_response_page_ends_before_the_limit(repository, moto, monkeypatch):
    """DynamoDB ends a page at 1 MB whatever the Limit: simulated with pages of 4 items."""
    records = validate(as_csv(HEADER + [row(**{"活動名": f"活動{i:03d}"}) for i in range(10)])).accepted
    repository.store_new(records)
    original, limits = moto.query, []

    def short_pages(**request):
        limits.append(request["Limit"])
        return original(**{**request, "Limit": min(request["Limit"], 4)})

    monkeypatch.setattr(moto, "query", short_pages)
    key = records[0].participant.identity_key
    assert [r.row_key for r in repository.unclaimed_of(HIDA.code, key)] == sorted(r.row_key for r in records)
    assert limits == [100, 96, 92]
    limits.clear()
    assert len(repository.unclaimed_of(HIDA.code, key, limit=6)) == 6 and limits == [6, 2]
