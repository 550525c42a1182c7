"""The approval keys (shared/functions.py APPROVAL_KEYS, R-PRE-5): a Secrets Manager secret whose value Secrets Manager
generates when the stack creates it, `{"key": <64 letters and digits>}` (shared.dal.approval_keys derives the link and
session keys from it), under its own KMS key like the stack's other key secrets; no custom resource, no key material
in the template.

Companion setting APPROVAL_BASE_URL: where the admin API serves the approval page the e-mailed links open. It is
built from the admin RestApi's id, the region and the stage name, not from the API's `url`: that one refers to the
deployment's stage, which depends on every method, whose integrations refer to the functions; a function granted the
approval keys that is also integrated in the admin API (admin) would then refer to itself through its own
environment, a CloudFormation cycle (docs/decisions.md, 2026-12-02). The RestApi itself refers to no function."""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import IStableStringProducer, Lazy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IValidation

from shared.dal.approval_keys import SECRET_FIELD
from shared.functions import APPROVAL_KEYS, Grant

from .. import constants
from ..nag import acknowledge
from .key_secrets import grant_read, secrets_key

BASE_URL_SETTING = APPROVAL_KEYS.companions[0]  # APPROVAL_BASE_URL


@jsii.implements(IValidation)
class _Served:
    def __init__(self, owner: ApprovalKeys) -> None:
        self._owner = owner

    def validate(self) -> list[str]:
        if self._owner.approvals_api is None:
            return ["approval keys: no API serves the approval page (ApprovalKeys.served_by was never called)"]
        return []


@jsii.implements(IStableStringProducer)
class _BaseUrl:
    """APPROVAL_BASE_URL, resolved at synthesis: the functions' environments are made before the admin API exists."""

    def __init__(self, owner: ApprovalKeys) -> None:
        self._owner = owner

    def produce(self) -> str:
        return self._owner.base_url()


class ApprovalKeys(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = secrets_key(
            self,
            constants.APPROVAL_KEY_ALIAS.format(stack=stack.stack_name),
            "Furusato premium approval keys: Secrets Manager encryption",
        )
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description=constants.APPROVAL_KEYS_DESCRIPTION,
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}",
                generate_string_key=SECRET_FIELD,
                exclude_punctuation=True,  # goes into JSON and nowhere else: letters and digits are entropy enough
                password_length=constants.APPROVAL_KEY_LENGTH,
            ),
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "No scheduled rotation: the links e-mailed to staff stay valid for the whole wait for a decision (up to "
            "APPROVAL_TIMEOUT_SECONDS, 14 days by default) and a rotation would silently void every one in flight; "
            "there is no rotation function that could keep the previous key. An operator replaces the value by hand "
            "(put-secret-value) if it is ever exposed, knowing open links must then be re-sent (docs/infra.md).",
        )
        self.approvals_api: apigateway.IRestApi | None = None
        self._stage = ""
        self.node.add_validation(_Served(self))

    def served_by(self, api: apigateway.IRestApi, stage: str) -> None:
        """The API (and stage) that serves the approval page: the admin API (created after the functions)."""
        self.approvals_api, self._stage = api, stage

    def base_url(self) -> str:
        if self.approvals_api is None:
            raise ValueError("approval keys: APPROVAL_BASE_URL is needed before an API serves the approval page")
        stack = Stack.of(self)
        return f"https://{self.approvals_api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}/{self._stage}/"

    # --- GrantTarget (infra/components/functions.py) ----------------------------------------------------------------

    @property
    def setting_value(self) -> str:
        return self.secret.secret_arn

    @property
    def companion_settings(self) -> Mapping[str, str]:
        return {BASE_URL_SETTING: Lazy.string(_BaseUrl(self), display_hint="ApprovalBaseUrl")}

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        """The grant's actions on the secret (and Decrypt through Secrets Manager for it alone)."""
        grant_read(self, self.key, self.secret, role, grant)
