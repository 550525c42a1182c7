"""The daily schedules' data (R-PRE-6, R-BAS-5): what a run has done, the due index's pages, the conditional writes
that make each step happen once, and the work queue a run fans out through.

Every write is conditional on the item still being due for the same anchor (the same expiry, the same last access),
so a message delivered twice, a run resumed after a crash, or a person who came back meanwhile changes nothing
twice (docs/access-patterns.md: the due index)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from . import keys
from .conditions import updated
from .items import dump as _dump
from .items import load as _load
from .paging import KeyQuery, RawPage, decode_token, query_page
from .repository import ACCOUNT_IN_USE
from .table import DUE

DONE_SHARDS = "shards"  # on a schedule_run item: a number set of the shards finished


class ScheduleRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- runs --------------------------------------------------------------------------------------------------------

    def done_shards(self, runs: Iterable[tuple[str, date]]) -> dict[tuple[str, date], set[int]]:
        """The shards finished of each (job, anchor day): one BatchGetItem (a run asks for at most a few dozen)."""
        wanted = {(job, day): keys.schedule_run(job, day.isoformat()) for job, day in runs}
        done: dict[tuple[str, date], set[int]] = {run: set() for run in wanted}
        pending = [_dump(key) for key in wanted.values()]
        by_key = {(k["pk"], k["sk"]): run for run, k in wanted.items()}
        while pending:
            batch, pending = pending[:100], pending[100:]
            request = {self._table: {"Keys": batch, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response["Responses"].get(self._table, []):
                    item = _load(raw)
                    done[by_key[(item["pk"], item["sk"])]] = {int(s) for s in item.get(DONE_SHARDS, set())}
                request = response.get("UnprocessedKeys") or {}
        return done

    def mark_done(self, job: str, day: date, shards: set[int]) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=_dump(keys.schedule_run(job, day.isoformat())),
            UpdateExpression="ADD #done :shard SET #type = :type",
            ExpressionAttributeNames={"#done": DONE_SHARDS, "#type": "type"},
            ExpressionAttributeValues={":shard": {"NS": sorted(str(s) for s in shards)}, ":type": {"S": "ScheduleRun"}},
        )

    def due_page(self, anchor: str, day: date, shard: int, limit: int, token: str | None) -> RawPage:
        """One page of the items whose `anchor` day is `day`, in one shard (eventually consistent, as an index is:
        each step re-reads or conditions on what it changes)."""
        query = KeyQuery(keys.due_partition(anchor, day.isoformat(), shard), index=DUE)
        start = query.start_key(decode_token(token)) if token else None
        return query_page(self._client, self._table, query, limit, start)

    # --- registrations: premium ----------------------------------------------------------------------------------

    def lapse(self, code: str, user_id: str, expires_on: date) -> bool:
        """Premium that ended on `expires_on` without a renewal: marked lapsed (what statistics and lists count
        from) and out of the due index. False when the expiry moved (renewed) or the lapse is written already."""
        return updated(
            self._client,
            TableName=self._table,
            Key=_dump(keys.registration(code, user_id)),
            UpdateExpression="SET premium_lapsed = :expiry REMOVE due_pk, due_sk",
            ConditionExpression="premium_expires_on = :expiry AND "
                                "(attribute_not_exists(premium_lapsed) OR premium_lapsed <> :expiry)",
            ExpressionAttributeValues=_dump({":expiry": expires_on.isoformat()}),
        )

    # --- accounts: inactivity (R-BAS-5) ----------------------------------------------------------------------------

    def tell_of_removal(self, user_id: str, last_access: date, deadline: date, told_on: date) -> bool:
        """The account was told its registrations go on `deadline`: it moves to the removal anchor. False when the
        person came back meanwhile (another last access) or the account is being deleted."""
        return updated(
            self._client,
            TableName=self._table,
            Key=_dump(keys.account(user_id)),
            UpdateExpression="SET removal_due = :deadline, inactivity_told_on = :told, due_pk = :pk, due_sk = :sk",
            ConditionExpression=f"last_access = :last AND {ACCOUNT_IN_USE}",
            ExpressionAttributeValues=_dump({
                ":deadline": deadline.isoformat(), ":told": told_on.isoformat(), ":last": last_access.isoformat(),
                **{f":{k.removeprefix('due_')}": v for k, v in keys.due("removal", deadline.isoformat(), user_id).items()},
            }),
        )

    def removal_done(self, user_id: str, deadline: date, at: datetime) -> None:
        """The registrations are gone: the account keeps when (the app tells the person so), nothing is due."""
        updated(  # not as expected: done already
            self._client,
            TableName=self._table,
            Key=_dump(keys.account(user_id)),
            UpdateExpression="SET inactivity_removed_at = :at REMOVE removal_due, due_pk, due_sk",
            ConditionExpression="removal_due = :deadline",
            ExpressionAttributeValues=_dump({":at": at.isoformat(), ":deadline": deadline.isoformat()}),
        )


class WorkQueue:
    """The SQS queue a run fans out through: one message per shard of a job's day; a page that is not the last sends
    its continuation. SendMessageBatch, ten at a time."""

    def __init__(self, client, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, bodies: list[str]) -> None:
        for start in range(0, len(bodies), 10):
            batch = bodies[start:start + 10]
            entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)]
            while entries:
                response = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
                failed = {f["Id"] for f in response.get("Failed", [])}
                if failed and all(not f.get("SenderFault") for f in response["Failed"]):
                    entries = [e for e in entries if e["Id"] in failed]  # throttled: again
                    continue
                if failed:
                    raise RuntimeError(f"SQS refused messages: {response['Failed']}")
                entries = []

