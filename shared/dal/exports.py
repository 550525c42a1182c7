"""DynamoDB and S3 adapters of the staff registrant export (R-PRIV-2; shared/logic/exports.py).

The export item (keys.export: the organisation's exports partition, in its own area) carries the job's whole state
between the work queue's messages: the S3 multipart upload's id, the parts written (number and ETag), the list's page
token to go on from and the rows written. Each step writes conditionally on `next_part` being its own part number, so
a message delivered twice never records a part twice nor skips one. The CSV is one object under keys.EXPORT_OBJECTS in
the evidence bucket (KMS-encrypted, versioned; a lifecycle rule deletes it after 7 days)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.exports import RegistrantExport
from ..domain.paging import Page
from ..domain.registrants import RegistrantFilter
from . import keys
from .conditions import updated
from .items import dump as _dump
from .items import load as _load
from .paging import KeyQuery, page_of, query_page
from .table import TTL_ATTRIBUTE
from .transactions import Transaction, TransactionCancelled

ITEM_TYPE = "RegistrantExport"



@dataclass
class ExportJob:
    """An export as its job sees it (the item's whole state)."""

    code: str
    export: RegistrantExport
    next_part: int = 1
    upload_id: str | None = None
    parts: list[dict[str, Any]] = field(default_factory=list)  # [{"n": part number, "etag": its ETag}]
    page_token: str | None = None
    filters_hash: str = ""

    @property
    def object_key(self) -> str:
        return keys.export_object(self.code, self.export.id)


def _export(item: dict[str, Any]) -> RegistrantExport:
    return RegistrantExport(
        id=item["id"], status=item["status"], filters=RegistrantFilter.model_validate_json(item["filters"]),
        created_at=datetime.fromisoformat(item["created_at"]), created_by=item["created_by"],
        finished_at=datetime.fromisoformat(item["finished_at"]) if item.get("finished_at") else None,
        rows=int(item.get("rows", 0)), expires_at=datetime.fromisoformat(item["expires_on"]),
    )


def _job(item: dict[str, Any]) -> ExportJob:
    return ExportJob(
        code=item["code"], export=_export(item), next_part=int(item.get("next_part", 1)),
        upload_id=item.get("upload_id"),
        parts=[{"n": int(p["n"]), "etag": p["etag"]} for p in item.get("parts", [])],
        page_token=item.get("page_token"), filters_hash=item.get("filters_hash", ""),
    )


class ExportRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _item(self, code: str, export: RegistrantExport, filters_hash: str) -> dict[str, Any]:
        return {
            **keys.export(code, export.id), "type": ITEM_TYPE, "code": code, "id": export.id, "status": export.status,
            "filters": export.filters.model_dump_json(), "filters_hash": filters_hash,
            "created_at": export.created_at.isoformat(), "created_by": export.created_by, "rows": 0, "next_part": 1,
            "expires_on": export.expires_at.isoformat(), TTL_ATTRIBUTE: int(export.expires_at.timestamp()),
        }

    def create(self, code: str, export: RegistrantExport, filters_hash: str, request: str | None) -> RegistrantExport | None:
        """Stores a new export. With a request (a hashed Idempotency-Key), in one transaction with the request's
        item: when the key made an export already, nothing is written and that export is returned (None: created)."""
        item = _dump(self._item(code, export, filters_hash))
        if request is None:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
            return None
        transaction = Transaction(self._client)
        transaction.add("request", {"Put": {
            "TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            "Item": _dump({**keys.export_request(code, request), "type": "ExportRequest", "export_id": export.id,
                           TTL_ATTRIBUTE: int(export.expires_at.timestamp())}),
        }})
        transaction.add("export", {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}})
        try:
            transaction.write()
        except TransactionCancelled as cancelled:
            stored = cancelled.item("request") if cancelled.failed("request") else None
            if stored is None:
                raise
            job = self.job(code, stored["export_id"])
            if job is None:  # its export expired first (TTL): the key may make a new one
                raise
            return job.export
        return None

    def requested(self, code: str, request: str) -> RegistrantExport | None:
        """The export an Idempotency-Key made, if it is still kept."""
        response = self._client.get_item(TableName=self._table, Key=_dump(keys.export_request(code, request)), ConsistentRead=True)
        if "Item" not in response:
            return None
        job = self.job(code, _load(response["Item"])["export_id"])
        return job.export if job else None

    def job(self, code: str, export_id: str) -> ExportJob | None:
        response = self._client.get_item(TableName=self._table, Key=_dump(keys.export(code, export_id)), ConsistentRead=True)
        return _job(_load(response["Item"])) if "Item" in response else None

    def page(self, code: str, limit: int, token: str | None) -> Page[RegistrantExport]:
        """The organisation's exports, newest first (one Query of its exports partition)."""
        query = KeyQuery(keys.exports_partition(code), prefix=keys.EXPORT_PREFIX, newest_first=True)
        return page_of(self._client, self._table, query, limit, token, _export)

    def recent(self, code: str, limit: int) -> list[RegistrantExport]:
        """The newest `limit` exports (the limit on exports in progress counts among these)."""
        query = KeyQuery(keys.exports_partition(code), prefix=keys.EXPORT_PREFIX, newest_first=True)
        return [_export(i) for i in query_page(self._client, self._table, query, limit).items]

    # --- the job's steps: each conditional on the part it is at ---------------------------------------------------

    def start(self, job: ExportJob, upload_id: str) -> bool:
        """The multipart upload of part 1's step, recorded once (False: another delivery recorded its own first)."""
        return updated(
            self._client,
            TableName=self._table, Key=_dump(keys.export(job.code, job.export.id)),
            UpdateExpression="SET upload_id = :upload, #status = :running",
            ConditionExpression="attribute_not_exists(upload_id) AND next_part = :one AND #status = :queued",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=_dump({":upload": upload_id, ":running": "running", ":one": 1, ":queued": "queued"}),
        )

    def record_part(self, job: ExportJob, part: int, etag: str, rows: int, page_token: str) -> bool:
        """Part `part` written: its ETag, the rows it held and where the list goes on. False: recorded already."""
        return updated(
            self._client,
            TableName=self._table, Key=_dump(keys.export(job.code, job.export.id)),
            UpdateExpression="SET parts = list_append(if_not_exists(parts, :empty), :part), next_part = :following, "
                             "page_token = :token, #rows = #rows + :rows",
            ConditionExpression="next_part = :n AND #status = :running",
            ExpressionAttributeNames={"#status": "status", "#rows": "rows"},
            ExpressionAttributeValues=_dump({
                ":empty": [], ":part": [{"n": part, "etag": etag}], ":following": part + 1, ":token": page_token,
                ":rows": rows, ":n": part, ":running": "running",
            }),
        )

    def finish(self, job: ExportJob, part: int, rows: int, at: datetime) -> bool:
        return updated(
            self._client,
            TableName=self._table, Key=_dump(keys.export(job.code, job.export.id)),
            UpdateExpression="SET #status = :done, finished_at = :at, next_part = :following, #rows = #rows + :rows "
                             "REMOVE page_token",
            ConditionExpression="next_part = :n AND #status = :running",
            ExpressionAttributeNames={"#status": "status", "#rows": "rows"},
            ExpressionAttributeValues=_dump({
                ":done": "done", ":at": at.isoformat(), ":following": part + 1, ":rows": rows, ":n": part,
                ":running": "running",
            }),
        )

    def fail(self, job: ExportJob, at: datetime) -> None:
        updated(  # not as expected: done already
            self._client,
            TableName=self._table, Key=_dump(keys.export(job.code, job.export.id)),
            UpdateExpression="SET #status = :failed, finished_at = :at REMOVE page_token",
            ConditionExpression="#status IN (:queued, :running)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=_dump({":failed": "failed", ":at": at.isoformat(), ":queued": "queued", ":running": "running"}),
        )


class ExportFiles:
    """The CSV's S3 multipart upload (parts of at least 5 MiB but the last) and its presigned GET (SigV4)."""

    def __init__(self, s3_client, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def begin(self, key: str) -> str:
        return self._s3.create_multipart_upload(
            Bucket=self._bucket, Key=key, ContentType="text/csv; charset=utf-8",
            ContentDisposition='attachment; filename="registrants.csv"',
        )["UploadId"]

    def put_part(self, key: str, upload_id: str, part: int, body: bytes) -> str:
        return self._s3.upload_part(Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=part, Body=body)["ETag"]

    def complete(self, key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
        self._s3.complete_multipart_upload(
            Bucket=self._bucket, Key=key, UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": p["n"], "ETag": p["etag"]} for p in sorted(parts, key=lambda p: p["n"])]},
        )

    def abort(self, key: str, upload_id: str) -> None:
        try:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("NoSuchUpload", "404"):
                raise

    def link(self, key: str, seconds: int) -> str:
        return self._s3.generate_presigned_url("get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=seconds)
