"""One Lambda function per function folder (`shared.routes.FUNCTIONS`), all made by `FunctionFactory.create`.

Code is bundled without Docker (bundling.py). Dependencies come from AWS's Powertools layer (Powertools, pydantic v2,
X-Ray SDK) plus the pure-Python packages of `constants.BUNDLED_REQUIREMENTS` in the bundle; boto3 comes with the
runtime. Each function's role allows exactly its `constants.FUNCTION_ACCESS` entry."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Annotations, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .. import constants
from ..nag import acknowledge
from .bundling import application_code
from .evidence import EvidenceBucket
from .signing_keys import CheckinSigningKeys
from .table import DataTable

# DynamoDB calls KMS on the caller's behalf for the table key (only via DynamoDB: kms:ViaService).
TABLE_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt")


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


class FunctionFactory(Construct):
    """Makes every function the same way; each gets its own role with only the access it needs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: DataTable,
        signing_keys: CheckinSigningKeys,
        evidence: EvidenceBucket,
        powertools: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        self._signing_keys = signing_keys
        self._evidence = evidence
        self.powertools = powertools
        self.functions: dict[str, lambda_.Function] = {}
        self.aliases: dict[str, lambda_.Alias] = {}

    def create(self, name: str) -> lambda_.Alias:
        """The function and its live alias, which is what every trigger invokes: SnapStart restores only published
        versions, and the alias moves to the new version on each deploy (docs/decisions.md, cold start)."""
        if name in self.functions:
            raise ValueError(f"function {name!r} created twice")
        access = constants.FUNCTION_ACCESS.get(name)
        if access is None:
            raise ValueError(f"function {name!r} has no entry in constants.FUNCTION_ACCESS: declare what it may do")
        scope = Construct(self, _pascal(name))
        log_group = logs.LogGroup(scope, "Logs", retention=constants.LOG_RETENTION)
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"furusato {name} function: its log group, X-Ray, the table"
            + (", the check-in signing keys (read)" if access.reads_signing_keys else ""),
        )
        log_group.grant_write(role)
        self._grant_table(role, access)
        environment = {
            "TABLE_NAME": self._data.table.table_name,
            "POWERTOOLS_SERVICE_NAME": name,
            "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": constants.LOG_LEVEL,
            # Traces keep no payloads (R-PRIV-1): also for any method a later change decorates with the Tracer.
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
        }
        if access.reads_signing_keys:
            self._signing_keys.grant_read(role)
            environment["CHECKIN_KEYS_SECRET"] = self._signing_keys.secret.secret_arn
        if access.evidence:
            self._evidence.grant(role, access.evidence)
            environment["EVIDENCE_BUCKET"] = self._evidence.bucket.bucket_name
        function = lambda_.Function(
            scope,
            "Function",
            description=f"furusato {name}",
            runtime=constants.RUNTIME,
            architecture=constants.ARCHITECTURE,
            handler=constants.HANDLER.format(name=name),
            code=application_code(name),
            layers=[self.powertools],
            memory_size=constants.MEMORY_MB,
            timeout=constants.TIMEOUT,
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
        if access.reads_signing_keys:
            # Created (and so invocable) only once the bootstrap has written the first key set.
            function.node.add_dependency(self._signing_keys.bootstrap)
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Active tracing: X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions, "
            "so CDK grants them on '*'. No other statement of this role has a wildcard.",
        )
        acknowledge_pinned_runtime(function)
        self.functions[name] = function
        self.aliases[name] = alias
        return alias

    def create_all(self, names: Sequence[str]) -> dict[str, lambda_.Alias]:
        stale = sorted(set(constants.FUNCTION_ACCESS) - set(names))
        if stale:
            raise ValueError(f"constants.FUNCTION_ACCESS declares functions that do not exist: {stale}")
        return {name: self.create(name) for name in names}

    def _grant_table(self, role: iam.Role, access: constants.FunctionAccess) -> None:
        data = self._data
        role.add_to_policy(iam.PolicyStatement(actions=sorted(access.table_actions), resources=[data.table.table_arn]))
        if access.queried_indexes:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:Query"], resources=[data.index_arn(name) for name in access.queried_indexes]
                )
            )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=list(TABLE_KEY_ACTIONS),
                resources=[data.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{Stack.of(self).region}.amazonaws.com"}},
            )
        )
