"""Powertools idempotency records in our single table (national area). Powertools' composite-key mode puts every
record under one static partition key, a hot partition at national scale; here each record is its own partition."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from . import keys
from .table import SORT_KEY, TTL_ATTRIBUTE


class SingleTablePersistenceLayer(DynamoDBPersistenceLayer):
    def __init__(self, table_name: str, boto3_client=None) -> None:
        super().__init__(
            table_name=table_name,
            key_attr="pk",
            sort_key_attr=SORT_KEY,
            expiry_attr=TTL_ATTRIBUTE,
            boto3_client=boto3_client,
        )

    def _get_key(self, idempotency_key: str) -> dict:
        return {name: {"S": value} for name, value in keys.idempotency(idempotency_key).items()}

    def _item_to_data_record(self, item: dict):
        record = super()._item_to_data_record(item)
        record.idempotency_key = record.idempotency_key.removeprefix(keys.idempotency("")["pk"])
        return record
