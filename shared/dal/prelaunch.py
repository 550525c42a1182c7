"""DynamoDB adapter for pre-launch records (R-ACT-5): stored as unclaimed participations, idempotently."""

from __future__ import annotations

from typing import Any

from ..domain.prelaunch import PrelaunchRecord
from . import keys
from .repository import _dump


def _item(record: PrelaunchRecord) -> dict[str, Any]:
    return {
        **keys.unclaimed_record(record.uploader_code, record.participant.person_key, record.row_key),
        "type": "UnclaimedRecord",
        "org_code": record.uploader_code,
        **record.model_dump(mode="json"),
    }


class PrelaunchRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def store_new(self, records: list[PrelaunchRecord]) -> list[PrelaunchRecord]:
        """Stores the records not stored before (same row_key = same participation) and returns them. Keys are
        derived from the rows, so even a race between two uploads of one file cannot store a row twice: the
        second write of a key rewrites the same item."""
        known = self._existing_keys(records)
        new = [r for r in records if (r.participant.person_key, r.row_key) not in known]
        for start in range(0, len(new), 25):
            request: dict[str, Any] | None = {
                self._table: [{"PutRequest": {"Item": _dump(_item(r))}} for r in new[start : start + 25]]
            }
            while request:
                response = self._client.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or None
        return new

    def _existing_keys(self, records: list[PrelaunchRecord]) -> set[tuple[str, str]]:
        wanted = [keys.unclaimed_record(r.uploader_code, r.participant.person_key, r.row_key) for r in records]
        found: set[tuple[str, str]] = set()
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] | None = {
                self._table: {"Keys": [_dump(k) for k in wanted[start : start + 100]], "ProjectionExpression": "pk, sk"}
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self._table, []):
                    person_key = item["pk"]["S"].rsplit("#UNCLAIMED#", 1)[1]
                    found.add((person_key, item["sk"]["S"].removeprefix(keys.PRELAUNCH_PREFIX)))
                request = response.get("UnprocessedKeys") or None
        return found
