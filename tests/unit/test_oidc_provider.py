"""The development OpenID Connect provider of the local runtime (issue 8: My Number Card verification): it must
refuse what the Digital Agency's provider refuses, so that the platform's client is tested against the refusals,
and each test fault must break the ID token in exactly one way, so that each of the client's checks is exercised."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.test import Client

from local.oidc_provider import ASSERTION_TYPE, FAULTS, DevelopmentProvider, client_assertion, pkce_challenge
from shared import clock

ISSUER = "http://127.0.0.1:3900"
CLIENT_ID = "furusato-platform"
REDIRECT_URI = "http://127.0.0.1:3000/verification/callback"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=clock.TOKYO)
CLIENT_KEY = ec.generate_private_key(ec.SECP256R1())  # the platform's ES256 key


@pytest.fixture(scope="module")
def shared_provider() -> DevelopmentProvider:
    # RSA key generation takes a moment: one provider for the module, every test with its own code and jti.
    provider = DevelopmentProvider(ISSUER)
    provider.register_client(CLIENT_ID, {"keys": [_public_jwk(CLIENT_KEY, "client-1")]}, [REDIRECT_URI])
    return provider


@pytest.fixture
def provider(shared_provider):
    clock.freeze(NOW)
    yield shared_provider
    clock.reset()


@pytest.fixture
def http(provider) -> Client:
    return Client(provider)


def _public_jwk(key, kid: str) -> dict:
    return {**jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig"}


def _authorization(**overrides) -> tuple[dict, str]:
    verifier = secrets.token_urlsafe(48)
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI,
              "scope": "openid name address birthdate gender", "state": secrets.token_urlsafe(16),
              "nonce": secrets.token_urlsafe(16), "code_challenge": pkce_challenge(verifier),
              "code_challenge_method": "S256"} | overrides
    return params, verifier


def _approve(http: Client, params: dict, **form) -> dict:
    """POST /authorize as curl does (parameters in the query, identity in the body); the redirect's query."""
    response = http.post(f"/authorize?{urlencode(params)}", data={"preset": "hida-adult"} | form)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def _token(http: Client, code: str, verifier: str, assertion: str | None = None, **overrides):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier,
            "client_id": CLIENT_ID, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion or _assertion()} | overrides
    return http.post("/token", data=form)


def _assertion(key=CLIENT_KEY, **kwargs) -> str:
    return client_assertion(CLIENT_ID, key, f"{ISSUER}/token", kid="client-1", **kwargs)


def _id_token(http: Client, **form) -> tuple[str, dict]:
    params, verifier = _authorization()
    redirect = _approve(http, params, **form)
    response = _token(http, redirect["code"], verifier)
    assert response.status_code == 200, response.json
    return response.json["id_token"], params


def _verify(http: Client, id_token: str, nonce: str) -> dict:
    jwks = jwt.PyJWKSet.from_dict(http.get("/jwks").json)
    key = jwks[jwt.get_unverified_header(id_token)["kid"]]
    claims = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=CLIENT_ID, issuer=ISSUER,
                        options={"verify_exp": False, "verify_iat": False})
    assert claims["nonce"] == nonce
    assert claims["iat"] <= NOW.timestamp() < claims["exp"]
    return claims


def test_discovery_and_jwks(http):
    config = http.get("/.well-known/openid-configuration").json
    assert config["issuer"] == ISSUER
    assert config["token_endpoint"] == f"{ISSUER}/token" and config["jwks_uri"] == f"{ISSUER}/jwks"
    assert config["subject_types_supported"] == ["pairwise"]
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    [key] = http.get("/jwks").json["keys"]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig") and key["kid"]
    assert "d" not in key  # the public half only


def test_happy_path_id_token_carries_the_card_claims(http):
    params, verifier = _authorization()
    redirect = _approve(http, params)
    assert redirect["state"] == params["state"] and redirect["iss"] == ISSUER
    response = _token(http, redirect["code"], verifier)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600 and body["scope"] == params["scope"]
    claims = _verify(http, body["id_token"], params["nonce"])
    assert claims["exp"] == claims["iat"] + 600 and claims["amr"] == ["user_auth_cert"]
    assert claims["name"] == "飛騨 太郎" and claims["birthdate"] == "1990-04-01" and claims["gender"] == "male"
    assert claims["address"] == {"formatted": "岐阜県飛騨市古川町本町2-22", "postal_code": "509-4292"}


def test_typed_identity_and_age_from_the_clock(http):
    id_token, params = _id_token(http, preset="", name="東京 一郎", address="東京都千代田区丸の内1-1",
                                 postal_code="１０００００５", age="16", gender="other")
    claims = _verify(http, id_token, params["nonce"])
    # Turned 16 today (2026-12-02): the latest birth date of a 16-year-old.
    assert claims["birthdate"] == "2010-12-02"
    assert claims["address"] == {"formatted": "東京都千代田区丸の内1-1", "postal_code": "100-0005"}


def test_the_14_year_old_has_the_authentication_certificate_only(http):
    id_token, params = _id_token(http, preset="minor-14")
    claims = _verify(http, id_token, params["nonce"])
    assert claims["amr"] == ["user_auth_cert"] and claims["birthdate"] == "2012-12-02"


def test_pairwise_subject_is_stable_per_person_and_client(http, provider):
    first = jwt.decode(_id_token(http)[0], options={"verify_signature": False})["sub"]
    again = jwt.decode(_id_token(http, name="飛騨　太郎")[0], options={"verify_signature": False})["sub"]
    other = jwt.decode(_id_token(http, preset="tokyo-adult")[0], options={"verify_signature": False})["sub"]
    chosen = jwt.decode(_id_token(http, subject="person-7")[0], options={"verify_signature": False})["sub"]
    assert first == again != other and chosen == "person-7"
    provider.register_client("another", {"keys": [_public_jwk(CLIENT_KEY, "client-1")]}, [REDIRECT_URI])
    params, verifier = _authorization(client_id="another")
    redirect = _approve(http, params)
    assertion = client_assertion("another", CLIENT_KEY, f"{ISSUER}/token", kid="client-1")
    response = _token(http, redirect["code"], verifier, assertion, client_id="another")
    assert jwt.decode(response.json["id_token"], options={"verify_signature": False})["sub"] != first


def test_cancel_is_access_denied(http):
    params, _ = _authorization()
    redirect = _approve(http, params, decision="cancel")
    assert redirect == {"error": "access_denied", "state": params["state"], "iss": ISSUER}


@pytest.mark.parametrize("change", [
    {"response_type": "token"}, {"scope": "name address"}, {"nonce": ""}, {"state": ""},
    {"code_challenge_method": "plain"}, {"code_challenge": "short"},
])
def test_bad_authorization_request_redirects_invalid_request(http, change):
    params, _ = _authorization(**change)
    response = http.get(f"/authorize?{urlencode(params)}")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]


@pytest.mark.parametrize("change", [{"redirect_uri": "http://127.0.0.1:3000/elsewhere"},
                                    {"redirect_uri": REDIRECT_URI + "/"}, {"client_id": "stranger"}])
def test_unknown_client_or_redirect_uri_is_a_400_page_never_a_redirect(http, change):
    params, _ = _authorization(**change)
    for response in (http.get(f"/authorize?{urlencode(params)}"), http.post(f"/authorize?{urlencode(params)}")):
        assert response.status_code == 400 and "Location" not in response.headers
        assert response.mimetype == "text/html" and 'lang="ja"' in response.get_data(as_text=True)


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []
        self.labelled: set[str] = set()
        self.hidden: set[str] = set()
        self.lang = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "label":
            self.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea"):
            if attrs.get("type") == "hidden":
                self.hidden.add(attrs["name"])
            else:
                self.fields.append(attrs["id"])


def test_authorize_page_is_japanese_and_every_input_has_a_label(http):
    params, _ = _authorization()
    response = http.get(f"/authorize?{urlencode(params)}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    inputs = _Inputs()
    inputs.feed(page)
    assert inputs.lang == "ja"
    assert set(inputs.fields) <= inputs.labelled
    assert {"preset", "name", "address", "postal_code", "birthdate", "age", "gender", "fault"} <= set(inputs.fields)
    assert inputs.hidden == set(params)  # the original request travels with the form
    assert "承認" in page and "キャンセル" in page
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_curl_name_and_birth_date_over_the_first_preset(http):
    params, verifier = _authorization()
    response = http.post(f"/authorize?{urlencode(params)}", data={"name": "高山 一郎", "birthdate": "2000-01-31"})
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    claims = _verify(http, _token(http, code, verifier).json["id_token"], params["nonce"])
    assert (claims["name"], claims["birthdate"]) == ("高山 一郎", "2000-01-31")
    assert claims["address"]["formatted"] == "岐阜県飛騨市古川町本町2-22"


def test_incomplete_identity_shows_the_page_again(http):
    params, _ = _authorization()
    response = http.post(f"/authorize?{urlencode(params)}", data={"preset": "", "name": "飛騨 太郎"})
    assert response.status_code == 400 and "Location" not in response.headers
    assert "住所" in response.get_data(as_text=True) and 'role="alert"' in response.get_data(as_text=True)


def _refused(response, error: str) -> None:
    assert response.status_code == 400 and response.json["error"] == error, response.json


def test_pkce_mismatch_is_invalid_grant(http):
    params, _ = _authorization()
    code = _approve(http, params)["code"]
    _refused(_token(http, code, secrets.token_urlsafe(48)), "invalid_grant")


def test_code_verifier_outside_the_rfc7636_alphabet_is_refused(http):
    params, _ = _authorization(code_challenge=pkce_challenge("a" * 42 + "!"))
    code = _approve(http, params)["code"]
    _refused(_token(http, code, "a" * 42 + "!"), "invalid_request")


def test_a_code_is_used_once_even_when_its_first_use_failed(http):
    params, verifier = _authorization()
    code = _approve(http, params)["code"]
    assert _token(http, code, verifier).status_code == 200
    _refused(_token(http, code, verifier), "invalid_grant")
    params, verifier = _authorization()
    code = _approve(http, params)["code"]
    _refused(_token(http, code, "x" * 43), "invalid_grant")  # wrong verifier: the code is gone all the same
    _refused(_token(http, code, verifier), "invalid_grant")


def test_code_expires_after_60_seconds(http):
    params, verifier = _authorization()
    code = _approve(http, params)["code"]
    clock.freeze(NOW + timedelta(seconds=61))
    _refused(_token(http, code, verifier), "invalid_grant")


def test_code_is_bound_to_its_redirect_uri(http):
    params, verifier = _authorization()
    code = _approve(http, params)["code"]
    _refused(_token(http, code, verifier, redirect_uri="http://127.0.0.1:3000/other"), "invalid_grant")


def test_assertion_signed_by_an_unregistered_key_is_invalid_client(http):
    params, verifier = _authorization()
    code = _approve(http, params)["code"]
    stranger = ec.generate_private_key(ec.SECP256R1())
    _refused(_token(http, code, verifier, _assertion(stranger)), "invalid_client")


def test_assertion_for_another_audience_is_invalid_client(http):
    params, verifier = _authorization()
    code = _approve(http, params)["code"]
    assertion = client_assertion(CLIENT_ID, CLIENT_KEY, "https://elsewhere.example/token", kid="client-1")
    _refused(_token(http, code, verifier, assertion), "invalid_client")


def test_assertion_to_the_issuer_is_accepted(http):
    params, verifier = _authorization()
    code = _approve(http, params)["code"]
    assertion = client_assertion(CLIENT_ID, CLIENT_KEY, ISSUER, kid="client-1")
    assert _token(http, code, verifier, assertion).status_code == 200


def test_replayed_jti_is_invalid_client(http):
    assertion = _assertion(jti="once-only")
    params, verifier = _authorization()
    assert _token(http, _approve(http, params)["code"], verifier, assertion).status_code == 200
    params, verifier = _authorization()
    _refused(_token(http, _approve(http, params)["code"], verifier, assertion), "invalid_client")


@pytest.mark.parametrize("lifetime", [-1, 301])
def test_expired_or_long_lived_assertion_is_invalid_client(http, lifetime):
    params, verifier = _authorization()
    code = _approve(http, params)["code"]
    _refused(_token(http, code, verifier, _assertion(lifetime=lifetime)), "invalid_client")


def test_missing_assertion_type_and_wrong_grant_type(http):
    params, verifier = _authorization()
    code = _approve(http, params)["code"]
    _refused(_token(http, code, verifier, client_assertion_type="client_secret"), "invalid_client")
    _refused(_token(http, code, verifier, grant_type="refresh_token"), "unsupported_grant_type")


def _defects(http: Client, id_token: str, nonce: str) -> set[str]:
    """Every way the ID token falls short of what the client must accept."""
    jwks = jwt.PyJWKSet.from_dict(http.get("/jwks").json)
    header = jwt.get_unverified_header(id_token)
    defects = set()
    try:
        jwt.decode(id_token, jwks[header["kid"]].key, algorithms=["RS256"], options={"verify_aud": False,
                   "verify_exp": False, "verify_iat": False})
    except jwt.InvalidSignatureError:
        defects.add("bad_signature")
    claims = jwt.decode(id_token, options={"verify_signature": False})
    if claims["nonce"] != nonce:
        defects.add("wrong_nonce")
    if claims["exp"] <= clock.now().timestamp() or claims["iat"] > clock.now().timestamp():
        defects.add("expired")
    if claims["aud"] != CLIENT_ID:
        defects.add("wrong_audience")
    if claims["iss"] != ISSUER:
        defects.add("wrong_issuer")
    assert claims["name"] == "飛騨 太郎" and claims["amr"] == ["user_auth_cert"]  # the rest stays right
    return defects


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_breaks_exactly_that(http, fault):
    id_token, params = _id_token(http, fault=fault)
    assert _defects(http, id_token, params["nonce"]) == ({fault} - {"none"})
