"""The table's stream, polled locally: what the deployed event source mapping does for the functions with a
TableStream trigger (shared/functions.py). moto would invoke stream-triggered Lambdas itself, synchronously inside
the writing call and on a path our dispatcher does not patch (/work/shared/notes/local-aws.md), so no mapping is
created in moto; instead DescribeStream / GetShardIterator / GetRecords, the deployed filter on `type`, and the
handler called with the event AWS sends ({"Records": [...]} with eventSourceARN), `batchItemFailures` honoured (the
failed record and the ones after it come again on the next poll).

Used by the tests (poll once after writes) and, as a thread, by the local runtime."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from shared.functions import FUNCTIONS, Function, TableStream

BATCH_SIZE = 100


def streams_client(endpoint_url: str | None = None):
    # In-process moto with botocore 1.44 routes Streams only without the account-id endpoint (local-aws.md).
    return boto3.client(
        "dynamodbstreams", endpoint_url=endpoint_url, config=Config(account_id_endpoint_mode="disabled")
    )


def item_types(function: Function) -> frozenset[str]:
    return frozenset(t for trigger in function.triggers if isinstance(trigger, TableStream) for t in trigger.item_types)


def stream_functions() -> tuple[Function, ...]:
    return tuple(f for f in FUNCTIONS if item_types(f))


def passes_filter(record: dict[str, Any], types: frozenset[str]) -> bool:
    """The deployed filter (infra/components/functions.py): the new or the old image has one of the `type`s."""
    images = record.get("dynamodb", {})
    return any(images.get(name, {}).get("type", {}).get("S") in types for name in ("NewImage", "OldImage"))


class StreamPoller:
    """One function's event source mapping over the table's stream: remembers, per shard, where it is."""

    def __init__(self, dynamodb, streams, table_name: str, types: frozenset[str], invoke: Callable[[dict], dict | None]) -> None:
        self._dynamodb = dynamodb
        self._streams = streams
        self._table = table_name
        self._types = types
        self._invoke = invoke
        self._positions: dict[str, str] = {}  # shard id -> last sequence number handed over successfully
        self.invocations = 0

    def _arn(self) -> str:
        return self._dynamodb.describe_table(TableName=self._table)["Table"]["LatestStreamArn"]

    def poll(self) -> int:
        """Deliver everything new, batch after batch, until nothing is left; the number of records delivered."""
        arn = self._arn()
        delivered = 0
        for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            delivered += self._poll_shard(arn, shard["ShardId"])
        return delivered

    def _iterator(self, arn: str, shard: str) -> str:
        after = self._positions.get(shard)
        request = {"StreamArn": arn, "ShardId": shard}
        if after is None:
            request["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            request |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        return self._streams.get_shard_iterator(**request)["ShardIterator"]

    def skip_to_end(self) -> None:
        """Start after everything the stream holds now (nothing delivered): a new mapping at LATEST."""
        arn = self._arn()
        for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            while True:
                records = self._streams.get_records(ShardIterator=self._iterator(arn, shard_id), Limit=1000).get("Records", [])
                if not records:
                    break
                self._positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]

    def _poll_shard(self, arn: str, shard: str) -> int:
        delivered = 0
        while True:
            response = self._streams.get_records(ShardIterator=self._iterator(arn, shard), Limit=BATCH_SIZE)
            records = response.get("Records", [])
            if not records:
                return delivered
            wanted = [dict(r, eventSourceARN=arn) for r in records if passes_filter(r, self._types)]
            last = records[-1]["dynamodb"]["SequenceNumber"]
            if wanted:
                self.invocations += 1
                answer = self._invoke({"Records": wanted}) or {}
                failures = answer.get("batchItemFailures") or []
                if failures:
                    failed = failures[0]["itemIdentifier"]
                    done = [r["dynamodb"]["SequenceNumber"] for r in records if int(r["dynamodb"]["SequenceNumber"]) < int(failed)]
                    if done:
                        self._positions[shard] = done[-1]
                    raise StreamBatchFailed(failed)
                delivered += len(wanted)
            self._positions[shard] = last


class StreamBatchFailed(Exception):
    """The function reported a record it could not apply: delivered again on the next poll."""


class StreamThread(threading.Thread):
    """The local runtime's event source mappings: polls every `interval` seconds until stopped."""

    def __init__(self, pollers: list[StreamPoller], interval: float = 0.5, on_error: Callable[[Exception], None] | None = None) -> None:
        super().__init__(name="table-stream", daemon=True)
        self._pollers = pollers
        self._interval = interval
        self._stop_event = threading.Event()
        self._on_error = on_error or (lambda error: None)

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            for poller in self._pollers:
                try:
                    poller.poll()
                except Exception as error:  # noqa: BLE001 — a local mapping keeps polling, as AWS retries
                    self._on_error(error)

    def stop(self) -> None:
        self._stop_event.set()


def cheap_stream_copies() -> None:
    """moto deep-copies a table before each item of a TransactWriteItems (to roll a cancelled one back), and with a
    stream the table holds every stream record ever written: each copy would copy them all (3x the cost of a
    500-item table's copy). A record never changes once written, so the copy of the stream's list shares them: the
    rollback still drops a cancelled transaction's records (the copied list does not have them), at the cost of
    copying a list of references. Idempotent; for moto in this process (tests, the local runtime)."""
    import copy

    from moto.dynamodb.models.table import StreamShard

    if getattr(StreamShard, "cheap_copies", False):
        return

    def deepcopy(self, memo):  # noqa: ANN001, ANN202
        clone = StreamShard.__new__(StreamShard)
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            clone.__dict__[name] = list(value) if name == "items" else copy.deepcopy(value, memo)
        return clone

    StreamShard.__deepcopy__ = deepcopy  # type: ignore[attr-defined]
    StreamShard.cheap_copies = True  # type: ignore[attr-defined]
