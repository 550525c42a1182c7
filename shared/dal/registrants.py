"""DynamoDB adapter of the staff registrant list (R-PRIV-2, R-ORG-3): the sparse, write-sharded registrants index
(shared/dal/table.py REGISTRANTS, keys in shared/dal/keys.py) and one BatchGetItem of a page's personal data.

A list walks the organisation's REGISTRANT_SHARDS shards in turn, each newest registration first, and a page goes on
into the next shard when one ends (docs/decisions.md, "Registrant list: shards walked in turn"). The page token is a
position: the shard, and the key to go on after in it (checked against that shard's partition of the staff member's
own organisation and the filter's range, like every token of shared/dal/paging.py).

Cost of a page: one Query of `limit + 1` items when the shard has them; a filter's expression is applied after the
read, so a Query reads at most READ_BUDGET items per page and a selective filter may answer a short page with a
`next` (never a read that grows with the organisation). `next` is null only when every shard has been read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..domain.errors import InvalidPageToken
from ..domain.models import PersonalInfo
from ..domain.paging import MAX_PAGE_SIZE, Page
from ..domain.registrants import RegistrantFilter
from . import keys
from .batch import batch_get
from .items import dump as _dump
from .items import load as _load
from .paging import KeyQuery, decode_position, encode_position, plain_key
from .table import REGISTRANTS

READ_BUDGET = 1000  # index items a page may read through a filter expression (~ a few hundred KB, a few RCUs)
_POSITION = ("shard", "after")


@dataclass(frozen=True)
class ListPosition:
    shard: int
    after: dict[str, Any] | None  # ExclusiveStartKey in the shard (DynamoDB JSON); None: the shard's start


def filter_expression(wanted: RegistrantFilter, today: date) -> dict[str, Any]:
    """The FilterExpression (and its names and values) of a filter's non-key conditions; {} when there are none."""
    parts: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if wanted.level == "premium":
        parts.append("premium_expires_on >= :today")
        values[":today"] = today.isoformat()
    elif wanted.level == "basic":
        parts.append("(attribute_not_exists(premium_expires_on) OR premium_expires_on < :today)")
        values[":today"] = today.isoformat()
    if wanted.verified is not None:
        parts.append(f"attribute_{'' if wanted.verified else 'not_'}exists(personal_verified_on)")
    if wanted.resident is not None:
        parts.append("resident = :resident")
        values[":resident"] = wanted.resident
    if wanted.relationship is not None:
        parts.append("contains(relationships, :relationship)")
        values[":relationship"] = wanted.relationship
    if not parts:
        return {}
    request: dict[str, Any] = {"FilterExpression": " AND ".join(parts)}
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = _dump(values)
    return request


class RegistrantRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @staticmethod
    def shard_query(code: str, shard: int, wanted: RegistrantFilter) -> KeyQuery:
        return KeyQuery(
            keys.registrants(code, shard), index=REGISTRANTS, between=wanted.since_bounds(), newest_first=True
        )

    def _position(self, code: str, wanted: RegistrantFilter, token: str | None) -> ListPosition:
        if token is None:
            return ListPosition(0, None)
        parts = decode_position(token, _POSITION)
        shard_part, after = parts["shard"], parts["after"]
        number = (shard_part or {}).get("n", "")
        if set(shard_part or {}) != {"n"} or not number.isdigit() or not 0 <= int(number) < keys.REGISTRANT_SHARDS:
            raise InvalidPageToken("the page token is malformed")
        shard = int(number)
        if after is None:
            return ListPosition(shard, None)
        start = self.shard_query(code, shard, wanted).start_key(after)
        if start is None:  # below the range's low end: newest first, that is past the shard's end, not its start
            raise InvalidPageToken("the page token is outside this list")
        return ListPosition(shard, start)

    @staticmethod
    def _token(position: ListPosition) -> str:
        return encode_position(
            {"shard": {"n": str(position.shard)}, "after": plain_key(position.after) if position.after else None}
        )

    def page(
        self, code: str, wanted: RegistrantFilter, today: date, limit: int, token: str | None = None
    ) -> Page[dict[str, Any]]:
        """A page of the organisation's registrants (index items as projected), shard after shard."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"page size {limit} out of range")
        position = self._position(code, wanted, token)
        shard, start = position.shard, position.after
        conditions = filter_expression(wanted, today)
        raw: list[dict[str, Any]] = []
        read = 0
        following: ListPosition | None = None
        while shard < keys.REGISTRANT_SHARDS:
            if read >= READ_BUDGET:
                following = ListPosition(shard, start)
                break
            query = self.shard_query(code, shard, wanted)
            request: dict[str, Any] = {"TableName": self._table, **query.arguments()}
            if conditions:
                request["FilterExpression"] = conditions["FilterExpression"]
                request["ExpressionAttributeNames"] = {
                    **request["ExpressionAttributeNames"], **conditions.get("ExpressionAttributeNames", {})
                }
                request["ExpressionAttributeValues"] = {
                    **request["ExpressionAttributeValues"], **conditions.get("ExpressionAttributeValues", {})
                }
            # One item more than the page needs tells whether another page follows.
            request["Limit"] = min(limit + 1 - len(raw), READ_BUDGET - read)
            if start is not None:
                request["ExclusiveStartKey"] = start
            response = self._client.query(**request)
            read += response.get("ScannedCount", len(response["Items"]))
            found = response["Items"]
            if len(raw) + len(found) > limit:
                taken = limit - len(raw)
                raw += found[:taken]
                last = {name: raw[-1][name] for name in query.key_attributes} if taken else start
                following = ListPosition(shard, last)
                break
            raw += found
            if "LastEvaluatedKey" in response:
                start = response["LastEvaluatedKey"]
            else:
                shard, start = shard + 1, None
        return Page(items=[_load(i) for i in raw], next=self._token(following) if following else None)

    def pages(self, code: str, wanted: RegistrantFilter, today: date, limit: int) -> Iterator[Page[dict[str, Any]]]:
        """Every page of a list, one after another (an export job's loop; each page bounded like `page`)."""
        token: str | None = None
        while True:
            found = self.page(code, wanted, today, limit, token)
            yield found
            if found.next is None:
                return
            token = found.next

    def personal_data(self, code: str, user_ids: Iterable[str]) -> dict[str, PersonalInfo]:
        """What each person gave this organisation (their registration's `personal`), for one page: one
        BatchGetItem (eventually consistent: a list's display), only those two attributes read."""
        found = batch_get(
            self._client, self._table, [keys.registration(code, u) for u in dict.fromkeys(user_ids)],
            projection="#u, #p", names={"#u": "user_id", "#p": "personal"},
        )
        return {i["user_id"]: PersonalInfo.model_validate(i["personal"]) for i in found if i.get("personal")}
