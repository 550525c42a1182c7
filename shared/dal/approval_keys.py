"""The approval keys (R-PRE-5), from Secrets Manager, cached per container: `link` signs the approval links the
workflow e-mails to staff (shared.domain.approval_link), `session` signs the approval page's staff session. Held by
the premium function (links) and the admin function (links, sessions) only."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass


SECRET_FIELD = "key"  # the secret's one generated value (deployed: Secrets Manager generates it; no custom resource)


@dataclass(frozen=True)
class ApprovalKeys:
    """Two keys derived from the secret's one value (HMAC-SHA256 with a label each), so a link key can never open a
    session and the stack needs only a generated string."""

    link: bytes
    session: bytes

    @classmethod
    def from_value(cls, value: str) -> ApprovalKeys:
        root = value.encode()
        return cls(hmac.new(root, b"approval-link", hashlib.sha256).digest(),
                   hmac.new(root, b"approval-session", hashlib.sha256).digest())

    @classmethod
    def from_secret_string(cls, text: str) -> ApprovalKeys:
        value = json.loads(text)[SECRET_FIELD]
        if not isinstance(value, str) or len(value) < 32:
            raise ValueError("the approval secret's key must be a string of 32 characters at least")
        return cls.from_value(value)


def new_secret_string() -> str:
    return json.dumps({SECRET_FIELD: secrets.token_urlsafe(48)})


class ApprovalKeyStore:
    def __init__(self, secret_name: str, max_age_seconds: int) -> None:
        self._name = secret_name
        self._max_age = max_age_seconds
        self._keys: ApprovalKeys | None = None
        self._read_at = 0.0

    def __call__(self) -> ApprovalKeys:
        from . import aws

        if self._keys is None or time.monotonic() - self._read_at >= self._max_age:
            text = aws.client("secretsmanager").get_secret_value(SecretId=self._name)["SecretString"]
            self._keys, self._read_at = ApprovalKeys.from_secret_string(text), time.monotonic()
        return self._keys

    def link_key(self) -> bytes:
        return self().link

    def session_key(self) -> bytes:
        return self().session


def create_approval_secret(client, name: str) -> ApprovalKeys:
    """Local runtime and tests: the keys in a new secret (deployed, the stack generates the secret's value)."""
    text = new_secret_string()
    client.create_secret(Name=name, SecretString=text)
    return ApprovalKeys.from_secret_string(text)
