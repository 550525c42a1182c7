"""The check-in keys, from Secrets Manager, cached per container (a rotation reaches every container within the cache
period; tokens signed with the previous key stay valid). Two secrets (docs/decisions.md, "Check-in codes are signed
with Ed25519"): the signing keys (private; only the admin function reads them) and the verification keys (their
public halves; the internet-facing checkin function reads only these)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from ..domain.checkin_token import SigningKeys, VerificationKeys
from . import aws

# An unknown key id re-reads the secret at most this often per container, whatever the number of forged ids.
MIN_REFRESH_SECONDS = 60

KeySet = TypeVar("KeySet", SigningKeys, VerificationKeys)


class _KeySetStore(Generic[KeySet]):
    """`store()` is the cached key set (read again once `max_age_seconds` have passed). `store(refresh=True)` is what
    a caller asks after meeting a token with a key id it does not know: a rotation that has not reached this
    container yet, or a forgery. It re-reads the secret only if the last read is older than
    `min_refresh_seconds`, so forged key ids cost no Secrets Manager read each (50 forged scans made 51 reads
    before): at most one per interval and container, which is also how soon a genuine new key is picked up."""

    parse: Callable[[str], KeySet]

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
        self._keys: KeySet | None = None
        self._read_at = 0.0

    def __call__(self, refresh: bool = False) -> KeySet:
        age = self._monotonic() - self._read_at
        if self._keys is None or age >= self._max_age or (refresh and age >= self._min_refresh):
            text = aws.client("secretsmanager").get_secret_value(SecretId=self._name)["SecretString"]
            self._keys, self._read_at = type(self).parse(text), self._monotonic()
        return self._keys


class SigningKeyStore(_KeySetStore[SigningKeys]):
    """The private keys that sign check-in codes (admin function)."""

    parse = staticmethod(SigningKeys.from_secret_string)


class VerificationKeyStore(_KeySetStore[VerificationKeys]):
    """The public keys that verify scanned codes (checkin function)."""

    parse = staticmethod(VerificationKeys.from_secret_string)


def publish(client, keys: SigningKeys, signing_secret: str, verification_secret: str) -> None:
    """Write a key set: the public halves first, so every key that can sign is already known to the verifiers."""
    client.put_secret_value(SecretId=verification_secret, SecretString=keys.verification_keys().to_secret_string())
    client.put_secret_value(SecretId=signing_secret, SecretString=keys.to_secret_string())


def create_signing_keys_secret(client, signing_secret: str, verification_secret: str) -> SigningKeys:
    """Local runtime and tests: generate the keys into both secrets (deployed, the stack creates the secrets, its
    bootstrap custom resource writes the first key set, and an operator rotates)."""
    keys = SigningKeys.generate()
    client.create_secret(Name=verification_secret, SecretString=keys.verification_keys().to_secret_string())
    client.create_secret(Name=signing_secret, SecretString=keys.to_secret_string())
    return keys


def rotate_signing_keys(client, signing_secret: str, verification_secret: str) -> SigningKeys:
    """Make a new current key, keeping the previous one for tokens already issued."""
    current = SigningKeys.from_secret_string(client.get_secret_value(SecretId=signing_secret)["SecretString"])
    rotated = current.rotated()
    publish(client, rotated, signing_secret, verification_secret)
    return rotated
