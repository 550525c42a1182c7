"""DynamoDB cost of each scenario at one table size: a fresh in-process moto, the table and the check-in signing
keys secret, other people's data, a fresh container per function (handler caches cleared), the clock frozen at
BENCH_NOW, then the scenarios in order through each function's `lambda_handler`, with API Gateway-shaped events.

Every function gets its DynamoDB client from `shared.dal.aws.client("dynamodb")`, one client per process (per
container when deployed): the calls are counted on it, scenario by scenario, so each figure is one request of one
function. Secrets Manager calls are counted on `aws.client("secretsmanager")`, which the signing key stores use,
S3 calls on `aws.client("s3")` (evidence files), Step Functions calls on `aws.client("stepfunctions")`, SES calls
on `aws.client("sesv2")` (the premium workflow) and Cognito calls on `aws.client("cognito-idp")` (the approval page's
staff sign-in, account deletion).

The approval page signs staff in on a staff pool of this moto (an editor of 飛騨市, the approver of the premium
settings); the ID token's JWKS, which the admin function fetches over HTTP, is answered by moto too.

The premium state machine exists in moto with the deployed definition but is not executed (moto's default): applying
starts its execution, and the scenarios invoke its tasks themselves (`Task`), each counted as the premium function's."""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import time
import warnings
from contextlib import redirect_stdout
from dataclasses import dataclass
from html import unescape
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import boto3
from moto import mock_aws

from local.events import FakeLambdaContext, api_gateway_event
from local.queues import create_work_queues
from local.wsgi_http import AwsEndpointsOnMoto
from shared import clock
from shared.config import settings
from shared.dal import aws
from shared.dal.approval_keys import create_approval_secret
from shared.dal.evidence import create_evidence_bucket
from shared.dal.mail import create_sender_identity
from shared.dal.secrets import create_signing_keys_secret
from shared.dal.table import create_table

from . import dataset
from .environment import (
    APPROVAL_SECRET,
    CHECKIN_KEYS_SECRET,
    CHECKIN_VERIFY_KEYS_SECRET,
    EVIDENCE_BUCKET,
    MAIL_FROM,
    PROVIDER_ISSUER,
    QUEUE_PREFIX,
    REGION,
    TABLE_NAME,
    VERIFIER_CLIENT_ID,
    VERIFIER_REDIRECT_URI,
    VERIFIER_SECRET,
)
from .motopatch import without_whole_table_work
from .recorder import CallRecorder, Cost, OperationCounter
from .scenarios import (
    APPROVER,
    APPROVER_PASSWORD,
    BENCH_NOW,
    HIDA,
    SCENARIOS,
    CardTap,
    MailedLink,
    QueueDelivery,
    Request,
    Scenario,
    Scheduled,
    StreamDelivery,
    Task,
    Upload,
)


class ScenarioFailed(AssertionError):
    """A request did not do what its scenario says: its figures would mean nothing."""


@dataclass
class Measurement:
    scenario: Scenario
    status: int | None  # HTTP status; None for a workflow task (no HTTP)
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
    """Forget what a warm container keeps: the module's lru_cache'd factories (service, access, signing keys...),
    whether defined in the handler or wrapped there around shared factories (`lru_cache(...)(wiring.x)`)."""
    for value in vars(module).values():
        if callable(value) and hasattr(value, "cache_clear") and hasattr(value, "cache_info"):
            value.cache_clear()


def staff_claims(code: str, role: str = "editor") -> dict[str, str]:
    """What the staff pool's ID token carries, as API Gateway's authorizer passes it (groups as a string)."""
    sub = f"bench-staff-{code}-{role}"
    return {
        "sub": sub, "token_use": "id", "cognito:username": sub, "custom:lg_code": code, "cognito:groups": f"[{role}]"
    }


@dataclass
class Answer:
    status: int
    body: Any  # parsed JSON, or the text (an HTML page), or base64 (an image)
    set_cookies: list[str]  # the Set-Cookie headers


def invoke(request: Request) -> Answer:
    """Call the route's function as API Gateway would. Metrics go to stdout as EMF and Powertools warns on requests
    without metrics or idempotency key: both silenced here."""
    route = request.route
    claims = {"sub": request.user, "token_use": "id", "cognito:username": request.user} if request.user else None
    if request.staff:
        claims = staff_claims(request.staff)
    headers, body = dict(request.headers or {}), request.body
    if request.form is not None:  # what a browser sends from a form
        body = urlencode(request.form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if request.cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in request.cookies.items())
    event = api_gateway_event(
        route.method,
        resource=route.path,
        path=request.path,
        path_parameters=request.path_parameters or None,
        query_string=request.query,
        headers=headers or None,
        body=body,
        claims=claims,
    )
    with redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        response = handler_module(route.function).lambda_handler(event, FakeLambdaContext(route.function))
    cookies = [v for k, values in (response.get("multiValueHeaders") or {}).items() if k.lower() == "set-cookie"
               for v in values]
    cookies += [v for k, v in (response.get("headers") or {}).items() if k.lower() == "set-cookie"]
    text = response.get("body") or ""
    if response.get("isBase64Encoded"):
        return Answer(response["statusCode"], text, cookies)  # an image: left encoded, never inspected
    return Answer(response["statusCode"], json.loads(text) if text.startswith(("{", "[")) else text, cookies)


def invoke_task(task: Task) -> Any:
    """Invoke the task's function as its state machine's Task state would (lambda:InvokeFunction with the state's
    payload); the function's answer. EMF metrics on stdout are silenced, as for requests."""
    with redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return handler_module(task.function).lambda_handler(task.payload, FakeLambdaContext(task.function))


class Stream:
    """The table's stream, delivered to the stats function on demand (local/streams.py's poller with its own
    clients: reading the stream is the event source mapping's, not counted). Starts at the stream's end: the
    dataset's load is not delivered (the counters then hold the scenarios' changes only, the same at every size)."""

    def __init__(self) -> None:
        from local.streams import StreamPoller, item_types, streams_client
        from shared.functions import function

        self.delivered: list[int] = []
        self._poller = StreamPoller(
            boto3.client("dynamodb", region_name=REGION), streams_client(), TABLE_NAME, item_types(function("stats")),
            self._invoke,
        )
        self._poller.skip_to_end()

    def _invoke(self, event: dict) -> dict:
        self.delivered.append(len(event["Records"]))
        with redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return handler_module("stats").lambda_handler(event, FakeLambdaContext("stats"))

    def deliver(self) -> int:
        self.delivered = []
        self._poller.poll()
        return sum(self.delivered)


def checked_delivery(delivery: StreamDelivery, name: str, stream: Stream | None) -> None:
    if stream is None:
        raise ScenarioFailed(f"{name}: no table stream to deliver")
    delivered = stream.deliver()
    if delivered != delivery.records:
        raise ScenarioFailed(f"{name}: {delivered} stream records delivered, expected {delivery.records}")


def checked_schedule(scheduled: Scheduled, name: str) -> None:
    from shared.functions import function

    (declared,) = [s for s in function(scheduled.function).schedules if s.name == scheduled.schedule]
    with redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A long deadline: a run stops reading shards when its invocation runs short of time (shared/logic/schedules.py),
        # and moto's latency, which is not DynamoDB's, must not decide what is measured.
        answer = handler_module(scheduled.function).lambda_handler(
            declared.local_event(clock.now()), FakeLambdaContext(scheduled.function, timeout_seconds=900)
        )
    problems = [f"{path} = {_field(answer, path)!r}, expected {value!r}" for path, value in scheduled.expect.items()
                if _field(answer, path) != value]
    if problems:
        raise ScenarioFailed(f"{name}: schedule {scheduled.schedule}: {'; '.join(problems)}")


def checked_queue(delivery: QueueDelivery, name: str) -> None:
    """The queue's messages to its function as its event source mapping would deliver them (local/queues.py)."""
    from local.queues import QueueWorker

    worker = QueueWorker(
        boto3.client("sqs", region_name=REGION),
        lambda function, event: handler_module(function).lambda_handler(event, FakeLambdaContext(function)),
        {os.environ[delivery.setting]: delivery.function},
    )
    with redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        handled = worker.drain()
    if worker.errors or handled != delivery.messages:
        raise ScenarioFailed(f"{name}: {handled} messages handled, expected {delivery.messages}; {worker.errors}")


def _cookie(set_cookies: list[str], name: str) -> str:
    for header in set_cookies:
        found, _, rest = header.partition("=")
        if found.strip() == name:
            return rest.split(";", 1)[0]
    return "<missing>"


def _form_field(page: Any, name: str) -> str:
    """The value of an HTML form's field (`name="…" value="…"`, as shared/web renders them)."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page) if isinstance(page, str) else None
    return unescape(found.group(1)) if found else "<missing>"


def _saved(answer: Answer, what: str) -> Any:
    """What a `Request.save` entry names: "cookie:<name>", "input:<name>" or a JSON field path."""
    kind, _, name = what.partition(":")
    if kind == "cookie" and name:
        return _cookie(answer.set_cookies, name)
    if kind == "input" and name:
        return _form_field(answer.body, name)
    return _field(answer.body, what)


def _field(body: Any, path: str) -> Any:
    for part in path.split("."):
        try:
            body = body[int(part)] if isinstance(body, list) else body[part]
        except (KeyError, IndexError, TypeError, ValueError):
            return "<missing>"
    return body


def checked_task(task: Task, name: str, saved: dict[str, Any]) -> None:
    """Run the task (its Refs resolved from `saved`) and check its answer."""
    task = task.resolved(saved)
    answer = invoke_task(task)
    problems = [f"{path} = {_field(answer, path)!r}, expected {value!r}" for path, value in task.expect.items()
                if _field(answer, path) != value]
    if problems:
        raise ScenarioFailed(f"{name}: task {task.payload['task']}: {'; '.join(problems)}\n{str(answer)[:2000]}")


def checked(request: Request, name: str, saved: dict[str, Any]) -> int:
    """Run the request (its Refs resolved from `saved`), check what it says it does, save what it says to save."""
    request = request.resolved(saved)
    answer = invoke(request)
    status, body = answer.status, answer.body
    problems = [f"status {status}, expected {request.expect_status}"] if status != request.expect_status else []
    problems += [
        f"{path} = {_field(body, path)!r}, expected {value!r}"
        for path, value in request.expect.items()
        if _field(body, path) != value
    ]
    problems += [f"no {text!r} in the page" for text in request.expect_text if text not in str(body)]
    problems += [
        f"{path} missing, to save as {key!r}" for key, path in request.save.items() if _saved(answer, path) == "<missing>"
    ]
    if problems:
        what = f"{name}: {request.route.method} {request.path}"
        raise ScenarioFailed(f"{what}: {'; '.join(problems)}\n{str(body)[:2000]}")
    saved.update({key: _saved(answer, path) for key, path in request.save.items()})
    return status


def _upload(upload: Upload, saved: dict[str, Any]) -> None:
    """What the app does with the presigned POST: the file lands in the bucket (with a client of its own)."""
    s3 = boto3.client("s3", region_name=REGION)
    photo = b"\xff\xd8\xff" + bytes(upload.size_bytes - 3)  # a JPEG's first bytes, of the declared size
    s3.put_object(Bucket=EVIDENCE_BUCKET, Key=saved[upload.key], Body=photo, ContentType=upload.content_type)


def _card_tap(tap: CardTap, saved: dict[str, Any], browser) -> None:
    """What the app and the authentication app do between start and complete: the provider approves the person's
    card (a test identity) and sends back code and state. Not counted: it is not a function's work."""
    from urllib.parse import parse_qs, urlsplit

    response = browser.post(saved[tap.authorization_url], data={"decision": "approve", **tap.identity})
    answer = parse_qs(urlsplit(response.headers["Location"]).query)
    saved[tap.save_as] = {"state": answer["state"][0], "code": answer["code"][0]}


def _mailed_link(link: MailedLink, saved: dict[str, Any]) -> None:
    """What the recipient does with the e-mail: opens its link (the newest e-mail to them)."""
    from urllib.parse import parse_qs, urlsplit

    from local.outbox import read, sent_messages

    mails = [read(m) for m in sent_messages() if link.to in read(m)["to"]]
    if not mails:
        raise ScenarioFailed(f"no e-mail to {link.to}")
    urls = [u for u in mails[-1]["links"] if urlsplit(u).path.endswith(link.path)]
    if not urls:
        raise ScenarioFailed(f"no link to {link.path} in the e-mail to {link.to}: {mails[-1]['links']}")
    saved[link.save_as] = parse_qs(urlsplit(urls[0]).query)[link.parameter][0]


def _staff_pool() -> tuple[str, str]:
    """The staff pool as the local runtime makes it, with 飛騨市's approver as an editor; (pool id, client id)."""
    from local.runtime import create_staff_pool

    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id, client_id = create_staff_pool(cognito)
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=APPROVER, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": APPROVER}, {"Name": "custom:lg_code", "Value": HIDA}],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=APPROVER, Password=APPROVER_PASSWORD, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=APPROVER, GroupName="editor")
    return pool_id, client_id


def _identity_provider():
    """The development provider in-process, the verifier's client registered with it, and the verify function's HTTP
    pointed at it (as a container's, created once)."""
    from local.oidc_provider import DevelopmentProvider
    from local.wsgi_http import WsgiHttp
    from shared.dal.identity_provider import create_verifier_secret

    provider = DevelopmentProvider(PROVIDER_ISSUER)
    keys = create_verifier_secret(boto3.client("secretsmanager", region_name=REGION), VERIFIER_SECRET)
    provider.register_client(VERIFIER_CLIENT_ID, keys.public_jwks(), [VERIFIER_REDIRECT_URI])
    return WsgiHttp(provider)


def _run(
    scenarios: tuple[Scenario, ...], recorder: CallRecorder, others: tuple[OperationCounter, ...], browser=None,
    stream=None,
) -> list[Measurement]:
    """`others`: the Secrets Manager, S3, Step Functions, SES and Cognito counters, in Cost's order."""
    measurements = []
    saved: dict[str, Any] = {}
    for scenario in scenarios:
        if scenario.upload:
            _upload(scenario.upload, saved)
        if scenario.card_tap:
            _card_tap(scenario.card_tap, saved, browser)
        if scenario.mailed_link:
            _mailed_link(scenario.mailed_link, saved)
        recorder.take()
        for counter in others:
            counter.take()
        if isinstance(scenario.request, Task):
            status = None
            checked_task(scenario.request, scenario.name, saved)
        elif isinstance(scenario.request, StreamDelivery):
            status = None
            checked_delivery(scenario.request, scenario.name, stream)
        elif isinstance(scenario.request, Scheduled):
            status = None
            checked_schedule(scenario.request, scenario.name)
        elif isinstance(scenario.request, QueueDelivery):
            status = None
            checked_queue(scenario.request, scenario.name)
        else:
            status = checked(scenario.request, scenario.name, saved)
        measurements.append(Measurement(scenario, status, Cost(recorder.take(), *(c.take() for c in others))))
    return measurements


def _premium_workflow() -> str:
    """The premium state machine in moto, with the deployed definition (its tasks' functions registered in moto's
    Lambda, as the local runtime does); its ARN. Not executed: moto runs no execution unless configured to."""
    from local.workflows import create_state_machines, register_lambda_functions
    from shared.functions import FUNCTIONS

    iam = boto3.client("iam", region_name=REGION)
    arns = register_lambda_functions(iam, boto3.client("lambda", region_name=REGION), tuple(f.name for f in FUNCTIONS))
    return create_state_machines(iam, boto3.client("stepfunctions", region_name=REGION), arns)["premium"]


def measure(size: int, load_method: str = "backend", scenarios: tuple[Scenario, ...] = SCENARIOS) -> SizeResult:
    with mock_aws():
        aws.reset()
        loader = boto3.client("dynamodb", region_name=REGION)  # not the handler's client: loading is not counted
        create_table(loader, TABLE_NAME)
        create_signing_keys_secret(
            boto3.client("secretsmanager", region_name=REGION), CHECKIN_KEYS_SECRET, CHECKIN_VERIFY_KEYS_SECRET
        )
        create_evidence_bucket(boto3.client("s3", region_name=REGION), EVIDENCE_BUCKET)
        create_sender_identity(boto3.client("sesv2", region_name=REGION), MAIL_FROM)
        create_approval_secret(boto3.client("secretsmanager", region_name=REGION), APPROVAL_SECRET)
        create_work_queues(boto3.client("sqs", region_name=REGION), QUEUE_PREFIX)  # the schedules' (their URLs: environment)
        # The citizens' pool, where account deletion deletes the sign-in; its id is new with every moto.
        pool = boto3.client("cognito-idp", region_name=REGION).create_user_pool(PoolName="furusato-citizens")
        replaced = ("CITIZEN_USER_POOL_ID", "PREMIUM_STATE_MACHINE", "STAFF_USER_POOL_ID", "STAFF_CLIENT_ID")
        placeholders = {name: os.environ.get(name, "") for name in replaced}
        os.environ["CITIZEN_USER_POOL_ID"] = pool["UserPool"]["Id"]
        os.environ["STAFF_USER_POOL_ID"], os.environ["STAFF_CLIENT_ID"] = _staff_pool()
        os.environ["PREMIUM_STATE_MACHINE"] = _premium_workflow()
        settings.cache_clear()
        data = dataset.load(loader, TABLE_NAME, size, dataset.joined_profiles(), load_method)
        from shared import wiring

        provider = _identity_provider()
        http = AwsEndpointsOnMoto(provider)
        original_http, wiring.http = wiring.http, lambda: http
        modules = {handler_module(s.function) for s in scenarios}
        for module in modules:
            new_container(module)
        started = time.perf_counter()
        clock.freeze(BENCH_NOW)
        try:
            with without_whole_table_work():  # moto's whole-table copies and sorts: not DynamoDB's cost
                services = ("secretsmanager", "s3", "stepfunctions", "sesv2", "cognito-idp")
                others = tuple(OperationCounter(aws.client(service)) for service in services)
                stream = Stream() if any(isinstance(s.request, StreamDelivery) for s in scenarios) else None
                measurements = _run(
                    scenarios, CallRecorder(aws.client("dynamodb")), others, browser=provider.client, stream=stream
                )
        finally:
            wiring.http = original_http
            clock.reset()
            for module in modules:
                new_container(module)
            aws.reset()
            os.environ.update(placeholders)
            settings.cache_clear()
    return SizeResult(size, data, measurements, time.perf_counter() - started)
