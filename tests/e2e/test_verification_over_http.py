"""Issue 8's walk over HTTP on the local runtime, with the development identity provider (R-BAS-4, R-PRE-3,
R-CARD-1, R-ACT-5, R-PRIV-1): a citizen registered with 飛騨市 verifies with their card; the card shows 本人確認済み;
飛騨市's pre-launch rows for them become their records and a near match is offered; a second account presenting the
same card is refused; a 16-year-old's verification stays incomplete until a guardian verifies and consents; the
national area holds no name, address or birth date."""

from __future__ import annotations

import os
import uuid

import boto3

HIDA, GIFU = "212172", "210005"
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"]}
HEADER = (
    "活動情報,,,,,,参加者情報,,,,\n任意,必須,必須,必須,必須,任意,必須,必須,必須,必須,必須\n"
    "ID,活動名,活動開始日時,活動終了日時,活動場所,参加条件,氏名,郵便番号,住所(除郵便番号),生年月日,性別\n"
)


def card_tap(api, token: str, identity: dict, **request) -> dict:
    """What the app does: start, open the provider's page (here: post a test identity to it, as its form does), come
    back to the redirect URI with code and state, complete."""
    started = api("POST", "/me/verification", token, json={"share_with_organisations": True, **request})
    assert started.status_code == 201, started.text
    authorization_url = started.json()["authorization_url"]
    assert "code_challenge_method=S256" in authorization_url and "nonce=" in authorization_url
    page = api.http.get(authorization_url, timeout=30)
    assert page.status_code == 200 and 'lang="ja"' in page.text
    # The provider redirects to the redirect URI (locally a page that shows code and state, as the app receives them).
    callback = api.http.post(authorization_url, data={"decision": "approve", **identity}, timeout=30)
    assert callback.status_code == 200, callback.text
    completed = api("POST", "/me/verification/complete", token, json=callback.json())
    return {**completed.json(), "http": completed.status_code}


def test_verify_claim_refuse_a_second_account_and_a_minor_waits_for_a_guardian(api):
    api("POST", "/local/clock", json={"reset": True})
    surname = "検証" + uuid.uuid4().hex[:6]
    person = {"name": f"{surname} 太郎", "address": "岐阜県飛騨市古川町本町2-22", "postal_code": "509-4292",
              "birthdate": "1988-07-07", "gender": "male"}

    # 飛騨市 staff import pre-launch rows: two of them this person's, one at another address (a near match).
    rows = (
        f"E1,雪下ろし,2026年4月10日 9:00,2026年4月10日 12:00,古川町,,{surname} 太郎,509-4292,岐阜県飛騨市古川町本町2-22,1988/7/7,男性\n"
        f"E2,清掃活動,2026年5月3日 9:00,2026年5月3日 11:00,古川町,,{surname}　太郎,5094292,飛騨市古川町,1988/7/7,男性\n"
        f"E3,草刈り,2026年6月1日 9:00,2026年6月1日 11:00,神岡町,,{surname} 太郎,100-0013,東京都千代田区霞が関1-1-1,1988/7/7,男性\n"
    )
    staff = api.staff_sign_in(HIDA)
    imported = api.admin_call("POST", "/prelaunch-imports", staff, data=(HEADER + rows).encode(), headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200 and imported.json()["stored_count"] == 3, imported.text

    citizen = api.sign_in(f"{uuid.uuid4().hex[:10]}@example.jp")
    assert api("POST", "/registrations", citizen, json={"organisation_code": HIDA, "answers": ANSWERS}).status_code == 201
    before = api("GET", f"/me/registrations/{HIDA}/card", citizen).json()
    assert before["verified"] is False

    result = card_tap(api, citizen, person)
    assert (result["http"], result["status"], result["claimed_records"], result["offered_matches"]) == (200, "verified", 2, 1), result
    card = api("GET", f"/me/registrations/{HIDA}/card", citizen).json()
    assert (card["verified"], card["verified_label"]) == (True, "本人確認済み") and card["verified_on"]

    # R-ACT-5: the exact matches are records, for 飛騨市 and 岐阜県 (R-ACT-4), with their names and provenance.
    for code in (HIDA, GIFU):
        mine = api("GET", f"/me/records/{code}", citizen).json()
        assert sorted(r["activity_name"] for r in mine["records"]) == ["清掃活動", "雪下ろし"]
        assert all(r["source"] == "prelaunch_import" and r["prelaunch"]["uploader_code"] == HIDA for r in mine["records"])
    # The near match is offered, not claimed; confirming it makes it a record.
    offers = api("GET", "/me/prelaunch-matches", citizen).json()["matches"]
    assert [(o["activity_name"], o["organisation"]["code"]) for o in offers] == [("草刈り", HIDA)]
    assert "霞が関" not in str(offers)  # nothing of the participant as staff typed them
    confirmed = api("POST", f"/me/prelaunch-matches/{HIDA}/{offers[0]['id']}/confirm", citizen)
    assert confirmed.status_code == 200 and confirmed.json()["claimed"] is True
    assert api("GET", f"/me/records/{HIDA}", citizen).json()["count_last_12_months"] == 3
    assert api("GET", "/me/prelaunch-matches", citizen).json()["matches"] == []

    # R-BAS-4: one person, one account.
    other = api.sign_in(f"{uuid.uuid4().hex[:10]}@example.jp")
    assert api("POST", "/registrations", other, json={"organisation_code": HIDA, "answers": ANSWERS}).status_code == 201
    refused = card_tap(api, other, person)
    assert refused["http"] == 409 and refused["type"].endswith("/identity-in-use")
    assert refused["title"] == "このマイナンバーカードは、すでに別のアカウントの本人確認に使われています"

    # R-PRE-3: a 16-year-old waits for a guardian.
    kid = api.sign_in(f"{uuid.uuid4().hex[:10]}@example.jp")
    assert api("POST", "/registrations", kid, json={"organisation_code": HIDA, "answers": ANSWERS}).status_code == 201
    minor = {"name": f"{surname} 次郎", "address": "岐阜県飛騨市古川町本町2-22", "age": "16", "gender": "male"}
    pending = card_tap(api, kid, minor)
    assert (pending["http"], pending["status"]) == (200, "guardian_required"), pending
    status = api("GET", "/me/verification", kid).json()
    assert status["status"] == "guardian_required" and "保護者" in status["reason"]
    assert api("GET", f"/me/registrations/{HIDA}/card", kid).json()["verified"] is False
    guardian = {"name": f"{surname} 和子", "address": "岐阜県飛騨市古川町本町2-22", "birthdate": "1975-06-30", "gender": "female"}
    done = card_tap(api, kid, guardian, purpose="guardian", guardian_consents=True)
    assert (done["http"], done["status"]) == (200, "verified") and done["guardian"]["verified_on"], done
    assert api("GET", "/me/verification", kid).json()["status"] == "verified"
    assert api("GET", f"/me/registrations/{HIDA}/card", kid).json()["verified"] is True

    # R-PRIV-1: the national area holds no name, address or birth date (read from moto, as an auditor would).
    dynamodb = boto3.client("dynamodb", endpoint_url=api.moto, region_name="ap-northeast-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    table = os.environ.get("FURUSATO_LOCAL_TABLE", "furusato-local")
    national = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        national += [i for i in page["Items"] if i["pk"]["S"].startswith("NAT#")]
    text = str(national)
    assert national and surname not in text and "古川町" not in text and "1988-07-07" not in text and "1975-06-30" not in text
