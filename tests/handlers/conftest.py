"""Handlers against moto (in-process mock), called with events shaped as API Gateway sends them."""

from __future__ import annotations

import base64
import importlib
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws
from moto.core.config import default_user_config

from local.events import FakeLambdaContext, api_gateway_event
from local.queues import create_work_queues
from local.seed import seed
from shared import clock
from shared.config import settings
from shared.dal import aws
from shared.dal.approval_keys import create_approval_secret
from shared.dal.evidence import create_evidence_bucket
from shared.dal.mail import create_sender_identity
from shared.dal.repository import Repository
from shared.dal.secrets import create_signing_keys_secret
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

    def __call__(
        self, method: str, path: str, user: str | None = None, body=None, headers=None, query: str = "", claims=None
    ) -> HttpResponse:
        route, params = _route_for(self.function, method, path)
        if claims is None and user:
            claims = {"sub": user, "token_use": "id", "cognito:username": user}
        event = api_gateway_event(method, route.path, path, params, query, headers, body, claims)
        result = self.handler.lambda_handler(event, FakeLambdaContext(self.function))
        text = result.get("body") or ""
        headers = {**(result.get("headers") or {}), **{k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}}
        if result.get("isBase64Encoded"):
            return HttpResponse(result["statusCode"], headers, base64.b64decode(text))
        parsed = json.loads(text) if text and "json" in headers.get("Content-Type", "") else text
        return HttpResponse(result["statusCode"], headers, parsed)


@pytest.fixture
def moto():
    with mock_aws():
        aws.reset()
        client = aws.client("dynamodb")
        create_table(client, os.environ["TABLE_NAME"])
        create_signing_keys_secret(
            aws.client("secretsmanager"), os.environ["CHECKIN_KEYS_SECRET"], os.environ["CHECKIN_VERIFY_KEYS_SECRET"]
        )
        create_evidence_bucket(aws.client("s3"), os.environ["EVIDENCE_BUCKET"])
        create_sender_identity(aws.client("sesv2"), os.environ["MAIL_FROM"])
        create_approval_secret(aws.client("secretsmanager"), os.environ["APPROVAL_SECRET"])
        for setting, url in create_work_queues(aws.client("sqs"), "furusato-test-").items():
            assert os.environ[setting] == url, (setting, url)  # tests/conftest.py names them
        # The citizens' pool (DELETE /me deletes the sign-in there); its id is new with every moto.
        pool = aws.client("cognito-idp").create_user_pool(PoolName="furusato-citizens", UsernameAttributes=["email"])
        placeholder = os.environ["CITIZEN_USER_POOL_ID"]
        os.environ["CITIZEN_USER_POOL_ID"] = pool["UserPool"]["Id"]
        settings.cache_clear()
        yield client
        os.environ["CITIZEN_USER_POOL_ID"] = placeholder
        settings.cache_clear()
        aws.reset()


@pytest.fixture
def repo(moto) -> Repository:
    repository = Repository(moto, os.environ["TABLE_NAME"])
    seed(repository)
    return repository


def staff_claims(code: str, role: str = "editor", user: str | None = None) -> dict:
    """What the staff pool's ID token carries, as API Gateway's authorizer passes it (groups as a string)."""
    return {"sub": user or f"staff-{code}-{role}", "custom:lg_code": code, "cognito:groups": f"[{role}]", "token_use": "id"}


@contextmanager
def _function(name: str):
    """One function's handler as a fresh "container": every per-container cache of the module (services,
    recorders) is emptied before and after, since each test runs on a new moto."""
    handler = importlib.import_module(f"functions.{name}.handler")
    caches = [v for v in vars(handler).values() if callable(getattr(v, "cache_clear", None))]
    for cache in caches:
        cache.cache_clear()
    try:
        yield Caller(name, handler)
    finally:
        for cache in caches:
            cache.cache_clear()
        clock.reset()


@pytest.fixture
def register_api(repo):
    with _function("register") as caller:
        yield caller


@pytest.fixture
def admin_api(repo):
    with _function("admin") as caller:
        yield caller


@pytest.fixture
def checkin_api(repo):
    with _function("checkin") as caller:
        yield caller


@pytest.fixture
def account_api(repo):
    with _function("account") as caller:
        yield caller


# --- identity verification: the development provider in-process -----------------------------------------------------

from local.wsgi_http import AwsEndpointsOnMoto, WsgiHttp  # noqa: E402

PROVIDER_ISSUER = "https://provider.test"
VERIFIER_CLIENT_ID = "furusato-test"
REDIRECT_URI = "https://app.test/verification/callback"


@pytest.fixture
def identity_provider(moto, monkeypatch):
    from local.oidc_provider import DevelopmentProvider
    from shared import wiring
    from shared.dal.identity_provider import create_verifier_secret

    provider = DevelopmentProvider(PROVIDER_ISSUER)
    keys = create_verifier_secret(aws.client("secretsmanager"), os.environ["VERIFIER_SECRET"])
    provider.register_client(VERIFIER_CLIENT_ID, keys.public_jwks(), [REDIRECT_URI])
    monkeypatch.setattr(wiring, "http", lambda: WsgiHttp(provider))
    return provider


@pytest.fixture
def verify_api(repo, identity_provider):
    with _function("verify") as caller:
        yield caller


class CardTap:
    """A person's card tap as the app does it: start, the provider's page (a test identity), back with code and state,
    complete. `identity` are the development provider's form fields (preset, name, address, postal_code, birthdate,
    age, gender, fault, subject)."""

    def __init__(self, verify_api, provider) -> None:
        self.api = verify_api
        self.browser = WsgiHttp(provider).client

    def start(self, user: str, **request) -> HttpResponse:
        return self.api("POST", "/me/verification", user, body={"share_with_organisations": True, **request})

    def authorize(self, authorization_url: str, **identity) -> dict[str, str]:
        from urllib.parse import parse_qs, urlsplit

        response = self.browser.post(authorization_url, data={"decision": "approve", **identity})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        answer = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
        return {"state": answer["state"], "code": answer["code"]}

    def __call__(self, user: str, request: dict | None = None, **identity) -> HttpResponse:
        started = self.start(user, **(request or {}))
        if started.status != 201:
            return started  # refused (or AWS failed) before the card was read: that is the answer
        callback = self.authorize(started.body["authorization_url"], **identity)
        return self.api("POST", "/me/verification/complete", user, body=callback)


@pytest.fixture
def card_tap(verify_api, identity_provider) -> CardTap:
    return CardTap(verify_api, identity_provider)


# --- premium: the workflow executed by moto, its tasks dispatched to the real handlers -------------------------------

APPROVAL_TIMEOUT_FOR_TESTS = 30  # seconds of wall clock (moto's timeouts do not follow our clock)


class PremiumWorkflow:
    """The premium state machine in moto (the deployed definition), executions run on moto's worker thread, their
    Lambda tasks dispatched to the real handlers. `wait(...)` polls an execution until it stops or reaches a state."""

    def __init__(self, arn: str) -> None:
        self.arn = arn
        self.client = aws.client("stepfunctions")

    def execution_arn(self, application_id: str) -> str:
        return self.arn.replace(":stateMachine:", ":execution:") + f":{application_id}"

    def describe(self, application_id: str) -> dict:
        return self.client.describe_execution(executionArn=self.execution_arn(application_id))

    def history(self, application_id: str) -> list[dict]:
        return self.client.get_execution_history(executionArn=self.execution_arn(application_id))["events"]

    def entered(self, application_id: str) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.history(application_id) if "stateEnteredEventDetails" in e]

    def wait(self, application_id: str, state: str | None = None, timeout: float = 30.0) -> dict:
        """Until the execution has entered `state` (and its task was invoked), or has stopped."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.describe(application_id)
            if described["status"] != "RUNNING":
                return described
            if state is not None and state in self.entered(application_id):
                return described
            time.sleep(0.05)
        raise AssertionError(f"execution {application_id} still running after {timeout}s: {self.entered(application_id)}")

    def until(self, condition, timeout: float = 30.0, what: str = "condition"):
        """Poll `condition()` (the execution runs on moto's thread) until it is truthy; its value."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"{what} not reached after {timeout}s")

    def mail_to(self, address: str) -> list:
        return [m for m in self.sent_mail() if address in m.destinations]

    def sent_mail(self) -> list:
        from moto.ses.models import ses_backends

        return list(ses_backends["123456789012"]["ap-northeast-1"].sent_messages)


@pytest.fixture
def premium_workflow(repo, monkeypatch):
    """moto executes state machines (its configuration, restored afterwards), Lambda invocations go to the
    dispatcher, and the premium state machine exists: PREMIUM_STATE_MACHINE names it."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    from local.dispatcher import LambdaDispatcher
    from local.workflows import create_state_machines, register_lambda_functions
    from shared.functions import FUNCTIONS

    saved = (dict(default_user_config["stepfunctions"]), dict(default_user_config["lambda"]), LambdaSimpleBackend.invoke)
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    default_user_config["lambda"]["use_docker"] = False
    try:
        arns = register_lambda_functions(aws.client("iam"), aws.client("lambda"), tuple(f.name for f in FUNCTIONS))
        machines = create_state_machines(aws.client("iam"), aws.client("stepfunctions"), arns)
        monkeypatch.setenv("PREMIUM_STATE_MACHINE", machines["premium"])
        settings.cache_clear()
        dispatcher = LambdaDispatcher(FUNCTIONS)

        def fresh_containers() -> None:  # nothing cached from another test's moto, nor left for the next test
            for name in dispatcher.functions:
                for value in vars(dispatcher._handlers[name]).values():
                    if callable(getattr(value, "cache_clear", None)):
                        value.cache_clear()

        fresh_containers()
        dispatcher.install_into_moto()
        yield PremiumWorkflow(machines["premium"])
        # The premium function's services hold this moto's clients (and, under a recorder, unrecorded ones): a later
        # test invoking the handler directly (tests/handlers/test_least_privilege.py) starts them anew.
        fresh_containers()
    finally:
        default_user_config["stepfunctions"].update(saved[0])
        default_user_config["lambda"].update(saved[1])
        LambdaSimpleBackend.invoke = saved[2]
        settings.cache_clear()


@pytest.fixture
def renewal_api(repo):
    """The renewal function; starting executions needs the `premium_workflow` fixture too (the state machine)."""
    with _function("renewal") as caller:
        yield caller


# --- the approval page: the staff pool in moto, staff accounts, a browser keeping the session cookie -------------------

STAFF_PASSWORD = "Staff-Passw0rd!"


class StaffPool:
    """The staff user pool as the local runtime makes it (`custom:lg_code`, groups editor and viewer, a client
    allowing USER_PASSWORD_AUTH); `account` adds a staff member."""

    def __init__(self) -> None:
        from local.runtime import create_staff_pool

        self.cognito = aws.client("cognito-idp")
        self.pool_id, self.client_id = create_staff_pool(self.cognito)

    def account(self, email: str, code: str, role: str = "editor", password: str = STAFF_PASSWORD) -> str:
        self.cognito.admin_create_user(
            UserPoolId=self.pool_id, Username=email, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:lg_code", "Value": code}],
        )
        self.cognito.admin_set_user_password(UserPoolId=self.pool_id, Username=email, Password=password, Permanent=True)
        self.cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=email, GroupName=role)
        return email


@pytest.fixture
def staff_pool(moto, identity_provider, monkeypatch) -> StaffPool:
    """After identity_provider (whose transport it wraps): the admin function signs staff in on this pool."""
    from shared import wiring

    pool = StaffPool()
    monkeypatch.setenv("STAFF_USER_POOL_ID", pool.pool_id)
    monkeypatch.setenv("STAFF_CLIENT_ID", pool.client_id)
    settings.cache_clear()
    inner = wiring.http
    monkeypatch.setattr(wiring, "http", lambda: AwsEndpointsOnMoto(inner()))
    yield pool
    settings.cache_clear()


class Browser:
    """A browser on the approval page: GETs and form POSTs through the admin function, the session cookie kept as a
    browser keeps it (by name, for the page's path, while unexpired)."""

    PATH = "/v1/approval"  # tests/conftest.py's APPROVAL_BASE_URL is https://admin.furusato.test/v1

    def __init__(self, admin_api) -> None:
        self.api = admin_api
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def _headers(self, extra: dict | None = None) -> dict:
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, response: HttpResponse) -> HttpResponse:
        cookie = response.headers.get("Set-Cookie")
        if cookie:
            self.set_cookies.append(cookie)
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            assert f"Path={self.PATH}" in cookie, cookie
            self.cookies[name] = value
        return response

    def open(self, token: str) -> HttpResponse:
        from urllib.parse import quote

        return self._keep(self.api("GET", "/approval", query=f"link={quote(token, safe='')}", headers=self._headers()))

    def post(self, path: str, **fields: str) -> HttpResponse:
        from urllib.parse import urlencode

        headers = self._headers({"Content-Type": "application/x-www-form-urlencoded"})
        return self._keep(self.api("POST", path, body=urlencode(fields), headers=headers))

    def sign_in(self, token: str, email: str, password: str = STAFF_PASSWORD) -> HttpResponse:
        return self.post("/approval/sign-in", link=token, email=email, password=password)


# --- the daily schedules: their events at a day's 03:00 JST, then the work queues drained ------------------------------


class Days:
    """Runs the renewal and expiry schedules for a day as EventBridge Scheduler would (the event's scheduled time at
    the schedule's hour in Japan, the clock there too), then their work queues' messages as the event source mappings
    would deliver them (local/queues.py), until every queue is empty."""

    def __init__(self, invoke) -> None:
        from local.queues import QueueWorker, consumers_of
        from shared.functions import QUEUES

        self.invoke = invoke
        self.worker = QueueWorker(aws.client("sqs"), invoke, consumers_of({q.setting: os.environ[q.setting] for q in QUEUES}))

    def run(self, day, schedules=("renewal", "expiry")) -> int:
        from datetime import datetime, timezone

        from shared.functions import FUNCTIONS

        at = datetime(day.year, day.month, day.day, 3, 0, tzinfo=clock.TOKYO)
        clock.freeze(at)
        for function in FUNCTIONS:
            for schedule in function.schedules:
                if schedule.name in schedules:
                    self.invoke(function.name, schedule.event(at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")))
        handled = self.worker.drain()
        assert not self.worker.errors, self.worker.errors
        return handled


@pytest.fixture
def days(repo):
    """The renewal and expiry functions as fresh containers, driven day by day (Days.run)."""
    with _function("renewal") as renewal, _function("expiry") as expiry:
        handlers = {"renewal": renewal.handler, "expiry": expiry.handler}
        yield Days(lambda name, event: handlers[name].lambda_handler(event, FakeLambdaContext(name)))
