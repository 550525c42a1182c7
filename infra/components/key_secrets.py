"""What the stack's key secrets have in common (the check-in keys, the identity verifier's keys): a KMS key of their
own, usable only through Secrets Manager for those secrets; secrets CloudFormation fills with a random placeholder
until a bootstrap custom resource writes the real keys in AWS (no key material in the template); the bootstrap's role,
log group and function; and reading a secret granted as Decrypt through Secrets Manager for that secret alone.

Functions, not a base construct: each construct keeps its own ids in its own scope, so the logical ids of what is
deployed (secrets that must never be replaced) stay what they are."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from shared.functions import Grant

from .. import constants
from ..nag import acknowledge

BOOTSTRAP_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue")


def secrets_key(scope: Construct, alias: str, description: str) -> kms.Key:
    return kms.Key(
        scope, "Key", alias=alias, description=description, enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN
    )


def placeholder_secret(scope: Construct, construct_id: str, description: str, key: kms.IKey) -> secretsmanager.Secret:
    """A secret under `key`, holding a random placeholder CloudFormation generates until the bootstrap writes it;
    retained with the stack."""
    return secretsmanager.Secret(
        scope,
        construct_id,
        description=description,
        encryption_key=key,
        generate_secret_string=secretsmanager.SecretStringGenerator(password_length=32, exclude_punctuation=True),
        removal_policy=RemovalPolicy.RETAIN,
    )


def via_secrets_manager(scope: Construct, *secret_arns: str) -> dict[str, dict[str, Any]]:
    """The KMS condition: only Secrets Manager, and only for these secrets (their encryption context)."""
    return {
        "StringEquals": {
            "kms:ViaService": f"secretsmanager.{Stack.of(scope).region}.amazonaws.com",
            "kms:EncryptionContext:SecretARN": secret_arns[0] if len(secret_arns) == 1 else list(secret_arns),
        }
    }


def bootstrap_role(scope: Construct, description: str, key: kms.IKey, secret_arns: list[str]) -> tuple[iam.Role, logs.LogGroup]:
    """The bootstrap's role: its logs, and writing the secrets (DescribeSecret, PutSecretValue; Secrets Manager asks
    KMS for a data key on the caller's behalf, so GenerateDataKey, no Decrypt needed to write)."""
    log_group = logs.LogGroup(scope, "BootstrapLogs", retention=constants.LOG_RETENTION)
    role = iam.Role(scope, "BootstrapRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description)
    log_group.grant_write(role)
    role.add_to_policy(iam.PolicyStatement(actions=list(BOOTSTRAP_ACTIONS), resources=secret_arns))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["kms:GenerateDataKey"], resources=[key.key_arn], conditions=via_secrets_manager(scope, *secret_arns)
        )
    )
    return role, log_group


def bootstrap_function(
    scope: Construct,
    *,
    description: str,
    handler: str,
    code: lambda_.Code,
    powertools: lambda_.ILayerVersion,
    timeout: Duration,
    role: iam.IRole,
    log_group: logs.ILogGroup,
    from_layer: str,
) -> lambda_.Function:
    function = lambda_.Function(
        scope,
        "BootstrapFunction",
        description=description,
        runtime=constants.RUNTIME,
        architecture=constants.ARCHITECTURE,
        handler=handler,
        code=code,
        layers=[powertools],
        memory_size=256,
        timeout=timeout,
        role=role,
        log_group=log_group,
    )
    acknowledge(
        function,
        "AwsSolutions-L1",
        "The runtime is pinned to python3.12 on purpose: it matches the Powertools layer build "
        f"(AWSLambdaPowertoolsPythonV3-python312) the bootstrap imports {from_layer} from; moving to a newer runtime is "
        "a deliberate change of constants.RUNTIME together with the layer.",
    )
    return function


def grant_read(scope: Construct, key: kms.IKey, secret: secretsmanager.ISecret, role: iam.IRole, grant: Grant) -> None:
    """A function's grant on one secret; reading it also needs Decrypt with the key, only through Secrets Manager for
    that secret."""
    role.add_to_principal_policy(iam.PolicyStatement(actions=list(grant.actions), resources=[secret.secret_arn]))
    if "secretsmanager:GetSecretValue" in grant.actions:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"], resources=[key.key_arn], conditions=via_secrets_manager(scope, secret.secret_arn)
            )
        )
