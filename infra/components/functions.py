"""One Lambda function per function folder (`shared.routes.FUNCTIONS`), all made by `FunctionFactory.create`.

Code is bundled without Docker: CDK calls `CopyApplicationCode.try_bundle` (local bundling), which copies the
application packages into the asset directory; the Docker image is never used ("none"). Dependencies come from AWS's
Powertools layer (Powertools, pydantic v2, X-Ray SDK); boto3 comes with the runtime."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import jsii
from aws_cdk import (
    AssetHashType,
    BundlingOptions,
    DockerImage,
    ILocalBundling,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_ssm as ssm,
)
from constructs import Construct

from .. import constants
from ..nag import acknowledge
from .table import DataTable

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".DS_Store")


def copy_application_code(root: Path, function: str, output_dir: Path) -> None:
    """What one function's zip holds: `shared/` (with its data files), `functions/__init__.py`, `functions/<name>/`."""
    source = root / "functions" / function
    if not (source / "handler.py").is_file():
        raise FileNotFoundError(f"{source}/handler.py does not exist (function {function!r} in shared/routes.py)")
    shutil.copytree(root / "shared", output_dir / "shared", ignore=_SKIP, dirs_exist_ok=True)
    (output_dir / "functions").mkdir(exist_ok=True)
    shutil.copy2(root / "functions" / "__init__.py", output_dir / "functions" / "__init__.py")
    shutil.copytree(source, output_dir / "functions" / function, ignore=_SKIP, dirs_exist_ok=True)


@jsii.implements(ILocalBundling)
class CopyApplicationCode:
    """Local bundling: CDK calls `try_bundle` before it would start Docker; returning True means "done here"."""

    def __init__(self, root: Path, function: str) -> None:
        self._root = root
        self._function = function

    def try_bundle(self, output_dir: str, *_args: object, **_options: object) -> bool:
        copy_application_code(self._root, self._function, Path(output_dir))
        return True


def application_code(function: str, root: Path = constants.ROOT) -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(root),
        # Hash the bundle, not the source folder: the source is the repository root (it would fingerprint .venv).
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("none"),  # never pulled: local bundling always succeeds
            local=CopyApplicationCode(root, function),
        ),
    )


# DynamoDB actions the data layer uses (shared/dal/repository.py, shared/dal/idempotency.py). TransactWriteItems
# has no IAM action of its own: each Put/Update/Delete in a transaction is authorized as PutItem/UpdateItem/DeleteItem
# (a ConditionCheck item would need dynamodb:ConditionCheckItem; the code has none). Query only runs on indexes.
TABLE_ITEM_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
INDEX_ACTIONS = ("dynamodb:Query",)
# DynamoDB calls KMS on the caller's behalf for the table key (only via DynamoDB: kms:ViaService).
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt")


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


class FunctionFactory(Construct):
    """Makes every function the same way; each gets its own role with only the table access it needs."""

    def __init__(self, scope: Construct, construct_id: str, *, data: DataTable) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        self.functions: dict[str, lambda_.Function] = {}
        layer_arn = ssm.StringParameter.value_for_string_parameter(self, constants.POWERTOOLS_LAYER_PARAMETER)
        self.powertools = lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", layer_arn)

    def create(self, name: str) -> lambda_.Function:
        if name in self.functions:
            raise ValueError(f"function {name!r} created twice")
        scope = Construct(self, _pascal(name))
        log_group = logs.LogGroup(scope, "Logs", retention=constants.LOG_RETENTION)
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"furusato {name} function: its log group, X-Ray, the table",
        )
        log_group.grant_write(role)
        self._grant_table(role)
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
            environment={
                "TABLE_NAME": self._data.table.table_name,
                "POWERTOOLS_SERVICE_NAME": name,
                "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": constants.LOG_LEVEL,
            },
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Active tracing: X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions, "
            "so CDK grants them on '*'. No other statement of this role has a wildcard.",
        )
        acknowledge(
            function,
            "AwsSolutions-L1",
            "The runtime is pinned to python3.12 on purpose: it matches the Powertools layer build "
            "(AWSLambdaPowertoolsPythonV3-python312) and the version the code is tested with; moving to a newer "
            "runtime is a deliberate change of constants.RUNTIME together with the layer.",
        )
        self.functions[name] = function
        return function

    def create_all(self, names: Sequence[str]) -> dict[str, lambda_.Function]:
        return {name: self.create(name) for name in names}

    def _grant_table(self, role: iam.Role) -> None:
        data = self._data
        role.add_to_policy(
            iam.PolicyStatement(actions=list(TABLE_ITEM_ACTIONS), resources=[data.table.table_arn])
        )
        role.add_to_policy(iam.PolicyStatement(actions=list(INDEX_ACTIONS), resources=data.index_arns))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=list(KEY_ACTIONS),
                resources=[data.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{data.table.stack.region}.amazonaws.com"}},
            )
        )
