"""moto's TransactWriteItems and Query without their whole-table work, for the bench.

Query: moto answers every Query by listing and sorting every item of the table (`Table.all_items`), then keeping
those of the partition asked for: O(table size log table size) with costly comparisons, for what DynamoDB reads
from one partition. With `fast_queries`, a Query starts from the candidates only: the partition itself for the
table, the items whose index partition key matches (a plain string comparison) for an index. moto's own code then
does the rest (key condition, sort, pagination, filters), so the answer is the same.

Loading: moto checks an item's 400 KB limit by adding up the sizes of all its attributes each time one is set,
O(attributes²) per item, most of the time of a load. `incremental_item_sizes` keeps a running total instead:
the same limit, checked as often.

TransactWriteItems:
moto deep-copies the whole table before each item of a TransactWriteItems, to roll back a cancelled transaction:
O(table size) per item (4 per check-in; ~15 s a copy at 100,000 registrations), something DynamoDB does not do.
With `cheap_transaction_rollback`, a table's "deep copy" is the table itself, and the transaction remembers instead
the items it touches, putting them back if it is cancelled. moto applies a transaction's writes one by one and
relies on that rollback (a refused check-in, whose registration check fails, would otherwise leave its records
behind), so the rollback is kept, only cheaper. What the transaction does and answers is unchanged.

Both are safe only where moto's DynamoDB requests run one at a time: in-process moto from one thread (the costs),
or the local runtime's moto server, which serialises DynamoDB requests (local/motoserver.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize

_apply = DynamoDBBackend.transact_write_items
_query = Table.query


def _transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    before = []
    for entry in transact_items:
        operation = next(iter(entry.values()))
        table = backend.get_table(operation["TableName"])
        key = operation.get("Key") or {
            name: operation["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name
        }
        current = backend.get_item(operation["TableName"], key)
        before.append((operation["TableName"], key, current.to_json()["Attributes"] if current else None))
    try:
        return _apply(backend, transact_items)
    except Exception:
        for table_name, key, attributes in reversed(before):
            if attributes is None:
                backend.delete_item(table_name, key)
            else:
                backend.put_item(table_name, attributes)
        raise


def _candidates(table: Table, hash_key: Any, index_name: str | None, conditions: Any) -> list[Any] | None:
    """The items a Query can return, unsorted; None: let moto look at every item."""
    if not index_name:
        partition = table.items.get(hash_key) if hash_key is not None else None
        if partition is None:
            return [] if hash_key is not None else None
        return list(partition.values()) if table.range_key_attr else [partition]
    if not conditions or any(value.type != "S" for _, value in conditions):
        return None
    wanted = [(name, value.value) for name, value in conditions]
    found = []
    for partition in table.items.values():
        for item in partition.values() if table.range_key_attr else (partition,):
            for name, value in wanted:
                attribute = item.attrs.get(name)
                if attribute is None or attribute.type != "S" or attribute.value != value:
                    break
            else:
                found.append(item)
    return found


def _fast_query(table: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    candidates = _candidates(table, hash_key, index_name, kwargs.get("hash_key_conditions"))
    if candidates is None:
        return _query(table, hash_key, *args, **kwargs)
    table.all_items = lambda: candidates  # this query only: an instance attribute over the method
    try:
        return _query(table, hash_key, *args, **kwargs)
    finally:
        del table.all_items


def _size(value: Any) -> int:
    return value.size() if type(value) is DynamoType else bytesize(str(value))


def _set_attribute(attributes: LimitedSizeDict, key: str, value: Any) -> None:
    total = attributes.__dict__.get("bench_size")
    if total is None:  # as moto counts it: every key and value already there
        total = sum(_size(x) for x in (*attributes.keys(), *attributes.values()))
    total += bytesize(key) + _size(value)
    if total > 405000:  # moto's limit (DynamoDB's 400 KB, as measured)
        raise ItemSizeTooLarge
    dict.__setitem__(attributes, key, value)
    attributes.__dict__["bench_size"] = total


@contextmanager
def incremental_item_sizes() -> Iterator[None]:
    with mock.patch.object(LimitedSizeDict, "__setitem__", _set_attribute):
        yield


@contextmanager
def cheap_transaction_rollback() -> Iterator[None]:
    with (
        mock.patch.object(Table, "__deepcopy__", lambda table, memo: table, create=True),
        mock.patch.object(DynamoDBBackend, "transact_write_items", _transact_write_items),
    ):
        yield


@contextmanager
def fast_queries() -> Iterator[None]:
    with mock.patch.object(Table, "query", _fast_query):
        yield


@contextmanager
def without_whole_table_work() -> Iterator[None]:
    """Both: what the bench runs moto with (in-process for the costs, in the local runtime for the burst)."""
    with cheap_transaction_rollback(), fast_queries():
        yield
