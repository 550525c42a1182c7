"""Identity verification with the My Number Card on moto, through the verify function's handler and the development
provider in-process (R-BAS-4, R-PRE-3, R-CARD-1, R-ACT-5, R-PRIV-1)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest

from shared import clock
from shared.clock import TOKYO
from shared.dal.items import load

HIDA, GIFU, TOKYO_CHIYODA = "212172", "210005", "131016"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=TOKYO)
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"]}
TARO = {"preset": "hida-adult"}  # 飛騨 太郎, 1990-04-01, 岐阜県飛騨市古川町本町2-22 〒509-4292


def table(moto) -> list[dict]:
    items, start = [], {}
    while True:
        page = moto.scan(TableName=os.environ["TABLE_NAME"], **start)
        items += [load(i) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def register(register_api, user: str, code: str = HIDA, personal: dict | None = None):
    body = {"organisation_code": code, "answers": ANSWERS}
    if personal is not None:
        body["personal"] = personal
    response = register_api("POST", "/registrations", user, body=body)
    assert response.status == 201, response.body
    return response


def registration_item(moto, code: str, user: str) -> dict:
    return next(i for i in table(moto) if i["pk"] == f"ORG#{code}#USER#{user}" and i["sk"] == "REGISTRATION")


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)
    yield
    clock.reset()


def test_r_bas_4_an_adult_verifies_and_the_card_says_so(register_api, card_tap, moto):
    register(register_api, "u1", personal={"name": "ひだ たろう", "email": "taro@example.jp"})
    result = card_tap("u1", **TARO)
    assert result.status == 200, result.body
    assert result.body["status"] == "verified" and result.body["verified_on"] == "2026-12-02"
    assert {o["code"] for o in result.body["shared_with"]} == {HIDA, GIFU}
    card = register_api("GET", f"/me/registrations/{HIDA}/card", "u1").body
    assert (card["verified"], card["verified_label"], card["verified_on"]) == (True, "本人確認済み", "2026-12-02")
    # R-BAS-3/4: the 4 info replaced by the card's, marked verified; the e-mail the person gave stays.
    item = registration_item(moto, HIDA, "u1")
    assert item["personal"] == {
        "name": "飛騨 太郎", "address": "岐阜県飛騨市古川町本町2-22", "postal_code": "509-4292",
        "birth_date": "1990-04-01", "gender": "male", "email": "taro@example.jp",
    }
    assert item["personal_verified_on"] == "2026-12-02"
    # R-BAS-6: resident judged from the verified address (no postal code was given at registration).
    assert item["resident"] is True and item["resident_basis"] == "verified_address"
    assert register_api("GET", "/me/registrations", "u1").body["registrations"][0]["resident"] is True


def test_r_priv_1_the_national_area_holds_no_name_address_or_birth_date(register_api, card_tap, moto):
    register(register_api, "u1")
    assert card_tap("u1", **TARO).status == 200
    national = [i for i in table(moto) if i["pk"].startswith("NAT#")]
    text = repr(national)
    for personal in ("飛騨 太郎", "太郎", "古川町", "509-4292", "1990-04-01", "1990"):
        assert personal not in text
    claim = next(i for i in national if i["type"] == "SubjectClaim")
    assert set(claim) == {"pk", "sk", "type", "user_id", "verified_on"}
    account = next(i for i in national if i["type"] == "Account")
    assert account["verification"]["status"] == "verified"


def test_r_bas_4_one_person_one_account(register_api, card_tap, moto):
    register(register_api, "u1")
    register(register_api, "u2", personal={"name": "別人"})
    assert card_tap("u1", **TARO).status == 200
    second = card_tap("u2", **TARO)
    assert second.status == 409 and second.problem_type == "identity-in-use"
    assert second.body["title"] == "このマイナンバーカードは、すでに別のアカウントの本人確認に使われています"
    assert register_api("GET", f"/me/registrations/{HIDA}/card", "u2").body["verified"] is False
    assert registration_item(moto, HIDA, "u2")["personal"] == {"name": "別人"}
    # The first account may verify again (a new registration's card tap), the same card.
    assert card_tap("u1", **TARO).status == 200


def test_an_account_verified_as_one_person_cannot_become_another(register_api, card_tap):
    register(register_api, "u1")
    assert card_tap("u1", **TARO).status == 200
    other = card_tap("u1", preset="tokyo-adult")
    assert other.status == 409 and other.problem_type == "verified-as-another-person"


@pytest.mark.parametrize(
    "fault, reason",
    [("bad_signature", "signature"), ("wrong_nonce", "nonce"), ("expired", "expired"),
     ("wrong_audience", "audience"), ("wrong_issuer", "issuer")],
)
def test_a_provider_answer_that_fails_a_check_stores_nothing(register_api, card_tap, moto, fault, reason):
    register(register_api, "u1", personal={"name": "ひだ"})
    before = [i for i in table(moto) if i["type"] != "VerificationRequest"]
    failed = card_tap("u1", fault=fault, **TARO)
    assert failed.status == 400 and failed.problem_type == "verification-failed"
    assert failed.body["reason"] == reason
    after = [i for i in table(moto) if i["type"] != "VerificationRequest"]
    assert [i for i in after if i["type"] != "Account"] == [i for i in before if i["type"] != "Account"]
    assert all("verification" not in i for i in after if i["type"] == "Account")


def test_a_state_works_once_for_the_account_that_started_it(register_api, card_tap, verify_api):
    register(register_api, "u1")
    started = card_tap.start("u1")
    callback = card_tap.authorize(started.body["authorization_url"], **TARO)
    stolen = verify_api("POST", "/me/verification/complete", "u2", body=callback)
    assert stolen.status == 400 and stolen.problem_type == "verification-expired"
    assert verify_api("POST", "/me/verification/complete", "u1", body=callback).status == 200
    replay = verify_api("POST", "/me/verification/complete", "u1", body=callback)
    assert replay.status == 400 and replay.problem_type == "verification-expired"


def test_a_started_verification_expires_after_ten_minutes(register_api, card_tap, verify_api):
    register(register_api, "u1")
    started = card_tap.start("u1")
    callback = card_tap.authorize(started.body["authorization_url"], **TARO)
    clock.freeze(NOW + timedelta(minutes=10, seconds=1))
    late = verify_api("POST", "/me/verification/complete", "u1", body=callback)
    assert late.status == 400 and late.problem_type == "verification-expired"


def test_without_consent_the_registrations_keep_what_the_person_typed(register_api, card_tap, moto):
    register(register_api, "u1", personal={"name": "ひだ"})
    result = card_tap("u1", request={"share_with_organisations": False}, **TARO)
    assert result.status == 200 and result.body["status"] == "verified" and result.body["shared_with"] == []
    assert registration_item(moto, HIDA, "u1")["personal"] == {"name": "ひだ"}
    assert register_api("GET", f"/me/registrations/{HIDA}/card", "u1").body["verified"] is True


def test_r_pre_3_a_16_year_old_waits_for_a_guardian_who_verifies_and_consents(register_api, card_tap, verify_api):
    register(register_api, "kid")
    pending = card_tap("kid", preset="minor-16")
    assert pending.status == 200 and pending.body["status"] == "guardian_required"
    assert "保護者" in pending.body["reason"]
    assert register_api("GET", f"/me/registrations/{HIDA}/card", "kid").body["verified"] is False
    status = verify_api("GET", "/me/verification", "kid").body
    assert status["status"] == "guardian_required" and status["reason"] == pending.body["reason"]
    # A guardian's verification records consent: without it, refused before any card tap.
    no_consent = card_tap.start("kid", purpose="guardian")
    assert no_consent.status == 422 and no_consent.problem_type == "consent-required"
    # The minor's own card again is not a guardian.
    same = card_tap("kid", request={"purpose": "guardian", "guardian_consents": True}, preset="minor-16")
    assert same.status == 422 and same.problem_type == "guardian-not-accepted" and same.body["reason"] == "same_person"
    teen = card_tap("kid", request={"purpose": "guardian", "guardian_consents": True}, preset="minor-14")
    assert teen.status == 422 and teen.body["reason"] == "guardian_minor"
    done = card_tap("kid", request={"purpose": "guardian", "guardian_consents": True}, preset="guardian")
    assert done.status == 200 and done.body["status"] == "verified", done.body
    assert done.body["guardian"]["verified_on"] == "2026-12-02"
    assert register_api("GET", f"/me/registrations/{HIDA}/card", "kid").body["verified"] is True


def test_r_pre_3_a_14_year_old_card_authentication_alone_is_enough(register_api, card_tap):
    register(register_api, "kid")
    result = card_tap("kid", preset="minor-14")
    assert result.status == 200 and result.body["status"] == "guardian_required"


def test_a_guardian_for_an_adult_is_not_needed(register_api, card_tap):
    register(register_api, "u1")
    assert card_tap("u1", **TARO).status == 200
    refused = card_tap.start("u1", purpose="guardian", guardian_consents=True)
    assert refused.status == 409 and refused.problem_type == "guardian-not-needed"


def test_r_bas_6_a_person_living_elsewhere_is_not_a_resident(register_api, card_tap, moto):
    register(register_api, "u1", personal={"postal_code": "509-4225"})  # self-declared: 飛騨市
    assert registration_item(moto, HIDA, "u1")["resident"] is True
    assert card_tap("u1", preset="tokyo-adult").status == 200
    item = registration_item(moto, HIDA, "u1")
    assert item["resident"] is False and item["personal"]["postal_code"] == "100-0013"


def test_account_deletion_frees_the_card_for_a_new_account(register_api, card_tap, moto):
    from tests.handlers.conftest import _function

    register(register_api, "u1")
    assert card_tap("u1", **TARO).status == 200
    with _function("account") as account_api:
        deleted = account_api("DELETE", "/me", "u1", headers={"Confirm-Account-Deletion": "DELETE"})
    assert deleted.status == 204, deleted.body
    assert not [i for i in table(moto) if i["type"] == "SubjectClaim"]
    register(register_api, "u3")
    assert card_tap("u3", **TARO).status == 200
