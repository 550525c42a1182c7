"""Issue 11, defect 3: throttling, service errors and unanswered calls are told apart from answers about the data by
error code (never by message text), and surface as ServiceUnavailable (503 with Retry-After)."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from shared.dal.aws import _UnavailableAsDomainError, unavailable
from shared.domain.errors import ServiceUnavailable


def client_error(code: str, status: int = 400, message: str = "", reasons: list[str] | None = None) -> ClientError:
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, "TransactWriteItems")


@pytest.mark.parametrize(
    "error",
    [
        client_error("ThrottlingException"),
        client_error("ProvisionedThroughputExceededException"),
        client_error("RequestLimitExceeded"),
        client_error("TransactionInProgressException"),
        client_error("InternalServerError", 500),
        client_error("ServiceUnavailable", 503),
        client_error("SlowDown", 503),
        client_error("503", 503),  # S3 HeadObject: no body, the status is the code
        client_error("TransactionCanceledException", reasons=["None", "ThrottlingError"]),
        client_error("TransactionCanceledException", reasons=["ProvisionedThroughputExceeded", "None"]),
        EndpointConnectionError(endpoint_url="https://dynamodb.ap-northeast-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://dynamodb.ap-northeast-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://dynamodb.ap-northeast-1.amazonaws.com"),
    ],
    ids=repr,
)
def test_throttling_service_errors_and_timeouts_are_unavailable(error):
    assert unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        client_error("ConditionalCheckFailedException", message="Throughput exceeds the current capacity"),
        client_error("TransactionCanceledException", reasons=["ConditionalCheckFailed", "None"]),
        client_error("TransactionCanceledException", reasons=["None", "TransactionConflict"]),
        client_error("TransactionConflictException"),
        client_error("ValidationException", message="Rate exceeded, service unavailable"),
        client_error("ResourceNotFoundException"),
        client_error("AccessDeniedException", message="throttling"),
        ParamValidationError(report="bad"),
        ValueError("not AWS"),
    ],
    ids=repr,
)
def test_answers_about_the_data_and_bugs_are_not(error):
    assert not unavailable(error)


class _FakeClient:
    class meta:  # noqa: N801 - mirrors botocore's client.meta
        method_to_api_mapping = {"get_item": "GetItem", "put_item": "PutItem"}

        class service_model:  # noqa: N801
            service_name = "dynamodb"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_item(self, **_):
        raise self.error

    def put_item(self, **_):
        raise self.error


def test_the_clients_raise_service_unavailable_and_leave_other_errors_alone():
    throttled = _UnavailableAsDomainError(_FakeClient(client_error("ThrottlingException")))
    with pytest.raises(ServiceUnavailable) as caught:
        throttled.get_item(TableName="t")
    assert caught.value.status == 503 and caught.value.retry_after_seconds
    assert "ThrottlingException" in caught.value.detail
    refused = _UnavailableAsDomainError(_FakeClient(client_error("ConditionalCheckFailedException")))
    with pytest.raises(ClientError):
        refused.put_item(TableName="t")
