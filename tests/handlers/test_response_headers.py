"""Issue 7 part 5: no cache keeps a response and no browser guesses its type. Every route of both APIs answers with
`Cache-Control: no-store` and `X-Content-Type-Options: nosniff`, whatever the outcome: a success, a refusal, an
unknown route, a PNG (R-PRIV-1: most responses carry personal data; the rule is every response)."""

from __future__ import annotations

import re

import pytest

from shared.routes import ROUTES
from tests.handlers.conftest import staff_claims
from tests.handlers.test_admin_isolation import HIDA, hida_world

EXPECTED = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def assert_secured(response, where: str) -> None:
    assert {k: response.headers.get(k) for k in EXPECTED} == EXPECTED, (where, response.status, response.headers)


@pytest.fixture
def callers(register_api, checkin_api, admin_api, account_api, verify_api, renewal_api):
    return {"register": register_api, "checkin": checkin_api, "admin": admin_api, "account": account_api, "verify": verify_api,
            "renewal": renewal_api}


def test_every_route_answers_with_no_store_and_nosniff(callers, register_api, checkin_api, admin_api):
    ids = {**hida_world(register_api, admin_api, checkin_api), "code": HIDA, "postal_code": "5094292", "match_id": "0" * 64}
    statuses = set()
    for route in ROUTES:
        claims = staff_claims(HIDA) if route.api == "admin" else {"sub": "hanako", "token_use": "id"}
        path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], route.path)
        for who in (claims, None):  # signed in, and not (a refusal is a response too)
            response = callers[route.function](route.method, path, body={}, claims=who)
            statuses.add(response.status // 100)
            assert_secured(response, f"{route.method} {route.path} as {'someone' if who else 'nobody'}")
    assert statuses >= {2, 4}  # successes and refusals both walked


def test_an_unknown_route_and_a_png_carry_them_too(register_api, admin_api, checkin_api):
    ids = hida_world(register_api, admin_api, checkin_api)
    png = admin_api("GET", f"/activities/{ids['activity_id']}/checkin-code", query="format=png", claims=staff_claims(HIDA))
    assert png.status == 200 and png.headers["Content-Type"] == "image/png"
    assert_secured(png, "png")
    from functions.register import handler
    from local.events import FakeLambdaContext, api_gateway_event

    unknown = handler.lambda_handler(api_gateway_event("GET", "/nowhere", "/nowhere"), FakeLambdaContext("register"))
    assert unknown["statusCode"] == 404
    assert {k: unknown["multiValueHeaders"][k] for k in EXPECTED} == {k: [v] for k, v in EXPECTED.items()}
