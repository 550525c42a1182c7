"""The check-in keys (shared/domain/checkin_token.py): two Secrets Manager secrets under their own KMS key, the Ed25519
signing keys (private: only the admin function reads them) and their public halves, the verification keys (the
internet-facing checkin function reads only these). Filled on first deploy by a custom resource that generates the key
set in AWS (infra/custom_resources/signing_keys.py), so no key material is ever in the template. Rotation is an
operator action (`python -m infra.signing_keys rotate`)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CustomResource, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from shared.functions import Grant

from .. import constants
from ..nag import acknowledge
from .bundling import bundled_code

BOOTSTRAP_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue")


class CheckinSigningKeys(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, powertools: lambda_.ILayerVersion) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # Its own key, not the table's: the table key is usable only through DynamoDB, and this one only through
        # Secrets Manager for this secret (encryption context), with its own CloudTrail trail of every decrypt.
        self.key = kms.Key(
            self,
            "Key",
            alias=constants.SIGNING_KEYS_KEY_ALIAS.format(stack=stack.stack_name),
            description="Furusato check-in signing keys: Secrets Manager encryption",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description=constants.SIGNING_KEYS_DESCRIPTION,
            encryption_key=self.key,
            # A random placeholder CloudFormation generates; the bootstrap below replaces it with a key set.
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=32, exclude_punctuation=True),
            removal_policy=RemovalPolicy.RETAIN,  # tokens already printed must stay verifiable
        )
        # Public keys, but a secret all the same: the same store, cache, grant shape and rotation as the signing keys,
        # and their integrity matters (whoever could write them could make the checkin function accept any code).
        self.verification_secret = secretsmanager.Secret(
            self,
            "VerificationSecret",
            description=constants.VERIFICATION_KEYS_DESCRIPTION,
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=32, exclude_punctuation=True),
            removal_policy=RemovalPolicy.RETAIN,
        )
        for secret in (self.secret, self.verification_secret):
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                "No scheduled rotation on purpose: a rotation keeps only the previous key, so a key leaves the set "
                "after the next-but-one rotation and every QR code it signed (printed and posted weeks ahead) stops "
                "working. Operators rotate deliberately with `python -m infra.signing_keys rotate`, less often than "
                "the longest printed-code lifetime (docs/infra.md).",
            )

        log_group = logs.LogGroup(self, "BootstrapLogs", retention=constants.LOG_RETENTION)
        role = iam.Role(
            self,
            "BootstrapRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="furusato signing keys bootstrap: write the first key set (cannot read the secrets)",
        )
        log_group.grant_write(role)
        secrets = [self.secret.secret_arn, self.verification_secret.secret_arn]
        role.add_to_policy(iam.PolicyStatement(actions=list(BOOTSTRAP_ACTIONS), resources=secrets))
        # PutSecretValue: Secrets Manager asks KMS for a data key on the caller's behalf (no Decrypt needed).
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey"], resources=[self.key.key_arn], conditions=self._via_secrets_manager(*secrets)
            )
        )
        function = lambda_.Function(
            self,
            "BootstrapFunction",
            description="furusato check-in signing keys: first key set (CloudFormation custom resource)",
            runtime=constants.RUNTIME,
            architecture=constants.ARCHITECTURE,
            handler=constants.SIGNING_KEYS_BOOTSTRAP_HANDLER,
            code=bundled_code(["shared", "infra/custom_resources"]),  # SigningKeys from the application's own code
            layers=[powertools],  # pydantic (checkin_token)
            memory_size=256,
            timeout=constants.SIGNING_KEYS_BOOTSTRAP_TIMEOUT,
            role=role,
            log_group=log_group,
        )
        acknowledge(
            function,
            "AwsSolutions-L1",
            "The runtime is pinned to python3.12 on purpose: it matches the Powertools layer build "
            "(AWSLambdaPowertoolsPythonV3-python312) the bootstrap imports pydantic from; moving to a newer runtime is "
            "a deliberate change of constants.RUNTIME together with the layer.",
        )
        self.bootstrap_function = function
        self.bootstrap = CustomResource(
            self,
            "Bootstrap",
            service_token=function.function_arn,
            resource_type="Custom::CheckinSigningKeys",
            properties={"SecretId": self.secret.secret_arn, "VerificationSecretId": self.verification_secret.secret_arn},
        )
        self.verification = VerificationKeysSecret(self)

    def _via_secrets_manager(self, *secret_arns: str) -> dict[str, dict[str, Any]]:
        return {
            "StringEquals": {
                "kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com",
                "kms:EncryptionContext:SecretARN": secret_arns[0] if len(secret_arns) == 1 else list(secret_arns),
            }
        }

    @property
    def setting_value(self) -> str:
        return self.secret.secret_arn

    @property
    def ready(self) -> CustomResource:
        """Functions that read the keys are created (and so invocable) only once the bootstrap wrote the first set."""
        return self.bootstrap

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        """shared/functions.py CHECKIN_SIGNING_KEYS: the private keys (the admin function only)."""
        self.grant_on(self.secret, role, grant)

    def grant_on(self, secret: secretsmanager.ISecret, role: iam.IRole, grant: Grant) -> None:
        """The grant's actions on one of the two secrets; reading it also needs Decrypt with the key, only through
        Secrets Manager for that secret."""
        role.add_to_principal_policy(iam.PolicyStatement(actions=list(grant.actions), resources=[secret.secret_arn]))
        if "secretsmanager:GetSecretValue" in grant.actions:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[self.key.key_arn],
                    conditions=self._via_secrets_manager(secret.secret_arn),
                )
            )


class VerificationKeysSecret:
    """shared/functions.py CHECKIN_VERIFICATION_KEYS: the public keys, the only check-in keys the internet-facing
    checkin function may read (docs/decisions.md, "Check-in codes are signed with Ed25519")."""

    def __init__(self, keys: CheckinSigningKeys) -> None:
        self._keys = keys

    @property
    def setting_value(self) -> str:
        return self._keys.verification_secret.secret_arn

    @property
    def ready(self) -> CustomResource:
        return self._keys.bootstrap

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        self._keys.grant_on(self._keys.verification_secret, role, grant)
