"""The OpenID Connect client of identity verification (R-BAS-4): talks to the provider that reads the My Number Card
(deployed: the Digital Agency's authentication app; locally: local/oidc_provider.py). It knows the provider only by
its configuration (VERIFIER_PROVIDER: issuer, endpoints, client id, redirect URI) and holds the client's private key
and the subject-hash key in a secret (VERIFIER_SECRET), read by the verify function alone.

Authorization-code flow with PKCE (S256), state and nonce; the client authenticates at the token endpoint with
`private_key_jwt` (an ES256 assertion); the ID token is checked against the provider's JWKS: algorithm (from a fixed
list, never `none` or HMAC), signature, issuer, audience, nonce, expiry and issue time (against shared.clock, the one
clock, so the local runtime can move time on both sides)."""

from __future__ import annotations

import base64
import hmac
import json
import secrets as random
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from .. import clock
from ..domain.errors import ServiceUnavailable, VerificationFailed
from ..domain.verification import SCOPES, AuthorizationSecrets, ProviderConfig
from .secrets import _KeySetStore

ID_TOKEN_ALGORITHMS = ("RS256", "ES256")  # asymmetric only: `none` and HS* (a key the client knows) are refused
CLOCK_SKEW = timedelta(seconds=60)
MAX_ID_TOKEN_AGE = timedelta(minutes=10)  # an ID token is used at once; an old one is a replay
ASSERTION_LIFETIME_SECONDS = 120
JWKS_MIN_REFRESH_SECONDS = 60  # an unknown `kid` re-reads the JWKS at most this often (forged kids cost nothing)
HTTP_TIMEOUT_SECONDS = 5.0
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class VerifierKeys:
    """VERIFIER_SECRET: the client's signing key (EC P-256, its public half registered with the provider) and the
    key of the subject hash (one person, one account; never rotated: a new key would let a card verify a second
    account)."""

    client_key_pem: str
    client_key_id: str
    subject_hash_key: bytes

    @classmethod
    def from_secret_string(cls, text: str) -> VerifierKeys:
        data = json.loads(text)
        return cls(data["client_key_pem"], data["client_key_id"], base64.b64decode(data["subject_hash_key"]))

    def to_secret_string(self) -> str:
        return json.dumps({"client_key_pem": self.client_key_pem, "client_key_id": self.client_key_id,
                           "subject_hash_key": base64.b64encode(self.subject_hash_key).decode()})

    @classmethod
    def generate(cls) -> VerifierKeys:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        return cls(pem.decode(), "client-" + random.token_hex(4), random.token_bytes(32))

    def public_jwks(self) -> dict[str, Any]:
        """The JWK Set registered with the provider (the client's public key)."""
        import jwt
        from cryptography.hazmat.primitives import serialization

        private = serialization.load_pem_private_key(self.client_key_pem.encode(), password=None)
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
        return {"keys": [{**jwk, "kid": self.client_key_id, "alg": "ES256", "use": "sig"}]}


class VerifierKeyStore(_KeySetStore[VerifierKeys]):
    parse = staticmethod(VerifierKeys.from_secret_string)


def create_verifier_secret(client, name: str) -> VerifierKeys:
    """Local runtime and tests: a new key pair and hash key in a new secret (deployed, the stack's custom resource
    writes them once; infra/components/verifier.py)."""
    keys = VerifierKeys.generate()
    client.create_secret(Name=name, SecretString=keys.to_secret_string())
    return keys


class Http(Protocol):
    """What the client needs of HTTP: status and body. Deployed: urllib3 (shipped with botocore); tests may pass an
    in-process transport to the development provider."""

    def get(self, url: str) -> tuple[int, bytes]: ...

    def post_form(self, url: str, fields: dict[str, str]) -> tuple[int, bytes]: ...


class Urllib3Http:
    """One connection pool per container. No retries of the token request: a code works once."""

    def __init__(self, timeout_seconds: float = HTTP_TIMEOUT_SECONDS) -> None:
        import urllib3

        self._urllib3 = urllib3
        self._pool = urllib3.PoolManager(timeout=urllib3.Timeout(total=timeout_seconds), retries=False)

    def _request(self, method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
        try:
            response = self._pool.request(method, url, **kwargs)
        except self._urllib3.exceptions.HTTPError as error:  # refused, reset, timed out
            raise ServiceUnavailable(f"identity provider unreachable: {type(error).__name__}") from error
        return response.status, response.data

    def get(self, url: str) -> tuple[int, bytes]:
        return self._request("GET", url)

    def post_form(self, url: str, fields: dict[str, str]) -> tuple[int, bytes]:
        return self._request("POST", url, body=urllib.parse.urlencode(fields), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})


class OidcClient:
    def __init__(self, config: ProviderConfig, keys: VerifierKeyStore, http: Http) -> None:
        self.config = config
        self._keys = keys
        self._http = http
        self._jwks: dict[str, Any] = {}
        self._jwks_read_at = float("-inf")
        self._lock = threading.Lock()

    # --- the request the app opens ---------------------------------------------------------------------------------

    def authorization_url(self, secrets: AuthorizationSecrets) -> str:
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": self.config.redirect_uri,
                "scope": " ".join(SCOPES),
                "state": secrets.state,
                "nonce": secrets.nonce,
                "code_challenge": secrets.code_challenge,
                "code_challenge_method": "S256",
            },
            quote_via=urllib.parse.quote,
        )
        endpoint = str(self.config.authorization_endpoint)
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def subject_hash_key(self) -> bytes:
        return self._keys().subject_hash_key

    # --- the code the app brings back ------------------------------------------------------------------------------

    def exchange(self, code: str, secrets: AuthorizationSecrets) -> dict[str, Any]:
        """The ID token's claims, checked; VerificationFailed (with the check's name) when anything is off."""
        status, body = self._http.post_form(
            str(self.config.token_endpoint),
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.config.redirect_uri,
                "code_verifier": secrets.code_verifier,
                "client_id": self.config.client_id,
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": self._client_assertion(),
            },
        )
        if status >= 500 or status == 429:
            raise ServiceUnavailable(f"identity provider token endpoint answered {status}")
        answer = _json_object(body)
        if status != 200 or answer is None or not isinstance(answer.get("id_token"), str):
            error = answer.get("error") if isinstance(answer, dict) else None
            raise VerificationFailed(f"the token request was refused ({status} {error})", reason="token_refused")
        return self._verified_claims(answer["id_token"], secrets.nonce)

    def _client_assertion(self) -> str:
        import jwt

        keys = self._keys()
        now = int(clock.now().timestamp())
        claims = {
            "iss": self.config.client_id, "sub": self.config.client_id, "aud": str(self.config.token_endpoint),
            "iat": now, "exp": now + ASSERTION_LIFETIME_SECONDS, "jti": random.token_urlsafe(24),
        }
        return jwt.encode(claims, keys.client_key_pem, algorithm="ES256", headers={"kid": keys.client_key_id})

    def _verified_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        import jwt

        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise VerificationFailed("the ID token is not a JWS", reason="malformed") from None
        algorithm = header.get("alg")
        if algorithm not in ID_TOKEN_ALGORITHMS:
            raise VerificationFailed(f"ID token algorithm {algorithm!r} is not accepted", reason="algorithm")
        key = self._signing_key(header.get("kid"), algorithm)
        try:
            # Time is checked below against the one clock; audience and issuer here (PyJWT compares exactly).
            claims = jwt.decode(
                id_token, key, algorithms=[algorithm], audience=self.config.client_id, issuer=self.config.issuer,
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                         "require": ["iss", "sub", "aud", "exp", "iat", "nonce"]},
            )
        except jwt.InvalidSignatureError:
            raise VerificationFailed("the ID token's signature does not verify", reason="signature") from None
        except jwt.InvalidAudienceError:
            raise VerificationFailed("the ID token is for another client", reason="audience") from None
        except jwt.InvalidIssuerError:
            raise VerificationFailed("the ID token is from another issuer", reason="issuer") from None
        except jwt.PyJWTError as error:
            raise VerificationFailed(f"the ID token is invalid: {type(error).__name__}", reason="malformed") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.config.client_id:
            raise VerificationFailed("the ID token names several audiences without us as azp", reason="audience")
        if not isinstance(claims["nonce"], str) or not hmac.compare_digest(claims["nonce"], nonce):
            raise VerificationFailed("the ID token's nonce is not this request's", reason="nonce")
        now = clock.now()
        try:
            expires, issued = float(claims["exp"]), float(claims["iat"])
        except (TypeError, ValueError):
            raise VerificationFailed("the ID token's times are not numbers", reason="malformed") from None
        if expires <= (now - CLOCK_SKEW).timestamp():
            raise VerificationFailed("the ID token has expired", reason="expired")
        if issued > (now + CLOCK_SKEW).timestamp() or issued < (now - MAX_ID_TOKEN_AGE).timestamp():
            raise VerificationFailed("the ID token was not issued just now", reason="issued_at")
        return claims

    def _signing_key(self, kid: Any, algorithm: str) -> Any:
        """The provider's key `kid` from its JWKS, read again (at most once a minute) when the kid is new: the
        provider rotated its keys."""
        import jwt

        with self._lock:
            if kid not in self._jwks and time.monotonic() - self._jwks_read_at >= JWKS_MIN_REFRESH_SECONDS:
                status, body = self._http.get(str(self.config.jwks_uri))
                if status != 200:
                    raise ServiceUnavailable(f"identity provider JWKS answered {status}")
                self._jwks = _jwks_by_kid(body)
                self._jwks_read_at = time.monotonic()
            jwk = self._jwks.get(kid)
        if jwk is None:
            raise VerificationFailed(f"the provider has no key {kid!r}", reason="signature")
        try:
            return jwt.PyJWK(jwk, algorithm=algorithm).key
        except jwt.PyJWTError:
            raise VerificationFailed(f"the provider's key {kid!r} does not fit {algorithm}", reason="signature") from None


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _jwks_by_kid(body: bytes) -> dict[str, dict[str, Any]]:
    document = _json_object(body) or {}
    keys = document.get("keys") if isinstance(document.get("keys"), list) else []
    return {k["kid"]: k for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str) and k.get("use", "sig") == "sig"}
