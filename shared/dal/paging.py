"""Paged Queries and their page tokens: the one way the data layer lists items (docs/access-patterns.md).

A list answers at most `limit` items and an opaque `next` token; the client passes the token back to get the next
page. The token is the key of the page's last item (DynamoDB's ExclusiveStartKey), serialised as JSON and encoded
base64url. It is not signed: it holds only key attributes of items the caller was just shown, and it is checked
when it comes back against the query it is used with (docs/decisions.md, "Page tokens"):
- exactly the key attributes of that table or index, every one a short string;
- its partition key equal to the query's own partition (the caller's, set by the server from the token's subject
  or the staff member's organisation, never from the page token), so a token cannot move a query to another
  person's or another organisation's partition (R-PRIV-2);
- its sort key inside the query's key condition (DynamoDB refuses a start key outside it with a
  ValidationException, which would otherwise surface as a 500).
A token that fails any check is an InvalidPageToken (400 problem JSON), never a 500.

Cost: one Query of `limit + 1` items per page (the extra item only tells whether there is a next page, so `next` is
null exactly on the last page), whatever the partition or the table holds."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from ..domain.errors import InvalidPageToken
from ..domain.paging import MAX_PAGE_SIZE, MAX_TOKEN_CHARS, Page
from .items import load
from .table import PARTITION_KEY, SORT_KEY, Index

T = TypeVar("T")
_MAX_KEY_VALUE_CHARS = 300


@dataclass(frozen=True)
class KeyQuery:
    """One partition of the table or of an index, and the sort-key condition: the key condition of a Query, and what
    a page token used with it must stay inside. At most one of `prefix`, `between`, `after` is set."""

    partition_value: str
    index: Index | None = None
    prefix: str | None = None
    between: tuple[str, str] | None = None
    after: str | None = None  # sort key strictly greater than this
    newest_first: bool = False  # descending sort key (ScanIndexForward=false): notices, latest on top

    @property
    def partition_key(self) -> str:
        return self.index.partition_key if self.index else PARTITION_KEY

    @property
    def sort_key(self) -> str:
        return self.index.sort_key if self.index else SORT_KEY

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """What DynamoDB puts in a LastEvaluatedKey: an index's keys come with the table's."""
        table = (PARTITION_KEY, SORT_KEY)
        return (self.partition_key, self.sort_key, *table) if self.index else table

    def arguments(self) -> dict[str, Any]:
        """KeyConditionExpression and its names and values."""
        names = {"#p": self.partition_key, "#s": self.sort_key}
        values: dict[str, Any] = {":p": {"S": self.partition_value}}
        condition = "#p = :p"
        if self.prefix is not None:
            condition += " AND begins_with(#s, :prefix)"
            values[":prefix"] = {"S": self.prefix}
        elif self.between is not None:
            condition += " AND #s BETWEEN :low AND :high"
            values |= {":low": {"S": self.between[0]}, ":high": {"S": self.between[1]}}
        elif self.after is not None:
            condition += " AND #s > :after"
            values[":after"] = {"S": self.after}
        else:
            del names["#s"]
        request: dict[str, Any] = {"KeyConditionExpression": condition, "ExpressionAttributeNames": names,
                                   "ExpressionAttributeValues": values}
        if self.index:
            request["IndexName"] = self.index.name
        if self.newest_first:
            request["ScanIndexForward"] = False
        return request

    def start_key(self, key: dict[str, str]) -> dict[str, Any] | None:
        """The ExclusiveStartKey for a decoded token, or None to start at the beginning; InvalidPageToken when the
        key does not belong to this query.

        A token whose sort key has fallen below the condition's lower bound since it was issued (a window that moved
        on with the clock: the 12 months of records, activities still open) starts at the beginning, which is
        exactly where the rest of the list now begins."""
        if set(key) != set(self.key_attributes):
            raise InvalidPageToken("the page token does not belong to this list")
        if key[self.partition_key] != self.partition_value:
            raise InvalidPageToken("the page token belongs to another list")
        sort = key[self.sort_key]
        if self.prefix is not None and not sort.startswith(self.prefix):
            raise InvalidPageToken("the page token is outside this list")
        if self.between is not None:
            low, high = self.between
            if sort > high:
                raise InvalidPageToken("the page token is outside this list")
            if sort < low:
                return None
        if self.after is not None and sort <= self.after:
            return None
        return {name: {"S": value} for name, value in key.items()}


def plain_key(key: dict[str, Any]) -> dict[str, str]:
    """A key in DynamoDB JSON (string attributes) as plain strings."""
    return {name: value["S"] for name, value in key.items()}


def _encode(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _decode(token: str) -> Any:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidPageToken("the page token is malformed")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != token:
            raise ValueError("not canonical base64url")
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidPageToken("the page token is malformed") from error


def _is_key(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and 1 <= len(value) <= 4
        and all(isinstance(k, str) and isinstance(v, str) and 0 < len(v) <= _MAX_KEY_VALUE_CHARS for k, v in value.items())
    )


def encode_token(key: dict[str, Any]) -> str:
    """A LastEvaluatedKey (DynamoDB JSON, string attributes) as an opaque URL-safe token."""
    return _encode(plain_key(key))


def decode_token(token: str) -> dict[str, str]:
    """The key a token holds, as plain strings; InvalidPageToken for anything that is not a token we made. Where the
    key may lead is checked by `KeyQuery.start_key`."""
    key = _decode(token)
    if not _is_key(key):
        raise InvalidPageToken("the page token is malformed")
    return key


def encode_position(parts: dict[str, dict[str, str] | None]) -> str:
    """A position in a list made of several Queries (the recruitment list): named plain keys, each possibly None."""
    return _encode(parts)


def decode_position(token: str, names: tuple[str, ...]) -> dict[str, dict[str, str] | None]:
    """The named keys of `encode_position`; every name present, each a key or null, nothing else."""
    parts = _decode(token)
    if not isinstance(parts, dict) or set(parts) != set(names) or not all(p is None or _is_key(p) for p in parts.values()):
        raise InvalidPageToken("the page token is malformed")
    return parts


@dataclass(frozen=True)
class RawPage:
    items: list[dict[str, Any]]  # deserialised
    last_key: dict[str, Any] | None  # DynamoDB JSON of the page's last item, when more follow

    @property
    def next(self) -> str | None:
        return encode_token(self.last_key) if self.last_key is not None else None


def query_page(client, table: str, query: KeyQuery, limit: int, start: dict[str, Any] | None = None) -> RawPage:
    """One page of a Query: at most `limit` items after `start` (an ExclusiveStartKey from `KeyQuery.start_key` or
    a previous page), and the key to continue from when more follow. One round trip (more only when DynamoDB's 1 MB
    response page ends before `limit + 1` items)."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"page size {limit} out of range")
    request: dict[str, Any] = {"TableName": table, **query.arguments(), "Limit": limit + 1}
    if start is not None:
        request["ExclusiveStartKey"] = start
    raw: list[dict[str, Any]] = []
    while True:
        try:
            response = client.query(**request)
        except ClientError as error:
            # Belt and braces: a start key DynamoDB still refuses is the client's token, not our fault.
            if start is not None and error.response["Error"]["Code"] == "ValidationException":
                raise InvalidPageToken("the page token is not valid for this list") from error
            raise
        raw += response["Items"]
        last = response.get("LastEvaluatedKey")
        if len(raw) > limit or last is None:
            break
        # A response page ended (1 MB) before limit + 1 items: read on, so `next` is null only at the real end.
        request["ExclusiveStartKey"] = last
        request["Limit"] = limit + 1 - len(raw)
    more = len(raw) > limit
    raw = raw[:limit]
    last_key = {name: raw[-1][name] for name in query.key_attributes} if more else None
    return RawPage([load(i) for i in raw], last_key)


def page_of(
    client, table: str, query: KeyQuery, limit: int, token: str | None, convert: Callable[[dict[str, Any]], T]
) -> Page[T]:
    """A page of domain objects: the token decoded and checked against `query`, one `query_page`, each item
    converted."""
    start = query.start_key(decode_token(token)) if token else None
    raw = query_page(client, table, query, limit, start)
    return Page(items=[convert(i) for i in raw.items], next=raw.next)


def query_all(client, **request: Any) -> list[dict[str, Any]]:
    """Every item of a Query, page after page, deserialised: only for a partition bounded by design (the joined
    organisations, ~1,800 at most); a list a client reads is paged with `page_of`."""
    items: list[dict[str, Any]] = []
    while True:
        response = client.query(**request)
        items += [load(i) for i in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return items
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def count(client, table: str, query: KeyQuery) -> int:
    """How many items the query matches (Select=COUNT: nothing but the number comes back; each 1 MB of matched items
    is a round trip, and a person's 12 months of records are far below that)."""
    request: dict[str, Any] = {"TableName": table, **query.arguments(), "Select": "COUNT"}
    total = 0
    while True:
        response = client.query(**request)
        total += response["Count"]
        if "LastEvaluatedKey" not in response:
            return total
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


