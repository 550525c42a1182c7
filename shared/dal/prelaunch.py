"""DynamoDB adapter for pre-launch records (R-ACT-5): stored as unclaimed participations, idempotently."""

from __future__ import annotations

from typing import Any

from ..domain.prelaunch import PrelaunchRecord
from . import keys
from .batch import batch_get, batch_put


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
        batch_put(self._client, self._table, [_item(r) for r in new])
        return new

    def _existing_keys(self, records: list[PrelaunchRecord]) -> set[tuple[str, str]]:
        wanted = [keys.unclaimed_record(r.uploader_code, r.participant.person_key, r.row_key) for r in records]
        found: set[tuple[str, str]] = set()
        for item in batch_get(self._client, self._table, wanted, projection="pk, sk"):
            found.add((item["pk"].rsplit("#UNCLAIMED#", 1)[1], item["sk"].removeprefix(keys.PRELAUNCH_PREFIX)))
        return found
