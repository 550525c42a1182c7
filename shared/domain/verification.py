"""Identity verification with the My Number Card (R-BAS-4, R-PRE-3): pure rules over what the provider asserted.

The provider (the Digital Agency's authentication app, an OpenID Connect provider; locally a development provider)
reads the card and returns, in a signed ID token, a pairwise subject and the basic 4 info. The platform keeps:
- nationally (R-PRIV-1): a keyed hash of the subject (one person, one account) and the day verified, nothing else;
- in the areas of the organisations the person is registered with, with their consent: the 4 info, marked verified.

A person under 18 on the day of verification needs a guardian who verifies too and consents (R-PRE-3): until then
the verification stays incomplete (`GUARDIAN_REQUIRED`). Cards of children under 15 carry no signature certificate;
nothing here needs one (the provider authenticates with the card's authentication certificate, and the 4 info come
from the card's text-input support application; docs/decisions.md).

No I/O: PKCE and nonces come from `secrets`, time is given.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from .errors import GuardianNotAccepted, GuardianNotNeeded, VerificationFailed, VerifiedAsAnotherPerson
from .models import Gender, PersonalInfo

ADULT_AGE = 18  # 民法 4条 (R-PRE-3: a minor needs a guardian's consent)
SCOPES = ("openid", "name", "address", "birthdate", "gender")
REQUEST_LIFETIME_SECONDS = 600  # how long a started verification may be completed (a card tap takes a minute)
SUBJECT_HASH_VERSION = "v1"

Purpose = Literal["self", "guardian"]
Status = Literal["unverified", "verified", "guardian_required"]


class ProviderConfig(BaseModel):
    """How to reach the provider: VERIFIER_PROVIDER (JSON), set by the stack from its context (infra) and by the
    local runtime. The verifier knows the provider by this alone."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    issuer: str = Field(min_length=1)
    authorization_endpoint: HttpUrl
    token_endpoint: HttpUrl
    jwks_uri: HttpUrl
    client_id: str = Field(min_length=1)
    redirect_uri: str = Field(min_length=1, description="Where the provider returns the app (a universal link)")


# --- the request ---------------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class AuthorizationSecrets(BaseModel):
    """What a started verification keeps for its completion: never sent to the app but the state (and the PKCE
    challenge, derived from the verifier)."""

    model_config = ConfigDict(frozen=True)
    state: str
    nonce: str
    code_verifier: str

    @classmethod
    def new(cls) -> AuthorizationSecrets:
        # 32 random bytes each: 43 URL-safe characters, RFC 7636's minimum verifier length and ample for state/nonce.
        return cls(state=_b64url(secrets.token_bytes(32)), nonce=_b64url(secrets.token_bytes(32)),
                   code_verifier=_b64url(secrets.token_bytes(32)))

    @property
    def code_challenge(self) -> str:
        """RFC 7636 S256: BASE64URL(SHA256(ASCII(code_verifier)))."""
        return _b64url(hashlib.sha256(self.code_verifier.encode("ascii")).digest())


class PendingVerification(BaseModel):
    """A started verification (national area, bound to the signed-in account, expires after REQUEST_LIFETIME_SECONDS;
    completed at most once). No personal data: random values and the person's choices."""

    model_config = ConfigDict(frozen=True)
    user_id: str
    secrets: AuthorizationSecrets
    purpose: Purpose
    share_with_organisations: bool
    guardian_consents: bool
    created_at: datetime
    expires_at: datetime


# --- what the provider asserted ------------------------------------------------------------------------------------


class VerifiedIdentity(BaseModel):
    """The subject and the basic 4 info as the card holds them (never stored nationally)."""

    model_config = ConfigDict(frozen=True)
    subject: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=200)
    postal_code: str | None = Field(default=None, pattern=r"^\d{3}-\d{4}$")
    birth_date: date
    gender: Gender
    authentication: tuple[str, ...] = Field(default=(), description="`amr` as the provider said it")

    def age_on(self, day: date) -> int:
        return day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    def is_minor_on(self, day: date) -> bool:
        return self.age_on(day) < ADULT_AGE

    def personal_info(self) -> PersonalInfo:
        """The 4 info as a registration holds them (R-BAS-3); the registration's e-mail is the person's, kept."""
        return PersonalInfo.model_construct(
            name=self.name, postal_code=self.postal_code, address=self.address, birth_date=self.birth_date,
            gender=self.gender, email=None,
        )


# OIDC's gender is a string ("female", "male", or another value); some providers send ISO/IEC 5218 codes.
_GENDERS: dict[str, Gender] = {"female": "female", "male": "male", "2": "female", "1": "male", "0": "no_answer",
                               "9": "no_answer", "other": "other"}
_POSTAL = re.compile(r"^〒?\s*(\d{3})-?(\d{4})$")


def _postal_code(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    match = _POSTAL.match(unicodedata.normalize("NFKC", value).strip())
    return f"{match[1]}-{match[2]}" if match else None


def _address(value: Any) -> tuple[str, str | None]:
    """OIDC's address claim is a JSON object (`formatted`, `postal_code`, …); a bare string is read as formatted."""
    if isinstance(value, str):
        return value.strip(), None
    if isinstance(value, dict):
        formatted = value.get("formatted")
        if not isinstance(formatted, str) or not formatted.strip():
            parts = [value.get(k) for k in ("region", "locality", "street_address")]
            formatted = "".join(p for p in parts if isinstance(p, str))
        return formatted.strip(), _postal_code(value.get("postal_code"))
    return "", None


def identity_from_claims(claims: dict[str, Any]) -> VerifiedIdentity:
    """The identity an ID token's claims assert, or VerificationFailed naming what is missing (never its value)."""
    address, postal_code = _address(claims.get("address"))
    gender = claims.get("gender")
    birth = claims.get("birthdate")
    try:
        return VerifiedIdentity(
            subject=claims.get("sub"),
            name=_SPACES.sub(" ", unicodedata.normalize("NFKC", claims.get("name") or "")).strip(),
            address=address,
            postal_code=postal_code,
            birth_date=date.fromisoformat(birth) if isinstance(birth, str) else birth,
            gender=_GENDERS.get(str(gender).casefold(), "other") if gender is not None else "no_answer",
            authentication=tuple(a for a in claims.get("amr") or () if isinstance(a, str)),
        )
    except (ValidationError, ValueError, TypeError) as error:
        fields = sorted({str(e["loc"][0]) for e in error.errors()}) if isinstance(error, ValidationError) else ["birthdate"]
        raise VerificationFailed(f"the ID token lacks usable claims: {', '.join(fields)}", reason="claims") from None


_SPACES = re.compile(r"\s+")


def subject_hash(key: bytes, issuer: str, subject: str) -> str:
    """One person, one account (R-BAS-4) without keeping the subject: HMAC-SHA256 under a key only the verify function
    reads. The issuer is part of it (a subject is unique per provider), and the hash cannot be recomputed, or linked
    to another service's pairwise subject, without the key."""
    message = f"{SUBJECT_HASH_VERSION}\x1f{issuer}\x1f{subject}".encode()
    return SUBJECT_HASH_VERSION + "-" + hmac.new(key, message, hashlib.sha256).hexdigest()


# --- the outcome ---------------------------------------------------------------------------------------------------


class GuardianConsent(BaseModel):
    """How a minor's guardian consented (R-PRE-3): the guardian verified with their own card in the same session and
    ticked consent; kept as a keyed hash of their subject, the day, and the time of consent (no personal data)."""

    model_config = ConfigDict(frozen=True)
    subject_hash: str
    verified_on: date
    consented_at: datetime


class AccountVerification(BaseModel):
    """What the national area keeps about a person's verification (R-PRIV-1: no name, address or birth date)."""

    model_config = ConfigDict(frozen=True)
    status: Status = "unverified"
    subject_hash: str | None = None
    verified_on: date | None = None
    guardian: GuardianConsent | None = None


def outcome_for_self(
    identity: VerifiedIdentity, subject_key: str, day: date, current: AccountVerification
) -> AccountVerification:
    """A person's own verification: complete for an adult, waiting for a guardian for a minor (R-PRE-3). A minor
    whose guardian consented before keeps that consent when verifying again (a card tap for a new registration).
    An account verified as one person cannot become another (R-BAS-4)."""
    if current.subject_hash is not None and current.subject_hash != subject_key:
        raise VerifiedAsAnotherPerson("this account was verified with another card")
    guardian = current.guardian if current.subject_hash == subject_key else None
    status: Status = "guardian_required" if identity.is_minor_on(day) and guardian is None else "verified"
    return AccountVerification(status=status, subject_hash=subject_key, verified_on=day, guardian=guardian)


def outcome_for_guardian(
    current: AccountVerification, guardian: VerifiedIdentity, guardian_key: str, day: date, at: datetime
) -> AccountVerification:
    """A guardian's verification completes a minor's (R-PRE-3). The guardian must be someone else, and an adult."""
    if current.status != "guardian_required" or current.subject_hash is None:
        raise GuardianNotNeeded("no verification of this account is waiting for a guardian")
    if guardian_key == current.subject_hash:
        raise GuardianNotAccepted("the guardian presented the minor's own card", reason="same_person")
    if guardian.is_minor_on(day):
        raise GuardianNotAccepted("the guardian is under 18", reason="guardian_minor")
    return current.model_copy(
        update={"status": "verified", "guardian": GuardianConsent(subject_hash=guardian_key, verified_on=day, consented_at=at)}
    )


REASONS = {
    "guardian_required": "18歳未満のため、保護者の方のマイナンバーカードによる本人確認と同意が必要です",
}
