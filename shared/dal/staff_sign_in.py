"""Staff sign-in on the approval page (R-PRE-5): the staff user pool's app client, USER_PASSWORD_AUTH (InitiateAuth)
and, as the deployed pool requires TOTP MFA, the SOFTWARE_TOKEN_MFA challenge answered with RespondToAuthChallenge.
The ID token Cognito returns is verified as API Gateway's Cognito authorizer verifies it: RS256 signature against the
pool's JWKS, issuer, audience (this client), expiry, `token_use` = id, and the claims Cognito always sets.

InitiateAuth and RespondToAuthChallenge are the app client's public operations: IAM does not authorize them (the
admin function has no grant for them; tests/aws_calls.py records them as needing none). The password and the code
go to Cognito only, never into a log or an error.

Cognito's times (`exp`, `iat`) are its wall clock: checked against the real time, not shared.clock (which tests and
the local runtime move)."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from ..domain.errors import ServiceUnavailable

MFA_CHALLENGE = "SOFTWARE_TOKEN_MFA"
ID_TOKEN_LEEWAY_SECONDS = 60
JWKS_MIN_REFRESH_SECONDS = 60  # an unknown `kid` re-reads the JWKS at most this often

CODE = re.compile(r"[0-9]{6}")  # a TOTP code
SESSION_CHARS = (20, 2048)  # RespondToAuthChallenge's Session length constraints

Refusal = Literal["credentials", "code", "expired", "setup_required", "token"]


class SignInRefused(Exception):
    """Cognito said no, or its answer could not be trusted. `reason`: wrong e-mail or password (`credentials`), wrong
    or used MFA code (`code`), the challenge's session expired (`expired`), the account must first set its password
    or its authenticator (`setup_required`), the ID token did not verify (`token`)."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    claims: dict[str, Any]  # the verified ID token's


@dataclass(frozen=True)
class MfaRequired:
    session: str  # Cognito's challenge session (valid a few minutes), carried by the code form


def staff_pool_urls(user_pool_id: str, endpoint_url: str | None) -> tuple[str, str]:
    """(issuer, JWKS URL) of a pool. The region is the pool id's prefix (`ap-northeast-1_AbC…`). Locally moto serves
    the JWKS under its own endpoint (AWS_ENDPOINT_URL); its tokens name the real issuer all the same."""
    region = user_pool_id.split("_", 1)[0]
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
    base = endpoint_url.rstrip("/") + f"/{user_pool_id}" if endpoint_url else issuer
    return issuer, f"{base}/.well-known/jwks.json"


class StaffSignIn:
    def __init__(self, cognito_client, user_pool_id: str, client_id: str, http, endpoint_url: str | None = None) -> None:
        self._cognito = cognito_client
        self._client_id = client_id
        self._http = http  # shared.dal.identity_provider.Http: get(url) -> (status, body)
        self.issuer, self.jwks_url = staff_pool_urls(user_pool_id, endpoint_url)
        self._jwks: dict[str, dict[str, Any]] = {}
        self._jwks_read_at = float("-inf")
        self._lock = threading.Lock()

    def start(self, email: str, password: str) -> SignedIn | MfaRequired:
        try:
            answer = self._cognito.initiate_auth(
                ClientId=self._client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except self._cognito.exceptions.NotAuthorizedException:
            raise SignInRefused("credentials") from None
        except self._cognito.exceptions.UserNotFoundException:  # the pool's client hides it deployed; moto does not
            raise SignInRefused("credentials") from None
        except (self._cognito.exceptions.PasswordResetRequiredException,
                self._cognito.exceptions.UserNotConfirmedException):
            raise SignInRefused("setup_required") from None
        return self._outcome(answer)

    def answer_mfa(self, email: str, session: str, code: str) -> SignedIn | MfaRequired:
        # What Cognito's API would refuse as malformed (botocore's parameter validation): answered before calling.
        if not CODE.fullmatch(code):
            raise SignInRefused("code")
        if not SESSION_CHARS[0] <= len(session) <= SESSION_CHARS[1]:
            raise SignInRefused("expired")
        try:
            answer = self._cognito.respond_to_auth_challenge(
                ClientId=self._client_id, ChallengeName=MFA_CHALLENGE, Session=session,
                ChallengeResponses={"USERNAME": email, f"{MFA_CHALLENGE}_CODE": code},
            )
        except (self._cognito.exceptions.CodeMismatchException, self._cognito.exceptions.ExpiredCodeException):
            raise SignInRefused("code") from None
        except (self._cognito.exceptions.NotAuthorizedException, self._cognito.exceptions.ResourceNotFoundException):
            raise SignInRefused("expired") from None  # Cognito: "Invalid session for the user, session is expired"
        return self._outcome(answer)

    def _outcome(self, answer: dict[str, Any]) -> SignedIn | MfaRequired:
        if "AuthenticationResult" in answer:
            return SignedIn(self.verified_claims(answer["AuthenticationResult"]["IdToken"]))
        if answer.get("ChallengeName") == MFA_CHALLENGE and answer.get("Session"):
            return MfaRequired(answer["Session"])
        # NEW_PASSWORD_REQUIRED (an account's first sign-in), MFA_SETUP (no authenticator yet), SMS: done elsewhere
        raise SignInRefused("setup_required")

    def verified_claims(self, id_token: str) -> dict[str, Any]:
        import jwt

        try:
            key = self._signing_key(jwt.get_unverified_header(id_token).get("kid"))
            claims = jwt.decode(
                id_token, key, algorithms=["RS256"], audience=self._client_id, issuer=self.issuer,
                leeway=ID_TOKEN_LEEWAY_SECONDS, options={"require": ["exp", "iat", "token_use", "aud", "iss", "sub"]},
            )
        except jwt.PyJWTError:
            raise SignInRefused("token") from None
        if claims.get("token_use") != "id":
            raise SignInRefused("token")
        return claims

    def _signing_key(self, kid: Any) -> Any:
        import jwt

        with self._lock:
            if kid not in self._jwks and time.monotonic() - self._jwks_read_at >= JWKS_MIN_REFRESH_SECONDS:
                status, body = self._http.get(self.jwks_url)
                if status != 200:
                    raise ServiceUnavailable(f"staff pool JWKS answered {status}")
                self._jwks = _keys_by_kid(body)
                self._jwks_read_at = time.monotonic()
            jwk = self._jwks.get(kid)
        if jwk is None:
            raise jwt.InvalidKeyError(f"the staff pool has no key {kid!r}")
        return jwt.PyJWK(jwk, algorithm="RS256").key


def _keys_by_kid(body: bytes) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    keys = document.get("keys") if isinstance(document, dict) and isinstance(document.get("keys"), list) else []
    return {k["kid"]: k for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)}
