"""Withdrawal and account deletion on moto (issue 7 part 4; R-PRIV-1, R-PRIV-2, R-BAS-5, R-ACT-4, R-BAS-7). A person's
complete footprint is written through the real operations (register with personal data and answers, co-registration,
an Idempotency-Key, apply, check in, evidence uploaded and not), then erased; the table, the bucket and the user pool
are read whole (Scan and listings: in this test only) to show what is left."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import requests
from botocore.exceptions import ClientError

from shared import clock
from shared.config import settings
from shared.dal import aws, keys
from shared.dal.personal_data import STORES_BY_TYPE, item_type
from shared.dal.repository import _load
from tests.handlers.conftest import staff_claims

HIDA, GIFU, TAKAYAMA, KESENNUMA, MIYAGI = "212172", "210005", "212032", "042056", "040002"
START = datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO)
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}
CONFIRM = {"Confirm-Account-Deletion": "DELETE"}
PHOTO = b"\xff\xd8\xff\xe0" + b"0" * 200


@dataclass
class Person:
    user_id: str
    username: str
    secrets: tuple[str, ...]  # personal values the person gave: none may survive deletion anywhere


def _signed_up(email: str) -> tuple[str, str]:
    cognito = aws.client("cognito-idp")
    pool = os.environ["CITIZEN_USER_POOL_ID"]
    created = cognito.admin_create_user(UserPoolId=pool, Username=email, UserAttributes=[{"Name": "email", "Value": email}])
    attributes = {a["Name"]: a["Value"] for a in created["User"]["Attributes"]}
    return attributes["sub"], created["User"]["Username"]


@pytest.fixture
def activities(admin_api):
    """飛騨市's activity (recruiting) and 岐阜県's activity in 高山市, where the person never registers (R-ACT-4: its
    records still land in 高山市's partition of the person)."""
    clock.freeze(START - timedelta(days=7))
    hours = {"starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=3)).isoformat()}
    hida = admin_api(
        "POST", "/activities", claims=staff_claims(HIDA),
        body={"name": "雪下ろし", "kind": "project", "place": "飛騨市古川町", "recruiting": True, "capacity": 10, **hours},
    ).body
    gifu = admin_api(
        "POST", "/activities", claims=staff_claims(GIFU),
        body={"name": "古い町並み清掃", "kind": "project", "place": "高山市", "venue_code": TAKAYAMA, **hours},
    ).body
    return hida, gifu


def footprint(register_api, admin_api, checkin_api, activities, n: int = 0) -> Person:
    hida, gifu = activities
    user_id, username = _signed_up(f"person{n}@example.jp")
    name, address, email = f"気仙 太郎{n}", f"宮城県気仙沼市本町{n}丁目", f"person{n}@example.jp"
    note, message, own = f"雪下ろしの写真{n}", f"腰痛持ちです{n}", f"気仙沼が大好き{n}"
    clock.freeze(START - timedelta(days=6))

    def call(api, method, path, **kwargs):
        response = api(method, path, claims={"sub": user_id, "cognito:username": username, "token_use": "id"}, **kwargs)
        assert response.status < 300, (path, response.body)
        return response.body

    personal = {"name": name, "postal_code": "9880000", "address": address, "birth_date": "1990-05-01", "email": email}
    kesennuma = {"relationship": ["birthplace"], "interests": ["local_news"], "own_fan_club": "member", "own_message": own}
    call(register_api, "POST", "/registrations", body={"organisation_code": KESENNUMA, "answers": kesennuma, "personal": personal},
         headers={"Idempotency-Key": f"k{n}"})
    call(register_api, "POST", "/registrations", body={"organisation_code": HIDA, "answers": ANSWERS, "personal": {"name": name}})
    call(register_api, "POST", f"/organisations/{HIDA}/activities/{hida['id']}/applications", body={"message": message})
    for activity, code in ((hida, HIDA), (gifu, GIFU)):
        clock.freeze(START - timedelta(days=1))
        url = admin_api("GET", f"/activities/{activity['id']}/checkin-code", claims=staff_claims(code)).body["url"]
        clock.freeze(START + timedelta(minutes=30))
        call(checkin_api, "POST", "/checkins", body={"code": url})
    clock.freeze(START + timedelta(days=1))
    evidence = {"organisation_code": HIDA, "activity_id": hida["id"], "day": "2026-12-05", "content_type": "image/jpeg",
                "size_bytes": len(PHOTO), "note": note}
    created = call(checkin_api, "POST", "/me/evidence", body=evidence)
    form = created["upload"]
    assert requests.post(form["url"], data=form["fields"], files={"file": ("p.jpg", PHOTO)}, timeout=10).status_code < 300
    call(checkin_api, "POST", f"/me/evidence/{HIDA}/{created['evidence']['id']}/submit")
    call(checkin_api, "POST", "/me/evidence", body={**evidence, "note": None})  # awaiting its upload
    return Person(user_id, username, (name, address, email, note, message, own))


def table_items() -> list[dict]:
    client = aws.client("dynamodb")
    items, request = [], {"TableName": os.environ["TABLE_NAME"]}
    while True:
        page = client.scan(**request)
        items += [_load(i) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def mentioning(items: list[dict], *needles: str) -> list[dict]:
    return [i for i in items if any(n in json.dumps(i, ensure_ascii=False, default=str) for n in needles)]


def object_versions() -> list[str]:
    listed = aws.client("s3").list_object_versions(Bucket=os.environ["EVIDENCE_BUCKET"])
    return [v["Key"] for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])]


def has_sign_in(person: Person) -> bool:
    try:
        aws.client("cognito-idp").admin_get_user(UserPoolId=os.environ["CITIZEN_USER_POOL_ID"], Username=person.username)
        return True
    except ClientError:
        return False


def as_person(person: Person) -> dict:
    return {"sub": person.user_id, "cognito:username": person.username, "token_use": "id"}


def assert_erased(person: Person) -> None:
    items = table_items()
    left = mentioning(items, person.user_id, *person.secrets)
    # Only the tombstone: the fact that this (random) id was deleted, until its last ID token has expired.
    assert [(i["pk"], sorted(i)) for i in left] == [
        (keys.account(person.user_id)["pk"], ["deleted_at", "expires_at", "pk", "sk", "type"])
    ]
    assert not [k for k in object_versions() if person.user_id in k]
    assert not has_sign_in(person)


# --- the registry holds every store ----------------------------------------------------------------------------------


def test_every_item_of_a_persons_footprint_is_a_declared_store_and_findable_by_the_person(
    register_api, admin_api, checkin_api, activities
):
    """A store written for a person joins account deletion only if it is declared and carries the person's index key:
    this fails for a new item type (or a person's item without `user_pk`) that the footprint writes."""
    person = footprint(register_api, admin_api, checkin_api, activities)
    items = table_items()
    assert {item_type(i) for i in items} <= set(STORES_BY_TYPE)
    # the national area's items (account, open uploads) are found by key: the rest through the person's index
    owned = [i for i in mentioning(items, person.user_id) if not STORES_BY_TYPE[item_type(i)].found_by.startswith("by key")]
    assert {item_type(i) for i in owned} == {"Registration", "Application", "ActivityRecord", "Evidence"}
    assert all(i.get("user_pk") == f"USER#{person.user_id}" for i in owned), [i["sk"] for i in owned if "user_pk" not in i]
    # 気仙沼市, 宮城県 (co-registered), 飛騨市, 岐阜県 (co-registered), and records at 高山市 without a registration
    assert {i["pk"].split("#")[1] for i in owned} == {KESENNUMA, MIYAGI, HIDA, GIFU, TAKAYAMA}
    assert mentioning(items, *person.secrets), "the footprint holds the personal values the deletion must remove"


# --- DELETE /me ----------------------------------------------------------------------------------------------------


def test_delete_me_erases_the_whole_footprint_and_the_sign_in(
    register_api, admin_api, checkin_api, account_api, activities
):
    hida, _ = activities
    person = footprint(register_api, admin_api, checkin_api, activities)
    other = footprint(register_api, admin_api, checkin_api, activities, n=1)
    records_before = [i for i in table_items() if item_type(i) == "ActivityRecord" and i["user_id"] == person.user_id]
    assert len(records_before) == 4  # two activities, each for the venue and its prefecture (R-ACT-4)

    unconfirmed = account_api("DELETE", "/me", claims=as_person(person))
    assert unconfirmed.status == 428 and unconfirmed.problem_type == "deletion-not-confirmed"
    wrong = account_api("DELETE", "/me", claims=as_person(person), headers={"Confirm-Account-Deletion": "yes"})
    assert wrong.status == 422 and has_sign_in(person)  # only DELETE confirms

    deleted = account_api("DELETE", "/me", claims=as_person(person), headers=CONFIRM)
    assert deleted.status == 204, deleted.body
    assert_erased(person)

    items = table_items()
    anonymous = [i for i in items if item_type(i) == "AnonymousRecord"]
    assert len(anonymous) == 4 and len({i["user_id"] for i in anonymous}) == 4  # unlinkable even to each other
    assert {(i["org_code"], i["activity_id"], i["day"]) for i in anonymous} == {
        (r["org_code"], r["activity_id"], r["day"]) for r in records_before
    }
    # The activity's attendance still counts the participation, anonymously; the freed place is back (R-BAS-7).
    attendance = admin_api("GET", f"/activities/{hida['id']}/records", claims=staff_claims(HIDA)).body["records"]
    assert sorted(r["user_id"].startswith("anon-") for r in attendance) == [False, True]
    assert admin_api("GET", f"/activities/{hida['id']}", claims=staff_claims(HIDA)).body["applicants"] == 1
    # The other person is untouched.
    assert len(mentioning(items, *other.secrets)) >= 3 and has_sign_in(other)

    again = account_api("DELETE", "/me", claims=as_person(person), headers=CONFIRM)
    assert again.status == 204
    # The ID token stays valid for up to an hour: it can write nothing more.
    clock.freeze(START + timedelta(days=1, minutes=5))
    refused = register_api("POST", "/registrations", claims=as_person(person), body={"organisation_code": HIDA, "answers": ANSWERS})
    assert refused.status == 401 and refused.problem_type == "account-deleted"
    assert_erased(person)


def _failing_on_call(k: int):
    """A botocore hook on the function's clients that fails the k-th AWS call (DynamoDB, S3, Cognito alike)."""
    calls = {"n": 0}

    def hook(model, **_):
        calls["n"] += 1
        if calls["n"] == k:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, model.name)

    return calls, hook


def _hooked(hook):
    clients = [aws.client(s) for s in ("dynamodb", "s3", "cognito-idp")]
    for client in clients:
        client.meta.events.register("before-call", hook)
    return lambda: [c.meta.events.unregister("before-call", hook) for c in clients]


def test_a_deletion_that_fails_half_way_is_finished_by_repeating_it(
    register_api, admin_api, checkin_api, account_api, activities
):
    people = [footprint(register_api, admin_api, checkin_api, activities, n=i) for i in range(5)]
    counter, hook = _failing_on_call(0)
    remove = _hooked(hook)
    assert account_api("DELETE", "/me", claims=as_person(people[0]), headers=CONFIRM).status == 204
    remove()
    total = counter["n"]  # every AWS call of one deletion (DynamoDB, S3, Cognito)
    assert total > 20
    for person, k in zip(people[1:], (1, total // 3, 2 * total // 3, total), strict=True):
        _, hook = _failing_on_call(k)
        remove = _hooked(hook)
        failed = account_api("DELETE", "/me", claims=as_person(person), headers=CONFIRM)
        remove()
        assert failed.status == 503 and failed.headers.get("Retry-After"), (k, failed.body)  # try again
        assert account_api("DELETE", "/me", claims=as_person(person), headers=CONFIRM).status == 204, k
        assert_erased(person)


def test_a_large_footprint_is_erased_in_bounded_steps(register_api, admin_api, checkin_api, account_api, activities, monkeypatch):
    person = footprint(register_api, admin_api, checkin_api, activities)
    monkeypatch.setenv("ERASURE_ITEMS_PER_REQUEST", "3")
    settings.cache_clear()
    account_api.handler.service.cache_clear()
    counter, hook = _failing_on_call(0)
    remove = _hooked(hook)
    answers, calls = [], []
    for _ in range(10):
        counter["n"] = 0
        response = account_api("DELETE", "/me", claims=as_person(person), headers=CONFIRM)
        answers.append(response.status)
        calls.append(counter["n"])
        if response.status == 204:
            break
        assert response.body["status"] == "in_progress" and response.body["erased"] == 3
    remove()
    # 10 items (4 registrations, 1 application, 4 records, 2 evidence): 3 per request, then the sign-in
    assert answers == [202, 202, 202, 204], answers
    assert max(calls) <= 3 * 4 + 6, calls  # each request's work is bounded, whatever the footprint
    assert_erased(person)


# --- withdrawal ----------------------------------------------------------------------------------------------------


def test_withdrawal_erases_the_organisations_partition_and_keeps_records_anonymously(
    register_api, admin_api, checkin_api, account_api, activities
):
    hida, _ = activities
    person = footprint(register_api, admin_api, checkin_api, activities)
    withdrawn = account_api("DELETE", f"/me/registrations/{HIDA}", claims=as_person(person))
    assert withdrawn.status == 200, withdrawn.body
    assert [o["code"] for o in withdrawn.body["withdrawn"]] == [HIDA, GIFU]  # the co-registration goes with it

    items = table_items()
    mine = mentioning(items, person.user_id)
    # Nothing is left at 飛騨市 or 岐阜県 (registrations with personal data, application, evidence, records) ...
    assert not [i for i in mine if i["pk"].split("#")[1] in (HIDA, GIFU)]
    assert not [k for k in object_versions() if f"/{HIDA}/{person.user_id}/" in k]
    assert admin_api("GET", f"/activities/{hida['id']}", claims=staff_claims(HIDA)).body["applicants"] == 0
    # ... their records are kept as anonymous facts (the venue's attendance list still counts one participant) ...
    anonymous = [i for i in items if item_type(i) == "AnonymousRecord"]
    assert sorted(i["org_code"] for i in anonymous) == sorted([HIDA, GIFU, GIFU])
    assert [r["user_id"][:5] for r in admin_api("GET", f"/activities/{hida['id']}/records", claims=staff_claims(HIDA)).body["records"]] == ["anon-"]
    # ... and the other organisations keep theirs: 気仙沼市 (personal data), 宮城県, 高山市's record.
    assert {i["pk"].split("#")[1] for i in mine if "user_pk" in i} == {KESENNUMA, MIYAGI, TAKAYAMA}
    assert mentioning(items, person.secrets[1])  # the address given to 気仙沼市
    assert not mentioning([i for i in items if i["pk"].split("#")[1] in (HIDA, GIFU)], *person.secrets)

    # Registering again starts afresh: nothing comes back (no records, no applications, no evidence).
    again = register_api("POST", "/registrations", claims=as_person(person), body={"organisation_code": HIDA, "answers": ANSWERS})
    assert again.status == 201
    assert checkin_api("GET", f"/me/records/{HIDA}", claims=as_person(person)).body["records"] == []
    assert checkin_api("GET", f"/me/evidence/{HIDA}", claims=as_person(person)).body["evidence"] == []
    assert register_api("GET", "/me/applications", claims=as_person(person)).body["applications"] == []


def test_a_withdrawal_too_large_for_one_request_goes_on_when_repeated(
    register_api, admin_api, checkin_api, account_api, activities, monkeypatch
):
    person = footprint(register_api, admin_api, checkin_api, activities)
    monkeypatch.setenv("ERASURE_ITEMS_PER_REQUEST", "2")
    settings.cache_clear()
    account_api.handler.service.cache_clear()
    answers = [account_api("DELETE", f"/me/registrations/{HIDA}", claims=as_person(person)).status for _ in range(4)]
    # 飛騨市: application, record, 2 evidence; 岐阜県: 2 records; 2 per request. The registrations go in the last
    # step only, so until then the person is still registered and a repeat finds the rest; once withdrawn, 404.
    assert answers == [202, 202, 200, 404], answers
    assert not [i for i in mentioning(table_items(), person.user_id) if i["pk"].split("#")[1] in (HIDA, GIFU)]


# --- identity verification's footprint (issue 8) ---------------------------------------------------------------------


def test_identity_verification_footprint_is_declared_and_delete_me_erases_it(
    register_api, admin_api, account_api, card_tap
):
    """R-BAS-4, R-ACT-5, R-PRIV-1: a verified person's items (4 info in the registrations, the subject claim, claimed
    records, a near match offered) are declared stores; DELETE /me leaves only the tombstone and the organisation's
    own unclaimed participation (no account links it), and frees the card for a new account."""
    clock.freeze(datetime(2027, 1, 10, 10, 0, tzinfo=clock.TOKYO))
    rows = (
        "ID,活動名,活動開始日時,活動終了日時,活動場所,参加条件,氏名,郵便番号,住所(除郵便番号),生年月日,性別\n"
        "E1,雪下ろし,2026年12月10日 9:00,2026年12月10日 12:00,古川町,,検証 一郎,509-4225,岐阜県飛騨市古川町,1980/1/2,男性\n"
        "E2,草刈り,2026年12月11日 9:00,2026年12月11日 12:00,古川町,,検証 一郎,100-0013,東京都千代田区霞が関,1980/1/2,男性\n"
    ).encode()
    assert admin_api("POST", "/prelaunch-imports", body=rows, headers={"Content-Type": "text/csv"}, claims=staff_claims(HIDA)).status == 200
    user_id, username = _signed_up("verified@example.jp")
    me = {"sub": user_id, "cognito:username": username, "token_use": "id"}
    registered = register_api("POST", "/registrations", claims=me, body={"organisation_code": HIDA, "answers": ANSWERS})
    assert registered.status == 201
    identity = {"name": "検証 一郎", "address": "岐阜県飛騨市古川町本町2-22", "postal_code": "509-4225",
                "birthdate": "1980-01-02", "gender": "male"}
    verified = card_tap(user_id, **identity)
    assert (verified.status, verified.body["claimed_records"], verified.body["offered_matches"]) == (200, 1, 1), verified.body

    items = table_items()
    assert {item_type(i) for i in items} <= set(STORES_BY_TYPE)
    owned = [i for i in mentioning(items, user_id) if not STORES_BY_TYPE[item_type(i)].found_by.startswith("by key")]
    assert {item_type(i) for i in owned} == {"Registration", "ActivityRecord", "PrelaunchMatch"}
    assert all(i.get("user_pk") == f"USER#{user_id}" for i in owned)
    assert [item_type(i) for i in items if item_type(i) == "SubjectClaim"] == ["SubjectClaim"]

    assert account_api("DELETE", "/me", claims=me, headers=CONFIRM).status == 204
    left = table_items()
    assert [(item_type(i), sorted(i)) for i in mentioning(left, user_id)] == [
        ("Account", ["deleted_at", "expires_at", "pk", "sk", "type"])
    ]
    # The 4 info went with the registration; only the organisation's own list still names the participant.
    assert {item_type(i) for i in mentioning(left, "検証 一郎", "本町2-22")} == {"UnclaimedRecord"}
    assert not [i for i in left if item_type(i) == "SubjectClaim"]
    # The card verifies a new account.
    newcomer, _ = _signed_up("newcomer@example.jp")
    register_api("POST", "/registrations", user=newcomer, body={"organisation_code": HIDA, "answers": ANSWERS})
    assert card_tap(newcomer, **identity).status == 200
