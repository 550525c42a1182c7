"""DynamoDB adapter for activities and attendance records (docs/access-patterns.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.activities import Activity, ActivityRecord, Application, OpenActivity
from ..domain.errors import (
    ActivityCancelled,
    ActivityNotFound,
    AlreadyApplied,
    ApplicationNotFound,
    ApplicationsClosed,
    CapacityReached,
    CheckinCodeSuperseded,
    ConcurrentUpdate,
    NotRegisteredWithOrganisation,
)
from ..domain.paging import Page
from ..domain.registrants import last_active_month
from . import keys
from .batch import batch_get
from .paging import KeyQuery, count, decode_position, encode_position, page_of, plain_key, query_page
from .repository import ACCESS_UPDATE, _dump, _load, access_update_values, registrations_of_user_query
from .table import APPLICATIONS_BY_ACTIVITY, OPEN_RECRUITMENT, RECORDS_BY_ACTIVITY, REGISTRATIONS_BY_USER
from .transactions import Transaction, TransactionCancelled

# The recruitment list reads this many of the person's registrations per page (one Query each at most): a page costs
# at most 1 + ORGANISATIONS_PER_PAGE Queries whatever the number of organisations the person joined.
ORGANISATIONS_PER_PAGE = 10

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
        # Both copies are the person's (each counts for its own organisation, and a withdrawal from one leaves the
        # other): each is found through the person's index when the account is deleted.
        **keys.registrations_by_user(record.user_id),
        "user_sk": keys.record_of_person(record.organisation_code, record.day.isoformat(), record.activity_id),
    }
    if project_to_activity:
        item["activity_pk"] = keys.records_by_activity(record.activity_id)
        item["activity_sk"] = f"{record.day.isoformat()}#{record.user_id}"
    return item


def prelaunch_activity_id(activity_key: str) -> str:
    """Pre-launch activities have no Activity item; their records take an id of their own ("p…", never an "a…"
    activity id) from the import's activity key, the same for every participant of that activity."""
    return "p" + activity_key[:16]


def prelaunch_record_item(record: ActivityRecord, source: Any, project_to_activity: bool) -> dict[str, Any]:
    """A claimed pre-launch participation (R-ACT-5): an attendance record like any other, keeping the activity's name
    (there is no Activity item to look it up from) and its provenance."""
    return {**_record_item(record, project_to_activity), "activity_name": source.activity_name}


def _records_query(organisation_code: str, user_id: str, first_day: date, last_day: date) -> KeyQuery:
    """The person's records for one organisation between two days (the day leads the sort key)."""
    return KeyQuery(
        keys.record(organisation_code, user_id, "", "")["pk"],
        between=(f"{keys.RECORD_PREFIX}{first_day.isoformat()}", f"{keys.RECORD_PREFIX}{last_day.isoformat()}~"),
    )


def _record(item: dict[str, Any]) -> ActivityRecord:
    fields = {k: v for k, v in item.items() if k in ActivityRecord.model_fields}
    return ActivityRecord.model_validate({**fields, "organisation_code": item["org_code"]})


FIRST_RECORD = "record 0"  # the venue's record (the prefecture's is "record 1")


@dataclass
class AttendanceTransaction:
    """Attendance as named transaction items: the checks ("activity": active, or running; "registration"), then one
    Put per record ("record 0" for the venue, "record 1" for its prefecture), each only if new. Added to a
    Transaction, and read back from its cancellation."""

    repository: ActivityRepository
    organisation_code: str
    activity_id: str
    registered_with: str | None
    records: list[ActivityRecord]
    checks: dict[str, dict[str, Any]]
    puts: dict[str, dict[str, Any]]

    def add_to(self, transaction: Transaction, leave_out: Iterable[str] = ()) -> None:
        """The checks and the record Puts, but those named in `leave_out` (records known to exist)."""
        for name, operation in (self.checks | self.puts).items():
            if name not in leave_out:
                transaction.add(name, operation)

    def raise_refusal(self, cancelled: TransactionCancelled) -> None:
        """The domain error of a failed check, if one failed: the activity gone, cancelled or rescheduled since the
        code, or the person not registered."""
        if cancelled.failed("activity"):
            # The rare path may cost a second read, to say which: gone, cancelled, or rescheduled since the code.
            activity = self.repository.get_activity(self.organisation_code, self.activity_id)
            if activity.status == "cancelled":
                raise ActivityCancelled(f"activity {self.activity_id} is cancelled", activity_id=self.activity_id) from cancelled
            raise CheckinCodeSuperseded(
                f"activity {self.activity_id} was rescheduled or moved after this code was issued",
                activity_id=self.activity_id,
            ) from cancelled
        if cancelled.failed("registration"):
            raise NotRegisteredWithOrganisation(
                f"not registered with {self.registered_with}", organisation_code=self.registered_with
            ) from cancelled

    def existing_records(self, cancelled: TransactionCancelled) -> dict[str, ActivityRecord]:
        """The records that already existed, by item name (their Put's condition failed)."""
        return {
            name: _record(item)
            for name in self.puts
            if cancelled.failed(name) and (item := cancelled.item(name)) is not None
        }


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

    def activities_page(self, organisation_code: str, limit: int, token: str | None = None) -> Page[Activity]:
        """A page of the organisation's activities (its partition, activity items only), in id order."""
        query = KeyQuery(keys.organisation_profile(organisation_code)["pk"], prefix=keys.ACTIVITY_PREFIX)
        return page_of(self._client, self._table, query, limit, token, _activity)

    # --- attendance --------------------------------------------------------------------------------------------------

    def record_attendance(
        self,
        organisation_code: str,
        activity_id: str,
        records: list[ActivityRecord],
        registered_with: str | None,
        schedule_revision: int | None = None,
        access_day: date | None = None,
    ) -> tuple[bool, ActivityRecord]:
        """One transaction (one round trip): the activity is still active (and, for a scan, still at the
        `schedule_revision` the code was issued for: a code issued before a reschedule or a change of venue stops
        working), the person is registered with `registered_with` (None: not checked), and each record is new.
        Returns (created, record); a repeated attendance returns the first record, read from the cancellation
        reason."""
        attendance = self.attendance_transaction(organisation_code, activity_id, records, registered_with, schedule_revision)
        transaction = Transaction(self._client)
        attendance.add_to(transaction)
        # The day's app access (R-BAS-5), when the caller has not recorded it yet: last, after the conditions.
        if access_day is not None:
            transaction.add(
                "access",
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _dump(keys.account(records[0].user_id)),
                        "UpdateExpression": ACCESS_UPDATE,
                        "ExpressionAttributeNames": {"#type": "type"},
                        "ExpressionAttributeValues": _dump(access_update_values(records[0].user_id, access_day)),
                    }
                },
            )
        try:
            transaction.write()
            return True, records[0]
        except TransactionCancelled as cancelled:
            attendance.raise_refusal(cancelled)
            first = attendance.existing_records(cancelled).get(FIRST_RECORD)
            if first is not None:
                return False, first
            raise ConcurrentUpdate("attendance collided with a concurrent change") from cancelled

    def attendance_transaction(
        self,
        organisation_code: str,
        activity_id: str,
        records: list[ActivityRecord],
        registered_with: str | None,
        schedule_revision: int | None = None,
    ) -> AttendanceTransaction:
        """The items that record attendance, for `record_attendance` or for a transaction that also writes
        something else (accepting evidence: the records and the decision in one transaction)."""
        condition, values = "#status = :active", {":active": "active"}
        if schedule_revision is not None:  # a scan: the code's revision must still be the activity's
            condition += " AND schedule_revision = :revision"
            values |= {":revision": schedule_revision}
        checks: dict[str, dict[str, Any]] = {
            "activity": {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": _dump(keys.activity(organisation_code, activity_id)),
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": _dump(values),
                }
            }
        }
        if registered_with is not None:
            # The registration exists, and keeps the month of the last attendance counted here (the staff list's
            # "last active month", projected in the registrants index): the same item, no extra round trip. A record
            # of the current month sets it; a back-dated entry of an earlier month only where none is kept yet (an
            # update has no max(): it must not move the month back).
            month = last_active_month(records[0].day)
            current = month == last_active_month(records[0].recorded_at.date())
            checks["registration"] = {
                "Update": {
                    "TableName": self._table,
                    "Key": _dump(keys.registration(registered_with, records[0].user_id)),
                    "UpdateExpression": (
                        "SET last_active_month = :month" if current
                        else "SET last_active_month = if_not_exists(last_active_month, :month)"
                    ),
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": _dump({":month": month}),
                }
            }
        puts = {
            f"record {index}": {
                "Put": {
                    "TableName": self._table,
                    "Item": _dump(_record_item(record, project_to_activity=index == 0)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for index, record in enumerate(records)
        }
        return AttendanceTransaction(self, organisation_code, activity_id, registered_with, records, checks, puts)

    def activity_names(self, activities: set[tuple[str, str]]) -> dict[str, str]:
        """Current names of (organisation, activity id) pairs: one BatchGetItem per 100 (eventually consistent)."""
        found = batch_get(
            self._client,
            self._table,
            [keys.activity(org, aid) for org, aid in sorted(activities)],
            projection="id, #name",
            names={"#name": "name"},
        )
        return {item["id"]: item["name"] for item in found}

    def kinds_and_names(self, activities: set[tuple[str, str]]) -> dict[str, tuple[str, str]]:
        """Each (designating organisation, activity id)'s current name and how its records count for premium
        (single, multi-day, blanket: shared.domain.premium.counting_of): one BatchGetItem per 100, of those
        attributes only."""
        found = batch_get(
            self._client, self._table, [keys.activity(org, aid) for org, aid in sorted(activities)],
            projection="id, #name, multi_day, blanket", names={"#name": "name"},
        )
        return {
            item["id"]: (item["name"], "blanket" if item.get("blanket") else "multi_day" if item.get("multi_day") else "single")
            for item in found
        }

    def records_of_user(
        self, organisation_code: str, user_id: str, first_day: date, last_day: date, limit: int, token: str | None = None
    ) -> Page[ActivityRecord]:
        """A page of the person's records counted for one organisation between two days, oldest first: one Query on
        their partition."""
        return page_of(
            self._client, self._table, _records_query(organisation_code, user_id, first_day, last_day), limit, token, _record
        )

    def count_records_of_user(self, organisation_code: str, user_id: str, first_day: date, last_day: date) -> int:
        """How many records the person has for the organisation between two days (a Select=COUNT Query: no item
        comes back, whatever the page size)."""
        return count(self._client, self._table, _records_query(organisation_code, user_id, first_day, last_day))

    def records_of_activity(self, activity_id: str, limit: int, token: str | None = None) -> Page[ActivityRecord]:
        """A page of an activity's attendance (venue copies), by day then person."""
        query = KeyQuery(keys.records_by_activity(activity_id), index=RECORDS_BY_ACTIVITY)
        return page_of(self._client, self._table, query, limit, token, _record)

    # --- recruitment (R-BAS-7) ---------------------------------------------------------------------------------------

    def open_activities_of_user(self, user_id: str, now: datetime, limit: int, token: str | None = None) -> Page[OpenActivity]:
        """A page of the activities open for applications (not ended at `now`) of the organisations the person is
        registered with, by organisation code, then soonest end first. Bounded whatever the number of registrations:
        one Query for up to ORGANISATIONS_PER_PAGE of the person's registrations, then one Query per organisation on
        the sparse open_recruitment index until the page is full. A page may hold fewer than `limit` activities (even
        none) and still have a `next`: those organisations had little or nothing open.

        The token is a position: the registration after which to go on (its key, checked against the person's own
        partition of the registrations_by_user index), and where in the first of the next organisations' activities
        (checked against that organisation's partition of open_recruitment)."""
        registrations = registrations_of_user_query(user_id)
        position = decode_position(token, ("after", "within")) if token else {"after": None, "within": None}
        after = registrations.start_key(position["after"]) if position["after"] else None
        joined = query_page(self._client, self._table, registrations, ORGANISATIONS_PER_PAGE, after)
        found: list[OpenActivity] = []
        previous = position["after"]
        not_ended = f"{int(now.timestamp()):012d}"
        for index, registration in enumerate(joined.items):
            open_now = KeyQuery(
                keys.open_recruitment(registration["org_code"]), index=OPEN_RECRUITMENT, after=not_ended
            )
            within = position["within"] if index == 0 else None
            # A position inside an organisation the person has since left: that organisation is gone from the list.
            start = open_now.start_key(within) if within and within.get(open_now.partition_key) == open_now.partition_value else None
            activities = query_page(self._client, self._table, open_now, limit - len(found), start)
            found += [OpenActivity.model_validate({**i, "organisation_code": i["org_code"]}) for i in activities.items]
            if activities.last_key is not None:
                return Page(found, encode_position({"after": previous, "within": plain_key(activities.last_key)}))
            previous = {name: registration[name] for name in registrations.key_attributes}
            if len(found) == limit:
                more = index < len(joined.items) - 1 or joined.last_key is not None
                return Page(found, encode_position({"after": previous, "within": None}) if more else None)
        if joined.last_key is not None:
            return Page(found, encode_position({"after": previous, "within": None}))
        return Page(found, None)

    def apply(self, activity: Activity, application: Application, now: datetime) -> None:
        """One transaction: the activity still recruits, has not ended and has room (its applicant count is
        raised in the same transaction, so concurrent applications never exceed the capacity); the person is
        registered with the organisation; and has not applied before."""
        activity_key = keys.activity(activity.organisation_code, activity.id)
        transaction = Transaction(self._client)
        transaction.add(
            "activity",
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
        )
        transaction.add(
            "registration",
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": _dump(keys.registration(activity.organisation_code, application.user_id)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        )
        transaction.add(
            "application",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _dump(_application_item(application)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )
        try:
            transaction.write()
        except TransactionCancelled as cancelled:
            if cancelled.failed("application"):
                raise AlreadyApplied(f"already applied to {activity.id}", activity_id=activity.id) from cancelled
            if cancelled.failed("registration"):
                raise NotRegisteredWithOrganisation(
                    f"not registered with {activity.organisation_code}", organisation_code=activity.organisation_code
                ) from cancelled
            if cancelled.failed("activity"):
                current = self.get_activity(activity.organisation_code, activity.id)
                if current.capacity is not None and current.applicants >= current.capacity and current.recruiting:
                    raise CapacityReached(f"{activity.id} is full", activity_id=activity.id) from cancelled
                raise ApplicationsClosed(f"{activity.id} does not take applications", activity_id=activity.id) from cancelled
            raise ConcurrentUpdate("application collided with a concurrent change") from cancelled

    def withdraw_application(self, organisation_code: str, activity_id: str, user_id: str) -> None:
        transaction = Transaction(self._client)
        transaction.add(
            "application",
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _dump(keys.application(organisation_code, user_id, activity_id)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        )
        transaction.add(
            "applicant count",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _dump(keys.activity(organisation_code, activity_id)),
                    "UpdateExpression": "SET applicants = applicants - :one",
                    "ConditionExpression": "applicants > :zero",
                    "ExpressionAttributeValues": _dump({":one": 1, ":zero": 0}),
                }
            },
        )
        try:
            transaction.write()
        except TransactionCancelled as cancelled:
            if cancelled.failed("application"):  # the application's own condition: there is none
                raise ApplicationNotFound(f"no application to {activity_id}", activity_id=activity_id) from cancelled
            raise ConcurrentUpdate("withdrawing the application collided with a concurrent change") from cancelled

    def applications_of_activity(self, activity_id: str, limit: int, token: str | None = None) -> Page[Application]:
        """A page of an activity's applicants, first applied first."""
        query = KeyQuery(keys.applications_by_activity(activity_id), index=APPLICATIONS_BY_ACTIVITY)
        return page_of(self._client, self._table, query, limit, token, _application)

    def applications_of_user(self, user_id: str, limit: int, token: str | None = None) -> Page[Application]:
        """A page of the person's applications: the registrations_by_user index, application part."""
        query = KeyQuery(keys.registrations_by_user(user_id)["user_pk"], index=REGISTRATIONS_BY_USER, prefix=keys.APPLICATION_PREFIX)
        return page_of(
            self._client, self._table, query, limit, token,
            lambda i: Application(
                organisation_code=i["org_code"], activity_id=i["activity_id"], user_id=user_id,
                status=i["status"], applied_at=i["applied_at"],
            ),
        )

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
