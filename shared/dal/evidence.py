"""Evidence of attendance (R-ACT-3): items in DynamoDB, files in S3. The app uploads with a presigned POST pinned to
one key under `uploads/`, the declared type and the declared size; on submit the checked file is copied server-side
under `evidence/`, which no upload form can target, and staff view that copy with a short-lived presigned GET."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.activities import ActivityRecord, Evidence
from ..domain.errors import ConcurrentUpdate, EvidenceAlreadyDecided, EvidenceNotFound
from ..domain.evidence import SNIFF_BYTES, UploadedFile
from ..domain.paging import Page
from . import keys
from .activities import FIRST_RECORD, AttendanceTransaction
from .paging import KeyQuery, page_of
from .repository import _dump, _load
from .table import EVIDENCE_TO_REVIEW
from .transactions import Transaction, TransactionCancelled

UPLOAD_SECONDS = 15 * 60
VIEW_SECONDS = 5 * 60


def _item(evidence: Evidence) -> dict[str, Any]:
    return {
        **keys.evidence(evidence.organisation_code, evidence.user_id, evidence.id),
        "type": "Evidence",
        "org_code": evidence.organisation_code,
        **evidence.model_dump(mode="json", exclude={"organisation_code"}, exclude_none=True),
        **keys.registrations_by_user(evidence.user_id),
        "user_sk": keys.evidence_of_person(evidence.organisation_code, evidence.id),
    }


def _evidence(item: dict[str, Any]) -> Evidence:
    fields = {k: v for k, v in item.items() if k in Evidence.model_fields}
    return Evidence.model_validate({**fields, "organisation_code": item["org_code"]})


@dataclass(frozen=True)
class OpenUploads:
    """The person's open uploads (evidence id -> epoch second it stops counting) and the version they were read at."""

    entries: dict[str, int]
    version: int


class EvidenceRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def open_uploads(self, user_id: str) -> OpenUploads:
        response = self._client.get_item(TableName=self._table, Key=_dump(keys.open_uploads(user_id)), ConsistentRead=True)
        item = _load(response.get("Item", {}))
        return OpenUploads({k: int(v) for k, v in item.get("open_uploads", {}).items()}, int(item.get("version", 0)))

    def create(self, evidence: Evidence, open_uploads: OpenUploads, open_until: int) -> None:
        """One transaction: the evidence, and the person's open uploads as read (pruned of those that stopped
        counting) plus this one. A concurrent start changed the version: refused, so the cap holds."""
        entries = {**open_uploads.entries, evidence.id: open_until}
        condition = "attribute_not_exists(pk)" if open_uploads.version == 0 else "version = :seen"
        values: dict[str, Any] = {":entries": entries, ":next": open_uploads.version + 1, ":type": "OpenUploads"}
        if open_uploads.version:
            values[":seen"] = open_uploads.version
        transaction = Transaction(self._client)
        transaction.add(
            "evidence",
            {"Put": {"TableName": self._table, "Item": _dump(_item(evidence)), "ConditionExpression": "attribute_not_exists(pk)"}},
        )
        transaction.add(
            "open uploads",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _dump(keys.open_uploads(evidence.user_id)),
                    "UpdateExpression": "SET open_uploads = :entries, version = :next, #type = :type",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#type": "type"},
                    "ExpressionAttributeValues": _dump(values),
                }
            },
        )
        try:
            transaction.write()
        except TransactionCancelled as cancelled:
            raise ConcurrentUpdate("another upload was started at the same moment; try again") from cancelled

    def get(self, organisation_code: str, user_id: str, evidence_id: str) -> Evidence:
        response = self._client.get_item(
            TableName=self._table, Key=_dump(keys.evidence(organisation_code, user_id, evidence_id)), ConsistentRead=True
        )
        if "Item" not in response:
            raise EvidenceNotFound(f"no evidence {evidence_id}", evidence_id=evidence_id)
        return _evidence(_load(response["Item"]))

    def mark_submitted(self, evidence: Evidence, at: datetime, object_key: str) -> Evidence | None:
        """Into the organisation's review queue (the sparse evidence_to_review index), once, pointing at the reviewed
        copy; the upload stops counting as open in the same transaction. None: it was submitted meanwhile."""
        submitted = evidence.model_copy(update={"status": "submitted", "submitted_at": at, "object_key": object_key})
        values: dict[str, Any] = {
            ":submitted": "submitted", ":at": at.isoformat(), ":key": object_key, ":awaiting": "awaiting_upload",
            ":rpk": keys.evidence_to_review(evidence.organisation_code), ":rsk": f"{at.isoformat()}#{evidence.id}",
        }
        expression = "SET #status = :submitted, submitted_at = :at, object_key = :key, review_pk = :rpk, review_sk = :rsk"
        transaction = Transaction(self._client)
        transaction.add(
            "evidence",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _dump(keys.evidence(evidence.organisation_code, evidence.user_id, evidence.id)),
                    "UpdateExpression": expression,
                    "ConditionExpression": "attribute_exists(pk) AND #status = :awaiting",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": _dump(values),
                }
            },
        )
        transaction.add(
            "open uploads",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _dump(keys.open_uploads(evidence.user_id)),
                    # The entry may be gone (pruned once it stopped counting): removing it is then a no-op.
                    "UpdateExpression": "REMOVE open_uploads.#id SET version = version + :one",
                    "ConditionExpression": "attribute_exists(open_uploads)",
                    "ExpressionAttributeNames": {"#id": evidence.id},
                    "ExpressionAttributeValues": _dump({":one": 1}),
                }
            },
        )
        try:
            transaction.write()
        except TransactionCancelled as cancelled:
            if cancelled.failed("evidence"):
                return None
            raise ConcurrentUpdate("the upload changed at the same moment; try again") from cancelled
        return submitted

    def accept(self, evidence: Evidence, staff_id: str, at: datetime, attendance: AttendanceTransaction) -> tuple[Evidence, bool, ActivityRecord]:
        """One transaction: the attendance records (each only if new) and the decision (only from `submitted`), so
        no failure leaves records counting for evidence still waiting, or later rejected (issue 11). A record that
        exists already (the person also scanned, or staff entered it) is not written again: the transaction is
        repeated without it. Returns (accepted evidence, whether a record was created, the venue's record)."""
        decision = {
            "Update": {
                "TableName": self._table,
                "Key": _dump(keys.evidence(evidence.organisation_code, evidence.user_id, evidence.id)),
                "UpdateExpression": "SET #status = :accepted, decided_at = :at, decided_by = :by "
                "REMOVE review_pk, review_sk, rejection_reason",
                "ConditionExpression": "attribute_exists(pk) AND #status = :submitted",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": _dump(
                    {":accepted": "accepted", ":at": at.isoformat(), ":by": staff_id, ":submitted": "submitted"}
                ),
            }
        }
        accepted = evidence.model_copy(update={"status": "accepted", "decided_at": at, "decided_by": staff_id, "rejection_reason": None})
        existing: dict[str, ActivityRecord] = {}
        for _ in range(len(attendance.puts) + 1):
            transaction = Transaction(self._client)
            attendance.add_to(transaction, leave_out=existing)
            transaction.add("decision", decision)
            try:
                transaction.write()
            except TransactionCancelled as cancelled:
                if cancelled.failed("decision"):
                    raise EvidenceAlreadyDecided(f"evidence {evidence.id} was decided meanwhile", evidence_id=evidence.id) from cancelled
                attendance.raise_refusal(cancelled)
                found = attendance.existing_records(cancelled)
                if not found:
                    raise ConcurrentUpdate("accepting collided with a concurrent change; try again") from cancelled
                existing |= found
                continue
            first = existing.get(FIRST_RECORD)
            return accepted, first is None, first if first is not None else attendance.records[0]
        raise ConcurrentUpdate("accepting collided with a concurrent change; try again")

    def reject(self, evidence: Evidence, staff_id: str, at: datetime, reason: str) -> Evidence:
        """Out of the review queue, once, only from `submitted`: an accepted evidence (whose records were written in
        the acceptance's transaction) can never become rejected, so a rejection never leaves records behind."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_dump(keys.evidence(evidence.organisation_code, evidence.user_id, evidence.id)),
                UpdateExpression="SET #status = :rejected, decided_at = :at, decided_by = :by, rejection_reason = :reason "
                "REMOVE review_pk, review_sk",
                ConditionExpression="attribute_exists(pk) AND #status = :submitted",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=_dump(
                    {":rejected": "rejected", ":at": at.isoformat(), ":by": staff_id, ":reason": reason, ":submitted": "submitted"}
                ),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = _load(error.response.get("Item", {}))
            if (stored.get("status"), stored.get("decided_by"), stored.get("decided_at")) == ("rejected", staff_id, at.isoformat()):
                return _evidence(stored)  # our own update, resent by botocore after its answer was lost
            raise EvidenceAlreadyDecided(f"evidence {evidence.id} is not waiting for review", evidence_id=evidence.id) from error
        return _evidence(_load(response["Attributes"]))

    def to_review(self, organisation_code: str, limit: int, token: str | None = None) -> Page[Evidence]:
        """A page of the organisation's review queue (the sparse evidence_to_review index), oldest submission first;
        the index holds every field staff's list shows."""
        query = KeyQuery(keys.evidence_to_review(organisation_code), index=EVIDENCE_TO_REVIEW)
        return page_of(self._client, self._table, query, limit, token, _evidence)

    def of_user(self, organisation_code: str, user_id: str, limit: int, token: str | None = None) -> Page[Evidence]:
        """A page of the person's evidence for one organisation: one Query on their partition."""
        query = KeyQuery(keys.evidence(organisation_code, user_id, "")["pk"], prefix=keys.EVIDENCE_PREFIX)
        return page_of(self._client, self._table, query, limit, token, _evidence)


class EvidenceFiles:
    def __init__(self, s3_client, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    @staticmethod
    def upload_key(organisation_code: str, user_id: str, evidence_id: str) -> str:
        return keys.evidence_upload_object(organisation_code, user_id, evidence_id)

    def upload_form(self, evidence: Evidence) -> dict[str, Any]:
        """A presigned POST (SigV4) for exactly this key, the declared content type and the declared size: S3 refuses
        anything else. botocore adds the bucket and key conditions itself."""
        return self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=evidence.object_key,
            Fields={"Content-Type": evidence.content_type},
            Conditions=[{"Content-Type": evidence.content_type}, ["content-length-range", evidence.size_bytes, evidence.size_bytes]],
            ExpiresIn=UPLOAD_SECONDS,
        )

    def uploaded(self, evidence: Evidence) -> UploadedFile | None:
        """What is at the upload key now (HeadObject) and its first bytes (a ranged GET of that same object: If-Match
        its ETag, so a replacement in between is not mixed in). None: nothing uploaded."""
        key = evidence.object_key
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
            start = self._s3.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{SNIFF_BYTES - 1}", IfMatch=head["ETag"])
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return UploadedFile(head["ContentLength"], head.get("ContentType", ""), head["ETag"], start["Body"].read())

    def keep_for_review(self, evidence: Evidence, uploaded: UploadedFile) -> str:
        """Copies exactly the checked upload (If-Match its ETag: a replacement since the check is refused) under the
        reviewed prefix, server-side, to a key named after that ETag. Returns the copy's key."""
        target = keys.evidence_reviewed_object(evidence.organisation_code, evidence.user_id, evidence.id, uploaded.etag)
        self._s3.copy_object(
            Bucket=self._bucket,
            Key=target,
            CopySource={"Bucket": self._bucket, "Key": evidence.object_key},
            CopySourceIfMatch=uploaded.etag,
        )
        return target

    def discard_upload(self, upload_key: str) -> None:
        """The upload once copied (a lost delete leaves it to the bucket's lifecycle on uploads/)."""
        self._s3.delete_object(Bucket=self._bucket, Key=upload_key)

    def delete_all(self, evidence: Evidence) -> None:
        """Every version (delete markers included) of the upload and of every reviewed copy of one evidence: the
        bucket is versioned, and a plain DeleteObject would only hide the bytes until the noncurrent-version rule
        ran. Nothing left (never uploaded, erased already) is done: idempotent. One evidence has a handful of
        versions (one 15-minute form, a copy per submit), so one listing page per prefix holds them."""
        upload = keys.evidence_upload_object(evidence.organisation_code, evidence.user_id, evidence.id)
        reviewed = keys.evidence_reviewed_object(evidence.organisation_code, evidence.user_id, evidence.id, "")
        for prefix, exact in ((upload, True), (reviewed, False)):
            listed = self._s3.list_object_versions(Bucket=self._bucket, Prefix=prefix)
            for version in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
                if version["Key"] == prefix or not exact:
                    self._s3.delete_object(Bucket=self._bucket, Key=version["Key"], VersionId=version["VersionId"])

    def view_url(self, evidence: Evidence) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": evidence.object_key}, ExpiresIn=VIEW_SECONDS
        )


def create_evidence_bucket(s3_client, name: str) -> None:
    """Local runtime and tests (deployed, the stack creates the bucket: private, encrypted, SSL only, versioned)."""
    s3_client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": s3_client.meta.region_name})
