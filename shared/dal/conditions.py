"""A conditional write that may find the item not as expected: the daily schedules' and the exports' steps, each
written only from the state it expects, so a repeated step (a redelivered message, a retried run) writes nothing."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

CONDITION_FAILED = "ConditionalCheckFailedException"


def updated(client, **request: Any) -> bool:
    """UpdateItem with its ConditionExpression: True when written, False when the condition did not hold (done
    already, moved on, or gone). Any other error raises."""
    try:
        client.update_item(**request)
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] == CONDITION_FAILED:
            return False
        raise
