"""DynamoDB adapter for premium applications, their notices and the decisions' audit trail (docs/access-patterns.md).

Items (shared/dal/keys.py):
- the application, in the person's partition of the organisation applied to (`PREMIUM#<id>`), in the person's index
  (`PREMIUM#<applied_at>#<code>#<id>`) and, while it waits for staff, in the organisation's approvals inbox;
- on the registration: `premium_open` (the open application: one at a time), `premium_expires_on` and
  `long_stay_marker` (the outcome; premium is derived from the date when read);
- on the account (national area, a number only): `premium_guard`, bumped by every approval. An approval's
  transaction requires it unchanged since the person's premium organisations were read, so two approvals racing
  cannot both pass the limit of three (R-PRE-4): the later one reads again and is judged against the first;
- a notice per finished application (person's partition; their notices inbox);
- an audit entry per decision (the organisation's audit partition of the month; the person's index finds it so
  account deletion can anonymise it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.paging import Page
from ..domain.premium import Judgement
from ..domain.premium_application import Notice, PremiumApplication, StaffDecision
from . import keys
from .items import dump as _dump
from .items import load as _load
from .paging import KeyQuery, page_of
from .table import INBOX, REGISTRATIONS_BY_USER
from .transactions import Transaction, TransactionCancelled

APPLICATION_TYPE = "PremiumApplication"
NOTICE_TYPE = "Notice"
AUDIT_TYPE = "PremiumAudit"
GUARD_ATTRIBUTE = "premium_guard"
# What a finished application no longer carries: out of the approvals inbox, no live link. A decided one keeps the
# execution's task token, so a repeated decision can resume an execution whose first resume was lost; an application
# that ended otherwise (ineligible, unanswered, failed) has no execution waiting.
DECIDED = ("inbox_pk", "inbox_sk", "link_nonce", "counted", "needed")
CLOSED = (*DECIDED, "task_token")


class OpenApplicationExists(Exception):
    """The person has an open application there already (its id)."""

    def __init__(self, application_id: str) -> None:
        super().__init__(application_id)
        self.application_id = application_id


class NotRegistered(Exception):
    """No registration with the organisation (withdrawn, or never)."""


class StaleOutcome(Exception):
    """The application, the registration or the person's premium organisations changed since they were read."""


def _application_item(application: PremiumApplication) -> dict[str, Any]:
    item = {
        **keys.premium_application(application.organisation_code, application.user_id, application.id),
        **keys.registrations_by_user(application.user_id),
        "user_sk": keys.premium_application_of_person(
            application.organisation_code, application.applied_at.isoformat(), application.id
        ),
        "type": APPLICATION_TYPE,
        "org_code": application.organisation_code,
        **application.model_dump(mode="json", exclude={"organisation_code"}, exclude_none=True),
    }
    return item


def _application(item: dict[str, Any]) -> PremiumApplication:
    fields = {k: v for k, v in item.items() if k in PremiumApplication.model_fields}
    return PremiumApplication.model_validate({**fields, "organisation_code": item["org_code"]})


def _notice_item(user_id: str, notice: Notice) -> dict[str, Any]:
    at = notice.at.isoformat()
    return {
        **keys.notice(notice.organisation_code, user_id, at, notice.id),
        **keys.registrations_by_user(user_id),
        "user_sk": keys.notice_of_person(notice.organisation_code, at, notice.id),
        "inbox_pk": keys.notices_inbox(user_id),
        "inbox_sk": f"{at}#{notice.organisation_code}#{notice.id}",
        "type": NOTICE_TYPE,
        "org_code": notice.organisation_code,
        **notice.model_dump(mode="json", exclude={"organisation_code"}, exclude_none=True),
    }


def _notice(item: dict[str, Any]) -> Notice:
    fields = {k: v for k, v in item.items() if k in Notice.model_fields}
    return Notice.model_validate({**fields, "organisation_code": item["org_code"]})


def _waiting(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"], "organisation_code": item["org_code"], "user_id": item["user_id"], "status": item["status"],
        "applied_at": item["applied_at"], "renewal": bool(item.get("renewal", False)),
        "occasions": item.get("counted"), "needed": item.get("needed"),
    }


class PremiumRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- the application ---------------------------------------------------------------------------------------------

    def create(self, application: PremiumApplication, expected_expiry: date | None) -> None:
        """The new application and the registration's open-application mark, in one transaction: refused when the
        registration is gone (NotRegistered), another application is open (OpenApplicationExists), or the premium
        expiry changed since the caller judged the renewal period (StaleOutcome)."""
        registration = keys.registration(application.organisation_code, application.user_id)
        expiry_unchanged = (
            "premium_expires_on = :expiry" if expected_expiry else "attribute_not_exists(premium_expires_on)"
        )
        values: dict[str, Any] = {":id": application.id}
        if expected_expiry:
            values[":expiry"] = expected_expiry.isoformat()
        transaction = Transaction(self._client)
        transaction.add(
            "application",
            {"Put": {"TableName": self._table, "Item": _dump(_application_item(application)),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        )
        transaction.add(
            "registration",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _dump(registration),
                    "UpdateExpression": "SET premium_open = :id",
                    "ConditionExpression": f"attribute_exists(pk) AND attribute_not_exists(premium_open) AND {expiry_unchanged}",
                    "ExpressionAttributeValues": _dump(values),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        )
        try:
            transaction.write()
        except TransactionCancelled as cancelled:
            if cancelled.failed("registration"):
                old = cancelled.item("registration")
                if not old:
                    raise NotRegistered(application.organisation_code) from cancelled
                if old.get("premium_open"):
                    raise OpenApplicationExists(old["premium_open"]) from cancelled
                raise StaleOutcome("the premium expiry changed") from cancelled
            raise

    def get(self, code: str, user_id: str, application_id: str) -> PremiumApplication | None:
        response = self._client.get_item(
            TableName=self._table, Key=_dump(keys.premium_application(code, user_id, application_id)), ConsistentRead=True
        )
        return _application(_load(response["Item"])) if "Item" in response else None

    def get_with_secrets(
        self, code: str, user_id: str, application_id: str
    ) -> tuple[PremiumApplication | None, str | None, str | None]:
        """The application with the waiting execution's task token and the approval link's nonce, in the same read:
        both stay out of the domain object (neither is ever shown)."""
        response = self._client.get_item(
            TableName=self._table, Key=_dump(keys.premium_application(code, user_id, application_id)), ConsistentRead=True
        )
        if "Item" not in response:
            return None, None, None
        item = _load(response["Item"])
        return _application(item), item.get("task_token"), item.get("link_nonce")

    def applications_of_user(self, user_id: str, limit: int, token: str | None = None) -> Page[dict[str, Any]]:
        """A page of the person's premium applications, oldest first (what the person index projects)."""
        query = KeyQuery(keys.registrations_by_user(user_id)["user_pk"], index=REGISTRATIONS_BY_USER,
                         prefix=keys.PREMIUM_APPLICATION_PREFIX)
        return page_of(self._client, self._table, query, limit, token, lambda item: item)

    def waiting_for_staff(self, code: str, limit: int, token: str | None = None) -> Page[dict[str, Any]]:
        """A page of the organisation's applications waiting for a staff decision, oldest first."""
        query = KeyQuery(keys.approvals_inbox(code), index=INBOX)
        return page_of(self._client, self._table, query, limit, token, _waiting)

    # --- steps of the workflow -------------------------------------------------------------------------------------

    def _update_application(self, application: PremiumApplication, expected: str, assignments: dict[str, Any],
                            remove: tuple[str, ...] = ()) -> dict[str, Any]:
        """An Update of the application (transaction item) from status `expected`."""
        names = {f"#a{i}": k for i, k in enumerate(assignments)}
        values = {f":a{i}": v for i, v in enumerate(assignments.values())}
        expression = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(assignments)))
        if remove:
            expression += " REMOVE " + ", ".join(remove)
        return {
            "Update": {
                "TableName": self._table,
                "Key": _dump(keys.premium_application(application.organisation_code, application.user_id, application.id)),
                "UpdateExpression": expression,
                "ConditionExpression": "#status = :expected",
                "ExpressionAttributeNames": {**names, "#status": "status"},
                "ExpressionAttributeValues": _dump({**values, ":expected": expected}),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _close_registration(self, application: PremiumApplication, extra: str = "", values: dict | None = None,
                            condition: str = "") -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": _dump(keys.registration(application.organisation_code, application.user_id)),
                "UpdateExpression": (f"SET {extra} " if extra else "") + "REMOVE premium_open",
                "ConditionExpression": "premium_open = :open" + (f" AND {condition}" if condition else ""),
                "ExpressionAttributeValues": _dump({":open": application.id, **(values or {})}),
            }
        }

    def await_staff(self, application: PremiumApplication, judged: PremiumApplication) -> bool:
        """judging -> awaiting_approval with the judgement; into the organisation's approvals inbox. False when the
        application is no longer judging (a retried step: done already)."""
        judgement = judged.judgement
        assert judgement is not None
        assignments = {
            "status": "awaiting_approval",
            "judgement": judgement.model_dump(mode="json"),
            "occasions": [o.model_dump(mode="json") for o in judged.occasions],
            "long_stay_days": judged.long_stay_days,
            "inbox_pk": keys.approvals_inbox(application.organisation_code),
            "inbox_sk": f"{application.applied_at.isoformat()}#{application.id}",
            "counted": judgement.occasions,  # what the inbox shows (the occasions themselves stay on the item)
            "needed": judgement.needed,
        }
        return self._single(self._update_application(application, "judging", assignments))

    def store_token(self, application: PremiumApplication, task_token: str, link_nonce: str) -> bool:
        """The waiting execution's task token and the link's nonce, while the application waits for staff."""
        return self._single(
            self._update_application(application, "awaiting_approval", {"task_token": task_token, "link_nonce": link_nonce})
        )

    def finish(self, application: PremiumApplication, expected: str, finished: PremiumApplication) -> bool:
        """An open application ends without premium (ineligible, unanswered, failed): its outcome, out of the inbox,
        the registration's open mark removed. False when it was no longer `expected` (done already, or decided)."""
        transaction = Transaction(self._client)
        transaction.add("application", self._update_application(application, expected, self._outcome(finished),
                                                                CLOSED))
        transaction.add("registration", self._close_registration(application))
        return self._write(transaction)

    def _outcome(self, finished: PremiumApplication) -> dict[str, Any]:
        dumped = finished.model_dump(mode="json", exclude_none=True)
        fields = ("status", "judgement", "occasions", "long_stay_days", "decision", "premium_expires_on",
                  "long_stay_marker", "failure", "finished_at")
        return {k: dumped[k] for k in fields if k in dumped}

    def decide(self, application: PremiumApplication, expected: str, finished: PremiumApplication,
               previous_expiry: date | None, guard: int | None, audit: dict[str, Any] | None) -> bool:
        """Approve or reject, in one transaction: the application's outcome (from `expected`), the registration (an
        approval sets the new expiry, only if it is still `previous_expiry`), the person's premium guard (an approval
        only: `guard` is the value read with their premium organisations), the audit entry. False when the
        application was no longer `expected`; StaleOutcome when the registration or the guard moved meanwhile."""
        transaction = Transaction(self._client)
        transaction.add("application", self._update_application(application, expected, self._outcome(finished),
                                                                DECIDED))
        if finished.status == "approved":
            assert finished.premium_expires_on is not None and guard is not None
            unchanged = ("premium_expires_on = :previous" if previous_expiry
                         else "attribute_not_exists(premium_expires_on)")
            expiry = finished.premium_expires_on.isoformat()
            # The premium anchor of the due index: the renewal and expiry schedules find the registration by it.
            due = keys.due("premium", expiry, application.user_id, application.organisation_code)
            values: dict[str, Any] = {":expiry": expiry, ":marker": finished.long_stay_marker,
                                      ":due_pk": due["due_pk"], ":due_sk": due["due_sk"]}
            if previous_expiry:
                values[":previous"] = previous_expiry.isoformat()
            transaction.add("registration", self._close_registration(
                application, "premium_expires_on = :expiry, long_stay_marker = :marker, due_pk = :due_pk, "
                "due_sk = :due_sk", values, unchanged))
            transaction.add("guard", {
                "Update": {
                    "TableName": self._table,
                    "Key": _dump(keys.account(application.user_id)),
                    "UpdateExpression": "SET #guard = :next, #type = :type",
                    # The value read with the person's premium organisations (none yet: 0, or no attribute).
                    "ConditionExpression": ("attribute_not_exists(#guard) OR " if guard == 0 else "") + "#guard = :seen",
                    "ExpressionAttributeNames": {"#guard": GUARD_ATTRIBUTE, "#type": "type"},
                    "ExpressionAttributeValues": _dump({":next": guard + 1, ":seen": guard, ":type": "Account"}),
                }
            })
        else:
            transaction.add("registration", self._close_registration(application))
        if audit is not None:
            transaction.add("audit", {"Put": {"TableName": self._table, "Item": _dump(audit),
                                              "ConditionExpression": "attribute_not_exists(pk)"}})
        try:
            transaction.write()
        except TransactionCancelled as cancelled:
            if cancelled.failed("application"):
                return False
            if cancelled.failed("registration") or cancelled.failed("guard"):
                raise StaleOutcome("the registration or the person's premium organisations changed") from cancelled
            raise
        return True

    def premium_guard(self, user_id: str) -> int:
        response = self._client.get_item(
            TableName=self._table, Key=_dump(keys.account(user_id)), ConsistentRead=True,
            ProjectionExpression="#guard", ExpressionAttributeNames={"#guard": GUARD_ATTRIBUTE},
        )
        return int(_load(response.get("Item") or {}).get(GUARD_ATTRIBUTE, 0))

    def _single(self, operation: dict[str, Any]) -> bool:
        update = operation["Update"]
        try:
            self._client.update_item(**update)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _write(self, transaction: Transaction) -> bool:
        try:
            transaction.write()
        except TransactionCancelled as cancelled:
            if cancelled.failed("application"):
                return False
            if cancelled.failed("registration"):
                # The open mark is gone: the person withdrew (the application went with the partition) or it was
                # cleared already; either way nothing is left to close.
                return False
            raise
        return True

    # --- notices -------------------------------------------------------------------------------------------------------

    def put_notice(self, user_id: str, notice: Notice) -> bool:
        """Once per notice id (a retried step writes nothing twice). Whether its e-mail is still to be sent: True
        for a new notice and for one whose e-mail was not yet marked sent (`mark_emailed`)."""
        try:
            self._client.put_item(TableName=self._table, Item=_dump(_notice_item(user_id, notice)),
                                  ConditionExpression="attribute_not_exists(pk)",
                                  ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return not _load(error.response.get("Item") or {}).get("emailed_at")
            raise
        return True

    def mark_emailed(self, user_id: str, notice: Notice, at: datetime) -> None:
        """The notice's e-mail went out (or there was no address): a retried step does not send it again."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_dump(keys.notice(notice.organisation_code, user_id, notice.at.isoformat(), notice.id)),
                UpdateExpression="SET emailed_at = :at", ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=_dump({":at": at.isoformat()}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise  # a notice gone meanwhile went with the person's withdrawal: nothing to mark

    def notices_of_user(self, user_id: str, limit: int, token: str | None = None) -> Page[Notice]:
        query = KeyQuery(keys.notices_inbox(user_id), index=INBOX, newest_first=True)
        return page_of(self._client, self._table, query, limit, token, _notice)


def audit_item(application: PremiumApplication, decision: StaffDecision, judgement: Judgement | None) -> dict[str, Any]:
    """Who decided, when, what, and what the judgement said (codes and counts, not the person's records)."""
    at = decision.decided_at.isoformat()
    item = {
        **keys.premium_audit(application.organisation_code, at, application.id),
        **keys.registrations_by_user(application.user_id),
        "user_sk": keys.premium_audit_of_person(application.organisation_code, at, application.id),
        "type": AUDIT_TYPE,
        "org_code": application.organisation_code,
        "application_id": application.id,
        "user_id": application.user_id,
        "renewal": application.renewal,
        "decision": decision.decision,
        "decided_by": decision.decided_by,
        "decided_at": at,
        "reason": decision.reason,
        "judgement": {
            "eligible": judgement.eligible,
            "reasons": [r.code for r in judgement.reasons],
            "occasions": judgement.occasions,
            "needed": judgement.needed,
            "approval": judgement.approval,
            "first_day": judgement.first_day.isoformat(),
            "last_day": judgement.last_day.isoformat(),
        } if judgement else None,
    }
    return {k: v for k, v in item.items() if v is not None}
