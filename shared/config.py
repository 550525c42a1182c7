"""Environment of a function, checked once at cold start (`at_cold_start`, called when the handler module is
imported): a variable the function needs that is missing or invalid fails the start, with its name, not the first
request that needs it. What each function needs comes from the function list (shared/functions.py): the variable of
every resource it is granted, which is also what the stack sets."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError, model_validator

from .functions import function


class MissingSettings(RuntimeError):
    """The function cannot work without these variables: a deployment error, never a request's."""


class Settings(BaseModel):
    # The one table (TABLE_NAME), the check-in key secrets (CHECKIN_KEYS_SECRET, the private signing keys: admin only;
    # CHECKIN_VERIFY_KEYS_SECRET, their public halves: checkin, which holds nothing that can make a code) and the
    # evidence bucket (EVIDENCE_BUCKET, R-ACT-3): each present exactly for the functions granted the resource.
    table_name: str | None = Field(alias="TABLE_NAME", default=None, min_length=1)
    checkin_keys_secret: str | None = Field(alias="CHECKIN_KEYS_SECRET", default=None, min_length=1)
    checkin_verify_keys_secret: str | None = Field(alias="CHECKIN_VERIFY_KEYS_SECRET", default=None, min_length=1)
    evidence_bucket: str | None = Field(alias="EVIDENCE_BUCKET", default=None, min_length=1)
    # Idempotency records live in the same table (national area); how long a retried request returns the first result.
    idempotency_ttl_seconds: int = Field(alias="IDEMPOTENCY_TTL_SECONDS", default=24 * 3600, gt=0)
    # Joined organisations change rarely (an organisation joins once); browsing reads them from a container cache.
    organisation_cache_seconds: int = Field(alias="ORGANISATION_CACHE_SECONDS", default=60, ge=0)
    # How long a container keeps the check-in keys before reading their secret again.
    secret_cache_seconds: int = Field(alias="SECRET_CACHE_SECONDS", default=300, ge=0)
    # The citizens' Cognito user pool (CITIZEN_USER_POOL_ID): account deletion (DELETE /me) deletes the sign-in there.
    citizen_user_pool_id: str | None = Field(alias="CITIZEN_USER_POOL_ID", default=None, min_length=1)
    # Identity verification (verify function): the secret with the client key and the subject-hash key, and how to
    # reach the provider (JSON: issuer, endpoints, client id, redirect URI).
    verifier_secret: str | None = Field(alias="VERIFIER_SECRET", default=None, min_length=1)
    # Kept as text here (every function imports this module; only verify parses it): checked at cold start below.
    verifier_provider: str | None = Field(alias="VERIFIER_PROVIDER", default=None, min_length=1)
    # Premium (R-PRE-5, R-PRE-6): the workflow's state machine (renewal starts executions, admin resumes them), the
    # sender of e-mails, the approval keys and where the admin API serves the approval page.
    premium_state_machine: str | None = Field(alias="PREMIUM_STATE_MACHINE", default=None, min_length=1)
    mail_from: str | None = Field(alias="MAIL_FROM", default=None, min_length=3)
    approval_secret: str | None = Field(alias="APPROVAL_SECRET", default=None, min_length=1)
    approval_base_url: str | None = Field(alias="APPROVAL_BASE_URL", default=None, min_length=1)
    # The approval page's staff sign-in (admin; shared/functions.py STAFF_SIGN_IN): the staff user pool and its app
    # client, which allows USER_PASSWORD_AUTH.
    staff_user_pool_id: str | None = Field(alias="STAFF_USER_POOL_ID", default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d_\w+$")
    staff_client_id: str | None = Field(alias="STAFF_CLIENT_ID", default=None, min_length=1)
    # How long an application waits for staff before it ends unanswered (and its e-mailed link stops working).
    approval_timeout_seconds: int = Field(alias="APPROVAL_TIMEOUT_SECONDS", default=14 * 24 * 3600, gt=0, le=365 * 24 * 3600)
    # R-PRE-6: a premium registrant may apply for renewal this many days before the expiry (and until it).
    renewal_window_days: int = Field(alias="RENEWAL_WINDOW_DAYS", default=60, ge=1, le=365)
    # The daily schedules (R-PRE-6, R-BAS-5): their work queues (renewal, expiry), how many days before the expiry
    # premium registrants are reminded (within the renewal window: they can apply at once), after how many years
    # without app access registrations go, and how many days before that the person is told.
    renewal_queue_url: str | None = Field(alias="RENEWAL_QUEUE_URL", default=None, min_length=1)
    expiry_queue_url: str | None = Field(alias="EXPIRY_QUEUE_URL", default=None, min_length=1)
    premium_reminder_days: int = Field(alias="PREMIUM_REMINDER_DAYS", default=30, ge=1, le=365)
    inactivity_years: int = Field(alias="INACTIVITY_YEARS", default=3, ge=1, le=20)
    removal_notice_days: int = Field(alias="REMOVAL_NOTICE_DAYS", default=90, ge=1, le=365)
    # Erasures one withdrawal or account deletion request makes at most; the rest is done by repeating the request.
    erasure_items_per_request: int = Field(alias="ERASURE_ITEMS_PER_REQUEST", default=200, gt=0)
    # The staff registrant export: its work queue (admin sends the first step, exports each next one), and how much
    # CSV one step writes as one part of the S3 multipart upload (S3 wants at least 5 MiB but the last; tests less).
    export_queue_url: str | None = Field(alias="EXPORT_QUEUE_URL", default=None, min_length=1)
    export_part_bytes: int = Field(alias="EXPORT_PART_BYTES", default=8 * 1024 * 1024, gt=0, le=512 * 1024 * 1024)


    @model_validator(mode="after")
    def _reminded_while_renewal_is_open(self) -> Settings:
        if self.premium_reminder_days > self.renewal_window_days:
            raise ValueError("PREMIUM_REMINDER_DAYS must not exceed RENEWAL_WINDOW_DAYS (a reminder the person could not act on)")
        return self


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.model_validate(dict(os.environ))


def at_cold_start(function_name: str) -> Settings:
    """The settings of `function_name`, every one it needs present and all valid, or MissingSettings naming them."""
    missing = [name for name in function(function_name).settings if not os.environ.get(name)]
    if missing:
        raise MissingSettings(f"function {function_name!r} cannot start without {', '.join(missing)}")
    try:
        found = settings()
        if "VERIFIER_PROVIDER" in function(function_name).settings:
            provider_config()
        return found
    except ValidationError as error:
        raise MissingSettings(f"function {function_name!r}: invalid settings: {error}") from error


def provider_config():
    """VERIFIER_PROVIDER, parsed (shared.domain.verification.ProviderConfig): the verify function's, at cold start."""
    from .domain.verification import ProviderConfig

    return ProviderConfig.model_validate_json(settings().verifier_provider or "")
