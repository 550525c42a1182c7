"""The signing keys bootstrap (custom resource handler) and the operator CLI, against moto's Secrets Manager."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import constants
from infra import signing_keys as cli
from infra.custom_resources import signing_keys as handler
from shared.domain.checkin_token import SigningKeys, VerificationKeys

PLACEHOLDER = "Z" * 32  # what CloudFormation's GenerateSecretString leaves in the secret


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="ap-northeast-1")
        yield client


@pytest.fixture
def secret(secrets: Any) -> str:
    return secrets.create_secret(Name="Furusato-CheckinSigningKeys", SecretString=PLACEHOLDER)["ARN"]


@pytest.fixture
def public(secrets: Any) -> str:
    return secrets.create_secret(Name="Furusato-CheckinVerificationKeys", SecretString=PLACEHOLDER)["ARN"]


def _value(secrets: Any, secret: str) -> str:
    return secrets.get_secret_value(SecretId=secret)["SecretString"]


def test_bootstrap_replaces_the_placeholders_with_a_key_set_once(secrets: Any, secret: str, public: str) -> None:
    assert handler.bootstrap(secrets, secret, public) is True
    first = _value(secrets, secret)
    keys = SigningKeys.from_secret_string(first)
    assert len(keys.keys) == 1 and len(keys.keys[keys.current]) == 32
    assert VerificationKeys.from_secret_string(_value(secrets, public)) == keys.verification_keys()
    assert handler.bootstrap(secrets, secret, public) is False  # a re-run (Update, replacement) never overwrites
    assert _value(secrets, secret) == first


def test_bootstrap_never_touches_a_rotated_secret(secrets: Any, secret: str, public: str) -> None:
    handler.bootstrap(secrets, secret, public)
    cli.rotate(secrets, secret, public)
    rotated = _value(secrets, secret)
    assert handler.bootstrap(secrets, secret, public) is False
    assert _value(secrets, secret) == rotated


def test_rotation_publishes_the_new_public_key_before_signing_with_it(secrets: Any, secret: str, public: str) -> None:
    handler.bootstrap(secrets, secret, public)
    writes: list[str] = []
    secrets.meta.events.register(
        "provide-client-params.secrets-manager.PutSecretValue", lambda params, **_: writes.append(params["SecretId"])
    )
    cli.rotate(secrets, secret, public)
    assert writes == [public, secret]  # a verifier always knows every key that can sign
    keys = SigningKeys.from_secret_string(_value(secrets, secret))
    assert VerificationKeys.from_secret_string(_value(secrets, public)) == keys.verification_keys()


def test_cli_bootstrap_publishes_missing_verification_keys(secrets: Any, secret: str, public: str) -> None:
    keys = SigningKeys.generate()
    secrets.put_secret_value(SecretId=secret, SecretString=keys.to_secret_string())  # set before the public secret
    assert cli.bootstrap_both(secrets, secret, public) == "verification keys published"
    assert VerificationKeys.from_secret_string(_value(secrets, public)) == keys.verification_keys()
    assert cli.bootstrap_both(secrets, secret, public) == "already has a key set; unchanged"
    assert SigningKeys.from_secret_string(_value(secrets, secret)) == keys


class _Responses:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, request: Any, timeout: float) -> Any:
        assert request.get_method() == "PUT" and request.full_url == "https://cloudformation-response.example/x"
        self.sent.append(json.loads(request.data))

        class _Done:
            def __enter__(self) -> Any:
                return self

            def __exit__(self, *_: object) -> None:
                return None

            def read(self) -> bytes:
                return b""

        return _Done()


def _event(request_type: str, secret: str, public: str = "") -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-response.example/x",
        "StackId": "arn:aws:cloudformation:ap-northeast-1:123456789012:stack/Furusato/1",
        "RequestId": "r-1",
        "LogicalResourceId": "CheckinSigningKeysBootstrap",
        "ResourceType": "Custom::CheckinSigningKeys",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:...", "SecretId": secret, "VerificationSecretId": public},
    }


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_handler_answers_cloudformation_without_key_material(
    secrets: Any, secret: str, public: str, monkeypatch: pytest.MonkeyPatch, request_type: str
) -> None:
    responses = _Responses()
    monkeypatch.setattr(handler.urllib.request, "urlopen", responses)
    handler.lambda_handler(_event(request_type, secret, public), None, client=secrets)
    (response,) = responses.sent
    assert response["Status"] == "SUCCESS" and response["PhysicalResourceId"] == secret
    assert response["NoEcho"] is True and response["Data"] == {"Written": str(request_type != "Delete").lower()}
    value = _value(secrets, secret)
    if request_type == "Delete":
        assert value == PLACEHOLDER  # Delete does nothing: the secret is retained
    else:
        keys = SigningKeys.from_secret_string(value)
        assert json.loads(value)["keys"][keys.current] not in json.dumps(response)  # the key never leaves the secret


def test_handler_reports_a_failure_to_cloudformation(secrets: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    responses = _Responses()
    monkeypatch.setattr(handler.urllib.request, "urlopen", responses)
    missing = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:gone-AbCdEf"
    handler.lambda_handler(_event("Create", missing, missing), None, client=secrets)
    (response,) = responses.sent
    assert response["Status"] == "FAILED" and "ResourceNotFoundException" in response["Reason"]


def test_cli_status_and_rotation_keep_the_previous_key(secrets: Any, secret: str, public: str) -> None:
    assert "no key set yet" in cli.status(secrets, secret, public)
    handler.bootstrap(secrets, secret, public)
    first = SigningKeys.from_secret_string(_value(secrets, secret))
    report = cli.rotate(secrets, secret, public)
    second = SigningKeys.from_secret_string(_value(secrets, secret))
    assert second.current != first.current and first.current in second.keys  # tokens already issued stay valid
    assert second.current in report and first.current in report
    status = cli.status(secrets, secret, public)
    assert f"current key {second.current}" in status and "Verification keys" in status and "the same" in status
    for text in (report, status):  # never key material
        assert not any(value in text for value in json.loads(_value(secrets, secret))["keys"].values())


def test_cli_finds_the_secret_through_the_stack_output() -> None:
    class _CloudFormation:
        def describe_stacks(self, StackName: str) -> dict[str, Any]:
            assert StackName == "Furusato"
            return {"Stacks": [{"Outputs": [{"OutputKey": "CheckinKeysSecretArn", "OutputValue": "arn:secret"}]}]}

    assert cli.find_secret(_CloudFormation(), "Furusato") == "arn:secret"
    with pytest.raises(LookupError):
        cli.find_secret(_CloudFormation(), "Furusato", cli.VERIFICATION_SECRET_OUTPUT)


def test_cli_names_match_the_stack() -> None:
    assert (cli.STACK_NAME, cli.REGION, cli.SECRET_OUTPUT, cli.VERIFICATION_SECRET_OUTPUT) == (
        constants.STACK_NAME,
        constants.REGION,
        constants.SIGNING_KEYS_OUTPUT,
        constants.VERIFICATION_KEYS_OUTPUT,
    )
