"""Evidence of attendance (R-ACT-3): items in DynamoDB, files in S3 (uploaded by the app with a presigned POST
whose conditions enforce the declared type and the size limit; staff view them with a short-lived presigned GET)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.activities import EVIDENCE_MAX_BYTES, Evidence
from ..domain.errors import EvidenceAlreadyDecided, EvidenceNotFound
from ..domain.paging import Page
from . import keys
from .paging import KeyQuery, page_of
from .repository import _dump, _load
from .table import EVIDENCE_TO_REVIEW

UPLOAD_SECONDS = 15 * 60
VIEW_SECONDS = 5 * 60


def _item(evidence: Evidence) -> dict[str, Any]:
    item = {
        **keys.evidence(evidence.organisation_code, evidence.user_id, evidence.id),
        "type": "Evidence",
        "org_code": evidence.organisation_code,
        **evidence.model_dump(mode="json", exclude={"organisation_code"}),
    }
    return item


def _evidence(item: dict[str, Any]) -> Evidence:
    fields = {k: v for k, v in item.items() if k in Evidence.model_fields}
    return Evidence.model_validate({**fields, "organisation_code": item["org_code"]})


class EvidenceRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, evidence: Evidence) -> None:
        self._client.put_item(TableName=self._table, Item=_dump(_item(evidence)), ConditionExpression="attribute_not_exists(pk)")

    def get(self, organisation_code: str, user_id: str, evidence_id: str) -> Evidence:
        response = self._client.get_item(
            TableName=self._table, Key=_dump(keys.evidence(organisation_code, user_id, evidence_id)), ConsistentRead=True
        )
        if "Item" not in response:
            raise EvidenceNotFound(f"no evidence {evidence_id}", evidence_id=evidence_id)
        return _evidence(_load(response["Item"]))

    def mark_submitted(self, evidence: Evidence, at: datetime) -> Evidence:
        """Into the organisation's review queue (the sparse evidence_to_review index)."""
        return self._update(
            evidence,
            "SET #status = :submitted, submitted_at = :at, review_pk = :rpk, review_sk = :rsk",
            {":submitted": "submitted", ":at": at.isoformat(), ":rpk": keys.evidence_to_review(evidence.organisation_code),
             ":rsk": f"{at.isoformat()}#{evidence.id}", ":open": ["awaiting_upload", "submitted"]},
            "#status IN (:o0, :o1)",
        )

    def decide(self, evidence: Evidence, status: str, staff_id: str, at: datetime, reason: str | None) -> Evidence:
        """Out of the review queue, once: a second decision is refused."""
        return self._update(
            evidence,
            "SET #status = :s, decided_at = :at, decided_by = :by, rejection_reason = :reason REMOVE review_pk, review_sk",
            {":s": status, ":at": at.isoformat(), ":by": staff_id, ":reason": reason or "", ":open": ["submitted"]},
            "#status = :o0",
        )

    def _update(self, evidence: Evidence, expression: str, values: dict[str, Any], condition: str) -> Evidence:
        allowed = values.pop(":open")
        values |= {f":o{i}": v for i, v in enumerate(allowed)}
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_dump(keys.evidence(evidence.organisation_code, evidence.user_id, evidence.id)),
                UpdateExpression=expression,
                ConditionExpression=f"attribute_exists(pk) AND {condition}",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=_dump(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise EvidenceAlreadyDecided(f"evidence {evidence.id} is {evidence.status}", evidence_id=evidence.id) from error
            raise
        return _evidence(_load(response["Attributes"]))

    def to_review(self, organisation_code: str, limit: int, token: str | None = None) -> Page[Evidence]:
        """A page of the organisation's review queue (the sparse evidence_to_review index), oldest submission first."""
        query = KeyQuery(keys.evidence_to_review(organisation_code), index=EVIDENCE_TO_REVIEW)
        return page_of(
            self._client, self._table, query, limit, token,
            lambda i: Evidence.model_validate(
                {**{k: v for k, v in i.items() if k in Evidence.model_fields}, "organisation_code": i["org_code"],
                 "status": "submitted", "object_key": "", "created_at": i["submitted_at"]}
            ),
        )

    def of_user(self, organisation_code: str, user_id: str, limit: int, token: str | None = None) -> Page[Evidence]:
        """A page of the person's evidence for one organisation: one Query on their partition."""
        query = KeyQuery(keys.evidence(organisation_code, user_id, "")["pk"], prefix=keys.EVIDENCE_PREFIX)
        return page_of(self._client, self._table, query, limit, token, _evidence)


class EvidenceFiles:
    def __init__(self, s3_client, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def upload_form(self, evidence: Evidence) -> dict[str, Any]:
        """A presigned POST: S3 itself refuses another content type or a file over the limit."""
        return self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=evidence.object_key,
            Fields={"Content-Type": evidence.content_type},
            Conditions=[{"Content-Type": evidence.content_type}, ["content-length-range", 1, EVIDENCE_MAX_BYTES]],
            ExpiresIn=UPLOAD_SECONDS,
        )

    def uploaded(self, evidence: Evidence) -> tuple[int, str] | None:
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=evidence.object_key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return head["ContentLength"], head.get("ContentType", "")

    def view_url(self, evidence: Evidence) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": evidence.object_key}, ExpiresIn=VIEW_SECONDS
        )


def create_evidence_bucket(s3_client, name: str) -> None:
    """Local runtime and tests (deployed, the stack creates the bucket: private, encrypted, SSL only)."""
    s3_client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": s3_client.meta.region_name})
