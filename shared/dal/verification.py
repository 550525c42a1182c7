"""DynamoDB adapter of identity verification (R-BAS-4, R-PRE-3): started requests and the account's verification
(national area, no personal data), the verified 4 info in the person's registrations (organisation areas), and
pre-launch participations claimed or offered (R-ACT-5). Every access pattern here is in docs/access-patterns.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from secrets import token_hex

from botocore.exceptions import ClientError

from ..domain.errors import AccountDeleted, ConcurrentUpdate, IdentityInUse, VerificationRequestNotFound
from ..domain.prelaunch import PrelaunchRecord
from ..domain.verification import AccountVerification, AuthorizationSecrets, PendingVerification, VerifiedIdentity
from . import keys
from .activities import prelaunch_record_item
from .batch import batch_get
from .items import dump as _dump
from .items import load as _load
from .paging import KeyQuery, page_of, query_all
from .repository import ACCOUNT_IN_USE, VERIFICATION_ATTRIBUTE, account_verification
from .table import REGISTRATIONS_BY_USER
from .transactions import Transaction, TransactionCancelled



def random_token() -> str:
    return token_hex(16)


def _pending(item: dict[str, Any]) -> PendingVerification:
    return PendingVerification(
        user_id=keys.user_of(item["pk"].removeprefix(keys.NATIONAL)),
        secrets=AuthorizationSecrets(state=item["sk"].removeprefix(keys.VERIFICATION_PREFIX), nonce=item["nonce"],
                                     code_verifier=item["code_verifier"]),
        purpose=item["purpose"],
        share_with_organisations=item["share_with_organisations"],
        guardian_consents=item["guardian_consents"],
        created_at=datetime.fromisoformat(item["created_at"]),
        expires_at=datetime.fromisoformat(item["expires_until"]),
    )


class VerificationRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- started requests --------------------------------------------------------------------------------------------

    def put_pending(self, pending: PendingVerification) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=_dump(
                {
                    **keys.verification_request(pending.user_id, pending.secrets.state),
                    "type": "VerificationRequest",
                    "nonce": pending.secrets.nonce,
                    "code_verifier": pending.secrets.code_verifier,
                    "purpose": pending.purpose,
                    "share_with_organisations": pending.share_with_organisations,
                    "guardian_consents": pending.guardian_consents,
                    "created_at": pending.created_at.isoformat(),
                    "expires_until": pending.expires_at.isoformat(),
                    # DynamoDB's TTL removes it some time after; `take_pending` refuses it from expires_until on.
                    "expires_at": int(pending.expires_at.timestamp()),
                }
            ),
        )

    def take_pending(self, user_id: str, state: str, now: datetime) -> PendingVerification:
        """The request this account started with `state`, marked used as it is read: a state works once (a replayed
        callback, or a state of another account, finds nothing usable). Marked rather than deleted, with a token of
        this call: when botocore resends the write after its answer was lost, the resend meets its own mark and the
        request goes on (a delete's resend would find nothing). DynamoDB's TTL removes the item."""
        token = random_token()
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_dump(keys.verification_request(user_id, state)),
                UpdateExpression="SET used_by = :token",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(used_by)",
                ExpressionAttributeValues=_dump({":token": token}),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            item = _load(response["Attributes"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item = _load(error.response.get("Item") or {})
            if item.get("used_by") != token:
                raise VerificationRequestNotFound("no verification was started with this state by this account") from None
        pending = _pending(item)
        if pending.expires_at <= now:
            raise VerificationRequestNotFound("the verification request has expired")
        return pending

    # --- the account's verification (national area) ----------------------------------------------------------------

    def get_verification(self, user_id: str) -> tuple[AccountVerification, bool]:
        """The account's verification, and whether the account is deleted or being deleted."""
        response = self._client.get_item(TableName=self._table, Key=_dump(keys.account(user_id)), ConsistentRead=True)
        item = _load(response["Item"]) if "Item" in response else {}
        return account_verification(item), ("deleting_since" in item or "deleted_at" in item)

    def record_verification(self, user_id: str, outcome: AccountVerification, previous: AccountVerification) -> None:
        """One transaction: the subject claimed for this account (refused when another account holds it: IdentityInUse)
        and the account's verification replaced, if it is still `previous` (a concurrent verification of the same
        account: ConcurrentUpdate) and the account is not being deleted (AccountDeleted)."""
        assert outcome.subject_hash is not None and outcome.verified_on is not None
        transaction = Transaction(self._client)
        transaction.add(
            "subject",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _dump(
                        {**keys.subject_claim(outcome.subject_hash), "type": "SubjectClaim", "user_id": user_id,
                         "verified_on": outcome.verified_on.isoformat()}
                    ),
                    "ConditionExpression": "attribute_not_exists(pk) OR user_id = :me",
                    "ExpressionAttributeValues": _dump({":me": user_id}),
                }
            },
        )
        self._add_account_update(transaction, user_id, outcome, previous)
        self._write(transaction, user_id)

    def record_guardian(self, user_id: str, outcome: AccountVerification, previous: AccountVerification) -> None:
        """A guardian's consent completes a minor's verification (R-PRE-3): the account alone changes."""
        transaction = Transaction(self._client)
        self._add_account_update(transaction, user_id, outcome, previous)
        self._write(transaction, user_id)

    def _add_account_update(
        self, transaction: Transaction, user_id: str, outcome: AccountVerification, previous: AccountVerification
    ) -> None:
        unchanged = (
            "attribute_not_exists(#v)" if previous.subject_hash is None
            else "#v.subject_hash = :old_subject AND #v.#status = :old_status"
        )
        values: dict[str, Any] = {":v": outcome.model_dump(mode="json", exclude_none=True), ":type": "Account"}
        if previous.subject_hash is not None:
            values |= {":old_subject": previous.subject_hash, ":old_status": previous.status}
        names = {"#v": VERIFICATION_ATTRIBUTE, "#type": "type"}
        if previous.subject_hash is not None:
            names["#status"] = "status"
        transaction.add(
            "account",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _dump(keys.account(user_id)),
                    "UpdateExpression": "SET #v = :v, #type = :type",
                    "ConditionExpression": f"({ACCOUNT_IN_USE}) AND ({unchanged})",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": _dump(values),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        )

    def _write(self, transaction: Transaction, user_id: str) -> None:
        try:
            transaction.write()
        except TransactionCancelled as cancelled:
            if cancelled.failed("subject"):
                raise IdentityInUse("the card holder verified another account") from cancelled
            if cancelled.failed("account"):
                old = cancelled.item("account") or {}
                if "deleting_since" in old or "deleted_at" in old:
                    raise AccountDeleted(f"account {user_id} is deleted") from cancelled
            raise ConcurrentUpdate("verification collided with a concurrent change") from cancelled

    # --- the verified 4 info in the registrations (organisation areas) ----------------------------------------------

    def registrations_with_personal(self, user_id: str, codes: list[str]) -> dict[str, dict[str, Any]]:
        """The person's registration items at `codes`, as stored (personal data included): strongly consistent."""
        items = batch_get(self._client, self._table, [keys.registration(c, user_id) for c in codes])
        return {item["org_code"]: item for item in items}

    def write_verified_personal(
        self, registration: dict[str, Any], identity: VerifiedIdentity, resident: bool, day: date
    ) -> None:
        """The registration's 4 info replaced by the card's, marked verified (the e-mail the person gave stays); its
        resident flag judged from the verified address from now on. Only if it still exists (a concurrent
        withdrawal wins)."""
        personal = identity.personal_info().model_dump(mode="json", exclude_none=True)
        email = (registration.get("personal") or {}).get("email")
        if email:
            personal["email"] = email
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_dump({"pk": registration["pk"], "sk": registration["sk"]}),
                UpdateExpression="SET personal = :p, personal_verified_on = :d, resident = :r, resident_basis = :b",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=_dump(
                    {":p": personal, ":d": day.isoformat(), ":r": resident, ":b": "verified_address"}
                ),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # --- pre-launch participations (R-ACT-5) --------------------------------------------------------------------------

    def claim(self, user_id: str, record: PrelaunchRecord, identity_key: str, records: list, at: datetime,
              offer: bool = False) -> bool:
        """One transaction: the unclaimed participation goes (it must still be there), the person's records come
        (venue and prefecture, R-ACT-4; an existing one is kept), a confirmed offer goes. False when the
        participation was claimed already (a retry, or another account's claim won)."""
        transaction = Transaction(self._client)
        transaction.add(
            "unclaimed",
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _dump(keys.unclaimed_record(record.uploader_code, identity_key, record.row_key)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        )
        for index, activity_record in enumerate(records):
            transaction.add(
                f"record {index}",
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _dump(prelaunch_record_item(activity_record, record, project_to_activity=index == 0)),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            )
        if offer:
            transaction.add(
                "offer",
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _dump(keys.prelaunch_match(record.uploader_code, user_id, record.row_key)),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            )
        try:
            transaction.write()
            return True
        except TransactionCancelled as cancelled:
            if cancelled.failed("unclaimed") or cancelled.failed("offer"):
                return False
            if any(cancelled.failed(f"record {i}") for i in range(len(records))):
                # The person has a record of that activity and day already: the participation is theirs, once.
                self._client.delete_item(
                    TableName=self._table,
                    Key=_dump(keys.unclaimed_record(record.uploader_code, identity_key, record.row_key)),
                )
                if offer:
                    self._client.delete_item(
                        TableName=self._table, Key=_dump(keys.prelaunch_match(record.uploader_code, user_id, record.row_key))
                    )
                return False
            raise ConcurrentUpdate("the claim collided with a concurrent change") from cancelled

    def offer(self, user_id: str, record: PrelaunchRecord, identity_key: str, at: datetime) -> None:
        """A near match, offered to the person (never claimed silently): what they need to recognise the activity,
        nothing of the participant as staff typed them."""
        self._client.put_item(
            TableName=self._table,
            Item=_dump(
                {
                    **keys.prelaunch_match(record.uploader_code, user_id, record.row_key),
                    "type": "PrelaunchMatch",
                    "org_code": record.uploader_code,
                    **keys.registrations_by_user(user_id),
                    "user_sk": keys.prelaunch_match_of_person(record.uploader_code, record.row_key),
                    "identity_key": identity_key,
                    "row_key": record.row_key,
                    "activity_name": record.activity_name,
                    "day": record.starts_at.date().isoformat(),
                    "place": record.place,
                    "venue_code": record.venue_code,
                    "offered_at": at.isoformat(),
                }
            ),
        )

    def get_offer(self, code: str, user_id: str, row_key: str) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._table, Key=_dump(keys.prelaunch_match(code, user_id, row_key)), ConsistentRead=True
        )
        return _load(response["Item"]) if "Item" in response else None

    def decline_offer(self, code: str, user_id: str, row_key: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_dump(keys.prelaunch_match(code, user_id, row_key)))

    def offers_of_user(self, user_id: str, limit: int, token: str | None):
        query = KeyQuery(keys.registrations_by_user(user_id)["user_pk"], index=REGISTRATIONS_BY_USER, prefix=keys.MATCH_PREFIX)
        return page_of(self._client, self._table, query, limit, token, lambda item: item)

    def registered_codes(self, user_id: str) -> list[str]:
        """The organisations the person is registered with (every page: bounded by the ~1,800 organisations)."""
        items = query_all(
            self._client,
            TableName=self._table,
            IndexName=REGISTRATIONS_BY_USER.name,
            KeyConditionExpression="user_pk = :u AND begins_with(user_sk, :p)",
            ExpressionAttributeValues=_dump({":u": keys.registrations_by_user(user_id)["user_pk"], ":p": keys.USER_REGISTRATIONS}),
            ProjectionExpression="org_code",
        )
        return [i["org_code"] for i in items]

