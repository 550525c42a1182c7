"""The check-in signing keys, from Secrets Manager through Powertools Parameters (cached per container, so a
rotation reaches every container within the cache period; tokens signed with the previous key stay valid)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from ..domain.checkin_token import SigningKeys
from ..domain.errors import ServiceUnavailable
from . import aws


class SigningKeyStore:
    def __init__(self, secret_name: str, max_age_seconds: int) -> None:
        self._name = secret_name
        self._max_age = max_age_seconds
        self._provider = SecretsProvider(boto3_client=aws.client("secretsmanager"))

    def __call__(self, refresh: bool = False) -> SigningKeys:
        try:
            secret = self._provider.get(self._name, max_age=self._max_age, force_fetch=refresh)
        except GetParameterError as error:
            # Powertools wraps every failure (without `from`): a throttled or unanswered read stays a 503.
            if isinstance(error.__context__, ServiceUnavailable):
                raise ServiceUnavailable(error.__context__.detail) from error
            raise
        return SigningKeys.from_secret_string(secret)


def create_signing_keys_secret(client, name: str) -> None:
    """Local runtime and tests: generate the keys (deployed, the stack creates the secret and an operator rotates)."""
    client.create_secret(Name=name, SecretString=SigningKeys.generate().to_secret_string())


def rotate_signing_keys(client, name: str) -> SigningKeys:
    """Make a new current key, keeping the previous one for tokens already issued."""
    current = SigningKeys.from_secret_string(client.get_secret_value(SecretId=name)["SecretString"])
    rotated = current.rotated()
    client.put_secret_value(SecretId=name, SecretString=rotated.to_secret_string())
    return rotated
