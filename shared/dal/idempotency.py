"""Idempotency records: the first response to a request that carried an Idempotency-Key, kept for a day.

A record is written in the same transaction as the work it remembers, so it exists exactly when the work was done:
there is no "in progress" state that a lost save could leave behind (Powertools' two-phase record could: the work
written, the completion save failed, and every retry answered 409 until the record expired, then 409 already
registered). A retry with the same key finds the record through its own transaction's cancellation reason, which
carries the first response (no extra read). Records live in the national area, one partition each, and hold no
personal data: responses never echo it, and the request is kept only as a hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from . import keys
from .table import TTL_ATTRIBUTE
from .transactions import CancellationReason

_serializer = TypeSerializer()


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str  # the client's key scoped to the user, hashed (the same key from two users are two records)
    request_hash: str  # the same key with another request is refused (422), not replayed
    made_at: int  # epoch seconds
    expires_at: int  # epoch seconds: after this the key may be used again (TTL deletes the item later)
    response: str | None = None  # JSON of the first response

    @classmethod
    def for_request(cls, user_id: str, client_key: str, request: Any, now: datetime, ttl_seconds: int) -> IdempotencyRecord:
        made_at = int(now.timestamp())
        return cls(_digest([user_id, client_key]), _digest(request), made_at, made_at + ttl_seconds)

    def answered(self, response_json: str) -> IdempotencyRecord:
        return replace(self, response=response_json)


def transaction_put(table: str, record: IdempotencyRecord) -> dict[str, Any]:
    """The transaction item that stores `record`, unless a live record has the key: then the transaction is
    cancelled and the reason carries the stored record (`stored_record`)."""
    item = {
        **keys.idempotency(record.key),
        "type": "IdempotencyRecord",
        "request_hash": record.request_hash,
        "made_at": record.made_at,
        "response": record.response,
        TTL_ATTRIBUTE: record.expires_at,
    }
    return {
        "Put": {
            "TableName": table,
            "Item": {k: _serializer.serialize(v) for k, v in item.items()},
            # An expired record may linger until TTL deletes it (up to a few days): it no longer counts.
            "ConditionExpression": "attribute_not_exists(pk) OR #expires < :now",
            "ExpressionAttributeNames": {"#expires": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {":now": _serializer.serialize(record.made_at)},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def stored_record(reason: CancellationReason) -> IdempotencyRecord | None:
    """The live record a cancelled transaction's reason for the idempotency item carries, if that item's condition
    failed."""
    if not reason.condition_failed or not reason.item:
        return None
    item = reason.item
    return IdempotencyRecord(
        key=item["pk"].removeprefix(keys.idempotency("")["pk"]),
        request_hash=item["request_hash"],
        made_at=int(item["made_at"]),
        expires_at=int(item[TTL_ATTRIBUTE]),
        response=item["response"],
    )
