"""What a person owns, store by store: what each holds, how a person's items are found (by key or index, never a
Scan), and what withdrawal and account deletion do with them. One registry: account deletion (DELETE /me) erases
through it, docs/retention.md is checked against it, and a test writes a person's complete footprint through the
real operations and fails when an item type the data layer writes is not declared here or survives deletion.

A new store joins by (1) giving its items `type` and, when they belong to a person, `user_pk` (keys.
registrations_by_user) so the person's index finds them, (2) a `Store` entry below, (3) an eraser in
`PersonalDataEraser.ERASERS` when account deletion deletes or anonymises it, (4) a row in docs/retention.md."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from . import keys
from .evidence import EvidenceFiles, _evidence
from .items import dump as _dump
from .items import load as _load
from .table import REGISTRATIONS_BY_USER

Handling = Literal["deleted", "anonymised", "tombstone", "expires", "kept", "unchanged"]


@dataclass(frozen=True)
class Store:
    item_type: str  # the `type` attribute the data layer writes (S3 objects and Powertools' records: a name here)
    holds: str  # what it holds of a person
    personal_data: bool  # basic 4 info, e-mail, free text or files a person gave (R-BAS-3)
    found_by: str  # how one person's items are found
    on_withdrawal: Handling  # DELETE /me/registrations/{code}: items in that organisation's partition of the person
    on_account_deletion: Handling  # DELETE /me
    retention: str  # how long it is kept otherwise, and why


STORES: tuple[Store, ...] = (
    Store(
        "Registration", "basic 4 info and e-mail (optional, R-BAS-3), survey answers (R-BAS-2), level, since", True,
        "person index (user_sk ORG#…); at one organisation by key", "deleted", "deleted",
        "while registered; removed after years without app access (R-BAS-5: the expiry schedule tells the person 90 days before INACTIVITY_YEARS, then withdraws it)",
    ),
    Store(
        "Application", "the person's application to an activity and its message (free text)", True,
        "person index (user_sk APPLICATION#…); at one organisation by its partition", "deleted", "deleted",
        "while registered; the activity's `applicants` count is lowered with it (the place is freed)",
    ),
    Store(
        "Evidence", "what an uploaded file shows (activity, day, note: free text), staff decision", True,
        "person index (user_sk EVIDENCE#…); at one organisation by its partition", "deleted", "deleted",
        "while registered; its file expires after 400 days (EVIDENCE_RETENTION_DAYS)",
    ),
    Store(
        "EvidenceFile", "the uploaded photo or document (S3 uploads/<code>/<sub>/<id>, then evidence/<code>/<sub>/<id>/…)", True,
        "object_key of its Evidence item", "deleted", "deleted",
        "400 days (a premium renewal looks back a year); erased with every version, at once",
    ),
    Store(
        "ActivityRecord", "that the person attended an activity on a day (no personal data: the sub only)", False,
        "person index (user_sk RECORD#…); at one organisation by its partition", "anonymised", "anonymised",
        "while registered: premium judgement (R-PRE-1) looks back 12 months; statistics (R-STAT-1) count them",
    ),
    Store(
        "AnonymousRecord", "an attendance whose person withdrew or deleted their account: activity, venue, day, "
        "source; an id that links to no one", False,
        "not a person's (nothing links it to one)", "unchanged", "unchanged",
        "kept: the activity's attendance and 関係人口 statistics (R-STAT-1/2) stay true after a person leaves",
    ),
    Store(
        "Account", "the day of last app access (R-BAS-5) and the due index's keys of it, a removal announced "
        "(`removal_due`) or done (`inactivity_removed_at`); identity verification: status, day, keyed subject hash, a "
        "guardian's consent (keyed hash, day, time; R-PRE-3); national area, no personal data", False,
        "by key NAT#USER#<sub>", "unchanged", "tombstone",
        "while the account exists; after deletion a tombstone (no access day) refuses the still-valid ID token and "
        "expires after a day (ID tokens live an hour)",
    ),
    Store(
        "OpenUploads", "the person's evidence uploads not yet submitted (ids and until when they count; R-ACT-3 cap), "
        "national area, no personal data", False, "by key NAT#USER#<sub>", "unchanged", "deleted",
        "while the account exists: entries stop counting after a day",
    ),
    Store(
        "VerificationRequest", "a started identity verification: state, nonce, PKCE verifier, the person's choices "
        "(national area, no personal data)", False, "by key NAT#USER#<sub> / VERIFICATION#<state> (a Query of the "
        "account's partition)", "unchanged", "deleted", "10 minutes (DynamoDB TTL, refused from its expiry on); completing it marks it used (a state works once)",
    ),
    Store(
        "SubjectClaim", "a keyed hash (HMAC) of the verified card holder's subject and the account it belongs to, the "
        "day verified (national area; no name, address or birth date, R-PRIV-1)", False,
        "by key from the account's verification (subject_hash)", "unchanged", "deleted",
        "while the account exists: one person, one account (R-BAS-4); the card may verify a new account after deletion",
    ),
    Store(
        "PrelaunchMatch", "a pre-launch participation that may be the person's (same name and birth date, another "
        "place), offered to confirm: activity name, day, place (R-ACT-5)", False,
        "person index (user_sk MATCH#…); at one organisation by its partition", "deleted", "deleted",
        "until the person confirms or declines it (the participation itself stays with the organisation)",
    ),
    Store(
        "PremiumApplication", "a premium application (R-PRE-5): the judgement's reasons and counted occasions "
        "(activity names, days), staff's decision and its reason (free text about the person), the outcome", True,
        "person index (user_sk PREMIUM#…); at one organisation by its partition", "deleted", "deleted",
        "while registered: the person follows it, staff look back at it; a renewal reads the last outcome",
    ),
    Store(
        "Notice", "an in-app notice to the person (an application's outcome; a rejection's reason)", True,
        "person index (user_sk NOTICE#…); at one organisation by its partition", "deleted", "deleted",
        "while registered (the app's お知らせ list)",
    ),
    Store(
        "PremiumAudit", "a premium decision (who decided, when, approve or reject, the judgement's codes and counts) "
        "naming the applicant (sub) and staff's reason", True,
        "person index (user_sk AUDIT#…)", "unchanged", "anonymised",
        "kept as the organisation's audit trail of decisions (R-PRE-5); on account deletion the applicant's sub and "
        "the free-text reason go, and who decided, when and on what judgement stays (docs/decisions.md)",
    ),
    Store(
        "IdempotencyRecord", "a registration's response for retries (no personal data); key = hash of (sub, key)",
        False, "not findable by person (the sub only inside a one-way hash)", "expires", "expires",
        "24 hours (IDEMPOTENCY_TTL_SECONDS, DynamoDB TTL); an expired record no longer counts",
    ),
    Store(
        "UnclaimedRecord", "a pre-launch participant's details typed in by staff (R-ACT-5): name, birth date, "
        "address", True, "by the uploader's area and an identity key (name, birth date); no account "
        "links it", "unchanged", "unchanged",
        "the organisation's own list, not the account's: kept in its area until claimed with identity "
        "verification; the organisation answers for it (its 個人情報ファイル)",
    ),
    Store(
        "OrganisationProfile", "nothing of a person (an organisation's page)", False, "not a person's", "unchanged",
        "unchanged", "while the organisation takes part",
    ),
    Store(
        "Activity", "nothing of a person (an activity and its applicant count)", False, "not a person's", "unchanged",
        "unchanged", "kept: records refer to it",
    ),
    Store(
        "PremiumSettings", "nothing of a registrant: the organisation's premium requirements and its approvers' work "
        "e-mail addresses (staff, R-ADM-3), the staff member who saved them", False, "not a person's", "unchanged",
        "unchanged", "while the organisation takes part; staff replace the approvers' addresses when staff change",
    ),
    # The staff registrant export (shared/logic/exports.py): the job's item and the CSV staff download
    Store(
        "RegistrantExport", "nothing of a registrant: a staff export's filters, status, the staff member who asked, "
        "the S3 upload's state", False, "not a person's", "unchanged", "unchanged",
        "7 days (DynamoDB TTL), with its file",
    ),
    Store(
        "ExportRequest", "nothing of a person: the export a staff member's Idempotency-Key made (hashed)", False,
        "not a person's", "unchanged", "unchanged", "7 days (DynamoDB TTL), with its export",
    ),
    Store(
        "ExportFile", "the organisation's registrants as CSV (S3 exports/<code>/<id>.csv): what its list shows, "
        "personal data where given to it", True, "not findable by person (one file of many registrants)", "expires",
        "expires", "7 days (the exports/ lifecycle rule; the link works 15 minutes): a person who withdraws or "
        "deletes the account leaves files written before within that week; a copy staff downloaded is the "
        "organisation's own (its 個人情報ファイル)",
    ),
    # 関係人口 statistics (shared/dal/statistics.py): kept from the table's stream, never by this registry's erasers
    Store(
        "StatMembership", "the codes of the organisations where the person is counted (unique people, R-STAT-1); "
        "no personal data", False, "by key STAT#PERSON#<sub> (the statistics function, from the table's stream)",
        "unchanged", "deleted", "while the person counts somewhere: the stream's upkeep deletes it when their last "
        "counted registration goes (withdrawal, account deletion, a resident flag)",
    ),
    Store(
        "StatCounter", "nothing of a person: one shard of a scope's figures (counts)", False, "not a person's",
        "unchanged", "unchanged", "kept: the current statistics (a person's leaving changes the counts, R-STAT-1)",
    ),
    Store(
        "StatSnapshot", "nothing of a person: a scope's figures at a month's end", False, "not a person's",
        "unchanged", "unchanged", "kept: the time series of the statistics (R-STAT-1)",
    ),
    Store(
        "StatEvent", "nothing of a person: the id of a stream record applied to the counters", False,
        "not a person's", "expires", "expires", "2 days (DynamoDB TTL; the stream keeps records 24 h): a record "
        "delivered again within that counts once",
    ),
)
STORES_BY_TYPE = {store.item_type: store for store in STORES}

IDEMPOTENCY_ITEM_TYPE = "IdempotencyRecord"  # Powertools writes no `type`; its records are told by their key


def item_type(item: dict[str, Any]) -> str:
    """The registry name of a table item (tests read the whole table with it; the code knows types already)."""
    if "type" in item:
        return item["type"]
    if item.get("pk", "").startswith(keys.idempotency("")["pk"]):
        return IDEMPOTENCY_ITEM_TYPE
    raise ValueError(f"an item without a type: {item.get('pk')!r} / {item.get('sk')!r}")


def new_anonymous_id() -> str:
    """Random per record: anonymous records cannot even be linked to each other."""
    return "anon-" + secrets.token_hex(8)


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_start: dict[str, Any] | None  # None: the query is exhausted


class PersonalDataEraser:
    """Finds a person's items (one bounded page at a time) and erases each as its store declares. Every eraser is
    idempotent: an item already erased (a retry, a stale index entry) is a no-op, so work that stopped half-way
    is finished by doing it again."""

    def __init__(self, client, table_name: str, files: EvidenceFiles) -> None:
        self._client = client
        self._table = table_name
        self._files = files
        self.ERASERS: dict[str, Callable[[dict[str, Any], datetime], None]] = {
            "Registration": self._delete,
            "Application": self._erase_application,
            "Evidence": self._erase_evidence,
            "ActivityRecord": self._anonymise_record,
            "PrelaunchMatch": self._delete,
            "PremiumApplication": self._delete,
            "Notice": self._delete,
            "PremiumAudit": self._anonymise_audit,
        }

    # --- finding -----------------------------------------------------------------------------------------------------

    def items_of_person(self, user_id: str, limit: int, start: dict[str, Any] | None = None) -> Page:
        """Everything the person owns, anywhere, from the person's index (eventually consistent: a retry after a
        moment sees what a first pass missed)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": REGISTRATIONS_BY_USER.name,
            "KeyConditionExpression": "user_pk = :u",
            "ExpressionAttributeValues": {":u": {"S": keys.registrations_by_user(user_id)["user_pk"]}},
            "Limit": limit,
        }
        return self._page(request, start)

    def items_at(self, organisation_code: str, user_id: str, limit: int, start: dict[str, Any] | None = None) -> Page:
        """Everything the person has at one organisation: one partition, strongly consistent."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.person_partition(organisation_code, user_id)}},
            "ConsistentRead": True,
            "Limit": limit,
        }
        return self._page(request, start)

    def _page(self, request: dict[str, Any], start: dict[str, Any] | None) -> Page:
        if start is not None:
            request["ExclusiveStartKey"] = start
        response = self._client.query(**request)
        return Page([_load(i) for i in response["Items"]], response.get("LastEvaluatedKey"))

    # --- erasing -----------------------------------------------------------------------------------------------------

    def erase_open_uploads(self, user_id: str) -> None:
        """The national area's list of the person's open uploads (found by key)."""
        self._client.delete_item(TableName=self._table, Key=_dump(keys.open_uploads(user_id)))

    def erase_verification_requests(self, user_id: str) -> None:
        """The account's started verifications (a few at most: each expires in minutes), found in its national
        partition by their key prefix."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": _dump({":pk": keys.account(user_id)["pk"], ":prefix": keys.VERIFICATION_PREFIX}),
            "ProjectionExpression": "pk, sk",
            "ConsistentRead": True,
        }
        while True:
            response = self._client.query(**request)
            for item in response["Items"]:
                self._client.delete_item(TableName=self._table, Key={"pk": item["pk"], "sk": item["sk"]})
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def erase_subject_claim(self, user_id: str, account: dict[str, Any]) -> None:
        """One person, one account (R-BAS-4) ends with the account: its claim on the card holder's subject goes (only
        if it is still this account's), so the card can verify a new account."""
        subject_hash = (account.get("verification") or {}).get("subject_hash")
        if subject_hash is None:
            return
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=_dump(keys.subject_claim(subject_hash)),
                ConditionExpression="user_id = :me",
                ExpressionAttributeValues=_dump({":me": user_id}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def erase(self, item: dict[str, Any], now: datetime) -> None:
        kind = item_type(item)
        eraser = self.ERASERS.get(kind)
        if eraser is None:
            raise LookupError(f"no eraser for {kind}: declare it in shared/dal/personal_data.py")
        eraser(item, now)

    def _key(self, item: dict[str, Any]) -> dict[str, Any]:
        return _dump({"pk": item["pk"], "sk": item["sk"]})

    def _delete(self, item: dict[str, Any], _: datetime) -> None:
        self._client.delete_item(TableName=self._table, Key=self._key(item))

    def _erase_application(self, item: dict[str, Any], now: datetime) -> None:
        """The application goes and its place is freed (the activity's `applicants` count), in one transaction; if
        the activity cannot be lowered (gone, or its count already 0) the application goes alone."""
        organisation_code, activity_id = item["org_code"], item["activity_id"]  # projected by the person's index
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": self._key(item),
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
            if codes and codes[0] == "ConditionalCheckFailed":
                return  # already erased: its place was freed then
            self._delete(item, now)

    def _erase_evidence(self, item: dict[str, Any], now: datetime) -> None:
        """The file first, then the item that names it: a failure in between leaves the item, so a retry finds the
        file again (the other order could orphan a file no one can find)."""
        response = self._client.get_item(TableName=self._table, Key=self._key(item), ConsistentRead=True)
        if "Item" not in response:
            return
        self._files.delete_all(_evidence(_load(response["Item"])))
        self._delete(item, now)

    def _anonymise_audit(self, item: dict[str, Any], now: datetime) -> None:
        """The decision stays in the organisation's audit trail without the person: their sub, the person index keys
        (nothing finds it by person any more) and staff's free-text reason go; an entry anonymised already is left."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(item),
                UpdateExpression="SET anonymised_at = :now REMOVE user_id, user_pk, user_sk, reason",
                ConditionExpression="attribute_exists(user_pk)",
                ExpressionAttributeValues=_dump({":now": now.isoformat()}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def _anonymise_record(self, item: dict[str, Any], now: datetime) -> None:
        """Moved, in one transaction, to a partition of its own under a random id: the attendance still counts for
        the activity and statistics, and links to no one (re-registering later brings nothing back)."""
        response = self._client.get_item(TableName=self._table, Key=self._key(item), ConsistentRead=True)
        if "Item" not in response:
            return
        stored = _load(response["Item"])
        anonymous_id = new_anonymous_id()
        kept = {
            k: v
            for k, v in stored.items()
            # A claimed pre-launch record keeps its activity's name (no Activity item has it), not its provenance
            # (the upload row's key derives from the participant's name and birth date).
            if k in ("org_code", "activity_id", "activity_name", "designated_by", "venue_code", "day", "source",
                     "recorded_at", "recorded_by")
        }
        anonymous = {
            **keys.anonymous_record(stored["org_code"], anonymous_id, stored["day"], stored["activity_id"]),
            **kept,
            "type": "AnonymousRecord",
            "user_id": anonymous_id,
            "anonymised_at": now.isoformat(),
        }
        if "activity_pk" in stored:  # the venue copy stays in the activity's attendance list, anonymous
            anonymous["activity_pk"] = stored["activity_pk"]
            anonymous["activity_sk"] = f"{stored['day']}#{anonymous_id}"
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self._table, "Key": self._key(item), "ConditionExpression": "attribute_exists(pk)"}},
                    {"Put": {"TableName": self._table, "Item": _dump(anonymous), "ConditionExpression": "attribute_not_exists(pk)"}},
                ]
            )
        except ClientError as error:
            codes = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            if error.response["Error"]["Code"] == "TransactionCanceledException" and codes[:1] == ["ConditionalCheckFailed"]:
                return  # anonymised meanwhile (a concurrent retry)
            raise
