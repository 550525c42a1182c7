"""DynamoDB adapter: the only module that reads or writes the table. Returns domain models and turns
ClientError codes into domain errors. Every query here has a row in docs/access-patterns.md."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import AccountDeleted, AlreadyRegistered, ConcurrentUpdate
from ..domain.models import OrganisationProfile, PersonalInfo, Registration
from ..domain.paging import MAX_PAGE_SIZE, Page
from ..domain.registrants import relationships_of
from ..domain.verification import AccountVerification
from . import keys
from .batch import batch_get
from .idempotency import IdempotencyRecord, stored_record, transaction_put
from .items import dump as _dump
from .items import load as _load
from .paging import KeyQuery, page_of, query_all
from .table import JOINED_ORGANISATIONS, REGISTRATIONS_BY_USER
from .transactions import Transaction, TransactionCancelled


def _registration_item(reg: Registration) -> dict[str, Any]:
    item: dict[str, Any] = {
        **keys.registration(reg.organisation_code, reg.user_id),
        **keys.registration_by_user(reg.user_id, reg.organisation_code),
        "type": "Registration",
        "org_code": reg.organisation_code,
        "user_id": reg.user_id,
        "level": reg.level,
        "since": reg.since.isoformat(),
        "direct": reg.direct,
        "resident": reg.resident,
        "survey_version": reg.survey_version,
        "answers": reg.answers or None,
        "personal": reg.personal.model_dump(mode="json", exclude_none=True) if reg.personal else None,
    }
    if reg.via:
        item["via"] = set(reg.via)
    # The staff list (registrants index, R-PRIV-2): its keys, and the relationship types to filter on.
    item |= keys.registrant_of_organisation(reg.organisation_code, reg.user_id, reg.since.isoformat())
    if relationships := relationships_of(reg.answers):
        item["relationships"] = set(relationships)
    return item


def _registration(item: dict[str, Any]) -> Registration:
    personal = item.get("personal")
    return Registration(
        organisation_code=item["org_code"],
        user_id=item.get("user_id") or keys.user_of(item["user_pk"]),
        level=item.get("level", "basic"),
        since=datetime.fromisoformat(item["since"]),
        direct=bool(item.get("direct", False)),
        via=frozenset(item.get("via", ())),
        resident=bool(item.get("resident", False)),
        survey_version=item.get("survey_version"),
        answers=item.get("answers", {}),
        personal=PersonalInfo.model_validate(personal) if personal else None,
        resident_basis=item.get("resident_basis"),
        premium_expires_on=date.fromisoformat(item["premium_expires_on"]) if item.get("premium_expires_on") else None,
        long_stay_marker=bool(item.get("long_stay_marker", False)),
        premium_open=item.get("premium_open"),
    )


# The account (national area) is neither deleted nor being deleted (DELETE /me). A missing account item passes.
ACCOUNT_IN_USE = "attribute_not_exists(deleting_since) AND attribute_not_exists(deleted_at)"


# An app access (R-BAS-5) on the account: the day, the due index's access anchor of that day (the inactivity
# schedules find the account through it, shared/dal/schedules.py), and a removal announced meanwhile cancelled.
ACCESS_UPDATE = (
    "SET last_access = :d, #type = :type, due_pk = :due_pk, due_sk = :due_sk REMOVE removal_due, inactivity_told_on"
)


def access_update_values(user_id: str, day: date) -> dict[str, Any]:
    """ExpressionAttributeValues (plain) of ACCESS_UPDATE."""
    due = keys.due("access", day.isoformat(), user_id)
    return {":d": day.isoformat(), ":type": "Account", ":due_pk": due["due_pk"], ":due_sk": due["due_sk"]}


VERIFICATION_ATTRIBUTE = "verification"  # on the account item (national area): shared/dal/verification.py writes it


def account_verification(account: dict[str, Any] | None) -> AccountVerification:
    """The identity verification an account item records (R-BAS-4); none recorded: unverified."""
    stored = (account or {}).get(VERIFICATION_ATTRIBUTE)
    return AccountVerification.model_validate(stored) if stored else AccountVerification()


def registrations_of_user_query(user_id: str) -> KeyQuery:
    """The registration part of a person's partition of the registrations_by_user index."""
    return KeyQuery(keys.registrations_by_user(user_id)["user_pk"], index=REGISTRATIONS_BY_USER, prefix=keys.USER_REGISTRATIONS)


class Repository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- organisations -------------------------------------------------------------------------------------------

    def put_organisation_profile(self, profile: OrganisationProfile) -> None:
        item = {
            **keys.organisation_profile(profile.code),
            "type": "OrganisationProfile",
            "org_code": profile.code,
            "joined_pk": keys.JOINED_PARTITION,
            "joined_sk": profile.code,
            **profile.model_dump(mode="json", exclude={"code"}),
        }
        self._client.put_item(TableName=self._table, Item=_dump(item))

    def _batch_get(self, key_list: list[dict[str, str]], consistent: bool = True) -> list[dict[str, Any]]:
        return batch_get(self._client, self._table, key_list, consistent=consistent)

    def get_organisation_profiles(self, codes: Iterable[str]) -> dict[str, OrganisationProfile]:
        """Profiles of the joined organisations among `codes`, for browsing: eventually consistent (half the read
        cost; a profile edit shows within a second)."""
        items = self._batch_get([keys.organisation_profile(c) for c in dict.fromkeys(codes)], consistent=False)
        return {i["org_code"]: OrganisationProfile.model_validate({**i, "code": i["org_code"]}) for i in items}

    def get_registrations(self, user_id: str, codes: Iterable[str]) -> dict[str, Registration]:
        """The user's registrations with `codes` (strongly consistent: decisions are made on them)."""
        _, registrations = self.registration_context(user_id, (), codes)
        return registrations

    def registration_context(
        self, user_id: str | None, profile_codes: Iterable[str], registration_codes: Iterable[str] = ()
    ) -> tuple[dict[str, OrganisationProfile], dict[str, Registration]]:
        """Organisation profiles and the user's registrations in one round trip."""
        wanted = [keys.organisation_profile(c) for c in dict.fromkeys(profile_codes)]
        if user_id is not None:
            wanted += [keys.registration(c, user_id) for c in dict.fromkeys(registration_codes)]
        profiles: dict[str, OrganisationProfile] = {}
        registrations: dict[str, Registration] = {}
        for item in self._batch_get(wanted) if wanted else []:
            if item["type"] == "OrganisationProfile":
                profiles[item["org_code"]] = OrganisationProfile.model_validate({**item, "code": item["org_code"]})
            else:
                registrations[item["org_code"]] = _registration(item)
        return profiles, registrations

    def premium_expiries(self, user_id: str, codes: Iterable[str]) -> dict[str, date]:
        """The premium expiry of each of the person's registrations with `codes` that has one (only that attribute:
        one BatchGetItem per 100, eventually consistent: a list's display)."""
        found = batch_get(
            self._client, self._table, [keys.registration(c, user_id) for c in dict.fromkeys(codes)],
            projection="org_code, premium_expires_on",
        )
        return {i["org_code"]: date.fromisoformat(i["premium_expires_on"]) for i in found if i.get("premium_expires_on")}

    def joined_organisation_codes(self) -> list[str]:
        """All joined organisations, from the sparse joined_organisations index (never a Scan)."""
        items = query_all(
            self._client,
            TableName=self._table,
            IndexName=JOINED_ORGANISATIONS.name,
            KeyConditionExpression="joined_pk = :p",
            ExpressionAttributeValues={":p": {"S": keys.JOINED_PARTITION}},
            ProjectionExpression="joined_sk",
        )
        return [i["joined_sk"] for i in items]

    # --- registrations -------------------------------------------------------------------------------------------

    def registrations_of_user(self, user_id: str, limit: int, token: str | None = None) -> Page[Registration]:
        """A page of the user's registrations, from the registrations_by_user index (keys and non-personal
        attributes), in organisation code order."""
        return page_of(self._client, self._table, registrations_of_user_query(user_id), limit, token, _registration)

    def all_registrations_of_user(self, user_id: str) -> dict[str, Registration]:
        """Every registration of the user, strongly consistent: their codes from the registrations_by_user index, page
        by page (bounded by the ~1,800 organisations), then the registrations themselves."""
        codes: list[str] = []
        token = None
        while True:
            page = self.registrations_of_user(user_id, MAX_PAGE_SIZE, token)
            codes += [r.organisation_code for r in page.items]
            token = page.next
            if token is None:
                return self.get_registrations(user_id, codes) if codes else {}

    def create_registration(
        self, registration: Registration, link_prefecture: Registration | None, idempotency: IdempotencyRecord | None = None
    ) -> IdempotencyRecord | None:
        """One transaction: the new registration (refused if it exists) and, for a co-registration, the prefecture
        registration created or linked to this municipality (R-ORG-2). ADD on a set keeps concurrent links.
        With `idempotency` (the request's key and its response), the record is stored in the same transaction; if a
        live record has that key already, nothing is written and that earlier record is returned."""
        transaction = Transaction(self._client)
        transaction.add(
            "registration",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _dump(_registration_item(registration)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )
        if link_prefecture is not None:
            pref = link_prefecture
            listed = keys.registrant_of_organisation(pref.organisation_code, pref.user_id, pref.since.isoformat())
            through = relationships_of(registration.answers)
            transaction.add(
                "prefecture link",
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _dump(keys.registration(pref.organisation_code, pref.user_id)),
                        "UpdateExpression": (
                            "SET #type = :type, org_code = :org, user_id = :user, user_pk = :upk, user_sk = :usk,"
                            " #level = if_not_exists(#level, :level), since = if_not_exists(since, :since),"
                            " direct = if_not_exists(direct, :false), resident = if_not_exists(resident, :resident),"
                            # the registrants index (a registration already there keeps its place: its own since)
                            " registrants_pk = :rpk, registrants_sk = if_not_exists(registrants_sk, :rsk)"
                            f" ADD via :via{', relationships :rel' if through else ''}"
                        ),
                        "ExpressionAttributeNames": {"#type": "type", "#level": "level"},
                        "ExpressionAttributeValues": _dump(
                            {
                                ":type": "Registration",
                                ":org": pref.organisation_code,
                                ":user": pref.user_id,
                                ":upk": keys.registrations_by_user(pref.user_id)["user_pk"],
                                ":usk": keys.registration_by_user(pref.user_id, pref.organisation_code)["user_sk"],
                                ":level": pref.level,
                                ":since": pref.since.isoformat(),
                                ":false": False,
                                ":resident": pref.resident,
                                ":via": set(pref.via),
                                ":rpk": listed["registrants_pk"],
                                ":rsk": listed["registrants_sk"],
                                # R-ORG-3: the municipality's relationship types, for the prefecture's list filters
                                **({":rel": set(through)} if through else {}),
                            }
                        ),
                    }
                },
            )
        # The account is not deleted or being deleted (its ID token stays valid for up to an hour after DELETE /me;
        # without this a registration, personal data included, could outlive the account).
        transaction.add(
            "account",
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": _dump(keys.account(registration.user_id)),
                    "ConditionExpression": ACCOUNT_IN_USE,
                }
            },
        )
        if idempotency is not None:
            transaction.add("idempotency", transaction_put(self._table, idempotency))
        try:
            transaction.write()
            return None
        except TransactionCancelled as cancelled:
            earlier = stored_record(cancelled.reasons["idempotency"]) if idempotency is not None else None
            if earlier is not None:
                return earlier
            if cancelled.failed("account"):
                raise AccountDeleted(f"account {registration.user_id} is deleted") from cancelled
            if cancelled.failed("registration"):
                raise AlreadyRegistered(
                    f"already registered with {registration.organisation_code}",
                    organisation_code=registration.organisation_code,
                ) from cancelled
            raise ConcurrentUpdate("registration collided with a concurrent change") from cancelled
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionConflictException":
                raise ConcurrentUpdate("registration collided with a concurrent change") from error
            raise

    def delete_registrations(
        self,
        target: Registration,
        unlink_from_prefecture: Registration | None,
        delete_prefecture: Registration | None,
    ) -> None:
        """One transaction, conditioned on what the plan was made from: a concurrent change cancels it
        (ConcurrentUpdate) and the caller plans again."""
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _dump(keys.registration(target.organisation_code, target.user_id)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        ]
        if unlink_from_prefecture is not None:
            pref = unlink_from_prefecture
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _dump(keys.registration(pref.organisation_code, pref.user_id)),
                        "UpdateExpression": "DELETE via :m",
                        "ConditionExpression": "contains(via, :code) AND (size(via) > :one OR direct = :true)",
                        "ExpressionAttributeValues": _dump(
                            {":m": {target.organisation_code}, ":code": target.organisation_code, ":one": 1, ":true": True}
                        ),
                    }
                }
            )
        if delete_prefecture is not None:
            pref = delete_prefecture
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _dump(keys.registration(pref.organisation_code, pref.user_id)),
                        # The plan deletes the prefecture only when `target` is its last link and it is not direct.
                        "ConditionExpression": "size(via) = :one AND contains(via, :code) AND direct = :false",
                        "ExpressionAttributeValues": _dump(
                            {":one": 1, ":code": target.organisation_code, ":false": False}
                        ),
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("TransactionCanceledException", "TransactionConflictException"):
                raise ConcurrentUpdate("withdrawal collided with a concurrent change") from error
            raise

    # --- national area -------------------------------------------------------------------------------------------

    def record_access(self, user_id: str, day: date) -> bool:
        """Keep the last access day for the inactivity rule (R-BAS-5). Writes only when the stored day is older;
        returns whether it wrote. A deleted account (or one being deleted) is refused: AccountDeleted."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_dump(keys.account(user_id)),
                UpdateExpression=ACCESS_UPDATE,
                ConditionExpression=f"{ACCOUNT_IN_USE} AND (attribute_not_exists(last_access) OR last_access < :d)",
                ExpressionAttributeNames={"#type": "type"},
                ExpressionAttributeValues=_dump(access_update_values(user_id, day)),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                old = _load(error.response.get("Item") or {})
                if "deleting_since" in old or "deleted_at" in old:
                    raise AccountDeleted(f"account {user_id} is deleted") from error
                return False
            raise

    def begin_account_deletion(self, user_id: str, at: datetime) -> None:
        """From now on the account refuses registrations and app access (ACCOUNT_IN_USE); the day of last access
        goes at once. Repeating it keeps the first start."""
        self._client.update_item(
            TableName=self._table,
            Key=_dump(keys.account(user_id)),
            UpdateExpression="SET #type = :type, deleting_since = if_not_exists(deleting_since, :at) "
                             "REMOVE last_access, due_pk, due_sk, removal_due",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues=_dump({":type": "Account", ":at": at.isoformat()}),
        )

    def finish_account_deletion(self, user_id: str, at: datetime, expires: datetime) -> None:
        """The account becomes a tombstone, nothing but the fact that it was deleted, until its last ID token has
        expired (DynamoDB TTL removes it then)."""
        self._client.put_item(
            TableName=self._table,
            Item=_dump(
                {**keys.account(user_id), "type": "Account", "deleted_at": at.isoformat(), "expires_at": int(expires.timestamp())}
            ),
        )

    def get_account(self, user_id: str) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key=_dump(keys.account(user_id)), ConsistentRead=True)
        return _load(response["Item"]) if "Item" in response else None
