"""Batch reads and writes that finish or say so: DynamoDB may leave part of a BatchGetItem or BatchWriteItem
unprocessed (throttling, a partition's limits) without raising; botocore's retries never see it. The unprocessed part
is asked again after an exponential backoff with full jitter, a bounded number of times (a request path must not
wait long: at most ~1.5 s in all), then ServiceUnavailable (503) says to try again later."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..domain.errors import ServiceUnavailable
from .items import dump, load

GET_BATCH = 100  # BatchGetItem's limit
WRITE_BATCH = 25  # BatchWriteItem's limit
ATTEMPTS = 5  # calls per batch, the first included
BASE_DELAY_SECONDS = 0.05  # backoff before retry n: uniform(0, BASE * 2**n)


def _backoff(attempt: int, sleep: Callable[[float], None]) -> None:
    sleep(random.uniform(0, BASE_DELAY_SECONDS * 2**attempt))


def batch_get(
    client,
    table: str,
    keys: Sequence[dict[str, Any]],
    consistent: bool = False,
    projection: str | None = None,
    names: dict[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """The items of `keys` (plain values) that exist, deserialised, in no particular order: one BatchGetItem per 100
    keys, plus bounded retries of what DynamoDB left unprocessed."""
    items: list[dict[str, Any]] = []
    for start in range(0, len(keys), GET_BATCH):
        request: dict[str, Any] = {"Keys": [dump(k) for k in keys[start : start + GET_BATCH]], "ConsistentRead": consistent}
        if projection:
            request["ProjectionExpression"] = projection
        if names:
            request["ExpressionAttributeNames"] = names
        pending: dict[str, Any] | None = {table: request}
        for attempt in range(ATTEMPTS):
            if attempt:
                _backoff(attempt, sleep)
            response = client.batch_get_item(RequestItems=pending)
            items += [load(raw) for raw in response["Responses"].get(table, [])]
            pending = response.get("UnprocessedKeys") or None
            if not pending:
                break
        if pending:
            raise ServiceUnavailable(f"{len(pending[table]['Keys'])} keys stayed unprocessed after {ATTEMPTS} attempts")
    return items


def batch_put(client, table: str, items: Sequence[dict[str, Any]], sleep: Callable[[float], None] = time.sleep) -> None:
    """Put `items` (plain values): one BatchWriteItem per 25, plus bounded retries of the unprocessed ones. Puts are
    idempotent, so a retry after a partial failure is harmless."""
    for start in range(0, len(items), WRITE_BATCH):
        pending: dict[str, Any] | None = {table: [{"PutRequest": {"Item": dump(i)}} for i in items[start : start + WRITE_BATCH]]}
        for attempt in range(ATTEMPTS):
            if attempt:
                _backoff(attempt, sleep)
            response = client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or None
            if not pending:
                break
        if pending:
            raise ServiceUnavailable(f"{len(pending[table])} writes stayed unprocessed after {ATTEMPTS} attempts")
