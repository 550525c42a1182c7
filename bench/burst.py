"""A burst of check-ins over HTTP: N people scan one activity's printed code at once, on the local runtime.

The real local runtime (`python -m local --port 0`, its own process, as `make run` and the e2e tests start it):
staff of 飛騨市 sign in on the admin gateway, designate an activity running now and fetch its printed code (JSON:
the URL a phone reads from the QR code); N citizens sign in on the app gateway (/local/sign-in: Cognito sign-up,
confirmation and authentication on moto, timed); their registrations with 飛騨市 (岐阜県 co-registered) are written
through the data layer's own item builder into the runtime's moto over HTTP (BatchWriteItem), because going
through POST /registrations would only measure the register function again. Then every person's scan is sent at
once through the app gateway, from a bounded pool of threads on loopback, and checked afterwards: exactly N
records for the activity (admin API), one per person, each person's 12-month count 1 for 飛騨市 and for 岐阜県 (a
sample, app API). A second wave of the same N scans must answer 200 created=false and add nothing.

What the figures are not: the local runtime serialises every DynamoDB request in moto (local/motoserver.py: moto
is not thread-safe), runs one handler invocation at a time in one Python interpreter (local/dispatcher.py), and
verifies each ID token on every request. Its throughput and latencies say nothing about Lambda and DynamoDB;
the burst checks correctness under concurrency (no lost, duplicated or misattributed record), not speed.

Each response's record names the person it was recorded for (`record.user_id`): a response carrying someone
else's record means the request ran as another person."""

from __future__ import annotations

import base64
import json
import math
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
import requests

from local.process import RunningRuntime, RuntimeDidNotStart
from local.process import local_runtime as process_runtime
from local.runtime import REGION as RUNTIME_REGION
from local.runtime import TABLE_NAME as RUNTIME_TABLE
from shared.dal.repository import _dump, _registration_item  # the exact items the API writes
from shared.domain.models import Registration
from shared.domain.paging import MAX_PAGE_SIZE
from shared.domain.survey import COMMON_SURVEY_VERSION

from .scenarios import GIFU, HIDA

DEFAULT_PEOPLE = 1_000
DEFAULT_WORKERS = 48
SAMPLE = 50  # people whose own record counts are read back
PASSWORD = "Furusato-Bench-2026!"
STAFF_PASSWORD = "Staff-Bench-2026!"
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}
STARTUP_SECONDS = 90
TIMEOUT = 60  # seconds per HTTP request
TAIL_LINES = 400
SIGN_IN_ATTEMPTS = 4


class BurstFailed(RuntimeError):
    """The runtime or the set-up did not work: nothing was measured."""


@contextmanager
def local_runtime(moto_table_copies: bool = False) -> Iterator[RunningRuntime]:
    """The local runtime on free ports in its own process (local/process.py). `python -m bench.localrun`:
    `python -m local` with moto's transactions rolling back by item instead of copying the whole table
    (`moto_table_copies`: as `python -m local` is)."""
    try:
        with process_runtime("local" if moto_table_copies else "bench.localrun", STARTUP_SECONDS, TAIL_LINES) as runtime:
            yield runtime
    except RuntimeDidNotStart as error:
        raise BurstFailed(str(error)) from error


@dataclass
class Outcome:
    status: int  # 0: no HTTP response
    seconds: float
    created: bool | None = None
    record_user: str | None = None
    problem: str | None = None  # problem type slug, or the exception's name


@dataclass
class Wave:
    name: str
    wall_seconds: float
    outcomes: list[Outcome]
    expected_users: list[str]

    @property
    def requests(self) -> int:
        return len(self.outcomes)

    @property
    def throughput(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def statuses(self) -> dict[str, int]:
        return dict(sorted(Counter(str(o.status) if o.status else "no response" for o in self.outcomes).items()))

    @property
    def created(self) -> int:
        return sum(o.created is True for o in self.outcomes)

    @property
    def repeated(self) -> int:
        return sum(o.created is False for o in self.outcomes)

    @property
    def misattributed(self) -> int:
        """Answers carrying a record of someone other than the person who scanned."""
        return sum(
            o.record_user is not None and o.record_user != user for o, user in zip(self.outcomes, self.expected_users)
        )

    @property
    def errors(self) -> dict[str, int]:
        return dict(Counter(o.problem for o in self.outcomes if o.problem).most_common())

    def latency(self, quantile: float) -> float:
        """Nearest-rank quantile of the request latencies (1: the slowest)."""
        seconds = sorted(o.seconds for o in self.outcomes)
        if not seconds:
            return 0.0
        return seconds[min(len(seconds), max(1, math.ceil(quantile * len(seconds)))) - 1]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class BurstResult:
    people: int
    workers: int
    moto_table_copies: bool = False  # True: moto copied its whole table in every transaction (python -m local)
    startup_seconds: float = 0.0
    sign_in_seconds: float = 0.0
    sign_in_retries: int = 0  # sign-ins answered 5xx and sent again (moto's Cognito under concurrency)
    registration_seconds: float = 0.0
    activity_id: str = ""
    waves: list[Wave] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    verify_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def runtime(self) -> str:
        if self.moto_table_copies:
            return "python -m local"
        return "python -m bench.localrun: python -m local with moto's whole-table work removed"


class _Http:
    """One requests.Session per thread (connections kept alive, never shared between threads)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self, method: str, url: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        headers = {"Authorization": token} if token else {}
        return session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)


def _subject(id_token: str) -> str:
    """The `sub` claim of a JWT (read, not verified: the gateway verifies it)."""
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def _expect(response: requests.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise BurstFailed(f"{what}: HTTP {response.status_code}, expected {status}: {response.text[:500]}")
    return response.json()


def _problem(response: requests.Response) -> str | None:
    if response.status_code < 400:
        return None
    try:
        return str(response.json().get("type", "")).rsplit("/", 1)[-1] or f"HTTP {response.status_code}"
    except ValueError:
        return f"HTTP {response.status_code}"


def _register_through_data_layer(moto_url: str, users: list[str], since: datetime) -> None:
    """飛騨市 (direct) and 岐阜県 (co-registered through 飛騨市), as POST /registrations writes them."""
    client = boto3.client(
        "dynamodb", region_name=RUNTIME_REGION, endpoint_url=moto_url,
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    items = []
    for user in users:
        items.append(_registration_item(Registration(
            organisation_code=HIDA, user_id=user, since=since, direct=True,
            survey_version=COMMON_SURVEY_VERSION, answers=ANSWERS,
        )))
        items.append(_registration_item(Registration(
            organisation_code=GIFU, user_id=user, since=since, direct=False, via=frozenset({HIDA}),
        )))
    for start in range(0, len(items), 25):
        request: dict[str, Any] | None = {
            RUNTIME_TABLE: [{"PutRequest": {"Item": _dump(item)}} for item in items[start : start + 25]]
        }
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or None


def _wave(name: str, http: _Http, app: str, url: str, tokens: list[str], users: list[str], workers: int) -> Wave:
    def scan(token: str) -> Outcome:
        started = time.perf_counter()
        try:
            response = http("POST", f"{app}/checkins", token, json={"code": url})
        except requests.RequestException as error:
            return Outcome(0, time.perf_counter() - started, problem=type(error).__name__)
        seconds = time.perf_counter() - started
        outcome = Outcome(response.status_code, seconds, problem=_problem(response))
        if response.status_code in (200, 201):
            body = response.json()
            outcome.created = body.get("created")
            outcome.record_user = (body.get("record") or {}).get("user_id")
        return outcome

    started = time.perf_counter()
    with ThreadPoolExecutor(workers, thread_name_prefix="scan") as pool:
        outcomes = list(pool.map(scan, tokens))
    return Wave(name, time.perf_counter() - started, outcomes, users)


def _records(http: _Http, admin: str, staff: str, activity_id: str) -> list[dict[str, Any]]:
    """Every record of the activity: the list is paged (at most MAX_PAGE_SIZE a page), so page by page."""
    records: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": MAX_PAGE_SIZE}
    while True:
        response = http("GET", f"{admin}/activities/{activity_id}/records", staff, params=params)
        page = _expect(response, 200, "activity records")
        records += page["records"]
        if not page.get("next"):
            return records
        params["next"] = page["next"]


def _record_checks(records: list[dict[str, Any]], users: list[str], label: str) -> list[Check]:
    people = Counter(r["user_id"] for r in records)
    strangers = set(people) - set(users)
    missing = set(users) - set(people)
    twice = sum(1 for n in people.values() if n > 1)
    return [
        Check(
            f"{label}: exactly {len(users):,} records for the activity",
            len(records) == len(users),
            f"{len(records):,} records",
        ),
        Check(
            f"{label}: one record per person, all of them scanners",
            not strangers and not missing and not twice,
            f"{len(people):,} distinct people; {len(missing):,} scanners without a record, {twice:,} with more than "
            f"one, {len(strangers):,} records of people who did not scan",
        ),
    ]


def run(
    people: int = DEFAULT_PEOPLE,
    workers: int = DEFAULT_WORKERS,
    sample: int = SAMPLE,
    progress: Callable[[str], None] = lambda message: None,
    moto_table_copies: bool = False,
) -> BurstResult:
    if people < 1 or workers < 1:
        raise ValueError("people and workers must be at least 1")
    result = BurstResult(people=people, workers=workers)
    started = time.perf_counter()
    http = _Http()
    result.moto_table_copies = moto_table_copies
    progress(f"burst: starting the local runtime ({result.runtime})")
    with local_runtime(moto_table_copies) as runtime:
        try:
            _burst(runtime, result, http, people, workers, sample, progress)
        except (BurstFailed, requests.RequestException) as error:
            errors = [line.rstrip() for line in runtime.output if '" 200 -' not in line and '" 201 -' not in line]
            raise BurstFailed(f"{error}\n--- the local runtime's last lines ---\n" + "\n".join(errors[-60:])) from error
    result.wall_seconds = time.perf_counter() - started
    return result


def _burst(
    runtime: RunningRuntime, result: BurstResult, http: _Http, people: int, workers: int, sample: int,
    progress: Callable[[str], None],
) -> None:
    result.startup_seconds = runtime.startup_seconds
    app, admin = runtime.app, runtime.admin

    now = datetime.fromisoformat(_expect(http("POST", f"{app}/local/clock", json={"reset": True}), 200, "clock")["now"])
    staff_body = {
        "email": f"burst@{HIDA}.example.lg.jp", "password": STAFF_PASSWORD, "organisation_code": HIDA, "role": "editor"
    }
    staff = _expect(http("POST", f"{admin}/local/sign-in", json=staff_body), 200, "staff sign-in")["id_token"]
    activity = {
        "name": "古川祭 会場清掃（負荷試験）",
        "kind": "project",
        "starts_at": (now - timedelta(minutes=10)).isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "place": "飛騨市古川町 まつり広場",
        "capacity": 100_000,
    }
    result.activity_id = _expect(http("POST", f"{admin}/activities", staff, json=activity), 201, "designate")["id"]
    code = f"{admin}/activities/{result.activity_id}/checkin-code"
    url = _expect(http("GET", code, staff, params={"kind": "printed", "format": "json"}), 200, "printed code")["url"]

    progress(f"burst: {people:,} citizens sign in (/local/sign-in, {workers} at a time)")
    run_id = uuid.uuid4().hex[:8]

    retried = threading.Lock()

    def sign_in(i: int) -> str:
        """Retried on a 5xx: moto's Cognito is not thread-safe (only DynamoDB is serialised in the runtime), so
        concurrent sign-ups now and then fail with a 500 (counted in the report)."""
        body = {"email": f"burst-{run_id}-{i:05d}@example.jp", "password": PASSWORD}
        for attempt in range(1, SIGN_IN_ATTEMPTS + 1):
            response = http("POST", f"{app}/local/sign-in", json=body)
            if response.status_code < 500 or attempt == SIGN_IN_ATTEMPTS:
                return _expect(response, 200, "citizen sign-in")["id_token"]
            with retried:
                result.sign_in_retries += 1
        raise AssertionError("unreachable")

    t = time.perf_counter()
    with ThreadPoolExecutor(workers, thread_name_prefix="sign-in") as pool:
        tokens = list(pool.map(sign_in, range(people)))
    result.sign_in_seconds = time.perf_counter() - t
    users = [_subject(token) for token in tokens]
    if len(set(users)) != people:
        raise BurstFailed(f"sign-in gave {len(set(users))} distinct subjects for {people} people")

    t = time.perf_counter()
    _register_through_data_layer(runtime.moto, users, now - timedelta(days=30))
    result.registration_seconds = time.perf_counter() - t

    progress(f"burst: {people:,} concurrent check-ins ({workers} workers), then the same again")
    result.waves.append(_wave("first scans", http, app, url, tokens, users, workers))

    t = time.perf_counter()
    first = result.waves[0]
    result.checks.append(Check(
        "first wave: every scan created a record (201, created=true)",
        first.statuses == {"201": people} and first.created == people,
        f"statuses {first.statuses}, created {first.created:,}",
    ))
    result.checks.append(Check(
        "first wave: every answer carries the scanner's own record",
        first.misattributed == 0,
        f"{first.misattributed:,} answers carried another person's record",
    ))
    result.checks += _record_checks(_records(http, admin, staff, result.activity_id), users, "after the first wave")
    chosen = random.Random(people).sample(range(people), min(sample, people))

    def counts(i: int) -> tuple[int, int]:
        return tuple(  # type: ignore[return-value]
            _expect(http("GET", f"{app}/me/records/{org}", tokens[i]), 200, "my records")["count_last_12_months"]
            for org in (HIDA, GIFU)
        )

    with ThreadPoolExecutor(workers) as pool:
        sampled = list(pool.map(counts, chosen))
    wrong = [(users[i], c) for i, c in zip(chosen, sampled) if c != (1, 1)]
    result.checks.append(Check(
        f"{len(chosen)} people's 12-month counts: 飛騨市 1 and 岐阜県 1",
        not wrong,
        "all 1 and 1" if not wrong else f"{len(wrong)} differ, e.g. {wrong[:3]}",
    ))
    result.verify_seconds = time.perf_counter() - t

    result.waves.append(_wave("same scans again", http, app, url, tokens, users, workers))
    second = result.waves[1]
    result.checks.append(Check(
        "second wave: every scan answered 200 created=false",
        second.statuses == {"200": people} and second.repeated == people,
        f"statuses {second.statuses}, created=false {second.repeated:,}",
    ))
    result.checks.append(Check(
        "second wave: every answer carries the scanner's own record",
        second.misattributed == 0,
        f"{second.misattributed:,} answers carried another person's record",
    ))
    result.checks += _record_checks(_records(http, admin, staff, result.activity_id), users, "after the second wave")
