"""The statistics area (`STAT#…`, R-STAT-1/2): sharded counters, a person's membership (unique people), applied
stream events and month-end snapshots. Keys in keys.py; rows in docs/access-patterns.md.

A scope's figures are the sum of its shards (one BatchGetItem for every shard of up to a few scopes). Each shard is
its own partition: a national counter every registration writes is spread over SHARDS["national"] partitions."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import ConcurrentUpdate
from . import keys
from .batch import batch_get, batch_put
from .items import dump
from .paging import KeyQuery, query_all
from .transactions import Transaction, TransactionCancelled

# Shards per scope kind: the country is written by every change, a prefecture area by its municipalities', an
# organisation by its own registrants'.
SHARDS = {"national": 32, "area": 8, "org": 2}
COUNTER_TYPE = "StatCounter"
MEMBERSHIP_TYPE = "StatMembership"
EVENT_TYPE = "StatEvent"
SNAPSHOT_TYPE = "StatSnapshot"
NON_FIGURES = {"pk", "sk", "type", "version", "expires_at", "month", "scope", "taken_at"}


def scope_key(kind: str, code: str = "") -> str:
    if kind == "national":
        return keys.STAT_NATIONAL_SCOPE
    if kind == "area":
        return keys.stat_area_scope(code)
    return keys.stat_organisation_scope(code)


def kind_of(scope: str) -> str:
    if scope == keys.STAT_NATIONAL_SCOPE:
        return "national"
    return "area" if scope.startswith("PREF#") else "org"


def shard_keys(scope: str) -> list[dict[str, str]]:
    return [keys.stat_counter(scope, n) for n in range(SHARDS[kind_of(scope)])]


def shard_for(scope: str, spread: str) -> int:
    """The shard a change is added to: by the item's partition key (a person's, for registrations and records), so
    writes spread evenly over the shards and the same change always lands on the same one."""
    return zlib.crc32(f"{scope}|{spread}".encode()) % SHARDS[kind_of(scope)]


def figures_of(item: Mapping[str, Any]) -> Counter[str]:
    return Counter({k: int(v) for k, v in item.items() if k not in NON_FIGURES and isinstance(v, (int, Decimal))})


@dataclass(frozen=True)
class Membership:
    codes: frozenset[str]
    version: int  # 0: no item


class MembershipChanged(Exception):
    """The membership changed since it was read (a concurrent record of the same person): read it again."""


class StatisticsRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- upkeep (the stats function) --------------------------------------------------------------------------------

    def membership(self, user_id: str) -> Membership:
        item = self._client.get_item(TableName=self._table, Key=dump(keys.stat_membership(user_id)), ConsistentRead=True).get("Item")
        if not item:
            return Membership(frozenset(), 0)
        codes = item.get("codes", {}).get("SS", [])
        return Membership(frozenset(codes), int(item["version"]["N"]))

    def apply(
        self,
        event_id: str,
        counters: Mapping[str, Counter[str]],
        expires_at: int,
        spread: str,
        user_id: str | None = None,
        before: Membership | None = None,
        after: frozenset[str] | None = None,
    ) -> bool:
        """One transaction: the event's marker (refused if applied already), an ADD per scope's shard, and the
        person's new membership (conditioned on the version read). True: applied; False: applied before."""
        transaction = Transaction(self._client)
        transaction.add(
            "event",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": dump({**keys.stat_event(event_id), "type": EVENT_TYPE, "expires_at": expires_at}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )
        for scope, figures in counters.items():
            names = {f"#f{i}": name for i, name in enumerate(figures)}
            values = {f":f{i}": figures[name] for i, name in enumerate(figures)}
            transaction.add(
                scope,
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": dump(keys.stat_counter(scope, shard_for(scope, spread))),
                        "UpdateExpression": "SET #type = :type ADD " + ", ".join(f"{n} :{n[1:]}" for n in names),
                        "ExpressionAttributeNames": {"#type": "type", **names},
                        "ExpressionAttributeValues": dump({":type": COUNTER_TYPE, **values}),
                    }
                },
            )
        if user_id is not None and before is not None and after is not None:
            condition = "version = :v" if before.version else "attribute_not_exists(pk)"
            key = dump(keys.stat_membership(user_id))
            if after:
                operation = {
                    "Put": {
                        "TableName": self._table,
                        "Item": dump(
                            {**keys.stat_membership(user_id), "type": MEMBERSHIP_TYPE, "codes": set(after),
                             "version": before.version + 1}
                        ),
                        "ConditionExpression": condition,
                    }
                }
            else:
                operation = {"Delete": {"TableName": self._table, "Key": key, "ConditionExpression": condition}}
            if before.version:
                next(iter(operation.values()))["ExpressionAttributeValues"] = dump({":v": before.version})
            transaction.add("membership", operation)
        try:
            transaction.write()
            return True
        except TransactionCancelled as cancelled:
            if cancelled.failed("event"):
                return False
            if cancelled.failed("membership"):
                raise MembershipChanged(user_id) from cancelled
            raise ConcurrentUpdate("statistics update collided with a concurrent one") from cancelled
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionConflictException":
                raise ConcurrentUpdate("statistics update collided with a concurrent one") from error
            raise

    # --- reading (staff, the public national figures) ----------------------------------------------------------------

    def current(self, scopes: Iterable[str]) -> dict[str, Counter[str]]:
        """Each scope's figures: its shards added up (one BatchGetItem per 100 shards)."""
        scopes = list(scopes)
        wanted = [k for s in scopes for k in shard_keys(s)]
        totals: dict[str, Counter[str]] = {s: Counter() for s in scopes}
        by_pk = {k["pk"]: s for s in scopes for k in shard_keys(s)}
        for item in batch_get(self._client, self._table, wanted):
            totals[by_pk[item["pk"]]].update(figures_of(item))
        return totals

    def snapshots(self, scopes: Iterable[str], month: str) -> dict[str, Counter[str] | None]:
        """Each scope's month-end figures (None: no snapshot of that month)."""
        scopes = list(scopes)
        found = {item["pk"]: item for item in batch_get(self._client, self._table, [keys.stat_snapshot(s, month) for s in scopes])}
        return {s: (figures_of(found[keys.stat_snapshot(s, month)["pk"]]) if keys.stat_snapshot(s, month)["pk"] in found else None) for s in scopes}

    def months(self, scope: str) -> list[str]:
        """The months a scope has snapshots of, oldest first (one Query of the scope's snapshot partition)."""
        pk = keys.stat_snapshot(scope, "")["pk"]
        query = KeyQuery(pk, prefix=keys.STAT_MONTH_PREFIX)
        items = query_all(self._client, TableName=self._table, ProjectionExpression="sk", **query.arguments())
        return [item["sk"].removeprefix(keys.STAT_MONTH_PREFIX) for item in items]

    def save_snapshots(self, month: str, figures: Mapping[str, Counter[str]], taken_at: str) -> int:
        """The month-end copies (BatchWriteItem; a Put again is harmless). Scopes with no figure are left out."""
        items = [
            {**keys.stat_snapshot(scope, month), "type": SNAPSHOT_TYPE, "month": month, "taken_at": taken_at,
             **{k: v for k, v in values.items() if v}}
            for scope, values in figures.items()
            if any(values.values())
        ]
        batch_put(self._client, self._table, items)
        return len(items)
