"""DynamoDB adapter for activities and attendance records (docs/access-patterns.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ..domain.activities import Activity, ActivityRecord, Application, OpenActivity
from ..domain.errors import (
    ActivityCancelled,
    ActivityNotFound,
    ActivityNotRunning,
    AlreadyApplied,
    ApplicationNotFound,
    ApplicationsClosed,
    CapacityReached,
    ConcurrentUpdate,
    NotRegisteredWithOrganisation,
)
from . import keys
from .repository import _dump, _load, query_all
from .table import APPLICATIONS_BY_ACTIVITY, OPEN_RECRUITMENT, RECORDS_BY_ACTIVITY

RECRUIT_KEYS = ("recruit_pk", "recruit_sk")


def _activity_item(activity: Activity) -> dict[str, Any]:
    item = {
        **keys.activity(activity.organisation_code, activity.id),
        "type": "Activity",
        "org_code": activity.organisation_code,
        **activity.model_dump(mode="json", exclude={"organisation_code"}),
        # Epoch seconds for the check-in transaction's condition (is it running now, as rescheduled?).
        "starts_epoch": int(activity.starts_at.timestamp()),
        "ends_epoch": int(activity.ends_at.timestamp()),
    }
    if activity.status == "active" and activity.recruiting:
        item["recruit_pk"] = keys.open_recruitment(activity.organisation_code)
        item["recruit_sk"] = f"{item['ends_epoch']:012d}#{activity.id}"
    return item


def _application_item(application: Application) -> dict[str, Any]:
    return {
        **keys.application(application.organisation_code, application.user_id, application.activity_id),
        "type": "Application",
        "org_code": application.organisation_code,
        **application.model_dump(mode="json", exclude={"organisation_code"}),
        **keys.application_by_user(application.user_id, application.organisation_code, application.activity_id),
        "application_pk": keys.applications_by_activity(application.activity_id),
        "application_sk": f"{application.applied_at.isoformat()}#{application.user_id}",
    }


def _application(item: dict[str, Any]) -> Application:
    fields = {k: v for k, v in item.items() if k in Application.model_fields}
    return Application.model_validate({**fields, "organisation_code": item["org_code"]})


def _activity(item: dict[str, Any]) -> Activity:
    fields = {k: v for k, v in item.items() if k in Activity.model_fields}
    return Activity.model_validate({**fields, "organisation_code": item["org_code"]})


def _record_item(record: ActivityRecord, project_to_activity: bool) -> dict[str, Any]:
    item = {
        **keys.record(record.organisation_code, record.user_id, record.day.isoformat(), record.activity_id),
        "type": "ActivityRecord",
        "org_code": record.organisation_code,
        **record.model_dump(mode="json", exclude={"organisation_code", "activity_name"}),
    }
    if project_to_activity:
        item["activity_pk"] = keys.records_by_activity(record.activity_id)
        item["activity_sk"] = f"{record.day.isoformat()}#{record.user_id}"
    return item


def _record(item: dict[str, Any]) -> ActivityRecord:
    fields = {k: v for k, v in item.items() if k in ActivityRecord.model_fields}
    return ActivityRecord.model_validate({**fields, "organisation_code": item["org_code"]})


class ActivityRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- activities ------------------------------------------------------------------------------------------------

    def create_activity(self, activity: Activity) -> None:
        self._client.put_item(
            TableName=self._table, Item=_dump(_activity_item(activity)), ConditionExpression="attribute_not_exists(pk)"
        )

    def replace_activity(self, activity: Activity, expected_version: int) -> None:
        """Optimistic locking: an edit made from a stale copy is refused (ConcurrentUpdate). An update, not a put:
        the applicant count belongs to the application transactions and is never written from a copy."""
        item = _activity_item(activity)
        fields = {k: v for k, v in item.items() if k not in ("pk", "sk", "applicants") and v is not None}
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":f{i}": v for i, v in enumerate(fields.values())}
        removed = [k for k in (*RECRUIT_KEYS, *Activity.model_fields) if k not in fields and k != "applicants" and k != "organisation_code"]
        expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        if removed:
            names |= {f"#r{i}": k for i, k in enumerate(removed)}
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_dump(keys.activity(activity.organisation_code, activity.id)),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk) AND version = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_dump({**values, ":expected": expected_version}),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # botocore resends a write whose answer was lost: the resend meets the first sending's own write.
            current = _load(error.response.get("Item") or {})
            if {k: current.get(k) for k in fields} == _load(_dump(fields)) and not current.keys() & set(removed):
                return
            raise ConcurrentUpdate("the activity changed meanwhile; reload and try again") from error

    def get_activity(self, organisation_code: str, activity_id: str) -> Activity:
        response = self._client.get_item(
            TableName=self._table, Key=_dump(keys.activity(organisation_code, activity_id)), ConsistentRead=True
        )
        if "Item" not in response:
            raise ActivityNotFound(f"no activity {activity_id} in {organisation_code}", activity_id=activity_id)
        return _activity(_load(response["Item"]))

    def list_activities(self, organisation_code: str) -> list[Activity]:
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=_dump({":pk": f"{keys.ORG}{organisation_code}", ":prefix": keys.ACTIVITY_PREFIX}),
        )
        return [_activity(i) for i in items]

    # --- attendance --------------------------------------------------------------------------------------------------

    def record_attendance(
        self,
        organisation_code: str,
        activity_id: str,
        records: list[ActivityRecord],
        registered_with: str | None,
        running_at: datetime | None = None,
        margin: timedelta = timedelta(0),
        access_day: date | None = None,
    ) -> tuple[bool, ActivityRecord]:
        """One transaction (one round trip): the activity is still active (and, for a scan, running at
        `running_at` ± margin as it is scheduled now: a code printed before a reschedule stops working), the person
        is registered with `registered_with` (None: not checked), and each record is new. Returns (created,
        record); a repeated attendance returns the first record, read from the cancellation reason."""
        activity_key = keys.activity(organisation_code, activity_id)
        condition, values = "#status = :active", {":active": "active"}
        if running_at is not None:
            condition += " AND starts_epoch <= :latest_start AND ends_epoch >= :earliest_end"
            values |= {
                ":latest_start": int((running_at + margin).timestamp()),
                ":earliest_end": int((running_at - margin).timestamp()),
            }
        checks: list[dict[str, Any]] = [
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": _dump(activity_key),
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": _dump(values),
                }
            }
        ]
        if registered_with is not None:
            checks.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": _dump(keys.registration(registered_with, records[0].user_id)),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        puts = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _dump(_record_item(record, project_to_activity=index == 0)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for index, record in enumerate(records)
        ]
        # The day's app access (R-BAS-5), when the caller has not recorded it yet: last, after the conditions.
        access = (
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _dump(keys.account(records[0].user_id)),
                        "UpdateExpression": "SET last_access = :d, #type = :type",
                        "ExpressionAttributeNames": {"#type": "type"},
                        "ExpressionAttributeValues": _dump({":d": access_day.isoformat(), ":type": "Account"}),
                    }
                }
            ]
            if access_day is not None
            else []
        )
        try:
            self._client.transact_write_items(TransactItems=checks + puts + access)
            return True, records[0]
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            codes = [r.get("Code", "None") for r in reasons]
            if codes[0] == "ConditionalCheckFailed":
                # The rare path may cost a second read, to say which: gone, cancelled, or not running now.
                activity = self.get_activity(organisation_code, activity_id)
                if activity.status == "cancelled":
                    raise ActivityCancelled(f"activity {activity_id} is cancelled", activity_id=activity_id) from error
                raise ActivityNotRunning(f"activity {activity_id} is not running now", activity_id=activity_id) from error
            if registered_with is not None and codes[1] == "ConditionalCheckFailed":
                raise NotRegisteredWithOrganisation(
                    f"not registered with {registered_with}", organisation_code=registered_with
                ) from error
            first = reasons[len(checks)]
            if first.get("Code") == "ConditionalCheckFailed" and first.get("Item"):
                return False, _record(_load(first["Item"]))
            raise ConcurrentUpdate("attendance collided with a concurrent change") from error

    def activity_names(self, activities: set[tuple[str, str]]) -> dict[str, str]:
        """Current names of (organisation, activity id) pairs: one BatchGetItem per 100 (eventually consistent)."""
        wanted = sorted(activities)
        names: dict[str, str] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] | None = {
                self._table: {
                    "Keys": [_dump(keys.activity(org, aid)) for org, aid in wanted[start : start + 100]],
                    "ProjectionExpression": "id, #name",
                    "ExpressionAttributeNames": {"#name": "name"},
                }
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response["Responses"].get(self._table, []):
                    item = _load(raw)
                    names[item["id"]] = item["name"]
                request = response.get("UnprocessedKeys") or None
        return names

    def records_of_user(self, organisation_code: str, user_id: str, first_day: date, last_day: date) -> list[ActivityRecord]:
        """The person's records counted for one organisation between two days: one Query on their partition."""
        pk = keys.record(organisation_code, user_id, "", "")["pk"]
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=_dump(
                {":pk": pk, ":from": f"{keys.RECORD_PREFIX}{first_day.isoformat()}", ":to": f"{keys.RECORD_PREFIX}{last_day.isoformat()}~"}
            ),
        )
        return [_record(i) for i in items]

    def records_of_activity(self, activity_id: str) -> list[ActivityRecord]:
        items = query_all(
            self._client,
            TableName=self._table,
            IndexName=RECORDS_BY_ACTIVITY.name,
            KeyConditionExpression="activity_pk = :a",
            ExpressionAttributeValues={":a": {"S": keys.records_by_activity(activity_id)}},
        )
        return [_record(i) for i in items]

    # --- recruitment (R-BAS-7) ---------------------------------------------------------------------------------------

    def open_activities(self, organisation_code: str, now: datetime) -> list[OpenActivity]:
        """Activities the organisation recruits for that have not ended: one Query on the sparse index."""
        items = query_all(
            self._client,
            TableName=self._table,
            IndexName=OPEN_RECRUITMENT.name,
            KeyConditionExpression="recruit_pk = :p AND recruit_sk > :now",
            ExpressionAttributeValues=_dump(
                {":p": keys.open_recruitment(organisation_code), ":now": f"{int(now.timestamp()):012d}"}
            ),
        )
        return [OpenActivity.model_validate({**i, "organisation_code": i["org_code"]}) for i in items]

    def apply(self, activity: Activity, application: Application, now: datetime) -> None:
        """One transaction: the activity still recruits, has not ended and has room (its applicant count is
        raised in the same transaction, so concurrent applications never exceed the capacity); the person is
        registered with the organisation; and has not applied before."""
        activity_key = keys.activity(activity.organisation_code, activity.id)
        items = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _dump(activity_key),
                    "UpdateExpression": "SET applicants = if_not_exists(applicants, :zero) + :one",
                    "ConditionExpression": (
                        "#status = :active AND recruiting = :true AND ends_epoch > :now"
                        " AND (attribute_not_exists(#capacity) OR attribute_not_exists(applicants) OR applicants < #capacity)"
                    ),
                    "ExpressionAttributeNames": {"#status": "status", "#capacity": "capacity"},
                    "ExpressionAttributeValues": _dump(
                        {":zero": 0, ":one": 1, ":active": "active", ":true": True, ":now": int(now.timestamp())}
                    ),
                }
            },
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": _dump(keys.registration(activity.organisation_code, application.user_id)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _dump(_application_item(application)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            if codes[2] == "ConditionalCheckFailed":
                raise AlreadyApplied(f"already applied to {activity.id}", activity_id=activity.id) from error
            if codes[1] == "ConditionalCheckFailed":
                raise NotRegisteredWithOrganisation(
                    f"not registered with {activity.organisation_code}", organisation_code=activity.organisation_code
                ) from error
            if codes[0] == "ConditionalCheckFailed":
                current = self.get_activity(activity.organisation_code, activity.id)
                if current.capacity is not None and current.applicants >= current.capacity and current.recruiting:
                    raise CapacityReached(f"{activity.id} is full", activity_id=activity.id) from error
                raise ApplicationsClosed(f"{activity.id} does not take applications", activity_id=activity.id) from error
            raise ConcurrentUpdate("application collided with a concurrent change") from error

    def withdraw_application(self, organisation_code: str, activity_id: str, user_id: str) -> None:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": _dump(keys.application(organisation_code, user_id, activity_id)),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _dump(keys.activity(organisation_code, activity_id)),
                            "UpdateExpression": "SET applicants = applicants - :one",
                            "ConditionExpression": "applicants > :zero",
                            "ExpressionAttributeValues": _dump({":one": 1, ":zero": 0}),
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            if codes[0] == "ConditionalCheckFailed":  # the application's own condition: there is none
                raise ApplicationNotFound(f"no application to {activity_id}", activity_id=activity_id) from error
            raise ConcurrentUpdate("withdrawing the application collided with a concurrent change") from error

    def applications_of_activity(self, activity_id: str) -> list[Application]:
        items = query_all(
            self._client,
            TableName=self._table,
            IndexName=APPLICATIONS_BY_ACTIVITY.name,
            KeyConditionExpression="application_pk = :a",
            ExpressionAttributeValues={":a": {"S": keys.applications_by_activity(activity_id)}},
        )
        return [_application(i) for i in items]

    def applications_of_user(self, user_id: str) -> list[Application]:
        """The person's applications: the registrations_by_user index, application part (one Query)."""
        from .table import REGISTRATIONS_BY_USER

        items = query_all(
            self._client,
            TableName=self._table,
            IndexName=REGISTRATIONS_BY_USER.name,
            KeyConditionExpression="user_pk = :u AND begins_with(user_sk, :app)",
            ExpressionAttributeValues=_dump(
                {":u": keys.registrations_by_user(user_id)["user_pk"], ":app": keys.APPLICATION_PREFIX}
            ),
        )
        return [
            Application(
                organisation_code=i["org_code"], activity_id=i["activity_id"], user_id=user_id,
                status=i["status"], applied_at=i["applied_at"],
            )
            for i in items
        ]

    def decide_application(
        self, organisation_code: str, activity_id: str, user_id: str, status: str, now: datetime
    ) -> Application:
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_dump(keys.application(organisation_code, user_id, activity_id)),
                UpdateExpression="SET #status = :s, decided_at = :now",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=_dump({":s": status, ":now": now.isoformat()}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ApplicationNotFound(f"no application by {user_id} to {activity_id}", activity_id=activity_id) from error
            raise
        return _application(_load(response["Attributes"]))
