"""DynamoDB adapter for an organisation's premium settings (docs/access-patterns.md): one item, `ORG#<code>` /
`PREMIUM_SETTINGS`, written whole under optimistic concurrency."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import ConcurrentUpdate
from ..domain.premium_settings import OrganisationPremiumSettings, defaults
from . import keys
from .items import dump as _dump
from .items import load as _load

ITEM_TYPE = "PremiumSettings"


def _item(settings: OrganisationPremiumSettings) -> dict[str, Any]:
    return {
        **keys.premium_settings(settings.organisation_code),
        "type": ITEM_TYPE,
        "org_code": settings.organisation_code,
        **settings.model_dump(mode="json", exclude={"organisation_code"}),
    }


def _settings(item: dict[str, Any]) -> OrganisationPremiumSettings:
    fields = {k: v for k, v in item.items() if k in OrganisationPremiumSettings.model_fields}
    return OrganisationPremiumSettings.model_validate({**fields, "organisation_code": item["org_code"]})


class PremiumSettingsRepository:
    def __init__(self, client, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, organisation_code: str) -> OrganisationPremiumSettings:
        """The stored settings, or the defaults at version 0 when never set. Consistent: staff read what they saved."""
        response = self._client.get_item(
            TableName=self._table, Key=_dump(keys.premium_settings(organisation_code)), ConsistentRead=True
        )
        if "Item" not in response:
            return defaults(organisation_code)
        return _settings(_load(response["Item"]))

    def save(self, settings: OrganisationPremiumSettings, expected_version: int) -> OrganisationPremiumSettings:
        """Writes the whole settings if the stored version is `expected_version` (0: none stored yet), one UpdateItem.
        A failed condition returns the stored item: when it holds these very settings at this version, the write
        was done already (botocore resending after a lost answer, or the client repeating the PUT) and its result is
        answered; otherwise someone saved meanwhile (ConcurrentUpdate, 409)."""
        item = _item(settings)
        fields = {k: v for k, v in item.items() if k not in ("pk", "sk") and v is not None}
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":f{i}": v for i, v in enumerate(fields.values())}
        condition = "attribute_not_exists(pk)"
        if expected_version:
            condition = "attribute_exists(pk) AND #version = :expected"
            names["#version"] = "version"
            values[":expected"] = expected_version
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_dump(keys.premium_settings(settings.organisation_code)),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_dump(values),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = error.response.get("Item")
            if stored:
                current = _settings(_load(stored))
                if current.same_settings(settings):
                    return current
            raise ConcurrentUpdate("the premium settings changed meanwhile; reload them and save again") from error
        return settings
