"""The check-in keys (shared/domain/checkin_token.py): two Secrets Manager secrets under their own KMS key, the Ed25519
signing keys (private: only the admin function reads them) and their public halves, the verification keys (the
internet-facing checkin function reads only these). Filled on first deploy by a custom resource that generates the key
set in AWS (infra/custom_resources/signing_keys.py), so no key material is ever in the template. Rotation is an
operator action (`python -m infra.signing_keys rotate`)."""

from __future__ import annotations

from aws_cdk import CustomResource, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from shared.functions import Grant

from .. import constants
from ..nag import acknowledge
from .bundling import bundled_code
from .key_secrets import bootstrap_function, bootstrap_role, grant_read, placeholder_secret, secrets_key

class CheckinSigningKeys(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, powertools: lambda_.ILayerVersion) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # Its own key, not the table's: the table key is usable only through DynamoDB, and this one only through
        # Secrets Manager for this secret (encryption context), with its own CloudTrail trail of every decrypt.
        self.key = secrets_key(
            self,
            constants.SIGNING_KEYS_KEY_ALIAS.format(stack=stack.stack_name),
            "Furusato check-in signing keys: Secrets Manager encryption",
        )
        # The bootstrap replaces the placeholder with a key set; retained: tokens already printed must stay verifiable.
        self.secret = placeholder_secret(self, "Secret", constants.SIGNING_KEYS_DESCRIPTION, self.key)
        # Public keys, but a secret all the same: the same store, cache, grant shape and rotation as the signing keys,
        # and their integrity matters (whoever could write them could make the checkin function accept any code).
        self.verification_secret = placeholder_secret(
            self, "VerificationSecret", constants.VERIFICATION_KEYS_DESCRIPTION, self.key
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

        secrets = [self.secret.secret_arn, self.verification_secret.secret_arn]
        role, log_group = bootstrap_role(
            self, "furusato signing keys bootstrap: write the first key set (cannot read the secrets)", self.key, secrets
        )
        function = bootstrap_function(
            self,
            description="furusato check-in signing keys: first key set (CloudFormation custom resource)",
            handler=constants.SIGNING_KEYS_BOOTSTRAP_HANDLER,
            code=bundled_code(["shared", "infra/custom_resources"]),  # SigningKeys from the application's own code
            powertools=powertools,
            timeout=constants.SIGNING_KEYS_BOOTSTRAP_TIMEOUT,
            role=role,
            log_group=log_group,
            from_layer="pydantic",  # checkin_token
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
        grant_read(self, self.key, secret, role, grant)


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
