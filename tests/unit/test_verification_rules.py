"""Identity verification's pure rules (R-BAS-4, R-PRE-3, R-PRIV-1): PKCE, claims → identity, the subject hash, and
the outcome for an adult, a minor and a guardian."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.clock import TOKYO
from shared.domain.errors import GuardianNotAccepted, GuardianNotNeeded, VerificationFailed, VerifiedAsAnotherPerson
from shared.domain.verification import (
    AccountVerification,
    AuthorizationSecrets,
    identity_from_claims,
    outcome_for_guardian,
    outcome_for_self,
    subject_hash,
)

DAY = date(2026, 12, 2)
CLAIMS = {
    "sub": "pairwise-1",
    "name": "飛騨　太郎",
    "address": {"formatted": "岐阜県飛騨市古川町本町2-22", "postal_code": "5094292"},
    "birthdate": "1990-04-01",
    "gender": "male",
    "amr": ["user_auth_cert"],
}


def identity(**changes):
    return identity_from_claims({**CLAIMS, **changes})


def test_new_secrets_are_fresh_and_the_challenge_is_s256():
    """RFC 7636: challenge = BASE64URL(SHA256(verifier)), verifier 43–128 characters."""
    a, b = AuthorizationSecrets.new(), AuthorizationSecrets.new()
    assert len({a.state, a.nonce, a.code_verifier, b.state, b.nonce, b.code_verifier}) == 6
    assert 43 <= len(a.code_verifier) <= 128
    assert a.code_challenge == base64.urlsafe_b64encode(hashlib.sha256(a.code_verifier.encode()).digest()).rstrip(b"=").decode()


def test_claims_become_the_basic_4_info():
    """R-BAS-3/4: name (spaces normalised), address object, postal code normalised, birth date, gender."""
    found = identity()
    assert (found.name, found.address, found.postal_code) == ("飛騨 太郎", "岐阜県飛騨市古川町本町2-22", "509-4292")
    assert (found.birth_date, found.gender, found.authentication) == (date(1990, 4, 1), "male", ("user_auth_cert",))


@pytest.mark.parametrize("gender, expected", [("female", "female"), ("2", "female"), ("1", "male"), ("X", "other")])
def test_gender_as_oidc_strings_or_iso_5218(gender, expected):
    assert identity(gender=gender).gender == expected


def test_address_as_a_plain_string_is_the_formatted_address():
    assert identity(address="東京都千代田区永田町1-7-1").address == "東京都千代田区永田町1-7-1"


@pytest.mark.parametrize("missing", ["sub", "name", "address", "birthdate"])
def test_missing_claims_fail_without_echoing_values(missing):
    claims = {k: v for k, v in CLAIMS.items() if k != missing}
    with pytest.raises(VerificationFailed) as error:
        identity_from_claims(claims)
    assert "飛騨" not in error.value.detail and "1990" not in error.value.detail


def test_subject_hash_is_keyed_and_per_issuer():
    """R-PRIV-1: the national area keeps a keyed hash; without the key it cannot be recomputed or linked."""
    key = b"k" * 32
    one = subject_hash(key, "https://issuer", "sub-1")
    assert one == subject_hash(key, "https://issuer", "sub-1")
    assert one != subject_hash(b"x" * 32, "https://issuer", "sub-1")
    assert one != subject_hash(key, "https://other", "sub-1")
    assert "sub-1" not in one


@given(st.dates(min_value=date(1920, 1, 1), max_value=date(2026, 12, 2)))
def test_minor_exactly_until_the_18th_birthday(birth):
    """R-PRE-3: under 18 on the day of verification (民法 4条: 18 is adult from the birthday on)."""
    person = identity(birthdate=birth.isoformat())
    try:
        eighteenth = birth.replace(year=birth.year + 18)
    except ValueError:  # born on 29 February: the birthday is 1 March in a common year
        eighteenth = date(birth.year + 18, 3, 1)
    assert person.is_minor_on(DAY) == (DAY < eighteenth)


def test_adult_is_verified_at_once():
    outcome = outcome_for_self(identity(), "h1", DAY, AccountVerification())
    assert (outcome.status, outcome.verified_on, outcome.subject_hash) == ("verified", DAY, "h1")


def test_minor_waits_for_a_guardian_then_the_guardian_completes_it():
    """R-PRE-3: a 16-year-old stays guardian_required until an adult guardian verifies and consents."""
    minor = identity(birthdate="2010-06-01")
    pending = outcome_for_self(minor, "h-minor", DAY, AccountVerification())
    assert pending.status == "guardian_required" and pending.guardian is None
    at = datetime(2026, 12, 2, 10, tzinfo=TOKYO)
    done = outcome_for_guardian(pending, identity(sub="parent", birthdate="1980-01-01"), "h-parent", DAY, at)
    assert done.status == "verified" and done.guardian.subject_hash == "h-parent" and done.guardian.consented_at == at
    # A later card tap by the same minor keeps the guardian's consent.
    again = outcome_for_self(minor, "h-minor", DAY, done)
    assert again.status == "verified" and again.guardian == done.guardian


def test_a_14_year_old_card_authentication_alone_suffices():
    """R-PRE-3: under-15 cards have no signature certificate; nothing requires one."""
    child = identity(birthdate="2012-05-05", amr=["user_auth_cert"])
    assert outcome_for_self(child, "h", DAY, AccountVerification()).status == "guardian_required"


@pytest.mark.parametrize(
    "guardian_birth, guardian_key, reason",
    [("1980-01-01", "h-minor", "same_person"), ("2009-01-01", "h-teen", "guardian_minor")],
)
def test_guardian_must_be_another_adult(guardian_birth, guardian_key, reason):
    pending = outcome_for_self(identity(birthdate="2010-06-01"), "h-minor", DAY, AccountVerification())
    with pytest.raises(GuardianNotAccepted) as error:
        outcome_for_guardian(pending, identity(birthdate=guardian_birth), guardian_key, DAY, datetime.now(TOKYO))
    assert error.value.extensions["reason"] == reason


def test_guardian_without_a_waiting_minor_is_refused():
    with pytest.raises(GuardianNotNeeded):
        outcome_for_guardian(AccountVerification(), identity(), "h", DAY, datetime.now(TOKYO))


def test_an_account_verified_as_one_person_cannot_become_another():
    """R-BAS-4: one account, one person."""
    verified = outcome_for_self(identity(), "h1", DAY, AccountVerification())
    with pytest.raises(VerifiedAsAnotherPerson):
        outcome_for_self(identity(sub="other"), "h2", DAY, verified)
