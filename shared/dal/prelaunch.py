"""DynamoDB adapter for pre-launch records (R-ACT-5): stored as unclaimed participations, idempotently, grouped by
the participant's identity key (name and birth date) for the claim that follows identity verification (R-BAS-4)."""

from __future__ import annotations

from typing import Any

from ..domain.prelaunch import PrelaunchRecord
from . import keys
from .batch import batch_get, batch_put
from .items import load
from .paging import KeyQuery

# A person takes part in at most a few hundred designated activities of one organisation, and a partition also holds
# the records of anyone sharing their name and birth date; a record is ~1 KB, so the largest read (1,000 records)
# is about 1 MB: one or two response pages, ~250 read units consistent. A caller claims what it got and asks again.
MAX_UNCLAIMED_PER_QUERY = 1_000
_STORED_ONLY = ("pk", "sk", "type", "org_code")  # key and bookkeeping attributes, not the record's


def _item(record: PrelaunchRecord) -> dict[str, Any]:
    return {
        **_key(record),
        "type": "UnclaimedRecord",
        "org_code": record.uploader_code,
        **record.model_dump(mode="json"),
    }


def _key(record: PrelaunchRecord) -> dict[str, str]:
    return keys.unclaimed_record(record.uploader_code, record.participant.identity_key, record.row_key)


def _record(item: dict[str, Any]) -> PrelaunchRecord:
    return PrelaunchRecord.model_validate({k: v for k, v in item.items() if k not in _STORED_ONLY})


def unclaimed_query(organisation_code: str, identity_key: str) -> KeyQuery:
    """The partition of one identity's unclaimed records at one organisation (every sort key starts PRELAUNCH#)."""
    return KeyQuery(keys.unclaimed_record(organisation_code, identity_key, "")["pk"], prefix=keys.PRELAUNCH_PREFIX)


class PrelaunchRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def store_new(self, records: list[PrelaunchRecord]) -> list[PrelaunchRecord]:
        """Stores the records not stored before (same row_key = same participation) and returns them. Keys are
        derived from the rows, so even a race between two uploads of one file cannot store a row twice: the
        second write of a key rewrites the same item."""
        known = self._existing_keys(records)
        new = [r for r in records if tuple(_key(r).values()) not in known]
        batch_put(self._client, self._table, [_item(r) for r in new])
        return new

    def _existing_keys(self, records: list[PrelaunchRecord]) -> set[tuple[str, str]]:
        found = batch_get(self._client, self._table, [_key(r) for r in records], projection="pk, sk")
        return {(item["pk"], item["sk"]) for item in found}

    def unclaimed_of(self, organisation_code: str, identity_key: str, limit: int = 100) -> list[PrelaunchRecord]:
        """The organisation's unclaimed records filed under one identity key (R-ACT-5, R-BAS-4), in row-key order, at
        most `limit` (1..MAX_UNCLAIMED_PER_QUERY): one Query of the partition, strongly consistent (a claim right after
        an import sees it), read on only when DynamoDB's 1 MB page ends first. Exact and near matches alike: the
        claim tells them apart (shared.domain.claims.match)."""
        if not 1 <= limit <= MAX_UNCLAIMED_PER_QUERY:
            raise ValueError(f"limit {limit} out of range 1..{MAX_UNCLAIMED_PER_QUERY}")
        request: dict[str, Any] = {
            "TableName": self._table,
            **unclaimed_query(organisation_code, identity_key).arguments(),
            "ConsistentRead": True,
            "Limit": limit,
        }
        raw: list[dict[str, Any]] = []
        while True:
            response = self._client.query(**request)
            raw += response["Items"]
            last = response.get("LastEvaluatedKey")
            if last is None or len(raw) >= limit:
                break
            request["ExclusiveStartKey"] = last
            request["Limit"] = limit - len(raw)
        return [_record(load(item)) for item in raw[:limit]]
