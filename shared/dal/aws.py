"""AWS clients, created once per container (on first use, so importing a handler stays cheap and tests can point
them at moto before they exist). boto3 reads AWS_ENDPOINT_URL, which the local runtime sets to moto.

Every client is wrapped so that a call AWS refused for its own reasons (throttling, a service error) or that never
got an answer (connection error, timeout) raises ServiceUnavailable (503 with Retry-After), decided by error code,
never by message text. The data layer's own `except ClientError` branches then only ever see answers about the
data (a condition failed, an item is missing), so a throttled transaction cannot pass for a concurrent update or a
missing item. Botocore has already retried such a call (standard mode) before it reaches us."""

from __future__ import annotations

from functools import lru_cache, wraps
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from ..domain.errors import ServiceUnavailable

# Standard retry mode backs off on throttling; a request path must not wait long, so few attempts.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)

# S3 presigns with SigV4 and the regional virtual-hosted endpoint (https://<bucket>.s3.ap-northeast-1.amazonaws.com):
# without a signature version botocore presigns POST and GET with SigV2 in ap-northeast-1, which S3 refuses for
# SSE-KMS objects, and path-style addressing is deprecated. Locally AWS_ENDPOINT_URL is moto on 127.0.0.1: botocore's
# S3 endpoint rules use path style for an IP endpoint by themselves (no bucket.127.0.0.1 host to resolve), so the
# same configuration runs on moto (tests/unit/test_evidence_rules.py checks both URLs).
S3_CONFIG = _CONFIG.merge(Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))

_SERVICE_CONFIG = {"s3": S3_CONFIG}

# The codes botocore's standard retry mode treats as throttling or transient (botocore/retries/standard.py), and the
# service errors of DynamoDB, S3 and Secrets Manager. Any 5xx counts as well.
UNAVAILABLE_CODES = frozenset(
    {
        # throttling
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
        # transient
        "RequestTimeout", "RequestTimeoutException",
        # service errors (usually 5xx already)
        "InternalServerError", "InternalFailure", "InternalError", "InternalServiceError", "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
# A cancelled transaction's reasons, per item: these say "not now", not "not so" (a condition that failed).
UNAVAILABLE_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionInProgress"})


def unavailable(error: Exception) -> bool:
    """Whether `error` says AWS could not serve the call now, as opposed to an answer about the data."""
    if isinstance(error, BotocoreConnectionError | HTTPClientError):  # connection refused/closed, timeouts
        return True
    if not isinstance(error, ClientError):
        return False
    code = error.response.get("Error", {}).get("Code", "")
    if code in UNAVAILABLE_CODES or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        return True
    if code == "TransactionCanceledException":
        return any(r.get("Code") in UNAVAILABLE_REASONS for r in error.response.get("CancellationReasons", []))
    return False


class _UnavailableAsDomainError:
    """A boto3 client whose API calls raise ServiceUnavailable when `unavailable`; everything else is the client's."""

    def __init__(self, client) -> None:
        self._client = client
        self._operations = frozenset(client.meta.method_to_api_mapping)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in self._operations:
            return attribute

        @wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except Exception as error:
                if unavailable(error):
                    raise ServiceUnavailable(f"{self._client.meta.service_model.service_name} {name}: {_code(error)}") from error
                raise

        return call


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "error")
    return type(error).__name__


@lru_cache(maxsize=None)
def client(service: str):
    return _UnavailableAsDomainError(boto3.session.Session().client(service, config=_SERVICE_CONFIG.get(service, _CONFIG)))


def reset() -> None:
    """Forget the clients (tests that start a new moto)."""
    client.cache_clear()
