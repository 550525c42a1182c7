"""The state machines of shared/workflows in moto, with the very definitions the stack deploys: their Lambda tasks
reach the real handlers through the dispatcher (local/dispatcher.py). Used by the local runtime and the tests.

moto executes a state machine only with `{"stepfunctions": {"execute_state_machine": true}}` in its configuration,
on a worker thread; `.waitForTaskToken` timeouts run on the wall clock (the premium workflow's wait reads its
timeout from the execution's input, APPROVAL_TIMEOUT_SECONDS, so tests make it short)."""

from __future__ import annotations

import io
import json
import zipfile

from local.dispatcher import FUNCTION_PREFIX
from shared.workflows import WORKFLOWS

STATE_MACHINE_PREFIX = "furusato-"
ROLE_NAME = "furusato-local-workflows"
LAMBDA_ROLE_NAME = "furusato-local-lambda"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "The local runtime dispatches this function to functions/ in-process.")
    return buffer.getvalue()


def register_lambda_functions(iam, awslambda, functions: tuple[str, ...]) -> dict[str, str]:
    """Functions exist in moto's Lambda too, so Step Functions tasks and direct invokes reach the handlers (the
    handler named is informational: the dispatcher knows the entry points). Function name -> ARN."""
    role = iam.create_role(RoleName=LAMBDA_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    arns = {}
    for function in functions:
        created = awslambda.create_function(
            FunctionName=FUNCTION_PREFIX + function, Runtime="python3.12", Role=role,
            Handler=f"functions.{function}.handler.lambda_handler", Code={"ZipFile": empty_zip()},
        )
        arns[function] = created["FunctionArn"]
    return arns


def create_state_machines(iam, stepfunctions, function_arns: dict[str, str]) -> dict[str, str]:
    """Every workflow's state machine, its tasks pointing at `function_arns`. Workflow name -> state machine ARN."""
    role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    return {
        workflow.name: stepfunctions.create_state_machine(
            name=STATE_MACHINE_PREFIX + workflow.name, definition=workflow.definition(function_arns), roleArn=role,
        )["stateMachineArn"]
        for workflow in WORKFLOWS
    }
