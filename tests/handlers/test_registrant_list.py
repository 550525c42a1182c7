"""GET /registrants, the staff registrant list (issue 10 item 4): R-PRIV-2 (each organisation sees only its own
registrants, personal data only where the person gave it to that organisation), R-ORG-3 (a prefecture's list includes
those co-registered through its municipalities), filters, the sharded paging, and every write path that keeps the
registrants index (registration, co-registration, premium expiry, verification, attendance, withdrawal)."""

from __future__ import annotations

import base64
import json
import os
from datetime import date, datetime, timedelta

import pytest

from shared import clock
from shared.dal import keys
from shared.dal.items import dump
from tests.handlers.conftest import staff_claims

MIYAGI, KESENNUMA, MINAMISANRIKU, HIDA, GIFU = "040002", "042056", "046060", "212172", "210005"
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=clock.TOKYO)
TABLE = os.environ["TABLE_NAME"]
COMMON = {"relationship": ["birthplace"], "interests": ["local_news"]}
KESENNUMA_ANSWERS = {**COMMON, "own_fan_club": "member"}


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)


def register(register_api, user: str, code: str, answers=None, personal=None, **extra) -> None:
    body = {"organisation_code": code, "answers": answers or (KESENNUMA_ANSWERS if code == KESENNUMA else COMMON)}
    if personal:
        body["personal"] = personal
    response = register_api("POST", "/registrations", user=user, body=body | extra)
    assert response.status == 201, response.body


def listed(admin_api, code: str, query: str = "", role: str = "viewer") -> dict[str, dict]:
    """Every row of the list (all pages) by user id."""
    rows, token = {}, None
    for _ in range(50):
        q = "&".join(p for p in (query, "limit=100", f"next={token}" if token else "") if p)
        response = admin_api("GET", "/registrants", query=q, claims=staff_claims(code, role))
        assert response.status == 200, response.body
        for row in response.body["registrants"]:
            assert row["user_id"] not in rows, "a registrant listed twice"
            rows[row["user_id"]] = row
        token = response.body["next"]
        if token is None:
            return rows
    raise AssertionError("the list never ended")


def given(personal: dict | None) -> dict | None:
    return {k: v for k, v in personal.items() if v is not None} if personal else personal


def set_attributes(moto, code: str, user: str, **values) -> None:
    expression = "SET " + ", ".join(f"{k} = :{k}" for k in values)
    moto.update_item(TableName=TABLE, Key=dump(keys.registration(code, user)), UpdateExpression=expression,
                     ExpressionAttributeValues=dump({f":{k}": v for k, v in values.items()}))


def test_r_priv_2_a_municipality_lists_only_its_own_registrants(register_api, admin_api):
    register(register_api, "kesennuma-fan", KESENNUMA, personal={"name": "気仙 太郎", "email": "taro@example.jp"})
    register(register_api, "minamisanriku-fan", MINAMISANRIKU, personal={"name": "南 花子"})
    register(register_api, "hida-fan", HIDA)
    kesennuma = listed(admin_api, KESENNUMA)
    assert set(kesennuma) == {"kesennuma-fan"}
    assert given(kesennuma["kesennuma-fan"]["personal"]) == {"name": "気仙 太郎", "email": "taro@example.jp"}
    assert set(listed(admin_api, MINAMISANRIKU)) == {"minamisanriku-fan"}
    assert "気仙" not in json.dumps(listed(admin_api, MINAMISANRIKU), ensure_ascii=False)
    assert set(listed(admin_api, HIDA)) == {"hida-fan"}


def test_r_org_3_a_prefectures_list_includes_co_registrations_without_the_municipalitys_personal_data(register_api, admin_api):
    register(register_api, "a", KESENNUMA, personal={"name": "気仙 太郎"})
    register(register_api, "b", MINAMISANRIKU, answers={"relationship": ["type2_regular_visits"], "interests": ["local_news"]})
    register(register_api, "c", MIYAGI, personal={"name": "宮城 次郎"})
    register(register_api, "d", KESENNUMA, co_register_prefecture=False)
    rows = listed(admin_api, MIYAGI)
    assert set(rows) == {"a", "b", "c"}  # d opted out of the co-registration (R-ORG-2)
    assert rows["a"]["via"] == [KESENNUMA] and rows["a"]["direct"] is False
    assert rows["a"]["personal"] is None  # given to 気仙沼市, not to 宮城県 (R-PRIV-2)
    assert given(rows["c"]["personal"]) == {"name": "宮城 次郎"} and rows["c"]["direct"] is True
    # the municipality's relationship types come with the co-registration
    assert rows["b"]["relationships"] == ["type2_regular_visits"]
    assert set(listed(admin_api, MIYAGI, "relationship=type2_regular_visits")) == {"b"}
    # and the prefecture of another region sees none of them
    assert listed(admin_api, GIFU) == {}


def test_filters_level_verified_resident_relationship_and_registration_days(register_api, admin_api, moto):
    for day, user in enumerate(("u1", "u2", "u3", "u4")):
        clock.freeze(NOW + timedelta(days=day))
        register(register_api, user, HIDA)
    clock.freeze(NOW + timedelta(days=10))
    today = clock.today()
    set_attributes(moto, HIDA, "u1", premium_expires_on=(today + timedelta(days=30)).isoformat())
    set_attributes(moto, HIDA, "u2", premium_expires_on=(today - timedelta(days=1)).isoformat(),
                   premium_lapsed=(today - timedelta(days=1)).isoformat())
    set_attributes(moto, HIDA, "u3", personal_verified_on="2026-12-04", resident=True)
    set_attributes(moto, HIDA, "u4", relationships={"type4_dual_residence"})
    rows = listed(admin_api, HIDA)
    assert rows["u1"]["level"] == "premium" and rows["u2"]["level"] == "basic"  # R-PRE-6: as of today
    assert rows["u2"]["premium_expires_on"] == (today - timedelta(days=1)).isoformat()
    assert rows["u3"]["verified"] is True and rows["u3"]["verified_on"] == "2026-12-04" and rows["u3"]["resident"] is True
    assert set(listed(admin_api, HIDA, "level=premium")) == {"u1"}
    assert set(listed(admin_api, HIDA, "level=basic")) == {"u2", "u3", "u4"}
    assert set(listed(admin_api, HIDA, "verified=true")) == {"u3"}
    assert set(listed(admin_api, HIDA, "verified=false")) == {"u1", "u2", "u4"}
    assert set(listed(admin_api, HIDA, "resident=true")) == {"u3"}
    assert set(listed(admin_api, HIDA, "relationship=type4_dual_residence")) == {"u4"}
    assert set(listed(admin_api, HIDA, "relationship=birthplace")) == {"u1", "u2", "u3"}
    assert set(listed(admin_api, HIDA, "since_from=2026-12-04&since_to=2026-12-05")) == {"u2", "u3"}
    assert set(listed(admin_api, HIDA, "since_from=2026-12-06")) == {"u4"}
    assert set(listed(admin_api, HIDA, "since_to=2026-12-03")) == {"u1"}
    assert set(listed(admin_api, HIDA, "since_from=2026-12-04&level=basic&relationship=birthplace")) == {"u2", "u3"}


def test_bad_filters_and_tokens_are_4xx_problems(register_api, admin_api):
    for user in ("u1", "u2", "u3"):
        register(register_api, user, HIDA)
    hida = staff_claims(HIDA, "viewer")
    for query in ("since_from=2026-12-05&since_to=2026-12-04", "level=gold", "relationship=friend", "since_from=12/04",
                  "verified=perhaps", "limit=0", "limit=101"):
        response = admin_api("GET", "/registrants", query=query, claims=hida)
        assert 400 <= response.status < 500, (query, response.status)
        assert response.headers["Content-Type"].startswith("application/problem+json"), query
    first = admin_api("GET", "/registrants", query="limit=1", claims=hida).body
    token = first["next"]
    assert token is not None

    def forged(**parts) -> str:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        decoded.update(parts)
        return base64.urlsafe_b64encode(json.dumps(decoded).encode()).decode().rstrip("=")

    other_org = {"registrants_pk": keys.registrants(KESENNUMA, 0), "registrants_sk": "2026-12-03#x",
                 "pk": "ORG#042056#USER#x", "sk": "REGISTRATION"}
    for bad in ("xyz", forged(shard={"n": "16"}), forged(shard={"n": "-1"}), forged(shard=None), forged(after=other_org),
                forged(extra=None)):
        response = admin_api("GET", "/registrants", query=f"next={bad}", claims=hida)
        assert response.status == 400 and response.problem_type == "invalid-page-token", (bad, response.body)
    # a token of a list for other days does not move into this range
    response = admin_api("GET", "/registrants", query=f"since_from=2027-01-01&next={token}", claims=hida)
    assert response.status in (200, 400)


def test_pages_walk_every_shard_once_and_stay_bounded(register_api, admin_api, moto):
    from shared.dal.repository import Repository
    from shared.domain.models import Registration

    repository = Repository(moto, TABLE)
    users = [f"user-{n:03d}" for n in range(40)]
    for n, user in enumerate(users):
        since = NOW - timedelta(minutes=n)
        repository.create_registration(Registration(organisation_code=HIDA, user_id=user, since=since, direct=True), None)
    assert len({keys.registrant_shard(u) for u in users}) > 8  # spread over the shards
    seen, token, pages = [], None, 0
    while True:
        query = "limit=7" + (f"&next={token}" if token else "")
        body = admin_api("GET", "/registrants", query=query, claims=staff_claims(HIDA, "viewer")).body
        assert len(body["registrants"]) <= 7
        seen += [r["user_id"] for r in body["registrants"]]
        pages += 1
        token = body["next"]
        if token is None:
            break
    assert sorted(seen) == users and len(seen) == len(set(seen))
    assert pages == 6  # 40 / 7: every page full but the last, and no empty page at the end
    # within a shard, newest registration first
    for shard in {keys.registrant_shard(u) for u in users}:
        in_shard = [u for u in seen if keys.registrant_shard(u) == shard]
        assert in_shard == sorted(in_shard)  # user-000 is the newest


def test_last_active_month_follows_attendance_and_withdrawal_removes_the_row(register_api, admin_api, account_api):
    register(register_api, "taro", HIDA)
    register(register_api, "jiro", HIDA)
    start = NOW - timedelta(days=20)
    body = {"name": "雪囲い", "kind": "project", "place": "飛騨市", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=25)).isoformat(), "multi_day": True}
    activity = admin_api("POST", "/activities", body=body, claims=staff_claims(HIDA))
    assert activity.status == 201, activity.body
    aid = activity.body["id"]
    # a back-dated entry (an earlier month) sets the month where none is kept yet
    entered = admin_api("POST", f"/activities/{aid}/records", body={"user_id": "taro", "day": "2026-11-20"},
                        claims=staff_claims(HIDA))
    assert entered.status in (200, 201), entered.body
    assert listed(admin_api, HIDA)["taro"]["last_active_month"] == "2026-11"
    admin_api("POST", f"/activities/{aid}/records", body={"user_id": "taro", "day": "2026-12-02"}, claims=staff_claims(HIDA))
    assert listed(admin_api, HIDA)["taro"]["last_active_month"] == "2026-12"
    # ... and never moves it back
    admin_api("POST", f"/activities/{aid}/records", body={"user_id": "taro", "day": "2026-11-21"}, claims=staff_claims(HIDA))
    rows = listed(admin_api, HIDA)
    assert rows["taro"]["last_active_month"] == "2026-12" and rows["jiro"]["last_active_month"] is None
    assert account_api("DELETE", f"/me/registrations/{HIDA}", user="taro").status in (200, 204)
    assert set(listed(admin_api, HIDA)) == {"jiro"}


def test_verification_shared_with_the_organisation_marks_the_row_verified(register_api, admin_api, card_tap):
    register(register_api, "u1", HIDA)
    assert listed(admin_api, HIDA)["u1"]["verified"] is False
    assert card_tap("u1", preset="hida-adult").status == 200
    row = listed(admin_api, HIDA)["u1"]
    assert row["verified"] is True and row["resident"] is True  # 飛騨市 address: lives there (R-BAS-6)
    assert row["personal"]["name"]  # the verified 4 info, shared with 飛騨市
    assert set(listed(admin_api, HIDA, "verified=true&resident=true")) == {"u1"}


def test_the_viewer_role_reads_and_a_staff_member_without_a_role_does_not(register_api, admin_api):
    register(register_api, "u1", HIDA)
    assert set(listed(admin_api, HIDA, role="viewer")) == {"u1"}
    assert set(listed(admin_api, HIDA, role="editor")) == {"u1"}
    claims = staff_claims(HIDA) | {"cognito:groups": "[]"}
    assert admin_api("GET", "/registrants", claims=claims).status == 403


def test_no_personal_data_is_projected_into_the_index():
    """R-PRIV-1: the registrants index copies no personal data and no free-text answers."""
    from shared.dal.table import REGISTRANTS

    assert not {"personal", "answers", "email", "name"} & set(REGISTRANTS.non_key_attributes)


@pytest.mark.parametrize("since", [date(2026, 1, 1)])
def test_registrants_sort_key_orders_by_registration_time(since):
    a = keys.registrant_of_organisation(HIDA, "u", datetime(2026, 1, 1, 9, tzinfo=clock.TOKYO).isoformat())
    b = keys.registrant_of_organisation(HIDA, "u", datetime(2026, 1, 2, 9, tzinfo=clock.TOKYO).isoformat())
    assert a["registrants_sk"] < b["registrants_sk"] and a["registrants_sk"].startswith(since.isoformat())


def test_a_selective_filter_reads_a_bounded_number_of_items_per_page(register_api, admin_api, moto, monkeypatch):
    """A filter is applied after the read: a page stops at READ_BUDGET index items and hands out a `next` (a short
    page), so a request never reads the organisation's whole list; walking the pages still finds every match once."""
    from shared.dal import registrants as listing
    from shared.dal.repository import Repository
    from shared.domain.models import Registration

    monkeypatch.setattr(listing, "READ_BUDGET", 5)
    repository = Repository(moto, TABLE)
    for n in range(30):
        answers = {"relationship": ["family_ties" if n % 10 == 0 else "birthplace"]}
        repository.create_registration(
            Registration(organisation_code=HIDA, user_id=f"p{n:02d}", since=NOW, direct=True, answers=answers), None
        )
    found, token, pages = [], None, 0
    while True:
        query = "relationship=family_ties&limit=50" + (f"&next={token}" if token else "")
        body = admin_api("GET", "/registrants", query=query, claims=staff_claims(HIDA, "viewer")).body
        pages += 1
        found += [r["user_id"] for r in body["registrants"]]
        token = body["next"]
        if token is None:
            break
    assert sorted(found) == ["p00", "p10", "p20"] and pages > 2
