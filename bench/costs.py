"""DynamoDB cost of each scenario at one table size: a fresh in-process moto, the table, other people's data,
a fresh container (handler caches cleared), then the scenarios in order through `lambda_handler`, with API
Gateway-shaped events, counting the calls on the client the handler uses."""

from __future__ import annotations

import importlib
import io
import json
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws
from moto.dynamodb.models.table import Table

from local.events import FakeLambdaContext, api_gateway_event
from shared.dal import aws
from shared.dal.table import create_table

from . import dataset
from .environment import REGION, TABLE_NAME
from .recorder import CallRecorder, Cost
from .scenarios import SCENARIOS, Request, Scenario


class ScenarioFailed(AssertionError):
    """A request did not do what its scenario says: its figures would mean nothing."""


@dataclass
class Measurement:
    scenario: Scenario
    status: int
    cost: Cost


@dataclass
class SizeResult:
    size: int
    dataset: dataset.Dataset
    measurements: list[Measurement]
    measure_seconds: float  # the scenarios, on moto


def handler_module(function: str) -> ModuleType:
    return importlib.import_module(f"functions.{function}.handler")


def new_container(module: ModuleType) -> None:
    """Forget what a warm container keeps: the module's lru_cache'd factories (service, access...)."""
    for value in vars(module).values():
        if getattr(value, "__module__", None) == module.__name__ and hasattr(value, "cache_clear"):
            value.cache_clear()


def invoke(request: Request) -> tuple[int, Any]:
    """Call the route's function as API Gateway would; (status, parsed body). Metrics go to stdout as EMF
    and Powertools warns on requests without metrics or idempotency key: both silenced here."""
    route = request.route
    claims = {"sub": request.user, "token_use": "id", "cognito:username": request.user} if request.user else None
    event = api_gateway_event(
        route.method,
        resource=route.path,
        path=request.path,
        path_parameters=request.path_parameters or None,
        query_string=request.query,
        headers=request.headers,
        body=request.body,
        claims=claims,
    )
    with redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        response = handler_module(route.function).lambda_handler(event, FakeLambdaContext(route.function))
    body = response.get("body") or ""
    return response["statusCode"], json.loads(body) if body.startswith(("{", "[")) else body


def _field(body: Any, path: str) -> Any:
    for part in path.split("."):
        try:
            body = body[int(part)] if isinstance(body, list) else body[part]
        except (KeyError, IndexError, TypeError, ValueError):
            return "<missing>"
    return body


def checked(request: Request, name: str) -> int:
    status, body = invoke(request)
    problems = [f"status {status}, expected {request.expect_status}"] if status != request.expect_status else []
    problems += [
        f"{path} = {_field(body, path)!r}, expected {value!r}"
        for path, value in request.expect.items()
        if _field(body, path) != value
    ]
    if problems:
        raise ScenarioFailed(f"{name}: {request.route.method} {request.path}: {'; '.join(problems)}\n{body}")
    return status


@contextmanager
def no_table_backups_in_transactions() -> Iterator[None]:
    """moto deep-copies the whole table before each item of a TransactWriteItems, to roll back a cancelled
    transaction: O(table size) per call (~15 s a copy at 100,000 registrations), something DynamoDB does not do.
    The measured transactions all succeed (`_no_cancelled_transaction` stops the run otherwise), so the backups
    are never used: while measuring, a table's "deep copy" is the table itself. Counting is not affected: it
    happens on the client, before moto."""
    with mock.patch.object(Table, "__deepcopy__", lambda table, memo: table, create=True):
        yield


def _no_cancelled_transaction(cost: Cost, name: str) -> None:
    cancelled = [c.label for c in cost.calls if c.operation == "TransactWriteItems" and c.error]
    if cancelled:
        raise ScenarioFailed(f"{name}: a transaction was cancelled ({cancelled}); the bench expects none")


def _run(scenarios: tuple[Scenario, ...], recorder: CallRecorder) -> list[Measurement]:
    measurements = []
    for scenario in scenarios:
        recorder.take()
        status = checked(scenario.request, scenario.name)
        cost = Cost(recorder.take())
        _no_cancelled_transaction(cost, scenario.name)
        measurements.append(Measurement(scenario, status, cost))
    return measurements


def measure(size: int, load_method: str = "backend", scenarios: tuple[Scenario, ...] = SCENARIOS) -> SizeResult:
    with mock_aws():
        aws.reset()
        loader = boto3.client("dynamodb", region_name=REGION)  # not the handler's client: loading is not counted
        create_table(loader, TABLE_NAME)
        data = dataset.load(loader, TABLE_NAME, size, dataset.joined_profiles(), load_method)
        modules = {handler_module(s.request.route.function) for s in scenarios}
        for module in modules:
            new_container(module)
        started = time.perf_counter()
        try:
            with no_table_backups_in_transactions():
                measurements = _run(scenarios, CallRecorder(aws.client("dynamodb")))
        finally:
            for module in modules:
                new_container(module)
            aws.reset()
    return SizeResult(size, data, measurements, time.perf_counter() - started)
