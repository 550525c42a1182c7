"""register function on moto: R-ORG-1..3, R-BAS-1..6, R-CARD-1, R-PRIV-1, through API Gateway-shaped events."""

from __future__ import annotations

import json
import os
from datetime import datetime

import pytest

from local.seed import JOINED_AT
from shared import clock
from shared.domain.models import Intro, OrganisationProfile

KESENNUMA, MIYAGI, HIDA, GIFU, SHIMANE, AMA = "042056", "040002", "212172", "210005", "320005", "325252"
MINAMISANRIKU, SAPPORO = "046060", "011002"  # 札幌市 joins only in the tests that add it; 北海道 never joins here
ISHINOMAKI = "042021"  # joined locally too (local/seed.py): a third municipality of 宮城県

GOOD_ANSWERS = {
    "relationship": ["type2_regular_visits", "birthplace"],
    "interests": ["tourism_events"],
    "own_fan_club": "member",
}


def body(code: str = KESENNUMA, **extra):
    answers = GOOD_ANSWERS if code == KESENNUMA else {k: v for k, v in GOOD_ANSWERS.items() if not k.startswith("own_")}
    return {"organisation_code": code, "answers": answers, **extra}


def join(repo, code: str) -> None:
    repo.put_organisation_profile(OrganisationProfile(code=code, joined_at=JOINED_AT, intro=Intro(title=code)))


def all_items(moto) -> list[dict]:
    return moto.scan(TableName=os.environ["TABLE_NAME"])["Items"]  # test inspection only, never on a request path


def registration_items(moto) -> list[dict]:
    return [i for i in all_items(moto) if i.get("type", {}).get("S") == "Registration"]


# --- browsing ----------------------------------------------------------------------------------------------------


NAGANO = "200000"  # 長野県 alone: none of its municipalities joined (local/seed.py)


def test_list_organisations_shows_only_joined_ones_by_default_r_org_1(register_api):
    response = register_api("GET", "/organisations")
    assert response.status == 200
    codes = [o["code"] for o in response.body["organisations"]]
    assert codes == sorted([MIYAGI, KESENNUMA, MINAMISANRIKU, ISHINOMAKI, GIFU, HIDA, SHIMANE, AMA, NAGANO])
    assert all(o["joined"] for o in response.body["organisations"])


def test_search_by_name_and_prefecture_includes_not_joined_on_request(register_api):
    found = register_api("GET", "/organisations", query="q=気仙沼").body["organisations"]
    assert [(o["code"], o["name"], o["prefecture_name"]) for o in found] == [(KESENNUMA, "気仙沼市", "宮城県")]
    miyagi = register_api("GET", "/organisations", query=f"prefecture={MIYAGI}&include_not_joined=true&limit=500")
    names = {o["name"]: o["joined"] for o in miyagi.body["organisations"]}
    assert names["気仙沼市"] is True and names["仙台市"] is False and "仙台市青葉区" not in names


def test_organisation_detail_has_intro_card_design_and_survey_r_bas_2(register_api):
    response = register_api("GET", f"/organisations/{KESENNUMA}")
    assert response.status == 200
    survey = response.body["survey"]
    ids = [q["id"] for q in survey["questions"]]
    assert ids[:2] == ["relationship", "interests"] and "own_fan_club" in ids
    relationship = next(q for q in survey["questions"] if q["id"] == "relationship")
    choice_ids = {c["id"] for c in relationship["choices"]}
    assert {"birthplace", "lived_before", "type1_remote_support", "type4_dual_residence"} <= choice_ids
    assert response.body["intro"]["title"] == "気仙沼市"
    assert response.body["card_design"]["background_color"].startswith("#")


@pytest.mark.parametrize(
    ("path", "status", "problem"),
    [
        ("/organisations/999999", 404, "unknown-organisation"),
        (f"/organisations/{SAPPORO}", 404, "organisation-not-joined"),
        ("/organisations/12", 422, "invalid-input"),
        ("/postal-codes/12-34", 422, "invalid-input"),
        ("/postal-codes/0000000", 404, "unknown-postal-code"),
    ],
)
def test_browsing_errors_are_problem_json_in_japanese(register_api, path, status, problem):
    response = register_api("GET", path)
    assert response.status == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.problem_type == problem
    assert response.body["status"] == status and response.body["title"] and response.body["detail"]


@pytest.mark.parametrize("value", ["100-0001", "1000001", "12-34", "100-00011", "１００－０００１", "〒100-0001", "100_0001"])
def test_postal_code_parameter_is_refused_exactly_where_its_documented_schema_refuses(register_api, value):
    """A client that validates against the committed OpenAPI and the handler agree on what a postal code is."""
    from urllib.parse import quote

    import jsonschema

    from local import openapi

    document = json.loads(openapi.path_for("app").read_text(encoding="utf-8"))
    schema = document["paths"]["/postal-codes/{postal_code}"]["get"]["parameters"][0]["schema"]
    documented = jsonschema.Draft202012Validator(schema).is_valid(value)
    response = register_api("GET", "/postal-codes/" + quote(value))
    assert (response.status != 422) == documented, (value, response.status)

def test_postal_code_of_a_ward_gives_its_designated_city(register_api):
    response = register_api("GET", "/postal-codes/060-0000")
    assert response.status == 200
    assert [m["code"] for m in response.body["municipalities"]] == [SAPPORO]


# --- registering -------------------------------------------------------------------------------------------------


def test_register_with_municipality_co_registers_its_prefecture_r_org_2(register_api):
    response = register_api("POST", "/registrations", user="u1", body=body())
    assert response.status == 201, response.body
    assert response.body["registration"]["organisation"]["code"] == KESENNUMA
    assert response.body["co_registration"]["status"] == "registered"
    assert response.body["co_registration"]["prefecture"]["name"] == "宮城県"
    mine = register_api("GET", "/me/registrations", user="u1").body["registrations"]
    by_code = {r["organisation"]["code"]: r for r in mine}
    assert set(by_code) == {KESENNUMA, MIYAGI}
    assert by_code[MIYAGI]["direct"] is False
    assert [v["code"] for v in by_code[MIYAGI]["via"]] == [KESENNUMA]


def test_opting_out_of_co_registration_registers_only_the_municipality_r_org_2(register_api):
    response = register_api("POST", "/registrations", user="u1", body=body(co_register_prefecture=False))
    assert response.body["co_registration"]["status"] == "opted_out"
    mine = register_api("GET", "/me/registrations", user="u1").body["registrations"]
    assert [r["organisation"]["code"] for r in mine] == [KESENNUMA]


def test_co_registration_with_a_prefecture_that_has_not_joined_is_skipped_and_said_r_org_1(register_api, repo):
    join(repo, SAPPORO)
    response = register_api("POST", "/registrations", user="u1", body=body(SAPPORO))
    assert response.status == 201
    assert response.body["co_registration"]["status"] == "prefecture_not_joined"
    assert "北海道" in response.body["co_registration"]["message"]
    mine = register_api("GET", "/me/registrations", user="u1").body["registrations"]
    assert [r["organisation"]["code"] for r in mine] == [SAPPORO]


def test_register_with_prefecture_alone_r_org_2(register_api):
    response = register_api("POST", "/registrations", user="u1", body=body(GIFU))
    assert response.status == 201
    assert response.body["co_registration"]["status"] == "not_applicable"
    assert response.body["registration"]["direct"] is True


def test_registering_twice_is_409_and_writes_nothing(register_api, moto):
    assert register_api("POST", "/registrations", user="u1", body=body()).status == 201
    before = registration_items(moto)
    again = register_api("POST", "/registrations", user="u1", body=body())
    assert again.status == 409 and again.problem_type == "already-registered"
    assert registration_items(moto) == before


def test_second_municipality_in_the_same_prefecture_is_not_a_duplicate(register_api):
    assert register_api("POST", "/registrations", user="u1", body=body()).status == 201
    second = register_api("POST", "/registrations", user="u1", body=body(MINAMISANRIKU))
    assert second.status == 201
    assert second.body["co_registration"]["status"] == "linked"
    mine = {r["organisation"]["code"]: r for r in register_api("GET", "/me/registrations", user="u1").body["registrations"]}
    assert [v["code"] for v in mine[MIYAGI]["via"]] == sorted([KESENNUMA, MINAMISANRIKU])


def test_direct_prefecture_registration_after_co_registration_is_409(register_api):
    register_api("POST", "/registrations", user="u1", body=body())
    response = register_api("POST", "/registrations", user="u1", body=body(MIYAGI))
    assert response.status == 409


@pytest.mark.parametrize(
    ("request_body", "status", "problem"),
    [
        ({"organisation_code": "999999", "answers": GOOD_ANSWERS}, 404, "unknown-organisation"),
        ({"organisation_code": SAPPORO, "answers": GOOD_ANSWERS}, 422, "organisation-not-joined"),
        ({"organisation_code": "42056", "answers": GOOD_ANSWERS}, 422, "invalid-input"),
        ({"organisation_code": KESENNUMA, "answers": {**GOOD_ANSWERS, "relationship": ["alien"]}}, 422, "invalid-survey-answer"),
        ({"organisation_code": KESENNUMA, "answers": {"interests": ["local_news"]}}, 422, "invalid-survey-answer"),
        ({"organisation_code": KESENNUMA, "answers": {**GOOD_ANSWERS, "own_unknown": "x"}}, 422, "invalid-survey-answer"),
        ({"organisation_code": KESENNUMA, "answers": GOOD_ANSWERS, "personal": {"birth_date": "1800-01-01"}}, 422, "invalid-input"),
        ({"organisation_code": KESENNUMA, "answers": GOOD_ANSWERS, "personal": {"email": "not-mail"}}, 422, "invalid-input"),
        ({"organisation_code": KESENNUMA, "answers": GOOD_ANSWERS, "user_id": "someone-else"}, 422, "invalid-input"),
    ],
)
def test_bad_registrations_get_problem_json_and_write_nothing_r_bas_2(register_api, moto, request_body, status, problem):
    response = register_api("POST", "/registrations", user="u1", body=request_body)
    assert response.status == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.problem_type == problem
    assert response.body["title"] and response.body["detail"]
    assert registration_items(moto) == []


def test_survey_errors_name_every_bad_answer(register_api):
    answers = {"relationship": ["alien"], "own_fan_club": "maybe"}
    response = register_api("POST", "/registrations", user="u1", body={"organisation_code": KESENNUMA, "answers": answers})
    problems = {p["question"] for p in response.body["invalid_answers"]}
    assert problems == {"relationship", "interests", "own_fan_club"}


def test_malformed_json_is_a_4xx(register_api):
    response = register_api("POST", "/registrations", user="u1", body="{not json", headers={"Content-Type": "application/json"})
    assert 400 <= response.status < 500


def test_personal_endpoints_need_a_signed_in_user(register_api):
    assert register_api("GET", "/me/registrations").status == 401
    response = register_api("POST", "/registrations", body=body())
    assert response.status == 401 and response.problem_type == "unauthenticated"


# --- idempotency ---------------------------------------------------------------------------------------------------


def test_retry_with_the_same_idempotency_key_returns_the_first_result_and_writes_once(register_api, moto):
    first = register_api("POST", "/registrations", user="u1", body=body(), headers={"Idempotency-Key": "k-1"})
    items = registration_items(moto)
    retry = register_api("POST", "/registrations", user="u1", body=body(), headers={"Idempotency-Key": "k-1"})
    assert first.status == retry.status == 201
    assert retry.body == first.body
    assert registration_items(moto) == items


def test_idempotency_key_is_scoped_to_the_user(register_api):
    register_api("POST", "/registrations", user="u1", body=body(), headers={"Idempotency-Key": "same"})
    other = register_api("POST", "/registrations", user="u2", body=body(), headers={"Idempotency-Key": "same"})
    assert other.status == 201
    assert {r["organisation"]["code"] for r in register_api("GET", "/me/registrations", user="u2").body["registrations"]} == {KESENNUMA, MIYAGI}


def test_same_key_with_another_body_is_refused(register_api):
    register_api("POST", "/registrations", user="u1", body=body(), headers={"Idempotency-Key": "k"})
    response = register_api("POST", "/registrations", user="u1", body=body(HIDA), headers={"Idempotency-Key": "k"})
    assert response.status == 422 and response.problem_type == "idempotency-key-reused"


# --- residents, privacy, last access -------------------------------------------------------------------------------


def test_residents_may_register_but_are_flagged_r_bas_6(register_api):
    personal = {"name": "気仙 太郎", "postal_code": "988-0000", "birth_date": "1990-05-01", "gender": "male"}
    response = register_api("POST", "/registrations", user="u1", body=body(personal=personal))
    assert response.status == 201
    assert response.body["registration"]["resident"] is True
    mine = {r["organisation"]["code"]: r["resident"] for r in register_api("GET", "/me/registrations", user="u1").body["registrations"]}
    assert mine == {KESENNUMA: True, MIYAGI: True}


def test_non_resident_of_the_municipality_living_in_its_prefecture(register_api):
    personal = {"postal_code": "980-0811"}  # 仙台市青葉区
    register_api("POST", "/registrations", user="u1", body=body(personal=personal))
    mine = {r["organisation"]["code"]: r["resident"] for r in register_api("GET", "/me/registrations", user="u1").body["registrations"]}
    assert mine == {KESENNUMA: False, MIYAGI: True}


def test_personal_data_is_stored_once_in_the_organisation_area_only_r_priv_1(register_api, moto):
    personal = {"name": "気仙 太郎", "address": "東京都千代田区1-1", "birth_date": "1990-05-01", "email": "t@example.jp"}
    response = register_api("POST", "/registrations", user="u1", body=body(personal=personal))
    assert "personal" not in response.body["registration"]
    holders = [i["pk"]["S"] for i in all_items(moto) if "気仙 太郎" in str(i)]
    assert holders == [f"ORG#{KESENNUMA}#USER#u1"]
    national = [i for i in all_items(moto) if i["pk"]["S"].startswith("NAT#")]
    assert national and not any("気仙 太郎" in str(i) or "1990-05-01" in str(i) for i in national)
    gsi = moto.query(
        TableName=os.environ["TABLE_NAME"],
        IndexName="registrations_by_user",
        KeyConditionExpression="user_pk = :u",
        ExpressionAttributeValues={":u": {"S": "USER#u1"}},
    )["Items"]
    assert gsi and not any("personal" in i or "answers" in i for i in gsi)


def test_last_access_is_kept_without_a_write_on_every_request_r_bas_5(register_api, repo, moto):
    writes = []
    moto.meta.events.register("before-call.dynamodb.UpdateItem", lambda **kw: writes.append(kw["params"]))
    clock.freeze(datetime(2026, 11, 22, 10, 0))
    for _ in range(3):
        register_api("GET", "/me/registrations", user="u1")
    assert repo.get_account("u1")["last_access"] == "2026-11-22"
    assert len(writes) == 1
    clock.freeze(datetime(2026, 11, 23, 0, 5))
    register_api("GET", "/me/registrations", user="u1")
    assert repo.get_account("u1")["last_access"] == "2026-11-23"


# --- card and withdrawal --------------------------------------------------------------------------------------------


def test_card_shows_organisation_level_verification_since_and_design_r_card_1(register_api):
    clock.freeze(datetime(2026, 11, 22, 23, 30))  # late evening in Tokyo: the card date is Tokyo's
    register_api("POST", "/registrations", user="u1", body=body())
    card = register_api("GET", f"/me/registrations/{KESENNUMA}/card", user="u1")
    assert card.status == 200
    assert card.body["organisation"]["name"] == "気仙沼市"
    assert card.body["level"] == "basic" and card.body["level_label"] == "ベーシック登録"
    assert card.body["verified"] is False
    assert card.body["since"] == "2026-11-22"
    assert card.body["design"]["background_color"] == "#0B4F8A"
    pref_card = register_api("GET", f"/me/registrations/{MIYAGI}/card", user="u1")
    assert pref_card.status == 200 and pref_card.body["design"]["background_color"] == "#006934"


def test_card_of_an_organisation_not_registered_is_404(register_api):
    response = register_api("GET", f"/me/registrations/{HIDA}/card", user="u1")
    assert response.status == 404 and response.problem_type == "registration-not-found"


def test_withdrawing_the_only_municipality_removes_the_co_registered_prefecture(register_api, account_api):
    register_api("POST", "/registrations", user="u1", body=body())
    response = account_api("DELETE", f"/me/registrations/{KESENNUMA}", user="u1")
    assert response.status == 200
    assert [o["code"] for o in response.body["withdrawn"]] == [KESENNUMA, MIYAGI]
    assert register_api("GET", "/me/registrations", user="u1").body["registrations"] == []


def test_withdrawing_one_municipality_keeps_the_prefecture_while_another_remains(register_api, account_api):
    register_api("POST", "/registrations", user="u1", body=body())
    register_api("POST", "/registrations", user="u1", body=body(MINAMISANRIKU))
    response = account_api("DELETE", f"/me/registrations/{KESENNUMA}", user="u1")
    assert response.body["kept_prefecture"]["code"] == MIYAGI
    mine = {r["organisation"]["code"]: r for r in register_api("GET", "/me/registrations", user="u1").body["registrations"]}
    assert set(mine) == {MINAMISANRIKU, MIYAGI}
    assert [v["code"] for v in mine[MIYAGI]["via"]] == [MINAMISANRIKU]


def test_withdrawing_the_prefecture_keeps_its_municipalities(register_api, account_api):
    register_api("POST", "/registrations", user="u1", body=body())
    response = account_api("DELETE", f"/me/registrations/{MIYAGI}", user="u1")
    assert [o["code"] for o in response.body["withdrawn"]] == [MIYAGI]
    mine = register_api("GET", "/me/registrations", user="u1").body["registrations"]
    assert [r["organisation"]["code"] for r in mine] == [KESENNUMA]


def test_withdrawing_what_is_not_registered_is_404_and_re_registering_works(register_api, account_api):
    assert account_api("DELETE", f"/me/registrations/{KESENNUMA}", user="u1").status == 404
    register_api("POST", "/registrations", user="u1", body=body())
    account_api("DELETE", f"/me/registrations/{KESENNUMA}", user="u1")
    assert register_api("POST", "/registrations", user="u1", body=body()).status == 201


def test_users_never_see_each_others_registrations(register_api, account_api):
    register_api("POST", "/registrations", user="u1", body=body())
    assert register_api("GET", "/me/registrations", user="u2").body["registrations"] == []
    assert register_api("GET", f"/me/registrations/{KESENNUMA}/card", user="u2").status == 404
    assert account_api("DELETE", f"/me/registrations/{KESENNUMA}", user="u2").status == 404
