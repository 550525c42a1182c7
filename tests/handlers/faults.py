"""Fault injection for handler tests: the k-th AWS call of a request fails, in one of four ways.

Hooks sit on the clients of shared/dal/aws.py (botocore events, so the handlers run unchanged on moto):
- `refused`: the call answers a throttling error (DynamoDB: ProvisionedThroughputExceededException, a transaction:
  TransactionCanceledException with a ThrottlingError reason; S3: SlowDown; Secrets Manager: ThrottlingException);
- `connection`: the call raises a connection error; nothing reached AWS;
- `lost`: the call reaches moto and is applied, then a read timeout is raised instead of its response;
- `lost, retried`: the call is applied, its answer lost on the way, and botocore's retry sends it again: the handler
  gets the answer to the second sending, which meets the first one's write (a conditional write fails its own
  condition). Only single-item writes: a transaction's retry carries the same ClientRequestToken, which DynamoDB
  answers as the first (moto does not model it), batch writes are unconditional puts, and a read sees the same.

Faults are injected on `before-call` / `after-call`, which fire once per API call, outside botocore's retry loop:
what the handler sees is the call's final outcome after every attempt (standard mode, 3 attempts) failed. That is
the case that matters (the handler's own reaction), it needs no backoff sleeps, and a fault that one retry absorbs
would test botocore, not us.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

KINDS = ("refused", "connection", "lost", "lost, retried")
RETRIED_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
ENDPOINT = "https://aws.invalid"  # only named in the raised errors; nothing is ever sent there


def _refusal(service: str, operation: str, request: dict) -> tuple[SimpleNamespace, dict]:
    """What botocore returns after its last attempt was throttled (the parsed error, as the service sends it)."""
    if operation == "TransactWriteItems":
        # One reason per item, as DynamoDB gives them: the first item throttled, "None" for the others.
        count = len(json.loads(request["body"])["TransactItems"])
        reasons = [{"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity"}]
        reasons += [{"Code": "None"}] * (count - 1)
        code, status, extra = "TransactionCanceledException", 400, {"CancellationReasons": reasons}
    elif service == "dynamodb":
        code, status, extra = "ProvisionedThroughputExceededException", 400, {}
    elif service == "s3":
        code, status, extra = "SlowDown", 503, {}
    else:
        code, status, extra = "ThrottlingException", 400, {}
    parsed = {
        "Error": {"Code": code, "Message": "injected by tests/handlers/faults.py"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 2},
        **extra,
    }
    return SimpleNamespace(status_code=status, headers={}), parsed


@dataclass
class FaultInjector:
    """Counts the AWS calls of a request and makes call number `position` (1-based) fail as `kind`."""

    calls: list[str] = field(default_factory=list)
    position: int | None = None
    kind: str | None = None
    counting: bool = False
    _clients: dict = field(default_factory=dict)
    _params: dict = field(default_factory=dict)  # the API parameters of the call under way

    def install(self, *clients) -> None:
        for client in clients:
            client.meta.events.register("provide-client-params", self._keep_params)
            client.meta.events.register("before-call", self._before_call)
            client.meta.events.register("after-call", self._after_call)
            self._clients[client.meta.service_model.service_name] = client

    @staticmethod
    def applies(kind: str, call: str) -> bool:
        """Whether `kind` differs from a clean run at a call named `service:Operation`."""
        return kind != "lost, retried" or call.split(":")[1] in RETRIED_OPERATIONS

    def start(self, position: int | None = None, kind: str | None = None) -> None:
        """Count from zero; fail call `position` (None: only count)."""
        self.calls, self.position, self.kind, self.counting = [], position, kind, True

    def stop(self) -> list[str]:
        self.counting, self.position, self.kind = False, None, None
        return self.calls

    def _before_call(self, model, params, **_):
        if not self.counting:
            return None
        self.calls.append(f"{model.service_model.service_name}:{model.name}")
        if len(self.calls) != self.position:
            return None
        if self.kind == "refused":
            return _refusal(model.service_model.service_name, model.name, params)
        if self.kind == "connection":
            raise EndpointConnectionError(endpoint_url=ENDPOINT)
        return None

    def _keep_params(self, params, **_):
        self._params = dict(params)

    def _after_call(self, model, http_response, parsed, **_):
        if not self.counting or len(self.calls) != self.position:
            return
        if self.kind == "lost":
            raise ReadTimeoutError(endpoint_url=ENDPOINT)
        if self.kind == "lost, retried" and model.name in RETRIED_OPERATIONS:
            client = self._clients[model.service_model.service_name]
            self.counting = False  # the second sending is botocore's retry, not another call of the handler
            try:
                method = next(m for m, api in client.meta.method_to_api_mapping.items() if api == model.name)
                second, status = getattr(client, method)(**self._params), 200
            except ClientError as error:
                second, status = error.response, error.response["ResponseMetadata"]["HTTPStatusCode"]
            finally:
                self.counting = True
            parsed.clear()
            parsed.update(second)
            http_response.status_code = status

