"""Identity verification (R-BAS-4): the verifier's keys and how to reach the provider.

- `VERIFIER_SECRET` (shared/functions.py VERIFIER_KEYS): a Secrets Manager secret under its own KMS key holding
  shared.dal.identity_provider.VerifierKeys (the OpenID Connect client's EC P-256 key, the subject-hash key). Only the
  verify function reads it. Generated in AWS on first deploy by a custom resource (infra/custom_resources/verifier.py)
  and never regenerated; its public JWK Set is a second secret and the stack output `VerifierClientJwks`, which the
  operator registers with the Digital Agency.
- `VERIFIER_PROVIDER`, the resource's companion setting: the provider's configuration (issuer, endpoints, client id,
  redirect URI) from the CDK context `verifier`, validated at synthesis as shared.domain.verification.ProviderConfig,
  the model the function validates it with at cold start.

The development provider (local/oidc_provider.py) is local only: nothing here refers to it, and a configuration that
points at a loopback address or plain HTTP fails synthesis."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from aws_cdk import Annotations, CustomResource, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from pydantic import ValidationError

from shared.domain.verification import ProviderConfig
from shared.functions import VERIFIER_KEYS, Grant

from .. import constants
from ..nag import acknowledge
from .bundling import bundled_code
from .key_secrets import bootstrap_function, bootstrap_role, grant_read, placeholder_secret, secrets_key, via_secrets_manager

# What marks a placeholder in cdk.json (synthesis says so, as an info): names reserved for documentation or that
# never resolve (RFC 2606, RFC 6761; example.jp is reserved by JPRS).
PLACEHOLDER_HOSTS = (".invalid", ".example", "example.com", "example.jp")
PROVIDER_SETTING = VERIFIER_KEYS.companions[0]  # VERIFIER_PROVIDER


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def provider_config(value: Any) -> ProviderConfig:
    """The provider's configuration from the CDK context `verifier`: an object (cdk.json) or, from the command line
    (`-c verifier=...`), its JSON. ValueError naming the context key and what is wrong."""
    where = f"CDK context {constants.VERIFIER_CONTEXT!r} (cdk.json, or -c {constants.VERIFIER_CONTEXT}='{{...}}')"
    if value is None:
        raise ValueError(f"{where} is missing: the identity provider's issuer, endpoints, client id and redirect URI")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValueError(f"{where} is not JSON: {error}") from None
    try:
        config = ProviderConfig.model_validate(value)
    except ValidationError as error:
        raise ValueError(f"{where} is not a valid provider configuration (ProviderConfig): {error}") from None
    urls = {
        "issuer": config.issuer,
        "authorization_endpoint": str(config.authorization_endpoint),
        "token_endpoint": str(config.token_endpoint),
        "jwks_uri": str(config.jwks_uri),
        "redirect_uri": config.redirect_uri,
    }
    for name, url in urls.items():
        parts = urlsplit(url)
        # The token request carries the client assertion and returns the ID token: never in clear; and a deployed
        # function cannot reach the development provider on a loopback address (it is local only).
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"{where}: {name} must be an https:// URL, got {url!r}")
        if _is_loopback(parts.hostname):
            raise ValueError(
                f"{where}: {name} points at this machine ({url!r}); the development provider is local only"
            )
    return config


def is_placeholder(config: ProviderConfig) -> bool:
    hosts = {urlsplit(u).hostname or "" for u in (config.issuer, str(config.token_endpoint), config.redirect_uri)}
    return "placeholder" in config.client_id.lower() or any(h.endswith(PLACEHOLDER_HOSTS) for h in hosts)


class VerifierKeys(Construct):
    """shared/functions.py VERIFIER_KEYS: the secret (setting VERIFIER_SECRET = its ARN) and its companion setting
    VERIFIER_PROVIDER (the provider's configuration as JSON)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, provider: ProviderConfig, powertools: lambda_.ILayerVersion
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.provider = provider
        if is_placeholder(provider):
            # An info, not a warning: warnings are findings of the validation report, which the tests require empty
            # (and they synthesize cdk.json as it is); deploying placeholders is harmless, verification just fails.
            Annotations.of(self).add_info(
                f"context {constants.VERIFIER_CONTEXT!r} holds placeholders: identity verification cannot work until "
                "the Digital Agency's issuer, endpoints and the client id it issues are set (docs/infra.md)",
            )
        # Its own key, as the check-in keys have: usable only through Secrets Manager for these secrets (encryption
        # context), with its own CloudTrail record of every decrypt of the subject-hash key.
        self.key = secrets_key(
            self,
            constants.VERIFIER_KEY_ALIAS.format(stack=stack.stack_name),
            "Furusato identity verification keys: Secrets Manager encryption",
        )
        # The subject hashes stored nationally are only comparable under the key in it: losing it would let every card
        # verify a second account. Retained with the stack, and never replaced (its logical id is pinned by a test);
        # the bootstrap below replaces the placeholder with the keys, once.
        self.secret = placeholder_secret(self, "Secret", constants.VERIFIER_KEYS_DESCRIPTION, self.key)
        self.jwks_secret = placeholder_secret(self, "JwksSecret", constants.VERIFIER_JWKS_DESCRIPTION, self.key)
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "No rotation on purpose: the subject-hash key must never change (a new key would hash the same card's "
            "subject differently and let it verify a second account), and the client key is registered with the "
            "Digital Agency, so replacing it is a coordinated operator change, not a schedule (docs/infra.md).",
        )
        acknowledge(
            self.jwks_secret,
            "AwsSolutions-SMG4",
            "Holds only the public JWK Set of the client key in the verifier keys secret, written with it; nothing to "
            "rotate on its own (it changes exactly when the client key does).",
        )
        self._bootstrap_function = self._bootstrap_function_for(powertools)
        self.bootstrap = CustomResource(
            self,
            "Bootstrap",
            service_token=self._bootstrap_function.function_arn,
            resource_type="Custom::VerifierKeys",
            properties={"SecretId": self.secret.secret_arn, "JwksSecretId": self.jwks_secret.secret_arn},
        )

    @property
    def jwks(self) -> str:
        """The client's public JWK Set (JSON), as the bootstrap wrote or found it: for the stack output."""
        return self.bootstrap.get_att_string(constants.VERIFIER_JWKS_ATTRIBUTE)

    def _bootstrap_function_for(self, powertools: lambda_.ILayerVersion) -> lambda_.Function:
        both = [self.secret.secret_arn, self.jwks_secret.secret_arn]
        role, log_group = bootstrap_role(
            self,
            "furusato verifier keys bootstrap: write the keys once (cannot read them), read the JWK Set",
            self.key,
            both,
        )
        # The JWK Set (public) is read back on updates, for the stack output.
        role.add_to_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.jwks_secret.secret_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[self.key.key_arn],
                conditions=via_secrets_manager(self, self.jwks_secret.secret_arn),
            )
        )
        function = bootstrap_function(
            self,
            description="furusato identity verifier keys: generated once (CloudFormation custom resource)",
            handler=constants.VERIFIER_BOOTSTRAP_HANDLER,
            # VerifierKeys from the application's own code; PyJWT for its public JWK (cryptography: the layer's)
            code=bundled_code(["shared", "infra/custom_resources"], [constants.PYJWT_REQUIREMENT]),
            powertools=powertools,
            timeout=constants.VERIFIER_BOOTSTRAP_TIMEOUT,
            role=role,
            log_group=log_group,
            from_layer="pydantic and cryptography",
        )
        return function

    # --- GrantTarget (infra/components/functions.py) ----------------------------------------------------------------

    @property
    def setting_value(self) -> str:
        return self.secret.secret_arn

    @property
    def companion_settings(self) -> Mapping[str, str]:
        """The settings that come with the resource (shared/functions.py `Resource.companions`)."""
        return {PROVIDER_SETTING: self.provider.model_dump_json()}

    @property
    def ready(self) -> CustomResource:
        """The verify function is created (and so invocable) only once the keys exist."""
        return self.bootstrap

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        """The grant's actions on the keys secret (and Decrypt through Secrets Manager for it alone)."""
        grant_read(self, self.key, self.secret, role, grant)
