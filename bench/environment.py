"""The environment the bench runs handlers in: the tests' fake AWS settings, the deployed cache periods
(organisations, check-in signing keys), and a table, a signing keys secret and an evidence bucket of its own.
Applied around each run and undone afterwards, so the bench can run inside a test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from shared.config import settings

REGION = "ap-northeast-1"
TABLE_NAME = "furusato-bench"
CHECKIN_KEYS_SECRET = "furusato-bench/checkin-signing-keys"
CHECKIN_VERIFY_KEYS_SECRET = "furusato-bench/checkin-verification-keys"
EVIDENCE_BUCKET = "furusato-bench-evidence"
VERIFIER_SECRET = "furusato-bench/verifier-keys"
PROVIDER_ISSUER = "https://provider.bench"  # the development provider, answered in-process (local/wsgi_http.py)
VERIFIER_CLIENT_ID = "furusato-bench"
VERIFIER_REDIRECT_URI = "https://app.bench/verification/callback"
# The premium workflow (R-PRE-5): costs.measure creates the state machine in moto (not executed: its tasks are
# invoked directly, bench/scenarios.py) and puts its ARN here; this is what that ARN is in moto's account.
PREMIUM_STATE_MACHINE = "arn:aws:states:ap-northeast-1:123456789012:stateMachine:furusato-premium"
MAIL_FROM = "no-reply@furusato.bench"
QUEUE_PREFIX = "furusato-bench-"
APPROVAL_SECRET = "furusato-bench/approval-keys"
APPROVAL_BASE_URL = "https://admin.bench/v1"
# The approval page's staff sign-in (admin, checked at cold start): placeholders; costs.measure puts the ids of the
# staff pool it creates in moto (its approver signs in there, bench/scenarios.py).
STAFF_USER_POOL_ID = "ap-northeast-1_benchstaff"
STAFF_CLIENT_ID = "furusato-bench-staff"

# What the functions read at import or at first use. The organisation and signing key caches are the deployed
# defaults (shared.config), not the tests' 0: the bench measures what a warm container does.
VARIABLES: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "TABLE_NAME": TABLE_NAME,
    "ORGANISATION_CACHE_SECONDS": "60",
    "CHECKIN_KEYS_SECRET": CHECKIN_KEYS_SECRET,
    "CHECKIN_VERIFY_KEYS_SECRET": CHECKIN_VERIFY_KEYS_SECRET,
    "SECRET_CACHE_SECONDS": "300",
    "EVIDENCE_BUCKET": EVIDENCE_BUCKET,
    "VERIFIER_SECRET": VERIFIER_SECRET,
    "VERIFIER_PROVIDER": (
        f'{{"issuer": "{PROVIDER_ISSUER}", "authorization_endpoint": "{PROVIDER_ISSUER}/authorize", '
        f'"token_endpoint": "{PROVIDER_ISSUER}/token", "jwks_uri": "{PROVIDER_ISSUER}/jwks", '
        f'"client_id": "{VERIFIER_CLIENT_ID}", "redirect_uri": "{VERIFIER_REDIRECT_URI}"}}'
    ),
    "PREMIUM_STATE_MACHINE": PREMIUM_STATE_MACHINE,
    "MAIL_FROM": MAIL_FROM,
    "APPROVAL_SECRET": APPROVAL_SECRET,
    "APPROVAL_BASE_URL": APPROVAL_BASE_URL,
    "STAFF_USER_POOL_ID": STAFF_USER_POOL_ID,
    "STAFF_CLIENT_ID": STAFF_CLIENT_ID,
    # The schedules' work queues (local/queues.create_work_queues with QUEUE_PREFIX: in-process moto's URLs).
    "RENEWAL_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/123456789012/{QUEUE_PREFIX}renewal-work",
    "EXPIRY_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/123456789012/{QUEUE_PREFIX}expiry-work",
    "EXPORT_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/123456789012/{QUEUE_PREFIX}export-work",
    "CITIZEN_USER_POOL_ID": "ap-northeast-1_bench",  # the account function starts; costs.measure puts moto's pool id
    "POWERTOOLS_SERVICE_NAME": "furusato-bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Furusato",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
# Never a real endpoint or profile.
REMOVED: tuple[str, ...] = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE")


def apply() -> None:
    """Set the variables in this process. Handler modules are imported after this (costs.handler_module), so
    Powertools, which reads its settings at import, sees them too."""
    os.environ.update(VARIABLES)
    for name in REMOVED:
        os.environ.pop(name, None)


@contextmanager
def configured() -> Iterator[None]:
    """Set the variables for the duration of a run, with the settings cache cleared on the way in and out."""
    saved = {name: os.environ.get(name) for name in (*VARIABLES, *REMOVED)}
    apply()
    settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.cache_clear()
