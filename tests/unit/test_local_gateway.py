"""Issue 7 part 5: the local gateway refuses what API Gateway refuses. A token without `exp`, `iat` or `token_use`
(or not an ID token) is not a Cognito ID token, whatever its signature; a body over 10 MB is 413 problem JSON and
never reaches a function; its own answers carry the functions' security headers."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.test import Client

from local import gateway
from local.gateway import MAX_BODY_BYTES, CognitoVerifier, Gateway

JWKS, ISSUER, CLIENT = "http://127.0.0.1:1/pool/.well-known/jwks.json", "http://127.0.0.1:1/pool", "app-client"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class _Jwks:  # stands in for PyJWKClient: no network in tests
    class _Key:
        key = KEY.public_key()

    def get_signing_key_from_jwt(self, token: str):
        return self._Key()


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setitem(gateway._JWKS, JWKS, _Jwks())
    invoked: list[dict] = []

    def invoke(function: str, event: dict) -> dict:
        invoked.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    app = Gateway(invoke, {"app": CognitoVerifier(JWKS, ISSUER, CLIENT)}, {}, api="app")
    test_client = Client(app)
    test_client.invoked = invoked
    return test_client


def token(**overrides) -> str:
    now = int(time.time())
    claims = {"sub": "u1", "iss": ISSUER, "aud": CLIENT, "token_use": "id", "iat": now, "exp": now + 600, **overrides}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, KEY, algorithm="RS256")


def test_a_complete_id_token_passes(client):
    response = client.get("/me/registrations", headers={"Authorization": token()})
    assert response.status_code == 200 and len(client.invoked) == 1


@pytest.mark.parametrize("missing", ["exp", "iat", "token_use", "sub"])
def test_a_token_without_a_required_claim_is_refused(client, missing):
    response = client.get("/me/registrations", headers={"Authorization": token(**{missing: None})})
    assert response.status_code == 401 and response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.invoked == []


def test_an_access_token_is_not_an_id_token(client):
    assert client.get("/me/registrations", headers={"Authorization": token(token_use="access")}).status_code == 401


def test_a_body_over_api_gateways_10_mb_is_413_problem_json_and_reaches_no_function(client):
    headers = {"Authorization": token(), "Content-Type": "application/json"}
    response = client.post("/registrations", data=b"x" * (MAX_BODY_BYTES + 1), headers=headers)
    assert response.status_code == 413 and response.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(response.data)
    assert problem["type"].endswith("/request-too-large") and problem["title"] == "リクエストが大きすぎます"
    assert response.headers["Cache-Control"] == "no-store"
    assert client.invoked == []
    assert client.post("/registrations", data=b"x" * MAX_BODY_BYTES, headers=headers).status_code == 200


def test_a_form_post_with_a_cookie_reaches_a_public_route_as_api_gateway_sends_it():
    """The approval page (auth=False, no authorizer): the form body arrives as text (a form is not a binary media
    type), the Cookie header in headers and multiValueHeaders; several Set-Cookie values go back as several headers."""
    invoked: list[dict] = []

    def invoke(function: str, event: dict) -> dict:
        invoked.append(event)
        return {"statusCode": 303, "headers": {"Content-Type": "text/html; charset=utf-8", "Location": "/approval?link=x"},
                "multiValueHeaders": {"Set-Cookie": ["a=1; Path=/approval; HttpOnly", "b=2; Path=/approval"]},
                "body": "<p>ok</p>"}

    client = Client(Gateway(invoke, {}, {}, api="admin"), use_cookies=False)  # the header as the browser sends it
    form = "link=abc.def&email=staff%40city.test&password=P%C3%A4ss"
    response = client.post("/approval/sign-in", data=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": "furusato_approval=s.t; other=1"})
    (event,) = invoked
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/approval/sign-in", "/approval/sign-in", "POST")
    assert event["body"] == form and event["isBase64Encoded"] is False
    assert event["headers"]["Cookie"] == "furusato_approval=s.t; other=1"
    assert event["multiValueHeaders"]["Cookie"] == ["furusato_approval=s.t; other=1"]
    assert event["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert "authorizer" not in event["requestContext"]
    assert response.status_code == 303 and response.headers["Location"] == "/approval?link=x"
    assert response.headers.getlist("Set-Cookie") == ["a=1; Path=/approval; HttpOnly", "b=2; Path=/approval"]
