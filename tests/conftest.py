"""Test environment: fake credentials, Tokyo region, no tracing, and never a real AWS endpoint."""

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "TABLE_NAME": "furusato-test",
        "POWERTOOLS_SERVICE_NAME": "furusato-test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Furusato",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "ORGANISATION_CACHE_SECONDS": "0",
        "CHECKIN_KEYS_SECRET": "furusato-test/checkin-signing-keys",
        "CHECKIN_VERIFY_KEYS_SECRET": "furusato-test/checkin-verification-keys",
        "SECRET_CACHE_SECONDS": "0",
        "EVIDENCE_BUCKET": "furusato-test-evidence",
        # Identity verification: the secret tests create on moto, and the development provider tests run in-process
        # (tests/handlers/conftest.py); the local runtime sets its own.
        "VERIFIER_SECRET": "furusato-test/verifier-keys",
        "VERIFIER_PROVIDER": '{"issuer": "https://provider.test", "authorization_endpoint": "https://provider.test/authorize", '
        '"token_endpoint": "https://provider.test/token", "jwks_uri": "https://provider.test/jwks", '
        '"client_id": "furusato-test", "redirect_uri": "https://app.test/verification/callback"}',
        # A placeholder so that the account function starts; handler tests put the id of the pool moto made.
        "CITIZEN_USER_POOL_ID": "ap-northeast-1_placeholder",
        # Premium (R-PRE-5): the state machine (a placeholder; the premium_workflow fixture makes it in moto), the SES
        # sender and the approval keys tests create, the approval page's base URL.
        "PREMIUM_STATE_MACHINE": "arn:aws:states:ap-northeast-1:123456789012:stateMachine:furusato-premium",
        "MAIL_FROM": "no-reply@furusato.test",
        "APPROVAL_SECRET": "furusato-test/approval-keys",
        "APPROVAL_BASE_URL": "https://admin.furusato.test/v1",
        # The approval page's staff sign-in (admin): placeholders; the approval page's tests put the pool moto made.
        "STAFF_USER_POOL_ID": "ap-northeast-1_staffplaceholder",
        "STAFF_CLIENT_ID": "staff-client-placeholder",
        # The schedules' work queues (R-PRE-6, R-BAS-5): the URLs in-process moto gives the queues handler tests make
        # (tests/handlers/conftest.py, local/queues.create_work_queues with the prefix furusato-test-).
        "RENEWAL_QUEUE_URL": "https://sqs.ap-northeast-1.amazonaws.com/123456789012/furusato-test-renewal-work",
        "EXPIRY_QUEUE_URL": "https://sqs.ap-northeast-1.amazonaws.com/123456789012/furusato-test-expiry-work",
        "EXPORT_QUEUE_URL": "https://sqs.ap-northeast-1.amazonaws.com/123456789012/furusato-test-export-work",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

# The table has a stream (shared/dal/table.py): moto's copy of a table before each transaction then shares the stream's
# records instead of copying them all (local/streams.py), so transactions cost what they did without one.
from local.streams import cheap_stream_copies  # noqa: E402

cheap_stream_copies()
