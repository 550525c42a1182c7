"""One Lambda function per entry of the function list (`shared.functions.FUNCTIONS`), all made by
`FunctionFactory.create`, with their triggers.

Code is bundled without Docker (bundling.py). Dependencies come from AWS's Powertools layer (Powertools, pydantic v2,
X-Ray SDK) plus the pure-Python packages of `constants.BUNDLED_REQUIREMENTS` in the bundle; boto3 comes with the
runtime. Each function's role allows exactly its grants in the function list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from aws_cdk import Annotations, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from shared.functions import (
    SCHEDULE_TIMEZONE, Function, Grant, Http, Queue, Resource, Schedule, StateMachineTask, TableStream, Trigger,
)

from .. import constants
from ..nag import acknowledge
from .bundling import application_code
from .table import DataTable


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def powertools_layer(scope: Construct, construct_id: str) -> lambda_.ILayerVersion:
    """AWS's public Powertools layer of the pinned release, its ARN read from AWS's SSM parameter at deploy time."""
    layer_arn = ssm.StringParameter.value_for_string_parameter(scope, constants.POWERTOOLS_LAYER_PARAMETER)
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, layer_arn)


def acknowledge_pinned_runtime(function: lambda_.Function) -> None:
    acknowledge(
        function,
        "AwsSolutions-L1",
        "The runtime is pinned to python3.12 on purpose: it matches the Powertools layer build "
        "(AWSLambdaPowertoolsPythonV3-python312) and the version the code is tested with; moving to a newer "
        "runtime is a deliberate change of constants.RUNTIME together with the layer.",
    )


class GrantTarget(Protocol):
    """A construct that builds one resource of shared/functions.py and knows how to grant access to it."""

    @property
    def setting_value(self) -> str: ...  # the environment variable's value: the resource's name or ARN

    def grant_access(self, role: iam.IRole, grant: Grant) -> None: ...


def companion_settings(target: GrantTarget, resource: Resource) -> dict[str, str]:
    """The values of the settings that come with `resource` (`Resource.companions`, e.g. VERIFIER_PROVIDER with the
    verifier's keys), from its construct's `companion_settings`; every one of them, or ValueError."""
    offered = dict(getattr(target, "companion_settings", None) or {})
    missing = [name for name in resource.companions if not offered.get(name)]
    if missing:
        raise ValueError(f"resource {resource.name!r} comes with {missing}, which {type(target).__name__} does not set")
    return {name: offered[name] for name in resource.companions}


class FunctionFactory(Construct):
    """Makes every function of shared/functions.py the same way; each gets its own role with exactly its grants, the
    environment variables of the resources it is granted (and their companion settings), and its triggers (HTTP
    routes are built by the APIs)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resources: Mapping[str, GrantTarget],
        powertools: lambda_.ILayerVersion,
        plain_settings: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._resources = resources
        # Values of the settings that name nothing granted in IAM (Function.plain_settings, e.g. the staff pool's
        # ids for the approval page's sign-in), set for exactly the functions that declare them.
        self._plain_settings = dict(plain_settings or {})
        self.powertools = powertools
        self.functions: dict[str, lambda_.Function] = {}
        self.aliases: dict[str, lambda_.Alias] = {}

    def create(self, declared: Function) -> lambda_.Alias:
        """The function and its live alias, which is what every trigger invokes: SnapStart restores only published
        versions, and the alias moves to the new version on each deploy (docs/decisions.md, cold start)."""
        name = declared.name
        if name in self.functions:
            raise ValueError(f"function {name!r} created twice")
        unbuilt = sorted({g.resource.name for g in declared.grants} - set(self._resources))
        if unbuilt:
            raise ValueError(f"function {name!r} is granted {unbuilt}, which the stack does not build")
        scope = Construct(self, _pascal(name))
        log_group = logs.LogGroup(scope, "Logs", retention=constants.LOG_RETENTION)
        granted = sorted({g.resource.name for g in declared.grants})
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"furusato {name} function: its log group, X-Ray, {', '.join(granted) or 'nothing else'}",
        )
        log_group.grant_write(role)
        environment = {
            "POWERTOOLS_SERVICE_NAME": name,
            "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": constants.LOG_LEVEL,
            # Traces keep no payloads (R-PRIV-1): also for any method a later change decorates with the Tracer.
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
        }
        for grant in declared.grants:
            target = self._resources[grant.resource.name]
            target.grant_access(role, grant)
            environment[grant.resource.setting] = target.setting_value
            environment.update(companion_settings(target, grant.resource))
        unset = sorted(set(declared.plain_settings) - set(self._plain_settings))
        if unset:
            raise ValueError(f"function {name!r} needs {unset}, which the stack does not set")
        environment.update({setting: self._plain_settings[setting] for setting in declared.plain_settings})
        for resource_name in granted:
            target = self._resources[resource_name]
            if isinstance(target, DataTable):
                target.grant_key(role)
        function = lambda_.Function(
            scope,
            "Function",
            description=f"furusato {name}",
            runtime=constants.RUNTIME,
            architecture=constants.ARCHITECTURE,
            handler=declared.entry_point,
            code=application_code(name),
            layers=[self.powertools],
            memory_size=constants.MEMORY_MB,
            timeout=constants.TIMEOUTS.get(name, constants.TIMEOUT),
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment=environment,
            # Imports and settings checks run when a version is published; cold starts restore that snapshot.
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS,
        )
        alias = lambda_.Alias(scope, "Live", alias_name=constants.LIVE_ALIAS, version=function.current_version)
        Annotations.of(function).acknowledge_warning(
            "@aws-cdk/aws-lambda:snapStartRequirePublish",
            "Published: current_version makes a new version on every code or configuration change, and the live alias "
            "(what API Gateway and every other trigger invoke) points at it.",
        )
        for resource_name in granted:
            ready = getattr(self._resources[resource_name], "ready", None)
            if ready is not None:
                function.node.add_dependency(ready)
        for trigger in declared.triggers:
            self._add_trigger(scope, alias, trigger)
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Active tracing: X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions, "
            "so CDK grants them on '*'."
            + (
                " Reading the table's stream needs dynamodb:ListStreams, which has no resource-level permission either "
                "(the stream's records are read on its ARN only)."
                if any(isinstance(t, TableStream) for t in declared.triggers)
                else ""
            )
            + " No other statement of this role has a wildcard.",
        )
        acknowledge_pinned_runtime(function)
        self.functions[name] = function
        self.aliases[name] = alias
        return alias

    def create_all(self, functions: Sequence[Function]) -> dict[str, lambda_.Alias]:
        return {f.name: self.create(f) for f in functions}

    def _add_trigger(self, scope: Construct, function: lambda_.IFunction, trigger: Trigger) -> None:
        if isinstance(trigger, Http):
            return  # the APIs integrate the function's routes (api.py)
        if isinstance(trigger, StateMachineTask):
            # The state machine's role may invoke the alias (workflows.py, from the same Task states): nothing to add
            # on the function (Lambda checks the caller's IAM; no resource policy is needed within the account).
            return
        if isinstance(trigger, Schedule):
            scheduler.Schedule(
                scope,
                f"Schedule{_pascal(trigger.name)}",
                description=trigger.description,
                schedule=scheduler.ScheduleExpression.expression(
                    trigger.cron, time_zone=TimeZone.of(SCHEDULE_TIMEZONE)
                ),
                target=scheduler_targets.LambdaInvoke(
                    function,
                    input=scheduler.ScheduleTargetInput.from_object(
                        trigger.event(scheduler.ContextAttribute.scheduled_time)
                    ),
                    retry_attempts=constants.SCHEDULE_RETRY_ATTEMPTS,
                ),
            )
            return
        if isinstance(trigger, Queue):
            # The queue's resource (shared/functions.py QUEUES) is built by the stack (queues.py). Partial batch
            # responses: only the failed messages come back (shared/api/scheduled.py reports them).
            work = self._resources.get(trigger.name)
            if work is None or not hasattr(work, "queue"):
                raise ValueError(f"Queue trigger {trigger.name!r}: the stack builds no such queue (shared/functions.py QUEUES)")
            function.add_event_source(event_sources.SqsEventSource(
                work.queue, batch_size=constants.QUEUE_BATCH_SIZE, report_batch_item_failures=True,
            ))
            return
        if isinstance(trigger, TableStream):
            self._add_table_stream(scope, function, trigger)
            return
        # A trigger type the stack does not build is refused rather than deploying a function nothing invokes.
        raise ValueError(f"{type(trigger).__name__} triggers are not built by the stack yet ({trigger})")

    def _add_table_stream(self, scope: Construct, function: lambda_.IFunction, trigger: TableStream) -> None:
        """An event source mapping on the table's stream (NEW_AND_OLD_IMAGES, shared/dal/table.py), filtered on the
        items' `type` (new or old image: a deletion has only the old), in order per shard; a failing record is
        reported (ReportBatchItemFailures) and retried, the batch bisected; after the retries, its description goes
        to an encrypted dead-letter queue."""
        tables = [t for t in self._resources.values() if isinstance(t, DataTable)]
        if len(tables) != 1:
            raise ValueError("a TableStream trigger needs the one table among the stack's resources")
        table = tables[0].table
        dead_letters = sqs.Queue(
            scope,
            "StreamDeadLetters",
            # Records' positions only (shard, sequence numbers), never their images: SQS-managed encryption suffices.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=constants.STREAM_DLQ_RETENTION,
        )
        acknowledge(
            dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter destination of the stream's event source mapping (failed batches' "
            "descriptions, for operators); nothing consumes it, so it needs no dead-letter queue of its own.",
        )
        types = list(trigger.item_types)
        function.add_event_source(
            event_sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=constants.STREAM_BATCH_SIZE,
                bisect_batch_on_error=True,
                retry_attempts=constants.STREAM_RETRY_ATTEMPTS,
                max_record_age=constants.STREAM_MAX_RECORD_AGE,
                report_batch_item_failures=True,
                on_failure=event_sources.SqsDlq(dead_letters),
                filters=[  # local/streams.py's passes_filter is the same rule
                    lambda_.FilterCriteria.filter({"dynamodb": {image: {"type": {"S": types}}}})
                    for image in ("NewImage", "OldImage")
                ],
            )
        )
