"""The state machines of shared/workflows, one per `shared.workflows.WORKFLOWS` entry, each the GrantTarget of its
resource in shared/functions.py (PREMIUM_WORKFLOW: setting PREMIUM_STATE_MACHINE = the state machine's ARN).

The definition is the very ASL file the local runtime and the tests execute on moto (`Workflow.text()`), inlined
(`DefinitionBody.from_string`: no S3 asset) with CloudFormation substituting each `${Placeholder}` by the live alias
ARN of the function its Task states invoke (`Workflow.substitutions`). The state machine's role may invoke exactly
those aliases (`Workflow.task_functions()`, which shared.functions.workflow_problems holds to the functions'
StateMachineTask triggers: synthesis refuses a list and a definition that disagree).

Order: the functions that start or answer executions (renewal, admin) are built before the state machine, which needs
the aliases of the functions it invokes. The state machine's name is fixed ("<stack>-<workflow>"), so its ARN is
known up front (`Stack.format_arn`): granting it and setting it in a function's environment makes no CloudFormation
reference to the state machine, and no cycle can arise even if a function were both a task of a workflow and
granted it. `build(aliases)` makes the state machine once the functions exist; synthesis fails if it never runs."""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct, IValidation

from shared.functions import Grant
from shared.workflows import Workflow

from .. import constants
from ..nag import acknowledge


@jsii.implements(IValidation)
class _Built:
    def __init__(self, owner: WorkflowStateMachine) -> None:
        self._owner = owner

    def validate(self) -> list[str]:
        if self._owner.state_machine is None:
            name = self._owner.workflow.name
            return [f"workflow {name!r}: granted to functions but its state machine was never built"]
        return []


class WorkflowStateMachine(Construct):
    """One workflow's state machine: Standard, logs (ALL events, no execution data) in its own log group, X-Ray."""

    def __init__(self, scope: Construct, construct_id: str, *, workflow: Workflow) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.workflow = workflow
        self.state_machine_name = constants.STATE_MACHINE_NAME.format(stack=stack.stack_name, workflow=workflow.name)
        self.state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.state_machine: sfn.StateMachine | None = None
        self.node.add_validation(_Built(self))

    def build(self, aliases: Mapping[str, lambda_.IFunction]) -> sfn.StateMachine:
        """The state machine, its Task states invoking `aliases` (function name -> live alias)."""
        if self.state_machine is not None:
            raise ValueError(f"workflow {self.workflow.name!r} built twice")
        invoked = sorted(set(self.workflow.task_functions().values()))
        unbuilt = sorted(set(self.workflow.substitutions.values()) - set(aliases))
        if unbuilt:
            raise ValueError(f"workflow {self.workflow.name!r} invokes {unbuilt}, which the stack does not build")
        stack = Stack.of(self)
        role = iam.Role(
            self,
            "Role",
            # Only Step Functions, and only for this state machine of this account (confused deputy).
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": self.state_machine_arn},
                },
            ),
            description=f"furusato {self.workflow.name} state machine: invokes {', '.join(invoked)}; its logs, X-Ray",
        )
        # lambda:invoke (and .waitForTaskToken) call Invoke with the alias ARN as FunctionName: IAM authorizes that
        # qualified ARN, so the grant is on the aliases alone (no unqualified function, no other version).
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[aliases[f].function_arn for f in invoked])
        )
        log_group = logs.LogGroup(self, "Logs", retention=constants.LOG_RETENTION)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,  # waits for staff for days (a task token)
            definition_body=sfn.DefinitionBody.from_string(self.workflow.text()),
            definition_substitutions={
                placeholder: aliases[function].function_arn
                for placeholder, function in self.workflow.substitutions.items()
            },
            role=role,
            # Every event (cdk-nag SF1), without the states' input and output: they hold ids only, but payloads stay
            # out of the logs (R-PRIV-1) whatever a later change puts into them.
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Logging to CloudWatch Logs (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, "
            "ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing "
            "(PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) support no resource-level "
            "permissions, so CDK grants them on '*'. lambda:InvokeFunction is on the task functions' aliases only.",
        )
        return self.state_machine

    # --- GrantTarget (infra/components/functions.py) ----------------------------------------------------------------

    @property
    def setting_value(self) -> str:
        return self.state_machine_arn

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        """The grant's actions on the state machine: StartExecution (renewal) and SendTaskSuccess (admin) are both
        authorized on the state machine's ARN (the resource CDK's grant_start_execution and grant_task_response use;
        a task token is checked against the state machine of its execution)."""
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(grant.actions), resources=[self.state_machine_arn])
        )
