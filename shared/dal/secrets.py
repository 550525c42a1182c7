"""The check-in signing keys, from Secrets Manager, cached per container (a rotation reaches every container within
the cache period; tokens signed with the previous key stay valid)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..domain.checkin_token import SigningKeys
from . import aws

# An unknown key id re-reads the secret at most this often per container, whatever the number of forged ids.
MIN_REFRESH_SECONDS = 60


class SigningKeyStore:
    """`store()` is the cached key set (read again once `max_age_seconds` have passed). `store(refresh=True)` is what
    a caller asks after meeting a token with a key id it does not know: a rotation that has not reached this
    container yet, or a forgery. It re-reads the secret only if the last read is older than
    `min_refresh_seconds`, so forged key ids cost no Secrets Manager read each (50 forged scans made 51 reads
    before): at most one per interval and container, which is also how soon a genuine new key is picked up."""

    def __init__(
        self,
        secret_name: str,
        max_age_seconds: int,
        min_refresh_seconds: float = MIN_REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._name = secret_name
        self._max_age = max_age_seconds
        self._min_refresh = min_refresh_seconds
        self._monotonic = monotonic
        self._keys: SigningKeys | None = None
        self._read_at = 0.0

    def __call__(self, refresh: bool = False) -> SigningKeys:
        age = self._monotonic() - self._read_at
        if self._keys is None or age >= self._max_age or (refresh and age >= self._min_refresh):
            text = aws.client("secretsmanager").get_secret_value(SecretId=self._name)["SecretString"]
            self._keys, self._read_at = SigningKeys.from_secret_string(text), self._monotonic()
        return self._keys


def create_signing_keys_secret(client, name: str) -> None:
    """Local runtime and tests: generate the keys (deployed, the stack creates the secret and an operator rotates)."""
    client.create_secret(Name=name, SecretString=SigningKeys.generate().to_secret_string())


def rotate_signing_keys(client, name: str) -> SigningKeys:
    """Make a new current key, keeping the previous one for tokens already issued."""
    current = SigningKeys.from_secret_string(client.get_secret_value(SecretId=name)["SecretString"])
    rotated = current.rotated()
    client.put_secret_value(SecretId=name, SecretString=rotated.to_secret_string())
    return rotated
