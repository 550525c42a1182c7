"""The verifier's OpenID Connect client against the development provider in-process (R-BAS-4): what it refuses
beyond the provider's faults (algorithms, key ids, a provider that fails), and what it sends."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from local.oidc_provider import DevelopmentProvider
from shared.dal.identity_provider import OidcClient, VerifierKeys
from shared.domain.errors import ServiceUnavailable, VerificationFailed
from shared.domain.verification import AuthorizationSecrets, ProviderConfig
from local.wsgi_http import WsgiHttp

ISSUER = "https://provider.test"
REDIRECT = "https://app.test/cb"
CONFIG = ProviderConfig(
    issuer=ISSUER, authorization_endpoint=f"{ISSUER}/authorize", token_endpoint=f"{ISSUER}/token",
    jwks_uri=f"{ISSUER}/jwks", client_id="client-1", redirect_uri=REDIRECT,
)


@pytest.fixture
def setup():
    provider = DevelopmentProvider(ISSUER)
    keys = VerifierKeys.generate()
    provider.register_client("client-1", keys.public_jwks(), [REDIRECT])
    http = WsgiHttp(provider)
    return provider, OidcClient(CONFIG, lambda refresh=False: keys, http), http


def code_for(http, client: OidcClient, secrets: AuthorizationSecrets, **identity) -> str:
    response = http.client.post(client.authorization_url(secrets), data={"decision": "approve", "preset": "hida-adult", **identity})
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def test_the_authorization_request_carries_pkce_state_nonce_and_the_scopes(setup):
    _, client, _ = setup
    secrets = AuthorizationSecrets.new()
    query = parse_qs(urlsplit(client.authorization_url(secrets)).query)
    assert {k: v[0] for k, v in query.items()} == {
        "response_type": "code", "client_id": "client-1", "redirect_uri": REDIRECT,
        "scope": "openid name address birthdate gender", "state": secrets.state, "nonce": secrets.nonce,
        "code_challenge": secrets.code_challenge, "code_challenge_method": "S256",
    }


def test_a_code_exchanges_for_checked_claims(setup):
    _, client, http = setup
    secrets = AuthorizationSecrets.new()
    claims = client.exchange(code_for(http, client, secrets), secrets)
    assert claims["name"] == "飛騨 太郎" and claims["nonce"] == secrets.nonce and claims["aud"] == "client-1"


def test_a_code_exchanged_with_another_requests_verifier_is_refused(setup):
    """PKCE: a code stolen on its way back is useless without this request's verifier."""
    _, client, http = setup
    secrets = AuthorizationSecrets.new()
    code = code_for(http, client, secrets)
    with pytest.raises(VerificationFailed) as error:
        client.exchange(code, AuthorizationSecrets.new())
    assert error.value.extensions["reason"] == "token_refused"


class FixedAnswer:
    """A provider whose token endpoint answers one fixed body (and a JWKS)."""

    def __init__(self, status: int, body: dict, jwks: dict | None = None) -> None:
        self.status, self.body, self.jwks, self.jwks_reads = status, body, jwks or {"keys": []}, 0

    def get(self, url: str):
        self.jwks_reads += 1
        return 200, json.dumps(self.jwks).encode()

    def post_form(self, url: str, fields: dict):
        return self.status, json.dumps(self.body).encode()


def keys_stub():
    keys = VerifierKeys.generate()
    return lambda refresh=False: keys


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_unsigned_and_symmetric_id_tokens_are_refused(algorithm):
    token = jwt.encode({"iss": ISSUER, "sub": "s", "aud": "client-1", "nonce": "n", "exp": 9e9, "iat": 0},
                       "k" * 32 if algorithm == "HS256" else None, algorithm=algorithm)
    client = OidcClient(CONFIG, keys_stub(), FixedAnswer(200, {"id_token": token}))
    with pytest.raises(VerificationFailed) as error:
        client.exchange("code", AuthorizationSecrets(state="s" * 43, nonce="n", code_verifier="v" * 43))
    assert error.value.extensions["reason"] == "algorithm"


def test_an_unknown_key_id_reads_the_jwks_at_most_once_a_minute(setup):
    """A forged kid costs the provider no JWKS read each (a rotation is picked up within a minute)."""
    provider, _, _ = setup
    from cryptography.hazmat.primitives.asymmetric import rsa

    rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"iss": ISSUER}, rogue, algorithm="RS256", headers={"kid": "forged"})
    answer = FixedAnswer(200, {"id_token": token})
    client = OidcClient(CONFIG, keys_stub(), answer)
    for _ in range(5):
        with pytest.raises(VerificationFailed):
            client.exchange("code", AuthorizationSecrets(state="s" * 43, nonce="n", code_verifier="v" * 43))
    assert answer.jwks_reads == 1


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_a_failing_provider_is_503_not_a_refusal(status):
    client = OidcClient(CONFIG, keys_stub(), FixedAnswer(status, {"error": "server_error"}))
    with pytest.raises(ServiceUnavailable):
        client.exchange("code", AuthorizationSecrets(state="s" * 43, nonce="n", code_verifier="v" * 43))


def test_an_unreachable_provider_is_503():
    from shared.dal.identity_provider import Urllib3Http
    from local.runtime import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    config = CONFIG.model_copy(update={"token_endpoint": f"{dead}/token"})
    client = OidcClient(config, keys_stub(), Urllib3Http(timeout_seconds=2))
    with pytest.raises(ServiceUnavailable):
        client.exchange("code", AuthorizationSecrets(state="s" * 43, nonce="n", code_verifier="v" * 43))


def test_the_client_assertion_is_es256_for_the_token_endpoint(setup):
    provider, client, http = setup
    seen = {}

    class Spy:
        def get(self, url):
            return http.get(url)

        def post_form(self, url, fields):
            seen.update(fields)
            return http.post_form(url, fields)

    spying = OidcClient(CONFIG, client._keys, Spy())
    secrets = AuthorizationSecrets.new()
    spying.exchange(code_for(http, spying, secrets), secrets)
    header = jwt.get_unverified_header(seen["client_assertion"])
    body = jwt.decode(seen["client_assertion"], options={"verify_signature": False})
    assert header["alg"] == "ES256" and body["iss"] == body["sub"] == "client-1" and body["aud"] == f"{ISSUER}/token"
    assert body["exp"] - body["iat"] <= 300 and seen["code_verifier"] == secrets.code_verifier
