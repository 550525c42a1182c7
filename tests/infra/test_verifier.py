"""The identity verifier's keys (R-BAS-4) in the stack, without a full synthesis: the bootstrap custom resource's
handler against moto's Secrets Manager (generated once, never regenerated; the public JWK Set answered every time),
the `verifier` context's validation, and the function factory's companion settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from moto import mock_aws

from infra import constants
from infra.components.functions import FunctionFactory, companion_settings
from infra.components.verifier import is_placeholder, provider_config
from infra.custom_resources import signing_keys  # its _respond answers CloudFormation for both
from infra.custom_resources import verifier as handler
from shared.dal.identity_provider import VerifierKeys
from shared.domain.verification import ProviderConfig
from shared.functions import VERIFIER_KEYS, Function, Grant, Http

from .test_signing_keys import PLACEHOLDER, _Responses

CDK_CONTEXT = json.loads((constants.ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
PROVIDER = {
    "issuer": "https://auth.provider.test",
    "authorization_endpoint": "https://auth.provider.test/authorize",
    "token_endpoint": "https://auth.provider.test/token",
    "jwks_uri": "https://auth.provider.test/jwks",
    "client_id": "furusato",
    "redirect_uri": "https://app.furusato.test/verification/callback",
}


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="ap-northeast-1")


@pytest.fixture
def secret(secrets: Any) -> str:
    return secrets.create_secret(Name="Furusato-VerifierKeys", SecretString=PLACEHOLDER)["ARN"]


@pytest.fixture
def public(secrets: Any) -> str:
    return secrets.create_secret(Name="Furusato-VerifierJwks", SecretString=PLACEHOLDER)["ARN"]


def _value(secrets: Any, secret: str) -> str:
    return secrets.get_secret_value(SecretId=secret)["SecretString"]


def _event(request_type: str, secret: str, public: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-response.example/x",
        "StackId": "arn:aws:cloudformation:ap-northeast-1:123456789012:stack/Furusato/1",
        "RequestId": "r-1",
        "LogicalResourceId": "VerifierKeysBootstrap",
        "ResourceType": "Custom::VerifierKeys",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:...", "SecretId": secret, "JwksSecretId": public},
    }


# --- the bootstrap -------------------------------------------------------------------------------------------------


def test_bootstrap_generates_the_keys_once_and_publishes_their_public_half(
    secrets: Any, secret: str, public: str
) -> None:
    """R-BAS-4: the subject-hash key is never regenerated (a new one would let one card verify a second account)."""
    written, jwks = handler.bootstrap(secrets, secret, public)
    assert written is True
    keys = VerifierKeys.from_secret_string(_value(secrets, secret))
    assert len(keys.subject_hash_key) == 32 and "PRIVATE KEY" in keys.client_key_pem
    assert json.loads(jwks) == json.loads(_value(secrets, public)) == keys.public_jwks()
    (jwk,) = json.loads(jwks)["keys"]
    assert "d" not in jwk and jwk["kid"] == keys.client_key_id and jwk["alg"] == "ES256"  # public only
    # what the provider verifies the client assertion with is the secret's key
    token = jwt.encode({"iss": "furusato"}, keys.client_key_pem, algorithm="ES256")
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"]) == {"iss": "furusato"}

    for _ in range(2):  # Update, a re-run: the same keys, the same JWK Set
        assert handler.bootstrap(secrets, secret, public) == (False, jwks)
    assert VerifierKeys.from_secret_string(_value(secrets, secret)) == keys


def test_bootstrap_never_overwrites_keys_set_by_hand(secrets: Any, secret: str, public: str) -> None:
    own = VerifierKeys.generate()
    secrets.put_secret_value(SecretId=secret, SecretString=own.to_secret_string())
    assert handler.bootstrap(secrets, secret, public) == (False, handler.UNPUBLISHED)  # says so, invents nothing
    assert VerifierKeys.from_secret_string(_value(secrets, secret)) == own
    assert _value(secrets, public) == PLACEHOLDER


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_handler_answers_the_public_jwks_and_nothing_secret(
    secrets: Any, secret: str, public: str, monkeypatch: pytest.MonkeyPatch, request_type: str
) -> None:
    responses = _Responses()
    monkeypatch.setattr(signing_keys.urllib.request, "urlopen", responses)
    if request_type == "Update":
        handler.bootstrap(secrets, secret, public)
    handler.lambda_handler(_event(request_type, secret, public), None, client=secrets)
    (response,) = responses.sent
    assert response["Status"] == "SUCCESS" and response["PhysicalResourceId"] == secret
    if request_type == "Delete":
        assert response["Data"] == {} and _value(secrets, secret) == PLACEHOLDER  # retained, untouched
        return
    keys = VerifierKeys.from_secret_string(_value(secrets, secret))
    # shown in the stack output (not masked): the JWK Set and nothing else
    assert response["NoEcho"] is False
    assert response["Data"] == {"Written": str(request_type == "Create").lower(), "Jwks": _value(secrets, public)}
    assert json.loads(response["Data"]["Jwks"]) == keys.public_jwks()
    sent = json.dumps(response)
    secret_text = json.loads(_value(secrets, secret))
    assert secret_text["subject_hash_key"] not in sent and "PRIVATE KEY" not in sent


def test_handler_reports_a_failure_to_cloudformation(secrets: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    responses = _Responses()
    monkeypatch.setattr(signing_keys.urllib.request, "urlopen", responses)
    missing = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:gone-AbCdEf"
    handler.lambda_handler(_event("Create", missing, missing), None, client=secrets)
    (response,) = responses.sent
    assert response["Status"] == "FAILED" and "ResourceNotFoundException" in response["Reason"]


# --- the provider's configuration from the context -----------------------------------------------------------------


def test_cdk_json_holds_marked_placeholders_that_validate() -> None:
    config = provider_config(CDK_CONTEXT[constants.VERIFIER_CONTEXT])
    assert config == ProviderConfig.model_validate(CDK_CONTEXT["verifier"])
    assert is_placeholder(config)  # synthesis says so until the Digital Agency's values are set
    assert "placeholder" in config.client_id.lower() and config.issuer.endswith(".invalid")
    assert not is_placeholder(ProviderConfig.model_validate(PROVIDER))


def test_the_context_may_come_from_the_command_line_as_json() -> None:
    assert provider_config(json.dumps(PROVIDER)) == ProviderConfig.model_validate(PROVIDER)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "is missing"),
        ("{not json", "is not JSON"),
        ({k: v for k, v in PROVIDER.items() if k != "token_endpoint"}, "token_endpoint"),
        ({**PROVIDER, "jwks_uri": "not a url"}, "jwks_uri"),
        ({**PROVIDER, "client_secret": "x"}, "client_secret"),  # ProviderConfig forbids extras
        ({**PROVIDER, "client_id": ""}, "client_id"),
        ({**PROVIDER, "token_endpoint": "http://auth.provider.test/token"}, "token_endpoint must be an https"),
        ({**PROVIDER, "redirect_uri": "furusato://callback"}, "redirect_uri must be an https"),
        # the development provider (local/oidc_provider.py) is local only
        ({**PROVIDER, "issuer": "https://127.0.0.1:9000"}, "development provider is local only"),
        ({**PROVIDER, "jwks_uri": "https://localhost:9000/jwks"}, "development provider is local only"),
    ],
)
def test_a_bad_context_fails_synthesis_with_a_clear_message(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match="CDK context 'verifier'") as raised:
        provider_config(value)
    assert message in str(raised.value)


def test_a_bad_context_fails_the_whole_stack() -> None:
    from infra.stack import FurusatoStack

    app = App(context={**CDK_CONTEXT, "verifier": {**PROVIDER, "token_endpoint": "http://auth.provider.test/token"}})
    with pytest.raises(ValueError, match="token_endpoint must be an https"):
        FurusatoStack(app, "Refused")


# --- companion settings --------------------------------------------------------------------------------------------


class _Target:
    setting_value = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:v"

    def __init__(self, companions: dict[str, str] | None) -> None:
        if companions is not None:
            self.companion_settings = companions

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        role.add_to_principal_policy(iam.PolicyStatement(actions=list(grant.actions), resources=[self.setting_value]))


@pytest.mark.parametrize("companions", [None, {}, {"VERIFIER_PROVIDER": ""}])
def test_a_resource_without_its_companion_settings_is_refused(companions: dict[str, str] | None) -> None:
    stack = Stack(App(), "Bare")
    layer = lambda_.LayerVersion.from_layer_version_arn(stack, "L", "arn:aws:lambda:ap-northeast-1:1:layer:x:1")
    factory = FunctionFactory(stack, "Functions", resources={VERIFIER_KEYS.name: _Target(companions)}, powertools=layer)
    declared = Function("verify", (Http(),), (Grant(VERIFIER_KEYS, ("secretsmanager:GetSecretValue",)),))
    with pytest.raises(ValueError, match="VERIFIER_PROVIDER"):
        factory.create(declared)


def test_companion_settings_are_exactly_the_resources() -> None:
    target = _Target({"VERIFIER_PROVIDER": "{}", "UNRELATED": "x"})
    assert companion_settings(target, VERIFIER_KEYS) == {"VERIFIER_PROVIDER": "{}"}  # nothing else leaks into env
