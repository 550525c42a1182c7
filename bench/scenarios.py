"""The measured requests: every route of both APIs, in the order of one container's life per function and one
day of a few people. The first request of a container shows its cold caches (organisations, signing keys); a
person's first signed-in request of the day to a function shows the daily access record; later requests run on
warm containers, as most requests do.

The clock is frozen at BENCH_NOW for the whole run (`shared.clock`), during the activity the scenarios designate,
so every figure is reproducible. Values that only exist once an earlier request made them (the new activity's id,
its check-in code URLs) are `Ref`s to what that request saved from its response.

Functions without a route (the premium workflow's tasks) are measured as a `Task`: the function invoked with the
payload its state machine's state sends, as the state machine would (which the bench does not run)."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from shared.clock import TOKYO
from shared.domain.approval_session import COOKIE_NAME as SESSION_COOKIE
from shared.routes import ROUTES, Route

# Joined in local.seed: 気仙沼市 and 南三陸町 (宮城県), 飛騨市 (岐阜県), 岐阜県, 海士町 (島根県).
KESENNUMA, MINAMISANRIKU, MIYAGI, GIFU, AMA = "042056", "046060", "040002", "210005", "325252"
HIDA = "212172"

COMMON_ANSWERS = {"relationship": ["type2_regular_visits", "birthplace"], "interests": ["tourism_events"]}
KESENNUMA_ANSWERS = {**COMMON_ANSWERS, "own_fan_club": "member"}

# The frozen time of the whole run: a Saturday morning, half an hour into the activity the scenarios designate.
BENCH_NOW = datetime(2027, 6, 5, 10, 30, tzinfo=TOKYO)
ACTIVITY_STARTS = BENCH_NOW - timedelta(minutes=30)


def _user(name: str) -> str:
    """A Cognito-like subject, stable between runs and never one of the generated users."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://furusato.example.jp/bench/{name}"))


USER = _user("alice")  # registers, withdraws, registers with 飛騨市, checks in
BOB = _user("bob")  # registers with 飛騨市; his first request of the day to the checkin function is a scan
STRANGER = _user("stranger")  # registered nowhere
REGULAR = _user("regular")  # in the dataset at every size: 飛騨市 + 岐阜県, a record for each 飛騨市 activity
CAROL = _user("carol")  # in the dataset at every size: 飛騨市 + 岐阜県; attends without scanning, sends evidence
DAVE = _user("dave")  # registers with 飛騨市, verifies with the card of a pre-launch participant: claims 4 records
ERIN = _user("erin")  # registers with 飛騨市, verifies as a participant living elsewhere now: 4 near matches
# Premium (R-PRE-1..7), all three in the dataset at every size, registered with 飛騨市 (岐阜県 co-registered):
FIONA = _user("fiona")  # attended 6 飛騨市 activities this year; verifies (lives in Tokyo), applies, is approved
GRACE = _user("grace")  # verified, premium at 飛騨市 until GRACE_EXPIRES_ON (renewal window open): renews
HANA = _user("hana")  # verified, HANA_RECORDS records at 飛騨市 in the 12 months: the judgement's reads for many records


def route(method: str, path: str) -> Route:
    return next(r for r in ROUTES if r.method == method and r.path == path)


def _resolve(value: Any, saved: dict[str, Any]) -> Any:
    """`value` with its Refs (in dicts, at any depth) replaced by the saved values."""
    if isinstance(value, Ref):
        if value.name not in saved:
            raise KeyError(f"no earlier scenario saved {value.name!r}")
        return saved[value.name]
    if isinstance(value, dict):
        return {k: _resolve(x, saved) for k, x in value.items()}
    return value


@dataclass(frozen=True)
class Ref:
    """A value an earlier scenario saved from its response (`Request.save`)."""

    name: str


@dataclass(frozen=True)
class Request:
    route: Route
    path_parameters: dict[str, Any] = field(default_factory=dict)
    query: str | dict[str, Any] = ""  # a query string, or its parameters (values may be Refs), URL-encoded when sent
    user: str | None = None  # a citizen (app API)
    staff: str | None = None  # a staff member (admin API, editor) of this organisation
    body: Any = None  # dict (JSON), bytes (an upload) or None; dict values may be Refs
    form: dict[str, Any] | None = None  # a browser's form post (URL-encoded) instead of `body`; values may be Refs
    cookies: dict[str, Any] | None = None  # sent in a Cookie header, as a browser does; values may be Refs
    headers: dict[str, str] | None = None
    expect_status: int = 200
    # Response fields ("a.b.0" paths) that prove the request did what the scenario says; for an HTML page, text it
    # must contain.
    expect: dict[str, Any] = field(default_factory=dict)
    expect_text: tuple[str, ...] = ()
    # name -> what to keep for later Refs: a response field path ("a.b.0"), "cookie:<name>" (a Set-Cookie's value)
    # or "input:<name>" (the value of an HTML page's form field, e.g. a hidden CSRF token).
    save: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        path = self.route.path
        for name, value in self.path_parameters.items():
            path = path.replace(f"{{{name}}}", str(value))
        return path

    @property
    def function(self) -> str:
        return self.route.function

    @property
    def shown(self) -> tuple[str, str]:
        """What the report names it by: method and route."""
        return self.route.method, self.route.path

    def resolved(self, saved: dict[str, Any]) -> Request:
        """This request with its Refs replaced by the saved values."""
        query = self.query if isinstance(self.query, str) else urlencode(_resolve(self.query, saved))
        return replace(
            self,
            path_parameters={k: _resolve(v, saved) for k, v in self.path_parameters.items()},
            query=query,
            body=_resolve(self.body, saved),
            form=_resolve(self.form, saved),
            cookies=_resolve(self.cookies, saved),
            expect={k: _resolve(v, saved) for k, v in self.expect.items()},
        )


@dataclass(frozen=True)
class Task:
    """A state machine's task: `function` invoked directly with the payload its state sends (no HTTP, no route),
    as tests/handlers/test_least_privilege.py invokes them. The function's answer is what the state machine routes
    on (`expect` checks it, "a.b" paths); an exception would fail the task (the state machine's retry)."""

    function: str
    payload: dict[str, Any]  # values may be Refs
    expect: dict[str, Any] = field(default_factory=dict)

    @property
    def shown(self) -> tuple[str, str]:
        return "task", self.payload["task"]

    def resolved(self, saved: dict[str, Any]) -> Task:
        return replace(self, payload=_resolve(self.payload, saved), expect=_resolve(self.expect, saved))


@dataclass(frozen=True)
class StreamDelivery:
    """The table's stream since the last delivery, handed to `function` as its event source mapping would
    (local/streams.py: its filter, batches of 100), counted as that function's: what keeping the statistics costs
    (round trips and items written per stream record). `records`: how many records it must deliver (the scenario's
    writes: a registration and its co-registration are two)."""

    records: int
    function: str = "stats"

    @property
    def shown(self) -> tuple[str, str]:
        return "stream", f"{self.records} record(s)"

    def resolved(self, saved: dict[str, Any]) -> StreamDelivery:
        return self


@dataclass(frozen=True)
class Scheduled:
    """A schedule of shared/functions.py fired (EventBridge Scheduler's event), counted as its function's."""

    function: str
    schedule: str
    expect: dict[str, Any] = field(default_factory=dict)

    @property
    def shown(self) -> tuple[str, str]:
        return "cron", self.schedule

    def resolved(self, saved: dict[str, Any]) -> Scheduled:
        return self


@dataclass(frozen=True)
class QueueDelivery:
    """A work queue's messages handed to the function its Queue trigger names, one at a time as its event source
    mapping delivers them (batch size 1), until the queue is empty (a step's continuation included), counted as that
    function's. `messages`: how many it must have handled."""

    function: str
    setting: str  # the queue's URL setting (shared/functions.py QUEUES)
    messages: int

    @property
    def shown(self) -> tuple[str, str]:
        return "queue", self.setting

    def resolved(self, saved: dict[str, Any]) -> QueueDelivery:
        return self


@dataclass(frozen=True)
class Upload:
    """Before the request, a file is put in the evidence bucket (as the app's presigned POST would), at the object
    key an earlier scenario saved under `key`. Not counted: it is the app talking to S3, not a function."""

    key: str
    size_bytes: int  # as declared when the upload started: submit checks the file's size against it
    content_type: str = "image/jpeg"


@dataclass(frozen=True)
class CardTap:
    """Before the request, the person's card is read at the identity provider: the authorization URL an earlier
    scenario saved is approved with a test identity (the development provider's form fields), and the code and
    state the app gets back are saved under `save_as`. Not counted: it is the app and the provider, not a function."""

    authorization_url: str
    identity: dict[str, str]
    save_as: str


@dataclass(frozen=True)
class MailedLink:
    """Before the request, the newest e-mail to `to` (moto's SES, read as local/outbox reads it) is opened and the
    `parameter` of its link to `path` saved under `save_as`: the approval link staff click. Not counted: it is the
    recipient's mail client, not a function."""

    to: str
    path: str
    parameter: str
    save_as: str


@dataclass(frozen=True)
class Scenario:
    name: str
    request: Request | Task | StreamDelivery | Scheduled | QueueDelivery
    note: str = ""
    # A figure the report states on its own (e.g. "check-in"): scenarios sharing a key are listed together.
    key: str = ""
    upload: Upload | None = None
    card_tap: CardTap | None = None
    mailed_link: MailedLink | None = None

    @property
    def function(self) -> str:
        return self.request.function


LIST = route("GET", "/organisations")
DETAIL = route("GET", "/organisations/{code}")
POSTAL = route("GET", "/postal-codes/{postal_code}")
REGISTER = route("POST", "/registrations")
MINE = route("GET", "/me/registrations")
CARD = route("GET", "/me/registrations/{code}/card")
WITHDRAW = route("DELETE", "/me/registrations/{code}")
DELETE_ACCOUNT = route("DELETE", "/me")
CHECKIN = route("POST", "/checkins")
MY_RECORDS = route("GET", "/me/records/{code}")
STAFF_ME = route("GET", "/staff/me")
ACTIVITIES = route("GET", "/activities")
CREATE_ACTIVITY = route("POST", "/activities")
ACTIVITY = route("GET", "/activities/{activity_id}")
EDIT_ACTIVITY = route("PATCH", "/activities/{activity_id}")
CANCEL_ACTIVITY = route("POST", "/activities/{activity_id}/cancel")
CHECKIN_CODE = route("GET", "/activities/{activity_id}/checkin-code")
ACTIVITY_RECORDS = route("GET", "/activities/{activity_id}/records")
ENTER_RECORD = route("POST", "/activities/{activity_id}/records")
PRELAUNCH_IMPORT = route("POST", "/prelaunch-imports")
RECRUITMENT = route("GET", "/me/recruitment")
MY_APPLICATIONS = route("GET", "/me/applications")
APPLY = route("POST", "/organisations/{code}/activities/{activity_id}/applications")
WITHDRAW_APPLICATION = route("DELETE", "/organisations/{code}/activities/{activity_id}/applications")
APPLICANTS = route("GET", "/activities/{activity_id}/applications")
REGISTRANT = route("GET", "/registrants/{user_id}")
REGISTRANT_RECORDS = route("GET", "/registrants/{user_id}/records")
REGISTRANTS = route("GET", "/registrants")
CREATE_EXPORT = route("POST", "/registrants/exports")
EXPORTS = route("GET", "/registrants/exports")
EXPORT = route("GET", "/registrants/exports/{export_id}")
DECIDE = route("PUT", "/activities/{activity_id}/applications/{user_id}/decision")
START_EVIDENCE = route("POST", "/me/evidence")
MY_EVIDENCE = route("GET", "/me/evidence/{code}")
SUBMIT_EVIDENCE = route("POST", "/me/evidence/{code}/{evidence_id}/submit")
EVIDENCE_TO_REVIEW = route("GET", "/evidence")
VIEW_EVIDENCE = route("GET", "/evidence/{user_id}/{evidence_id}")
ACCEPT_EVIDENCE = route("POST", "/evidence/{user_id}/{evidence_id}/accept")
REJECT_EVIDENCE = route("POST", "/evidence/{user_id}/{evidence_id}/reject")
START_VERIFICATION = route("POST", "/me/verification")
COMPLETE_VERIFICATION = route("POST", "/me/verification/complete")
VERIFICATION_STATUS = route("GET", "/me/verification")
MATCHES = route("GET", "/me/prelaunch-matches")
CONFIRM_MATCH = route("POST", "/me/prelaunch-matches/{code}/{match_id}/confirm")
DECLINE_MATCH = route("DELETE", "/me/prelaunch-matches/{code}/{match_id}")
PREMIUM_SETTINGS = route("GET", "/premium-settings")
SAVE_PREMIUM_SETTINGS = route("PUT", "/premium-settings")
APPLY_FOR_PREMIUM = route("POST", "/me/premium-applications")
MY_PREMIUM_APPLICATIONS = route("GET", "/me/premium-applications")
MY_PREMIUM_APPLICATION = route("GET", "/me/premium-applications/{code}/{application_id}")
MY_NOTICES = route("GET", "/me/notices")
PREMIUM_QUEUE = route("GET", "/premium-applications")
PREMIUM_APPLICATION = route("GET", "/premium-applications/{user_id}/{application_id}")
PREMIUM_DECISION = route("POST", "/premium-applications/{user_id}/{application_id}/decision")
APPROVAL_PAGE = route("GET", "/approval")
APPROVAL_SIGN_IN = route("POST", "/approval/sign-in")
APPROVAL_DECISION = route("POST", "/approval/decision")
STATISTICS = route("GET", "/statistics")
NATIONAL_STATISTICS = route("GET", "/statistics/national")

ACTIVITY_ID = {"activity_id": Ref("activity")}


def register(code: str, answers: dict[str, Any], status: str, key: str | None = None, user: str = USER) -> Request:
    return Request(
        REGISTER,
        user=user,
        body={"organisation_code": code, "answers": answers},
        headers={"Idempotency-Key": key} if key else None,
        expect_status=201,
        expect={"registration.organisation.code": code, "co_registration.status": status},
    )


IDEMPOTENT_REGISTRATION = register(AMA, COMMON_ANSWERS, "registered", key="bench-1")

REGISTER_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "list organisations, cold cache",
        Request(LIST),
        note="a container's first request reads every joined organisation",
    ),
    Scenario("list organisations, warm", Request(LIST), note="joined organisations from the container cache"),
    Scenario("search organisations", Request(LIST, query="q=気仙沼", expect={"organisations.0.code": KESENNUMA})),
    Scenario(
        "organisation detail, cold cache",
        Request(DETAIL, {"code": KESENNUMA}, expect={"code": KESENNUMA}),
        note="one eventually consistent read of the profile",
    ),
    Scenario(
        "organisation detail, warm",
        Request(DETAIL, {"code": KESENNUMA}, expect={"code": KESENNUMA}),
        note="the profile from the container cache",
    ),
    Scenario(
        "postal code lookup",
        Request(POSTAL, {"postal_code": "988-0017"}, expect={"municipalities.0.code": KESENNUMA}),
    ),
    Scenario(
        "user's first request today",
        Request(MINE, user=USER, expect={"registrations": []}),
        note="any signed-in route; later requests of the day to the same container skip the access record (R-BAS-5)",
    ),
    Scenario(
        "register: municipality + prefecture",
        register(KESENNUMA, KESENNUMA_ANSWERS, "registered"),
        note="宮城県 co-registered in the same transaction",
    ),
    Scenario(
        "stats: upkeep of a registration + co-registration",
        StreamDelivery(records=2),
        note="two stream records, each starting to count: the person's membership read, one transaction (event "
        "marker, organisation + area + national shards, the membership); per record: 2 round trips, 5 items written",
        key="statistics",
    ),
    Scenario(
        "register: 2nd municipality, linked",
        register(MINAMISANRIKU, COMMON_ANSWERS, "linked"),
        note="宮城県's registration (read first) gets 南三陸町 added to its `via`",
    ),
    Scenario(
        "stats: upkeep of a registration + a linked prefecture",
        StreamDelivery(records=2),
        note="the new registration as above; the prefecture's `via` change counts nothing new: no write at all",
        key="statistics",
    ),
    Scenario("register: prefecture alone", register(GIFU, COMMON_ANSWERS, "not_applicable")),
    Scenario(
        "register with Idempotency-Key",
        IDEMPOTENT_REGISTRATION,
        note="海士町 + 島根県; the idempotency record rides in the registration transaction",
    ),
    Scenario(
        "register, retried (same key)",
        IDEMPOTENT_REGISTRATION,
        note="the first response, read from the cancelled transaction's reason",
    ),
    Scenario(
        "my registrations",
        Request(
            MINE,
            user=USER,
            expect={"registrations.0.organisation.code": MIYAGI, "registrations.5.organisation.code": AMA},
        ),
        note="six registrations, from the user's partition of the registrations_by_user index",
    ),
    Scenario("card", Request(CARD, {"code": KESENNUMA}, user=USER, expect={"organisation.code": KESENNUMA})),
    Scenario(
        "withdraw, prefecture kept",
        Request(WITHDRAW, {"code": KESENNUMA}, user=USER, expect={"kept_prefecture.code": MIYAGI}),
        note="宮城県 stays, still linked to 南三陸町",
    ),
    Scenario(
        "withdraw, prefecture goes too",
        Request(WITHDRAW, {"code": MINAMISANRIKU}, user=USER, expect={"withdrawn.1.code": MIYAGI}),
        note="the co-registered prefecture goes with its last municipality",
    ),
    Scenario(
        "register: 飛騨市, 岐阜県 already direct",
        register(HIDA, COMMON_ANSWERS, "linked"),
        note="to check in: 岐阜県 (registered directly above) is linked to 飛騨市",
    ),
    Scenario(
        "register: another person, 1st request today",
        register(HIDA, COMMON_ANSWERS, "registered", user=BOB),
        note="Bob: his access record, then 飛騨市 + 岐阜県",
    ),
    Scenario(
        "stats: upkeep of withdrawals and registrations",
        StreamDelivery(records=14),
        note="the withdrawals (each registration's removal stops it counting), the idempotent registration, 飛騨市 "
        "linked to 岐阜県, Bob's two: one batch",
        key="statistics",
    ),
    Scenario(
        "stats: staff read their figures",
        Request(STATISTICS, staff=GIFU, expect={"sets.1.scope": "area"}),
        note="岐阜県: its own and its area's figures, every shard in one BatchGetItem; the months with a snapshot",
        key="statistics",
    ),
    Scenario(
        "stats: the public national figures",
        Request(NATIONAL_STATISTICS, expect={"threshold": 10}),
        note="32 national shards in one BatchGetItem, small cells withheld; the months with a snapshot",
        key="statistics",
    ),
    Scenario(
        "renewal: the daily run",
        Scheduled("renewal", "renewal"),
        note="the run records (one BatchGetItem) and the first page of each shard of the reminder's anchor days: "
        "reads only what falls due (bench/schedules.py: a day at 10,000 and 100,000 registrations)",
        key="schedules",
    ),
    Scenario(
        "expiry: the daily run",
        Scheduled("expiry", "expiry"),
        note="lapses, inactivity notices and removals alike: what falls due, never the table",
        key="schedules",
    ),
    Scenario(
        "stats: month-end snapshot",
        Scheduled("stats", "statistics-snapshot"),
        note="every scope of the catalogue (~4,200 shard keys, ~43 BatchGetItem), the non-empty ones written: "
        "once a month, the same at any table size",
        key="statistics",
    ),
)

ACTIVITY_BODY = {
    "name": "古川町 森林整備ボランティア",
    "description": "間伐材の搬出と遊歩道の整備。軍手と長靴をご持参ください。",
    "kind": "project",
    "starts_at": ACTIVITY_STARTS.isoformat(),
    "ends_at": (ACTIVITY_STARTS + timedelta(hours=3)).isoformat(),
    "place": "飛騨市古川町 市民の森",
    "capacity": 30,
    "recruiting": True,
}


# 飛騨市's approver: the premium settings' address the approval e-mails go to, and the staff account (an editor of
# 飛騨市 in the bench's staff pool, bench/costs.py) that signs in on the approval page from the link.
APPROVER = "furusato@city.hida.example.lg.jp"
APPROVER_PASSWORD = "Bench-Staff-Passw0rd!"

PREMIUM_SETTINGS_BODY = {
    "activities_needed": 4,
    "consecutive_days_count_each": True,
    "extra_conditions": ["市の移住相談会に一度参加していること"],
    "long_stay_marker": True,
    "long_stay_min_days": 10,
    "approver_emails": [APPROVER],
    "version": 0,
}


def _code(kind: str, save: str | None = None, fmt: str = "json") -> Request:
    return Request(
        CHECKIN_CODE,
        ACTIVITY_ID,
        query=f"kind={kind}&format={fmt}",
        staff=HIDA,
        expect={"kind": kind} if fmt == "json" else {},
        save={save: "url"} if save else {},
    )


ADMIN_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "staff: who am I",
        Request(STAFF_ME, staff=HIDA, expect={"organisation.code": HIDA}),
        note="from the token's claims (custom:lg_code, cognito:groups) and the bundled catalogue",
    ),
    Scenario(
        "staff: designate an activity",
        Request(
            CREATE_ACTIVITY, staff=HIDA, body=ACTIVITY_BODY, expect_status=201,
            expect={"organisation_code": HIDA, "venue_code": HIDA}, save={"activity": "id"},
        ),
    ),
    Scenario(
        "staff: list activities",
        Request(ACTIVITIES, staff=HIDA),
        note="飛騨市's partition, activities only (sort key prefix): the dataset's and the new one",
    ),
    Scenario("staff: one activity", Request(ACTIVITY, ACTIVITY_ID, staff=HIDA, expect={"id": Ref("activity")})),
    Scenario(
        "staff: edit an activity",
        Request(EDIT_ACTIVITY, ACTIVITY_ID, staff=HIDA, body={"capacity": 40}, expect={"version": 2}),
        note="read, then a put conditioned on the version read (optimistic locking)",
    ),
    Scenario(
        "staff: printed code, cold keys",
        _code("printed", save="printed"),
        note="the container's first use of the signing keys: one GetSecretValue, then cached (SECRET_CACHE_SECONDS)",
        key="check-in codes (signing keys from Secrets Manager)",
    ),
    Scenario(
        "staff: rotating code", _code("rotating", save="rotating"), note="keys from the container cache",
        key="check-in codes (signing keys from Secrets Manager)",
    ),
    Scenario("staff: printed code as PNG", _code("printed", fmt="png")),
    Scenario(
        "staff: premium settings, never set",
        Request(PREMIUM_SETTINGS, staff=HIDA, expect={"version": 0, "activities_needed": 3}),
        note="one consistent GetItem in 飛騨市's partition; absent: the defaults (R-ADM-2, R-PRE-1)",
    ),
    Scenario(
        "staff: save premium settings",
        Request(
            SAVE_PREMIUM_SETTINGS, staff=HIDA, body=PREMIUM_SETTINGS_BODY,
            expect={"version": 1, "activities_needed": 4, "long_stay_marker": True},
        ),
        note="one UpdateItem conditioned on the version sent; no read first",
    ),
)

CHECKIN_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "my records, 1st checkin request today",
        Request(MY_RECORDS, {"code": HIDA}, user=USER, expect={"count_last_12_months": 0}),
        note="the access record is per function container: the checkin function writes it once a day too",
    ),
    Scenario(
        "check in: first scan, cold keys",
        Request(
            CHECKIN, user=USER, body={"code": Ref("printed")}, expect_status=201,
            expect={"created": True, "record.user_id": USER, "counted_for.1": GIFU},
        ),
        note="one transaction: activity running + registered (condition checks), 飛騨市 and 岐阜県 records; then the "
        "activity's name, once per activity per container",
        key="check-in",
    ),
    Scenario(
        "check in: same code again",
        Request(CHECKIN, user=USER, body={"code": Ref("printed")}, expect={"created": False}),
        note="the cancelled transaction returns the first record (ReturnValuesOnConditionCheckFailure)",
        key="check-in",
    ),
    Scenario(
        "check in: 1st request today (Bob)",
        Request(
            CHECKIN, user=BOB, body={"code": Ref("rotating")}, expect_status=201,
            expect={"created": True, "record.user_id": BOB, "record.source": "qr_rotating"},
        ),
        note="a person's first request of the day to this container: access record + the transaction",
        key="check-in",
    ),
    Scenario(
        "check in: not registered (refused)",
        Request(
            CHECKIN, user=STRANGER, body={"code": Ref("printed")}, expect_status=409,
            expect={"organisation_code": HIDA},
        ),
        note="access record, then the transaction, cancelled by the registration check: nothing written",
    ),
    Scenario(
        "my records: 飛騨市",
        Request(MY_RECORDS, {"code": HIDA}, user=USER, expect={"count_last_12_months": 1}),
        note="the person's partition for 飛騨市, records of the last 12 months (key condition), then their names",
        key="my records",
    ),
    Scenario(
        "my records: 岐阜県",
        Request(MY_RECORDS, {"code": GIFU}, user=USER, expect={"count_last_12_months": 1}),
        key="my records",
    ),
    Scenario(
        "my records: a regular, 1st today",
        Request(MY_RECORDS, {"code": GIFU}, user=REGULAR),
        note="the dataset's regular attendee (same at every size), first request of the day",
    ),
    Scenario(
        "my records: a regular, 飛騨市",
        Request(MY_RECORDS, {"code": HIDA}, user=REGULAR),
        note="a record for every 飛騨市 activity of the dataset; older ones are outside the key condition",
        key="my records",
    ),
    Scenario(
        "my records: a regular, 5 a page",
        Request(MY_RECORDS, {"code": HIDA}, user=REGULAR, query="limit=5"),
        note="a page of 5 (6 read: the extra one says a next page exists), then the window's count (Select=COUNT)",
        key="my records",
    ),
)

APPLICATION = {"code": HIDA, "activity_id": Ref("activity")}

RECRUITMENT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "recruiting activities of my organisations",
        Request(RECRUITMENT, user=USER, expect={"activities.0.id": Ref("activity")}),
        note="the person's registrations (one Query, 10 a page), then one Query per organisation until the page is "
        "full (4 here; at most 1 + 10 a page whatever the number of organisations joined)",
    ),
    Scenario(
        "apply to an activity",
        Request(
            APPLY, APPLICATION, user=USER, body={"message": "軍手を持参します"}, expect_status=201,
            expect={"status": "applied"},
        ),
        note="one transaction: the activity's applicant count (capacity), the registration check, the application",
    ),
    Scenario(
        "my applications", Request(MY_APPLICATIONS, user=USER, expect={"applications.0.activity_id": Ref("activity")})
    ),
    Scenario(
        "staff: applicants",
        Request(APPLICANTS, ACTIVITY_ID, staff=HIDA, expect={"applications.0.user_id": USER}),
    ),
    Scenario(
        "staff: accept an applicant",
        Request(
            DECIDE, {**ACTIVITY_ID, "user_id": USER}, staff=HIDA, body={"status": "accepted"},
            expect={"status": "accepted"},
        ),
    ),
    Scenario(
        "withdraw an application",
        Request(WITHDRAW_APPLICATION, APPLICATION, user=USER, expect_status=204),
        note="one transaction: the application goes, the applicant count goes down",
    ),
)

STAFF_RECORD_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "staff: enter a record",
        Request(
            ENTER_RECORD, ACTIVITY_ID, staff=HIDA, body={"user_id": REGULAR, "day": BENCH_NOW.date().isoformat()},
            expect_status=201, expect={"created": True, "record.source": "staff_entry"},
        ),
        note="the activity read, then the same transaction as a scan",
    ),
    Scenario(
        "staff: enter it again",
        Request(
            ENTER_RECORD, ACTIVITY_ID, staff=HIDA, body={"user_id": REGULAR, "day": BENCH_NOW.date().isoformat()},
            expect={"created": False},
        ),
    ),
    Scenario(
        "staff: an activity's records",
        Request(ACTIVITY_RECORDS, ACTIVITY_ID, staff=HIDA, expect={"records.2.activity_id": Ref("activity")}),
        note="the activity (scope check, name), then its partition of the records_by_activity index: 3 records",
        key="staff records",
    ),
    Scenario(
        "staff: one registrant (prefecture view)",
        Request(REGISTRANT, {"user_id": REGULAR}, staff=GIFU, expect={"registration.organisation_code": GIFU}),
        note="岐阜県 staff: the registration, then the 飛騨市 registration it came through (R-ORG-3)",
    ),
    Scenario(
        "staff: a registrant's records",
        Request(REGISTRANT_RECORDS, {"user_id": REGULAR}, staff=HIDA, expect={"user_id": REGULAR}),
        note="one Query on the registrant's record partition, whatever the table holds",
        key="staff records",
    ),
    # The scenario people registered on 2026-04-02, the generated population from 2026-12 on: a day range holds the
    # same few registrants at every size, so the figures compare (every shard's range read, then their personal data).
    Scenario(
        "staff: registrant list, a day range",
        Request(REGISTRANTS, query="since_from=2026-04-01&since_to=2026-04-30&limit=50", staff=HIDA, expect={"next": None}),
        note="16 Queries (one per shard of the registrants index, each only the day range), 1 BatchGetItem of the "
        "page's personal data: never the organisation's whole list",
        key="registrant list",
    ),
    Scenario(
        "staff: registrant list, prefecture, verified",
        Request(REGISTRANTS, query="since_from=2026-04-01&since_to=2026-04-30&verified=true", staff=GIFU,
                expect={"next": None}),
        note="岐阜県: the co-registrations through 飛騨市 (R-ORG-3), a FilterExpression on the projected attributes",
        key="registrant list",
    ),
)

EVIDENCE_BODY = {
    "organisation_code": HIDA,
    "activity_id": Ref("activity"),
    "day": BENCH_NOW.date().isoformat(),
    "content_type": "image/jpeg",
    "size_bytes": 350_000,
    "note": "受付のQRコードを読み取れなかったため、作業中の写真を送ります",
}


def _start_evidence(name: str) -> Request:
    return Request(
        START_EVIDENCE, user=CAROL, body=EVIDENCE_BODY, expect_status=201,
        expect={"evidence.status": "awaiting_upload"},
        save={name: "evidence.id", f"{name} file": "evidence.object_key"},
    )


def _evidence(name: str, user: bool = True) -> dict[str, Any]:
    return {"code": HIDA, "evidence_id": Ref(name)} if user else {"user_id": CAROL, "evidence_id": Ref(name)}


EVIDENCE_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "evidence: start an upload, 1st today",
        _start_evidence("evidence"),
        note="Carol (no scan): access record, the activity, her registration, the evidence item; a presigned POST",
    ),
    Scenario(
        "evidence: submit after uploading",
        Request(SUBMIT_EVIDENCE, _evidence("evidence"), user=CAROL, expect={"status": "submitted"}),
        note="the item, the file's type and size (HeadObject), then into the review queue",
        upload=Upload("evidence file", EVIDENCE_BODY["size_bytes"]),
    ),
    Scenario(
        "my evidence", Request(MY_EVIDENCE, {"code": HIDA}, user=CAROL, expect={"evidence.0.status": "submitted"})
    ),
    Scenario(
        "staff: evidence to review",
        Request(EVIDENCE_TO_REVIEW, staff=HIDA, expect={"evidence.0.id": Ref("evidence")}),
        note="the organisation's partition of the sparse evidence_to_review index",
    ),
    Scenario(
        "staff: view evidence",
        Request(VIEW_EVIDENCE, _evidence("evidence", user=False), staff=HIDA, expect={"evidence.id": Ref("evidence")}),
        note="the item; the viewing link is a presigned GET (no call)",
    ),
    Scenario(
        "staff: accept evidence",
        Request(
            ACCEPT_EVIDENCE, _evidence("evidence", user=False), staff=HIDA,
            expect={"evidence.status": "accepted", "attendance.created": True, "attendance.record.source": "evidence"},
        ),
        note="the item, the activity, the attendance transaction (as a scan), then the decision",
    ),
    Scenario("evidence: a second upload", _start_evidence("evidence 2")),
    Scenario(
        "evidence: submit the second",
        Request(SUBMIT_EVIDENCE, _evidence("evidence 2"), user=CAROL, expect={"status": "submitted"}),
        upload=Upload("evidence 2 file", EVIDENCE_BODY["size_bytes"]),
    ),
    Scenario(
        "staff: reject evidence",
        Request(
            REJECT_EVIDENCE, _evidence("evidence 2", user=False), staff=HIDA,
            body={"reason": "同じ日の参加はすでに記録されています"}, expect={"evidence.status": "rejected"},
        ),
    ),
)

CLOSING_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "staff: cancel an activity",
        Request(CANCEL_ACTIVITY, ACTIVITY_ID, staff=HIDA, expect={"status": "cancelled"}),
    ),
    Scenario(
        "check in: cancelled (refused)",
        Request(CHECKIN, user=BOB, body={"code": Ref("printed")}, expect_status=409),
        note="the transaction's activity check fails; one more read tells cancelled from not running",
    ),
    Scenario(
        "delete my account",
        Request(DELETE_ACCOUNT, user=USER, headers={"Confirm-Account-Deletion": "DELETE"}, expect_status=204),
        note="everything the person owns from the person's index (registrations, application, records anonymised), "
        "then the sign-in (Cognito: AdminDeleteUser) and the tombstone",
    ),
)


# --- the pre-launch template (R-ACT-5) ------------------------------------------------------------------------

PRELAUNCH_HEADER = (
    ("活動情報", "", "", "", "", "", "参加者情報", "", "", "", ""),
    ("任意", "必須", "必須", "必須", "必須", "任意", "必須", "必須", "必須", "必須", "必須"),
    ("ID", "活動名", "活動開始日時", "活動終了日時", "活動場所", "参加条件", "氏名", "郵便番号", "住所(除郵便番号)", "生年月日", "性別"),
)
PRELAUNCH_ACTIVITIES = (
    ("EVT-101", "農業ボランティア", datetime(2026, 4, 18, 9, 0), "古川町 契約農園"),
    ("EVT-102", "古川祭 会場設営", datetime(2026, 4, 19, 8, 30), "古川町 まつり広場"),
    ("EVT-103", "宮川 河川清掃", datetime(2026, 5, 24, 13, 30), "宮川河川敷"),
    ("EVT-104", "移住相談会スタッフ", datetime(2026, 6, 14, 10, 0), "飛騨市役所 大会議室"),
)
PRELAUNCH_PEOPLE = 10  # per activity: 40 rows, two BatchWriteItems
_SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
_GIVEN = ("花子", "太郎", "陽菜", "蓮", "結衣", "大翔", "美咲", "悠真", "さくら", "健一")
_POSTAL = ("509-4235", "500-8833", "460-0008", "100-0001", "530-0001")


def _jp(moment: datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour}:{moment.minute:02d}"


def prelaunch_csv() -> bytes:
    """The recommended template as CSV (UTF-8): the 3 header rows, then one row per participant."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(PRELAUNCH_HEADER)
    for event_id, name, starts, place in PRELAUNCH_ACTIVITIES:
        for i in range(PRELAUNCH_PEOPLE):
            writer.writerow((
                event_id, name, _jp(starts), _jp(starts + timedelta(hours=2)), place, "",
                f"{_SURNAMES[i]} {_GIVEN[(i * 3) % len(_GIVEN)]}", _POSTAL[i % len(_POSTAL)],
                f"{i + 1}丁目{i + 2}番{i + 3}号", f"{1950 + i * 5}/{i + 1}/{i + 10}", "女性" if i % 2 else "男性",
            ))
    return buffer.getvalue().encode("utf-8")


PRELAUNCH_ROWS = len(PRELAUNCH_ACTIVITIES) * PRELAUNCH_PEOPLE


def _import(stored: int) -> Request:
    return Request(
        PRELAUNCH_IMPORT, staff=HIDA, body=prelaunch_csv(), headers={"Content-Type": "text/csv"},
        expect={"accepted_count": PRELAUNCH_ROWS, "stored_count": stored, "rejected_count": 0},
    )


PRELAUNCH_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        f"staff: import template ({PRELAUNCH_ROWS} rows)",
        _import(PRELAUNCH_ROWS),
        note="which rows exist (BatchGetItem, 100 keys a call), then the new ones (BatchWriteItem, 25 a call)",
    ),
    Scenario("staff: import it again", _import(0), note="every row known: nothing written"),
)

# --- identity verification (R-BAS-4, R-ACT-5): after the import, two people of it verify ---------------------------


def _participant(i: int, **changes: str) -> dict[str, str]:
    """Participant `i` of prelaunch_csv as their card says it (the development provider's form fields)."""
    return {
        "name": f"{_SURNAMES[i]} {_GIVEN[(i * 3) % len(_GIVEN)]}", "address": f"岐阜県飛騨市古川町{i + 1}丁目",
        "postal_code": _POSTAL[i % len(_POSTAL)], "birthdate": f"{1950 + i * 5}-{i + 1:02d}-{i + 10:02d}",
        "gender": "female" if i % 2 else "male", **changes,
    }


def _verification(
    user: str, name: str, identity: dict[str, str], expect: dict[str, Any], register_first: bool = True
) -> tuple[Scenario, ...]:
    registration = (Scenario(f"register: 飛騨市 ({name})", register(HIDA, COMMON_ANSWERS, "registered", user=user)),)
    return (
        *(registration if register_first else ()),
        Scenario(
            f"verification: start ({name})",
            Request(START_VERIFICATION, user=user, body={"share_with_organisations": True}, expect_status=201,
                    save={f"{name} authorization": "authorization_url"}),
            note="the state, nonce and PKCE verifier kept for 10 minutes",
        ),
        Scenario(
            f"verification: complete ({name})",
            Request(COMPLETE_VERIFICATION, user=user, body=Ref(f"{name} callback"), expect={"status": "verified", **expect}),
            card_tap=CardTap(f"{name} authorization", identity, f"{name} callback"),
            note="the state used, the account's verification (subject claim in one transaction), the 4 info into each "
            "registration, one Query per registration for pre-launch participations; the verifier key secret once",
        ),
    )


VERIFICATION_SCENARIOS: tuple[Scenario, ...] = (
    *_verification(DAVE, "dave", _participant(0), {"claimed_records": 4, "offered_matches": 0}),
    Scenario("verification status", Request(VERIFICATION_STATUS, user=DAVE, expect={"status": "verified"})),
    Scenario(
        "card of a verified person",
        Request(CARD, {"code": HIDA}, user=DAVE, expect={"verified": True, "verified_label": "本人確認済み"}),
    ),
    *_verification(
        ERIN, "erin", _participant(1, address="東京都千代田区霞が関1-1-1", postal_code="100-0013"),
        {"claimed_records": 0, "offered_matches": 4},
    ),
    Scenario(
        "my near matches",
        Request(MATCHES, user=ERIN, expect={"matches.3.organisation.code": HIDA},
                save={"match 1": "matches.0.id", "match 2": "matches.1.id"}),
    ),
    Scenario(
        "confirm a near match",
        Request(CONFIRM_MATCH, {"code": HIDA, "match_id": Ref("match 1")}, user=ERIN, expect={"claimed": True}),
    ),
    Scenario(
        "decline a near match",
        Request(DECLINE_MATCH, {"code": HIDA, "match_id": Ref("match 2")}, user=ERIN, expect_status=204),
    ),
)

# --- premium (R-PRE-1..7): apply, the workflow's tasks, staff approval, the outcome; a renewal; many records ----------
#
# The state machine (shared/workflows/premium.asl.json) exists in moto but does not run: applying starts its
# execution (StartExecution, named after the application), and each of its tasks is then invoked here with the payload
# its state sends. The task token is the bench's own: moto's non-executing backend answers SendTaskSuccess without
# checking it, as AWS answers a token of a waiting execution.

GRACE_EXPIRES_ON = date(2027, 7, 20)  # within RENEWAL_WINDOW_DAYS (60) of BENCH_NOW: renewal open
HANA_RECORDS = 300  # her records at 飛騨市 in the 12 months (bench/dataset.py: over 121 activities)
APPROVAL_TIMEOUT_SECONDS = 14 * 24 * 3600  # what the execution's input carries (APPROVAL_TIMEOUT_SECONDS's default)


def _premium_ref(user: str, saved_as: str) -> dict[str, Any]:
    return {"organisation_code": HIDA, "user_id": user, "id": Ref(saved_as)}


def _premium_task(task: str, user: str, saved_as: str, expect: dict[str, Any] | None = None, **extra: Any) -> Task:
    return Task("premium", {"task": task, "application": _premium_ref(user, saved_as), **extra}, expect or {})


def _apply_for_premium(user: str, saved_as: str, renewal: bool = False) -> Request:
    return Request(
        APPLY_FOR_PREMIUM, user=user, body={"organisation_code": HIDA}, expect_status=201,
        expect={"status": "judging", "renewal": renewal}, save={saved_as: "id"},
    )


def _decision(user: str, saved_as: str, expires_on: date) -> Request:
    return Request(
        PREMIUM_DECISION, {"user_id": user, "application_id": Ref(saved_as)}, staff=HIDA, body={"decision": "approve"},
        expect={"application.status": "approved", "application.premium_expires_on": expires_on.isoformat()},
    )


def _request_approval(user: str, saved_as: str) -> Task:
    return _premium_task("request_approval", user, saved_as, token=f"bench-task-token-{saved_as.replace(' ', '-')}",
                         timeout_seconds=APPROVAL_TIMEOUT_SECONDS)


def _japanese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


FIONA_EXPIRES_ON = date(2028, 6, 5)  # approved on BENCH_NOW's day: a year counted from the next day (R-PRE-6)
GRACE_RENEWED_TO = date(2028, 7, 20)  # a year from the old expiry, whenever approved (R-PRE-6)

PREMIUM_SCENARIOS: tuple[Scenario, ...] = (
    *_verification(FIONA, "fiona", {"preset": "tokyo-adult"}, {"claimed_records": 0, "offered_matches": 0},
                   register_first=False),
    Scenario(
        "premium: apply",
        _apply_for_premium(FIONA, "fiona application"),
        note="Fiona's first request today to the renewal function: the access record (written today already by the "
        "verify function: its condition fails); her registration; one transaction (the application, the "
        "registration's open mark); the execution started, named after the application",
        key="premium",
    ),
    Scenario(
        "premium: apply, retried",
        Request(
            APPLY_FOR_PREMIUM, user=FIONA, body={"organisation_code": HIDA}, expect={"id": Ref("fiona application")}
        ),
        note="the registration's open mark names the application: it is read, its execution started again (same "
        "name and input: no second one)",
    ),
    Scenario(
        "premium task: judge",
        _premium_task("judge", FIONA, "fiona application", {"next": "await_staff"}),
        note="the application, the registration, the account (verification), the settings, the person's "
        "registrations (index, then their expiries), her 飛騨市 records of the 12 months (100 a Query), their "
        "activities' names and counting (100 a BatchGetItem each); eligible, staff approve (extra conditions): into "
        "the inbox",
        key="premium",
    ),
    Scenario(
        "premium task: request approval",
        _request_approval(FIONA, "fiona application"),
        note="the task token and the link's nonce kept with the application; the settings (approvers); the link "
        "signed (approval key secret, once per container) and e-mailed (SES)",
    ),
    Scenario(
        "staff: premium applications waiting",
        Request(PREMIUM_QUEUE, staff=HIDA, expect={"applications.0.id": Ref("fiona application")}),
        note="飛騨市's partition of the sparse inbox index",
    ),
    Scenario(
        "staff: one premium application",
        Request(
            PREMIUM_APPLICATION, {"user_id": FIONA, "application_id": Ref("fiona application")}, staff=HIDA,
            expect={"application.status": "awaiting_approval", "application.judgement.eligible": True},
        ),
    ),
    Scenario(
        "staff: approve premium",
        _decision(FIONA, "fiona application", FIONA_EXPIRES_ON),
        note="the application and its task token; the guard and the person's premium organisations (R-PRE-4); one "
        "transaction (application, registration's expiry, the guard, the audit entry); the execution resumed",
        key="premium",
    ),
    Scenario(
        "premium task: notify",
        _premium_task("notify", FIONA, "fiona application"),
        note="the application; the notice (once); her registration (the e-mail she gave): e-mailed, marked sent",
    ),
    Scenario(
        "my premium applications",
        Request(MY_PREMIUM_APPLICATIONS, user=FIONA, expect={"applications.0.status": "approved"}),
        note="the premium part of her partition of the person index",
    ),
    Scenario(
        "my premium application",
        Request(
            MY_PREMIUM_APPLICATION, {"code": HIDA, "application_id": Ref("fiona application")}, user=FIONA,
            expect={"status": "approved", "premium_expires_on": FIONA_EXPIRES_ON.isoformat()},
        ),
    ),
    Scenario(
        "my notices",
        Request(MY_NOTICES, user=FIONA, expect={"notices.0.kind": "premium_approved"}),
        note="her partition of the inbox index, newest first",
    ),
    Scenario(
        "card of a premium registrant",
        Request(CARD, {"code": HIDA}, user=FIONA, expect={"premium_expires_on": FIONA_EXPIRES_ON.isoformat()}),
        note="premium derived from the expiry date when read (R-PRE-6); her first request today to the register "
        "function: the access record's conditional update (written today already)",
    ),
    Scenario(
        "premium renewal: apply",
        _apply_for_premium(GRACE, "grace application", renewal=True),
        note=f"Grace, premium until {GRACE_EXPIRES_ON.isoformat()}: the transaction requires that expiry unchanged",
        key="premium",
    ),
    Scenario(
        "premium renewal task: judge",
        _premium_task("judge", GRACE, "grace application", {"next": "await_staff"}),
        note="as a first judgement; only the records of her current premium year count (R-PRE-6)",
        key="premium",
    ),
    Scenario("premium renewal task: request approval", _request_approval(GRACE, "grace application")),
    Scenario(
        "staff: approve a renewal",
        _decision(GRACE, "grace application", GRACE_RENEWED_TO),
        note="as an approval; the new expiry a year from the old one, required unchanged",
        key="premium",
    ),
    Scenario("premium renewal task: notify", _premium_task("notify", GRACE, "grace application")),
    Scenario(
        f"premium: apply ({HANA_RECORDS} records)",
        _apply_for_premium(HANA, "hana application"),
    ),
    Scenario(
        f"premium task: judge, {HANA_RECORDS} records",
        _premium_task("judge", HANA, "hana application", {"next": "await_staff"}),
        note=f"Hana's {HANA_RECORDS} records at 飛騨市, 100 a Query, and their 121 activities' names and counting, "
        "100 a BatchGetItem each; everything else as for Fiona",
        key="premium",
    ),
    # Hana's application is decided on the approval page (R-PRE-5): the approver opens the e-mailed link, signs in
    # with the staff pool (no API Gateway authorizer on these routes), sees the application and approves it.
    Scenario("premium task: request approval (hana)", _request_approval(HANA, "hana application")),
    Scenario(
        "approval page: open the link",
        Request(APPROVAL_PAGE, query={"link": Ref("hana link")}, expect_text=("職員サインイン",)),
        mailed_link=MailedLink(APPROVER, "/approval", "link", "hana link"),
        note="no session yet: the link verified (the approval keys, once per container), the application read "
        "(waiting, the link's nonce); the sign-in form",
    ),
    Scenario(
        "approval page: sign in",
        Request(
            APPROVAL_SIGN_IN, form={"link": Ref("hana link"), "email": APPROVER, "password": APPROVER_PASSWORD},
            expect_status=303, save={"approval session": f"cookie:{SESSION_COOKIE}"},
        ),
        note="the link and the application again; InitiateAuth (Cognito), the ID token verified against the staff "
        "pool's JWKS (HTTP, once per container: not counted); the session in a cookie, back to the link",
        key="premium",
    ),
    Scenario(
        "approval page: the application",
        Request(
            APPROVAL_PAGE, query={"link": Ref("hana link")}, cookies={SESSION_COOKIE: Ref("approval session")},
            expect_text=("承認待ち", "飛騨市"), save={"approval csrf": "input:csrf"},
        ),
        note="the link, the session (the cookie), the application; the name Hana gave 飛騨市 (her registration); the "
        "decision form with its CSRF token",
    ),
    Scenario(
        "approval page: approve",
        Request(
            APPROVAL_DECISION,
            form={"link": Ref("hana link"), "decision": "approve", "reason": "", "csrf": Ref("approval csrf")},
            cookies={SESSION_COOKIE: Ref("approval session")},
            expect_text=("承認しました", _japanese_date(FIONA_EXPIRES_ON)),
        ),
        note="the link, the session, the form's token; then as staff: approve premium (the link ends with the "
        "application's decision)",
        key="premium",
    ),
)


# --- the staff registrant export (issue 10 item 4): asked for, written by the exports function, followed -------------
EXPORT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "staff: ask for a registrant export",
        Request(CREATE_EXPORT, staff=HIDA, body={"since_from": "2026-04-01", "since_to": "2026-04-30"},
                headers={"Idempotency-Key": "bench-export"}, expect_status=202, expect={"status": "queued"},
                save={"export": "id"}),
        note="the organisation's newest exports (one Query: at most 3 in progress), the export and its key's item "
        "(one transaction), the first step on the export queue",
        key="registrant export",
    ),
    Scenario(
        "staff: a registrant export, queued",
        Request(EXPORT, {"export_id": Ref("export")}, staff=HIDA, expect={"status": "queued"}),
        note="one GetItem in the organisation's exports partition", key="registrant export",
    ),
    Scenario(
        "exports: write the export",
        QueueDelivery("exports", "EXPORT_QUEUE_URL", messages=1),
        note="one message per part (8 MiB): the export item, the multipart upload begun, the list's pages (a day "
        "range: 16 Queries, 1 BatchGetItem), one part, completed",
        key="registrant export",
    ),
    Scenario(
        "staff: a registrant export, done",
        Request(EXPORT, {"export_id": Ref("export")}, staff=HIDA, expect={"status": "done"}),
        note="one GetItem; the link is presigned (no call)", key="registrant export",
    ),
    Scenario(
        "staff: registrant exports",
        Request(EXPORTS, staff=HIDA, expect={"exports.0.id": Ref("export")}),
        note="one Query of the organisation's exports partition (kept 7 days)", key="registrant export",
    ),
)


SCENARIOS: tuple[Scenario, ...] = (
    REGISTER_SCENARIOS
    + ADMIN_SCENARIOS
    + CHECKIN_SCENARIOS
    + RECRUITMENT_SCENARIOS
    + STAFF_RECORD_SCENARIOS
    + EVIDENCE_SCENARIOS
    + CLOSING_SCENARIOS
    + PRELAUNCH_SCENARIOS
    + VERIFICATION_SCENARIOS
    + PREMIUM_SCENARIOS
    + EXPORT_SCENARIOS
)


def uncovered_routes(scenarios: tuple[Scenario, ...] = SCENARIOS) -> list[Route]:
    """Routes of the route table that no scenario measures."""
    measured = {s.request.route for s in scenarios if isinstance(s.request, Request)}
    return [r for r in ROUTES if r not in measured]
