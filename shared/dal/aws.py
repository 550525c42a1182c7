"""AWS clients, created once per container (on first use, so importing a handler stays cheap and tests can point
them at moto before they exist). boto3 reads AWS_ENDPOINT_URL, which the local runtime sets to moto."""

from __future__ import annotations

from functools import lru_cache

import boto3
from botocore.config import Config

# Standard retry mode backs off on throttling; a request path must not wait long, so few attempts.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@lru_cache(maxsize=None)
def client(service: str):
    return boto3.session.Session().client(service, config=_CONFIG)


def reset() -> None:
    """Forget the clients (tests that start a new moto)."""
    client.cache_clear()
