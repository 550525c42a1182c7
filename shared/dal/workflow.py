"""The premium workflow's state machine, as the functions that start executions and answer waiting ones see it."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

# SendTaskSuccess answers these when the execution stopped waiting (timed out, failed, stopped) or the token is not
# one: the decision stands on its own (the workflow's unanswered step reads it), so they are not the caller's error.
GONE = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


class WorkflowClient:
    def __init__(self, client, state_machine_arn: str) -> None:
        self._client = client  # stepfunctions
        self._arn = state_machine_arn

    def start(self, name: str, execution_input: dict[str, Any]) -> bool:
        """Start the execution `name` (the application's id). Starting it again with the same input while it runs is
        a success without a second execution; once it has ended, ExecutionAlreadyExists says so: False."""
        try:
            self._client.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(execution_input))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return False
            raise
        return True

    def resume(self, task_token: str, output: dict[str, Any]) -> bool:
        """Let the waiting execution go on with `output`; False when it no longer waits."""
        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as error:
            if error.response["Error"]["Code"] in GONE:
                return False
            raise
        return True
