"""Counts what a handler asks of DynamoDB, from botocore's own events on the client it uses: one `before-call`
per API call (a round trip; botocore's retries of it would not be counted, and moto never throttles), and the
parsed response from `after-call`, which botocore emits before it raises a ClientError, so failed conditional
writes are seen too. Other services a handler calls (Secrets Manager for the check-in signing keys and the approval
keys, S3 for evidence files, Step Functions for the premium workflow, SES for its e-mails, Cognito for the approval
page's staff sign-in and account deletion) are counted the same way, as calls only.

Items read are what DynamoDB returns (and bills, reads being by key or key condition): a Query for a page of 100
asks for 101 (the extra one says a next page exists), so a person's 300 records take 3 Queries returning 302."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    operation: str  # DynamoDB API name: Query, BatchGetItem, TransactWriteItems...
    index: str | None = None  # the index a Query or Scan reads, if not the table
    items_read: int = 0  # items returned by a read
    items_examined: int = 0  # Query/Scan ScannedCount: what DynamoDB read (and bills) before any filter
    items_written: int = 0  # items a successful write touched (each transaction item counts)
    error: str | None = None  # e.g. ConditionalCheckFailedException

    @property
    def label(self) -> str:
        label = self.operation + (f"@{self.index}" if self.index else "")
        if self.operation.startswith("Transact") and self.items_written:
            label += f"({self.items_written})"
        return f"{label}!{self.error.removesuffix('Exception')}" if self.error else label


def _items_read(operation: str, response: dict[str, Any]) -> tuple[int, int]:
    """(items returned, items examined) of a read response."""
    if operation in ("Query", "Scan"):
        return response.get("Count", 0), response.get("ScannedCount", response.get("Count", 0))
    if operation == "GetItem":
        found = int("Item" in response)
        return found, found
    if operation == "BatchGetItem":
        found = sum(len(items) for items in response.get("Responses", {}).values())
        return found, found
    if operation == "TransactGetItems":
        found = sum(1 for r in response.get("Responses", []) if "Item" in r)
        return found, found
    return 0, 0


def _items_to_write(operation: str, params: dict[str, Any]) -> int:
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return 1
    if operation == "TransactWriteItems":
        return len(params.get("TransactItems", []))
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in params.get("RequestItems", {}).values())
    return 0


class CallRecorder:
    """Attach to a boto3 DynamoDB client; `calls` grows with every API call made through it."""

    def __init__(self, client) -> None:
        self.calls: list[Call] = []
        # before-parameter-build sees the caller's parameters; before-call only the serialised request.
        client.meta.events.register("before-parameter-build.dynamodb", self._parameters)
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _parameters(self, model, params, context, **_) -> None:
        context["bench_items_to_write"] = _items_to_write(model.name, params)
        context["bench_index"] = params.get("IndexName")

    def _before(self, model, context, **_) -> None:
        call = Call(model.name, index=context.get("bench_index"))
        context["bench_call"] = call
        self.calls.append(call)

    def _after(self, model, http_response, parsed, context, **_) -> None:
        call: Call = context["bench_call"]
        if http_response.status_code >= 300:
            call.error = parsed.get("Error", {}).get("Code", str(http_response.status_code))
            return
        call.items_read, call.items_examined = _items_read(model.name, parsed)
        call.items_written = context["bench_items_to_write"]
        # A write in BatchWriteItem may come back unprocessed: it was not written.
        unprocessed = parsed.get("UnprocessedItems") or {}
        call.items_written -= sum(len(requests) for requests in unprocessed.values())

    def take(self) -> list[Call]:
        """The calls since the last take."""
        calls, self.calls = self.calls, []
        return calls


class OperationCounter:
    """Attach to any boto3 client; `operations` grows with the name of every API call made through it."""

    def __init__(self, client) -> None:
        self.operations: list[str] = []
        client.meta.events.register(f"before-call.{client.meta.service_model.service_id.hyphenize()}", self._before)

    def _before(self, model, **_) -> None:
        self.operations.append(model.name)

    def take(self) -> list[str]:
        operations, self.operations = self.operations, []
        return operations


@dataclass
class Cost:
    """What one API request (or workflow task) cost in DynamoDB terms, and its calls to other services."""

    calls: list[Call] = field(default_factory=list)
    secret_calls: list[str] = field(default_factory=list)  # e.g. GetSecretValue
    s3_calls: list[str] = field(default_factory=list)  # e.g. HeadObject (presigned URLs are no calls)
    workflow_calls: list[str] = field(default_factory=list)  # Step Functions: StartExecution, SendTaskSuccess
    mail_calls: list[str] = field(default_factory=list)  # SES: SendEmail
    cognito_calls: list[str] = field(default_factory=list)  # Cognito: InitiateAuth (staff sign-in), AdminDeleteUser

    @property
    def round_trips(self) -> int:
        return len(self.calls)

    @property
    def items_read(self) -> int:
        return sum(c.items_read for c in self.calls)

    @property
    def items_examined(self) -> int:
        return sum(c.items_examined for c in self.calls)

    @property
    def items_written(self) -> int:
        return sum(c.items_written for c in self.calls)

    @property
    def by_operation(self) -> dict[str, int]:
        return dict(Counter(c.operation for c in self.calls))

    @property
    def scans(self) -> int:
        return self.by_operation.get("Scan", 0)

    @property
    def summary(self) -> str:
        return " + ".join(c.label for c in self.calls) or "-"
