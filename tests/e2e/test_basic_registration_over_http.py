"""A citizen's walk through basic registration over HTTP on the local runtime (R-ORG-1..2, R-BAS-1..6, R-CARD-1):
the issue's "done when", as a newcomer would do it from the README."""

from __future__ import annotations

import json
import uuid

import boto3

from local.events import api_gateway_event

KESENNUMA, MIYAGI = "042056", "040002"
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"], "own_fan_club": "member"}


def new_user(api) -> str:
    return api.sign_in(f"{uuid.uuid4().hex[:12]}@example.jp")


def test_newcomer_registers_with_kesennuma_and_sees_miyagi_and_the_card(api):
    found = api("GET", "/organisations", params={"q": "気仙沼"}).json()["organisations"]
    assert [o["code"] for o in found] == [KESENNUMA]
    survey = api("GET", f"/organisations/{KESENNUMA}").json()["survey"]
    assert {"relationship", "interests", "own_fan_club"} <= {q["id"] for q in survey["questions"]}

    token = new_user(api)
    created = api("POST", "/registrations", token, json={"organisation_code": KESENNUMA, "answers": ANSWERS})
    assert created.status_code == 201, created.text
    assert created.json()["co_registration"]["status"] == "registered"

    mine = api("GET", "/me/registrations", token).json()["registrations"]
    assert {r["organisation"]["name"] for r in mine} == {"気仙沼市", "宮城県"}

    card = api("GET", f"/me/registrations/{KESENNUMA}/card", token)
    assert card.status_code == 200
    assert card.json()["organisation"]["name"] == "気仙沼市" and card.json()["level_label"] == "ベーシック登録"


def test_bad_cases_get_clear_problem_json(api):
    token = new_user(api)
    cases = [
        ({"organisation_code": "999999", "answers": ANSWERS}, 404, "unknown-organisation"),
        ({"organisation_code": "011002", "answers": ANSWERS}, 422, "organisation-not-joined"),
        ({"organisation_code": KESENNUMA, "answers": {"relationship": ["nope"]}}, 422, "invalid-survey-answer"),
        ({"organisation_code": "1234"}, 422, "invalid-input"),
    ]
    for body, status, slug in cases:
        response = api("POST", "/registrations", token, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"].endswith("/" + slug) and problem["title"] and problem["detail"]
    assert api("GET", "/me/registrations", token).json()["registrations"] == []

    assert api("POST", "/registrations", token, json={"organisation_code": KESENNUMA, "answers": ANSWERS}).status_code == 201
    twice = api("POST", "/registrations", token, json={"organisation_code": KESENNUMA, "answers": ANSWERS})
    assert twice.status_code == 409 and twice.json()["title"] == "この自治体にはすでに登録しています"


def test_personal_routes_need_a_valid_token_as_the_cognito_authorizer_checks(api):
    for token in (None, "not-a-jwt", new_user(api)[:-4] + "abcd"):
        response = api("GET", "/me/registrations", token)
        assert response.status_code == 401
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["title"] == "ログインが必要です"
    assert api("GET", "/organisations").status_code == 200  # browsing needs no sign-in


def test_retry_with_idempotency_key_over_http_returns_the_first_result(api):
    token = new_user(api)
    headers = {"Idempotency-Key": "retry-1"}
    body = {"organisation_code": KESENNUMA, "answers": ANSWERS}
    first = api("POST", "/registrations", token, json=body, headers=dict(headers))
    retry = api("POST", "/registrations", token, json=body, headers=dict(headers))
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()


def test_withdraw_removes_the_co_registration_with_the_last_municipality(api):
    token = new_user(api)
    api("POST", "/registrations", token, json={"organisation_code": KESENNUMA, "answers": ANSWERS})
    response = api("DELETE", f"/me/registrations/{KESENNUMA}", token)
    assert response.status_code == 200
    assert [o["code"] for o in response.json()["withdrawn"]] == [KESENNUMA, MIYAGI]
    assert api("GET", "/me/registrations", token).json()["registrations"] == []


def test_openapi_and_swagger_are_served_locally(api):
    document = api("GET", "/openapi.json").json()
    assert "/registrations" in document["paths"] and document["servers"][0]["url"] == api.base
    assert "swagger-ui" in api("GET", "/docs").text


def test_unknown_route_is_problem_json(api):
    response = api("GET", "/nowhere")
    assert response.status_code == 404 and response.headers["Content-Type"] == "application/problem+json"


def test_moto_lambda_invocations_reach_the_real_handler(api):
    """Step Functions tasks (a later issue) invoke functions through moto's Lambda: it must run our handler."""
    client = boto3.client(
        "lambda", endpoint_url=api.moto, region_name="ap-northeast-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    event = api_gateway_event("GET", "/organisations/{code}", f"/organisations/{KESENNUMA}", {"code": KESENNUMA})
    result = client.invoke(FunctionName="furusato-register", Payload=json.dumps(event))
    payload = json.loads(result["Payload"].read())
    assert payload["statusCode"] == 200
    assert json.loads(payload["body"])["name"] == "気仙沼市"


def test_concurrent_duplicate_registrations_create_exactly_one(api):
    """Races lose nothing and duplicate nothing: the table's condition, not a read-then-write, decides."""
    from concurrent.futures import ThreadPoolExecutor

    token = new_user(api)
    body = {"organisation_code": KESENNUMA, "answers": ANSWERS}
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(lambda _: api("POST", "/registrations", token, json=body).status_code, range(8)))
    assert statuses == [201] + [409] * 7
    mine = api("GET", "/me/registrations", token).json()["registrations"]
    assert sorted(r["organisation"]["code"] for r in mine) == [MIYAGI, KESENNUMA]


def test_concurrent_registrations_in_one_prefecture_both_link_the_co_registration(api):
    from concurrent.futures import ThreadPoolExecutor

    token = new_user(api)
    codes = [KESENNUMA, "046060"]  # 気仙沼市 and 南三陸町, both in 宮城県
    answers = {k: v for k, v in ANSWERS.items() if not k.startswith("own_")}
    bodies = [{"organisation_code": KESENNUMA, "answers": ANSWERS}, {"organisation_code": "046060", "answers": answers}]
    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(lambda b: api("POST", "/registrations", token, json=b).status_code, bodies))
    assert statuses == [201, 201]
    mine = {r["organisation"]["code"]: r for r in api("GET", "/me/registrations", token).json()["registrations"]}
    assert sorted(v["code"] for v in mine[MIYAGI]["via"]) == sorted(codes)
