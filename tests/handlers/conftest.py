"""Handlers against moto (in-process mock), called with events shaped as API Gateway sends them."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from local.events import FakeLambdaContext, api_gateway_event
from local.seed import seed
from shared import clock
from shared.dal import aws
from shared.dal.repository import Repository
from shared.dal.table import create_table
from shared.routes import ROUTES


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def problem_type(self) -> str:
        return self.body["type"].rsplit("/", 1)[-1]


def _route_for(function: str, method: str, path: str):
    for route in ROUTES:
        if route.function != function or route.method != method:
            continue
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route.path) + "$"
        match = re.match(pattern, path)
        if match:
            return route, match.groupdict()
    raise AssertionError(f"no route {method} {path} for {function}")


class Caller:
    """Calls one function's lambda_handler as the deployed API would (route table → resource, path parameters)."""

    def __init__(self, function: str, handler) -> None:
        self.function = function
        self.handler = handler

    def __call__(self, method: str, path: str, user: str | None = None, body=None, headers=None, query: str = "") -> HttpResponse:
        route, params = _route_for(self.function, method, path)
        claims = {"sub": user, "token_use": "id", "cognito:username": user} if user else None
        event = api_gateway_event(method, route.path, path, params, query, headers, body, claims)
        result = self.handler.lambda_handler(event, FakeLambdaContext(self.function))
        text = result.get("body") or ""
        headers = {**(result.get("headers") or {}), **{k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}}
        parsed = json.loads(text) if text and "json" in headers.get("Content-Type", "") else text
        return HttpResponse(result["statusCode"], headers, parsed)


@pytest.fixture
def moto():
    with mock_aws():
        aws.reset()
        client = aws.client("dynamodb")
        create_table(client, os.environ["TABLE_NAME"])
        yield client
        aws.reset()


@pytest.fixture
def repo(moto) -> Repository:
    repository = Repository(moto, os.environ["TABLE_NAME"])
    seed(repository)
    return repository


@pytest.fixture
def register_api(repo):
    from functions.register import handler

    handler.service.cache_clear()
    handler.access.cache_clear()
    yield Caller("register", handler)
    handler.service.cache_clear()
    handler.access.cache_clear()
    clock.reset()
