"""TransactWriteItems with named items: when DynamoDB cancels a transaction, its CancellationReasons come as a list in
the order of the items; reading them by position breaks silently as soon as an item is added, removed or made
optional. Here each item is added under a name and the reasons come back by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .items import load

CONDITION_FAILED = "ConditionalCheckFailed"


@dataclass(frozen=True)
class CancellationReason:
    code: str  # "None" for an item that did not cause the cancellation
    item: dict[str, Any] | None = None  # the current item, for ReturnValuesOnConditionCheckFailure=ALL_OLD
    message: str = ""

    @property
    def condition_failed(self) -> bool:
        return self.code == CONDITION_FAILED


class TransactionCancelled(Exception):
    """TransactionCanceledException, its reasons by item name."""

    def __init__(self, reasons: dict[str, CancellationReason]) -> None:
        super().__init__(", ".join(f"{name}: {r.code}" for name, r in reasons.items() if r.code != "None"))
        self.reasons = reasons

    def failed(self, name: str) -> bool:
        """Did this item's condition fail? (False for a name not in the transaction: an optional item left out.)"""
        reason = self.reasons.get(name)
        return reason is not None and reason.condition_failed

    def item(self, name: str) -> dict[str, Any] | None:
        reason = self.reasons.get(name)
        return reason.item if reason is not None else None


def named_reasons(error: ClientError, names: list[str]) -> dict[str, CancellationReason]:
    """A TransactionCanceledException's reasons, by the names of the transaction's items (same order)."""
    raw = error.response.get("CancellationReasons") or []
    if len(raw) != len(names):
        # DynamoDB gives one reason per item; anything else (a mock, a future change) must not be misread.
        raise ValueError(f"{len(raw)} cancellation reasons for {len(names)} items") from error
    return {
        name: CancellationReason(
            code=r.get("Code") or "None", item=load(r["Item"]) if r.get("Item") else None, message=r.get("Message", "")
        )
        for name, r in zip(names, raw)
    }


class Transaction:
    """Collect named operations (`{"Put": {...}}`, `{"Update": …}`, `{"ConditionCheck": …}`, `{"Delete": …}`), then
    `write()`: one round trip. A cancellation raises TransactionCancelled; other errors (TransactionConflict,
    throttling) are raised as they come."""

    def __init__(self, client) -> None:
        self._client = client
        self._operations: dict[str, dict[str, Any]] = {}

    def add(self, name: str, operation: dict[str, Any]) -> None:
        if name in self._operations:
            raise ValueError(f"two items named {name!r} in one transaction")
        self._operations[name] = operation

    def write(self) -> None:
        names = list(self._operations)
        try:
            self._client.transact_write_items(TransactItems=list(self._operations.values()))
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise TransactionCancelled(named_reasons(error, names)) from error
            raise
