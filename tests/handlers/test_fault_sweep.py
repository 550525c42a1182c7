"""The fault sweep (issue 11; R-ACT-3, R-PRIV-2): for every multi-call operation, the k-th AWS call fails, for every
k, in each of three ways (tests/handlers/faults.py: refused, connection error, applied but the response lost). After
each trial:
- the answer is 2xx only when the operation's effect is complete (the same answer a clean run gives), otherwise
  503 problem JSON with Retry-After and a Japanese title;
- the table is unchanged or complete (the national area aside: last access and idempotency records), or a
  documented harmless partial that the same request repeated completes;
- the same request repeated (same Idempotency-Key where used) reaches the complete state and answers the clean
  run's answer, or the answer listed for a repeat of work already done (e.g. 409 already-registered without a key).

An operation joins the sweep by one entry in OPERATIONS: how to set it up, how to call it, and when it runs; state
is the whole table, read with a Scan (test inspection only), "complete" is what a clean run leaves.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable
from types import SimpleNamespace
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from shared import clock
from shared.dal import aws
from shared.domain import activities as activity_rules
from shared.domain import approval_link, premium_application
from tests.handlers.conftest import Caller, HttpResponse, staff_claims
from tests.handlers.faults import KINDS, FaultInjector
from tests.unit.test_prelaunch import DATA, HEADER

HIDA = "212172"
START = datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO)
BEFORE_START, DURING, DAY_AFTER = START - timedelta(days=1), START + timedelta(minutes=5), START + timedelta(days=1)
AFTER_THE_SAMPLE = datetime(2027, 4, 1, 9, 0, tzinfo=clock.TOKYO)
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}
PHOTO = b"\xff\xd8\xff\xe0" + b"0" * 200
STAFF = staff_claims(HIDA)

Items = dict[tuple[str, str], dict[str, Any]]
_deserializer = TypeDeserializer()


@dataclass
class World:
    register: Caller
    checkin: Caller
    admin: Caller
    account: Caller
    verify: Caller
    tap: Any  # tests.handlers.conftest.CardTap: a card tap through the development provider
    renewal: Caller
    premium: Any  # the premium function's handler (the state machine's tasks)

    def task(self, payload: dict) -> HttpResponse:
        """A workflow task as the state machine runs it. Its "answer": the task's result (200), or an exception,
        which Step Functions retries (the task's Retry) and which stands here for a retryable failure (503)."""
        from local.events import FakeLambdaContext
        from shared.domain.errors import ServiceUnavailable

        try:
            result = self.premium.lambda_handler(payload, FakeLambdaContext("premium"))
        except Exception as error:  # noqa: BLE001 - any failure of a task is retried by its state
            title = ServiceUnavailable.title
            return HttpResponse(503, {"Content-Type": "application/problem+json", "Retry-After": "1"},
                                {"title": title, "detail": type(error).__name__})
        return HttpResponse(200, {"Content-Type": "application/json"}, result)


# --- setups (made once per operation, without faults) ----------------------------------------------------------------


def nothing(world: World) -> dict:
    return {}


def registered(world: World) -> dict:
    clock.freeze(START - timedelta(days=3))
    response = world.register("POST", "/registrations", user="u1", body={"organisation_code": HIDA, "answers": ANSWERS})
    assert response.status == 201, response.body
    return {}


def activity(world: World, **extra) -> dict:
    clock.freeze(START - timedelta(days=3))
    body = {"name": "雪下ろしボランティア", "kind": "project", "place": "飛騨市古川町", "starts_at": START.isoformat(),
            "ends_at": (START + timedelta(hours=3)).isoformat(), **extra}
    response = world.admin("POST", "/activities", body=body, claims=STAFF)
    assert response.status == 201, response.body
    return {"activity": response.body["id"]}


def attendable(world: World) -> dict:
    context = activity(world) | registered(world)
    code = world.admin("GET", f"/activities/{context['activity']}/checkin-code", claims=STAFF)
    assert code.status == 200, code.body
    return context | {"code": code.body["url"]}


def recruiting(world: World) -> dict:
    return activity(world, recruiting=True, capacity=5) | registered(world)


def applied(world: World) -> dict:
    context = recruiting(world)
    clock.freeze(BEFORE_START)
    assert apply(world, context).status == 201
    return context


def evidence_started(world: World) -> dict:
    context = activity(world) | registered(world)
    clock.freeze(DAY_AFTER)
    created = start_evidence(world, context)
    assert created.status == 201, created.body
    aws.client("s3").put_object(
        Bucket=os.environ["EVIDENCE_BUCKET"], Key=created.body["evidence"]["object_key"], Body=PHOTO, ContentType="image/jpeg"
    )
    return context | {"evidence": created.body["evidence"]["id"]}


def evidence_submitted(world: World) -> dict:
    context = evidence_started(world)
    assert submit_evidence(world, context).status == 200
    return context


def footprint(world: World) -> dict:
    """A person's footprint at 飛騨市 and 岐阜県: registrations, an application, records for both, evidence with its
    file (what withdrawal and account deletion erase)."""
    context = activity(world, recruiting=True, capacity=5) | registered(world)
    code = world.admin("GET", f"/activities/{context['activity']}/checkin-code", claims=STAFF)
    clock.freeze(BEFORE_START)
    assert apply(world, context).status == 201
    clock.freeze(DURING)
    assert world.checkin("POST", "/checkins", user="u1", body={"code": code.body["url"]}).status == 201
    clock.freeze(DAY_AFTER)
    created = start_evidence(world, context)
    assert created.status == 201, created.body
    aws.client("s3").put_object(
        Bucket=os.environ["EVIDENCE_BUCKET"], Key=created.body["evidence"]["object_key"], Body=PHOTO, ContentType="image/jpeg"
    )
    return context


def prelaunch_of_taro(world: World) -> dict:
    """u1 registered with 飛騨市 (and 岐阜県), and 飛騨市's pre-launch rows of the development provider's 飛騨 太郎:
    two exact matches, one near (what a verification writes: 4 info, resident flags, records, an offer)."""
    context = registered(world)
    clock.freeze(AFTER_THE_SAMPLE)
    rows = (
        "ID,活動名,活動開始日時,活動終了日時,活動場所,参加条件,氏名,郵便番号,住所(除郵便番号),生年月日,性別\n"
        "E1,雪下ろし,2026年4月10日 9:00,2026年4月10日 12:00,古川町,,飛騨 太郎,509-4292,岐阜県飛騨市古川町本町2-22,1990/4/1,男性\n"
        "E2,清掃,2026年5月10日 9:00,2026年5月10日 12:00,古川町,,飛騨 太郎,509-4225,飛騨市古川町,1990/4/1,男性\n"
        "E3,草刈り,2026年6月10日 9:00,2026年6月10日 12:00,古川町,,飛騨 太郎,100-0013,東京都千代田区霞が関1-1-1,1990/4/1,男性\n"
    ).encode()
    imported = world.admin("POST", "/prelaunch-imports", body=rows, headers={"Content-Type": "text/csv"}, claims=STAFF)
    assert imported.status == 200 and imported.body["stored_count"] == 3, imported.body
    return context


PREMIUM_AT = datetime(2026, 12, 20, 10, 0, tzinfo=clock.TOKYO)


def premium_ready(world: World, auto_approve: bool = False) -> dict:
    """u1: registered with 飛騨市 (an e-mail given), verified with a Tokyo address, three records; 飛騨市's premium
    settings (approval by staff, or automatic)."""
    from tests.handlers.premium_helpers import active_person, settings

    clock.freeze(PREMIUM_AT)
    active_person(world.register, world.admin, world.tap, "u1", email="u1@example.jp")
    settings(world.admin, auto_approve=auto_approve)
    return {}


def premium_applied(world: World, auto_approve: bool = False) -> dict:
    premium_ready(world, auto_approve)
    response = world.renewal("POST", "/me/premium-applications", user="u1", body={"organisation_code": HIDA})
    assert response.status == 201, response.body
    return {"application": {"organisation_code": HIDA, "user_id": "u1", "id": response.body["id"]}}


def premium_awaiting(world: World) -> dict:
    context = premium_applied(world)
    assert world.task({"task": "judge", "application": context["application"]}).body == {"next": "await_staff"}
    return context


def premium_requested(world: World) -> dict:
    context = premium_awaiting(world)
    request = {"task": "request_approval", "application": context["application"], "token": "task-token-1",
               "timeout_seconds": 3600}
    assert world.task(request).status == 200
    return context


def premium_decided(world: World) -> dict:
    context = premium_requested(world)
    decided = world.admin("POST", f"/premium-applications/u1/{context['application']['id']}/decision",
                          body={"decision": "approve"}, claims=STAFF)
    assert decided.status == 200, decided.body
    return context


def premium_apply(world: World, context: dict) -> HttpResponse:
    return world.renewal("POST", "/me/premium-applications", user="u1", body={"organisation_code": HIDA})


def premium_decision(decision: dict) -> Callable[[World, dict], HttpResponse]:
    def call(world: World, context: dict) -> HttpResponse:
        path = f"/premium-applications/u1/{context['application']['id']}/decision"
        return world.admin("POST", path, body=decision, claims=STAFF)

    return call


def premium_task(task: str, **extra) -> Callable[[World, dict], HttpResponse]:
    def call(world: World, context: dict) -> HttpResponse:
        return world.task({"task": task, "application": context["application"], **extra})

    return call


def applied_premium(response: HttpResponse) -> Any:
    """An application answered: 201 when this request made it, 200 when a retry finds it made (the same one). Its id
    is drawn anew by a request that made nothing the first time: compared by what it says."""
    return (response.status in (200, 201), response.body.get("status"), response.body.get("organisation"))


def premium_ids_alike(items: Items) -> Items:
    """An application's id (and a link's nonce) are drawn per attempt: an attempt that wrote nothing leaves its id
    unused and the repeat draws the next. Compared without them: what matters is one application, one open mark."""
    result: Items = {}
    for key, item in items.items():
        if item.get("type") == "PremiumApplication":
            key = (key[0], "PREMIUM#*")
            item = {k: v for k, v in item.items() if k not in ("sk", "id", "user_sk", "link_nonce")}
        elif item.get("type") == "Registration" and "premium_open" in item:
            item = {**item, "premium_open": "*"}
        result[key] = item
    return result


def notice_not_yet_emailed(before: Items, after: Items, complete: Items) -> bool:
    """The notice is written before its e-mail is sent and marked sent: a failure in between leaves the notice
    without `emailed_at`, and the task's retry sends the e-mail and marks it (docs/decisions.md)."""
    def alike(key, item) -> bool:
        expected = complete.get(key)
        return expected is not None and {k: v for k, v in expected.items() if k != "emailed_at"} == item
    return all(before.get(k) == v or complete.get(k) == v or alike(k, v) for k, v in after.items())


def card_tap(world: World, context: dict) -> HttpResponse:
    """A whole card tap (start, the provider, complete): a failed one is repeated by tapping again (a state and a
    code work once)."""
    return world.tap("u1", preset="hida-adult")


# --- calls -----------------------------------------------------------------------------------------------------------


def register(key: str | None) -> Callable[[World, dict], HttpResponse]:
    headers = {"Idempotency-Key": key} if key else None

    def call(world: World, context: dict) -> HttpResponse:
        body = {"organisation_code": HIDA, "answers": ANSWERS}
        return world.register("POST", "/registrations", user="u1", body=body, headers=headers)

    return call


def apply(world: World, context: dict) -> HttpResponse:
    return world.register("POST", f"/organisations/{HIDA}/activities/{context['activity']}/applications", user="u1", body={})


def start_evidence(world: World, context: dict) -> HttpResponse:
    body = {"organisation_code": HIDA, "activity_id": context["activity"], "day": "2026-12-05",
            "content_type": "image/jpeg", "size_bytes": len(PHOTO)}
    return world.checkin("POST", "/me/evidence", user="u1", body=body)


def submit_evidence(world: World, context: dict) -> HttpResponse:
    return world.checkin("POST", f"/me/evidence/{HIDA}/{context['evidence']}/submit", user="u1")


def several_batches() -> bytes:
    """The sample's 14 rows as four activities: 56 rows, three BatchWriteItem calls of at most 25."""
    rows = [[f"{row[0]}-{n}", *row[1:]] for n in range(4) for row in DATA]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(HEADER + rows)
    return buffer.getvalue().encode("utf-8")


IMPORT_FILE = several_batches()


# --- how answers compare ---------------------------------------------------------------------------------------------


def answer(response: HttpResponse) -> Any:
    if response.status >= 400:
        return response.status, response.problem_type
    return response.status, response.body


def attendance(response: HttpResponse) -> Any:
    """A repeated attendance answers 200 with the first record (201 the first time)."""
    if response.status in (200, 201):
        return "recorded", response.body["record"], response.body["counted_for"]
    return answer(response)


def evidence_without_id(response: HttpResponse) -> Any:
    """Starting an upload again makes another evidence item (another id) awaiting its upload."""
    if response.status == 201:
        return {k: v for k, v in response.body["evidence"].items() if k not in ("id", "object_key")}
    return answer(response)


def verification(response: HttpResponse) -> Any:
    """A repeated card tap claims nothing new: compared without the counts of what this tap claimed and offered."""
    if response.status == 200:
        return {k: v for k, v in response.body.items() if k not in ("claimed_records", "offered_matches")}
    return answer(response)


def import_report(response: HttpResponse) -> Any:
    """A re-import reports rows already stored as such; the rows and their verdicts are the same."""
    if response.status == 200:
        body = response.body
        rows = [(r["row_number"], r["activity_name"], r["day"]) for r in body["accepted"]]
        return body["accepted_count"], body["rejected_count"], body["stored_count"] + body["already_imported_count"], rows
    return answer(response)


# --- how state compares ----------------------------------------------------------------------------------------------


def stream_of_a_registration(world: World) -> dict:
    """飛騨市 + 岐阜県 registered; the table stream's two records, as the stats function's event source mapping would
    deliver them (one batch)."""
    from local.streams import StreamPoller, item_types, streams_client
    from shared.functions import function

    registered(world)
    batches: list[dict] = []
    poller = StreamPoller(aws.client("dynamodb"), streams_client(), os.environ["TABLE_NAME"], item_types(function("stats")),
                          lambda event: batches.append(event) or {"batchItemFailures": []})
    poller.poll()
    return {"event": {"Records": [r for batch in batches for r in batch["Records"]]}}


def stats_delivery(world: World, context: dict) -> HttpResponse:
    """The stats function on the batch; a reported record failure is the mapping's retry (503 here, as for a task)."""
    from functions.stats import handler
    from local.events import FakeLambdaContext
    from shared.domain.errors import ServiceUnavailable

    result = handler.lambda_handler(context["event"], FakeLambdaContext("stats"))
    if result["batchItemFailures"]:
        return HttpResponse(503, {"Content-Type": "application/problem+json", "Retry-After": "1"},
                            {"title": ServiceUnavailable.title, "detail": "batch item failure"})
    return HttpResponse(200, {"Content-Type": "application/json"}, result)


def records_before_the_failing_one_applied(before: Items, after: Items, complete: Items) -> bool:
    """A batch stops at its first failing record (ReportBatchItemFailures): the records before it stay applied, so a
    counter may hold part of the batch; nothing but statistics items changed, and the retry completes it (each
    record counted once: its event item)."""
    for key in set(before) | set(after) | set(complete):
        was, now, done = before.get(key), after.get(key), complete.get(key)
        if now in (was, done):
            continue
        if not key[0].startswith("STAT#") or done is None:
            return False
        for name, value in now.items():
            if isinstance(value, (int, Decimal)) and name not in ("version", "expires_at"):
                low, high = sorted(((was or {}).get(name, 0), done.get(name, 0)))
                if not low <= value <= high:
                    return False
    return True


def whole_table(items: Items) -> Items:
    return items


def awaiting_uploads_alike(items: Items) -> Items:
    """Evidence items awaiting their upload count once whatever their id: a started upload abandoned by a retry is
    never reviewed and is harmless (documented in docs/decisions.md)."""
    result: Items = {}
    for key, item in items.items():
        if item.get("type") == "Evidence" and item.get("status") == "awaiting_upload":
            key = (key[0], "EVIDENCE#awaiting_upload")
            item = {k: v for k, v in item.items() if k not in ("sk", "id", "object_key", "user_sk")}
        result[key] = item
    return result


def anonymous_alike(items: Items) -> Items:
    """Anonymous records (withdrawal, account deletion) get a random id each time: compared without it."""
    result: Items = {}
    for key, item in items.items():
        if item.get("type") == "AnonymousRecord":
            key = (key[0].split("#ANON#", 1)[0] + "#ANON#*", key[1])
            item = {k: v for k, v in item.items() if k not in ("pk", "user_id", "activity_sk")}
        result[key] = item
    return result


def erased_so_far(before: Items, after: Items, complete: Items) -> bool:
    """A person's items are erased (or a verification's written) one by one, each atomically (a record's anonymous
    copy in the same transaction, an evidence file before its item; a claim's records with the participation's
    removal): every item left is as before or as complete; the repeat finishes."""
    return all(before.get(k) == v or complete.get(k) == v for k, v in after.items())


def stored_rows_so_far(before: Items, after: Items, complete: Items) -> bool:
    """Pre-launch rows are stored batch by batch: some stored, the rest stored by importing the file again."""
    return before.items() <= after.items() <= complete.items()


@dataclass(frozen=True)
class Operation:
    name: str
    setup: Callable[[World], dict]
    call: Callable[[World, dict], HttpResponse]
    at: datetime  # the clock while the request runs
    answer: Callable[[HttpResponse], Any] = answer
    # (status, problem type) a repeat may answer once the first attempt went through, besides the clean answer.
    repeat_may_answer: frozenset[tuple[int, str]] = frozenset()
    state: Callable[[Items], Items] = whole_table
    partial: Callable[[Items, Items, Items], bool] | None = None  # a documented harmless partial
    xfail: str | None = None
    known_failures: dict[str, str] = field(default_factory=dict)  # fault kind -> why it still fails (strict)


OPERATIONS = (
    Operation("register with Idempotency-Key", nothing, register("key-1"), BEFORE_START),
    Operation(
        "statistics: a registration's stream records", stream_of_a_registration, stats_delivery, BEFORE_START,
        partial=records_before_the_failing_one_applied,
    ),
    Operation(
        "register without Idempotency-Key", nothing, register(None), BEFORE_START,
        repeat_may_answer=frozenset({(409, "already-registered")}),
    ),
    Operation(
        "withdraw a registration", registered, lambda w, c: w.account("DELETE", f"/me/registrations/{HIDA}", user="u1"),
        BEFORE_START, repeat_may_answer=frozenset({(404, "registration-not-found")}),
    ),
    Operation(
        "withdraw with a footprint", footprint, lambda w, c: w.account("DELETE", f"/me/registrations/{HIDA}", user="u1"),
        DAY_AFTER, repeat_may_answer=frozenset({(404, "registration-not-found")}), state=anonymous_alike,
        partial=erased_so_far,
    ),
    Operation(
        "delete the account", footprint,
        lambda w, c: w.account("DELETE", "/me", user="u1", headers={"Confirm-Account-Deletion": "DELETE"}),
        DAY_AFTER, state=anonymous_alike, partial=erased_so_far,
    ),
    Operation(
        "check-in", attendable, lambda w, c: w.checkin("POST", "/checkins", user="u1", body={"code": c["code"]}), DURING,
        answer=attendance,
    ),
    Operation(
        "staff record entry",
        lambda w: activity(w) | registered(w),
        lambda w, c: w.admin("POST", f"/activities/{c['activity']}/records", body={"user_id": "u1", "day": "2026-12-05"}, claims=STAFF),
        DAY_AFTER, answer=attendance,
    ),
    Operation("apply", recruiting, apply, BEFORE_START, repeat_may_answer=frozenset({(409, "already-applied")})),
    Operation(
        "withdraw an application", applied,
        lambda w, c: w.register("DELETE", f"/organisations/{HIDA}/activities/{c['activity']}/applications", user="u1"),
        BEFORE_START, repeat_may_answer=frozenset({(404, "application-not-found")}),
    ),
    Operation(
        "decide an application", applied,
        lambda w, c: w.admin("PUT", f"/activities/{c['activity']}/applications/u1/decision", body={"status": "accepted"}, claims=STAFF),
        BEFORE_START,
    ),
    Operation(
        "evidence: start", lambda w: activity(w) | registered(w), start_evidence, DAY_AFTER,
        answer=evidence_without_id, state=awaiting_uploads_alike,
    ),
    Operation("evidence: submit", evidence_started, submit_evidence, DAY_AFTER),
    Operation(
        "evidence: accept", evidence_submitted,
        lambda w, c: w.admin("POST", f"/evidence/u1/{c['evidence']}/accept", claims=STAFF),
        DAY_AFTER, repeat_may_answer=frozenset({(409, "evidence-already-decided")}),
    ),
    Operation(
        "evidence: reject", evidence_submitted,
        lambda w, c: w.admin("POST", f"/evidence/u1/{c['evidence']}/reject", body={"reason": "別の日の写真です"}, claims=STAFF),
        DAY_AFTER, repeat_may_answer=frozenset({(409, "evidence-already-decided")}),
    ),
    Operation(
        "pre-launch import", nothing,
        lambda w, c: w.admin("POST", "/prelaunch-imports", body=IMPORT_FILE, headers={"Content-Type": "text/csv"}, claims=STAFF),
        AFTER_THE_SAMPLE, answer=import_report, partial=stored_rows_so_far,
    ),
    Operation(
        # The national transaction (subject claim, account) is all or nothing; then each registration's 4 info and
        # each claim are written on their own, each complete: a tap that stopped half-way left some of them, and the
        # next tap writes the rest (docs/decisions.md, identity verification).
        "identity verification", prelaunch_of_taro, card_tap, AFTER_THE_SAMPLE, answer=verification,
        partial=erased_so_far,
    ),
    # Premium (R-PRE-5). Apply: the application and the registration's open mark in one transaction, then the
    # execution; a failed StartExecution leaves the application waiting for it, and the retry starts it (same name).
    Operation("premium: apply", premium_ready, premium_apply, PREMIUM_AT, answer=applied_premium,
              state=premium_ids_alike),
    # The workflow's tasks: an exception is retried by the task's state; its repeat finds what the first did.
    Operation("premium: judge (staff approve)", premium_applied, premium_task("judge"), PREMIUM_AT),
    Operation("premium: judge (automatic approval)", lambda w: premium_applied(w, auto_approve=True),
              premium_task("judge"), PREMIUM_AT),
    Operation("premium: request approval", premium_awaiting,
              premium_task("request_approval", token="task-token-1", timeout_seconds=3600), PREMIUM_AT,
              state=premium_ids_alike),
    Operation("premium: staff approve", premium_requested, premium_decision({"decision": "approve"}), PREMIUM_AT),
    Operation("premium: staff reject", premium_requested,
              premium_decision({"decision": "reject", "reason": "活動内容を確認できませんでした"}), PREMIUM_AT),
    Operation("premium: notify", premium_decided, premium_task("notify"), PREMIUM_AT, partial=notice_not_yet_emailed),
    Operation(
        "activity edit", activity,
        lambda w, c: w.admin("PATCH", f"/activities/{c['activity']}", body={"capacity": 30, "place": "古川町公民館"}, claims=STAFF),
        BEFORE_START,
    ),
    Operation("activity cancel", activity, lambda w, c: w.admin("POST", f"/activities/{c['activity']}/cancel", claims=STAFF), BEFORE_START),
)


# --- the sweep -------------------------------------------------------------------------------------------------------


def table_items() -> dict[tuple[str, str], dict]:
    """Every item but the organisation profiles (seeded, never written by an operation; they are the bulk of a
    Scan's cost on moto), as DynamoDB JSON. Test inspection only: a Scan is never on a request path."""
    client = aws.client("dynamodb")
    request: dict[str, Any] = {
        "TableName": os.environ["TABLE_NAME"],
        "FilterExpression": "sk <> :profile",
        "ExpressionAttributeValues": {":profile": {"S": "PROFILE"}},
    }
    items: dict[tuple[str, str], dict] = {}
    while True:
        page = client.scan(**request)
        items |= {(i["pk"]["S"], i["sk"]["S"]): i for i in page["Items"]}
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def restore(saved: dict[tuple[str, str], dict], current: dict[tuple[str, str], dict]) -> None:
    """Put the table back as it was after the setup: only the items that differ are written, 25 per call."""
    writes = [{"DeleteRequest": {"Key": {"pk": i["pk"], "sk": i["sk"]}}} for k, i in current.items() if k not in saved]
    writes += [{"PutRequest": {"Item": i}} for k, i in saved.items() if current.get(k) != i]
    for start in range(0, len(writes), 25):
        aws.client("dynamodb").batch_write_item(RequestItems={os.environ["TABLE_NAME"]: writes[start : start + 25]})


def bucket_files() -> dict[str, tuple[bytes, str]]:
    """The evidence bucket's current objects (key -> body, content type): a handful in a sweep."""
    s3, bucket = aws.client("s3"), os.environ["EVIDENCE_BUCKET"]
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    files = {}
    for item in listed:
        got = s3.get_object(Bucket=bucket, Key=item["Key"])
        files[item["Key"]] = (got["Body"].read(), got.get("ContentType", ""))
    return files


def restore_files(saved: dict[str, tuple[bytes, str]]) -> None:
    """Put the bucket back as it was after the setup (submitting evidence moves its file)."""
    s3, bucket = aws.client("s3"), os.environ["EVIDENCE_BUCKET"]
    for key in set(bucket_files()) - set(saved):
        s3.delete_object(Bucket=bucket, Key=key)
    for key, (body, content_type) in saved.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def effect(operation: Operation) -> tuple[Items, dict]:
    """The table as the operation's checks read it (the national area aside: last access, idempotency records),
    and as it is (to restore it)."""
    raw = table_items()
    items = {
        key: {name: _deserializer.deserialize(value) for name, value in item.items()}
        for key, item in raw.items()
        if not key[0].startswith("NAT#")
    }
    return operation.state(items), raw


class Ids:
    """Ids drawn by the handlers (activities, evidence) repeat from trial to trial, so states compare."""

    def __init__(self) -> None:
        self.drawn = 0

    def token_hex(self, nbytes: int) -> str:
        self.drawn += 1
        return f"{self.drawn:0{2 * nbytes}x}"


def fresh_containers(world: World) -> None:
    """Each trial starts in new containers (per-container caches emptied: last access, signing keys)."""
    for caller in (world.register, world.checkin, world.admin, world.account, world.verify, world.renewal,
                   SimpleNamespace(handler=world.premium)):
        for value in vars(caller.handler).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def is_2xx(response: HttpResponse) -> bool:
    return 200 <= response.status < 300


def retryable_problem(response: HttpResponse) -> str | None:
    """What is wrong with a failed answer: it must be 503 problem JSON, Japanese title, Retry-After."""
    if response.status != 503:
        return f"answered {response.status} {response.body!r}"
    if not response.headers.get("Content-Type", "").startswith("application/problem+json"):
        return f"503 without problem JSON: {response.headers}"
    if not response.headers.get("Retry-After", "").isdigit():
        return f"503 without Retry-After: {response.headers}"
    if not any("\u3040" <= ch <= "\u9fff" for ch in response.body.get("title", "")):
        return f"503 title not Japanese: {response.body!r}"
    return None


@dataclass(frozen=True)
class Trial:
    first: HttpResponse  # the answer to the request that met the fault
    calls: list[str]  # its AWS calls, in order
    after: Items  # the table after it
    repeat: HttpResponse  # the answer to the same request sent again, without fault
    final: Items  # the table after the repeat


@dataclass
class Sweep:
    world: World
    operation: Operation
    injector: FaultInjector
    ids: Ids
    context: dict
    saved: dict  # the table after the setup
    current: dict  # the table now
    saved_files: dict  # the evidence bucket after the setup

    def run(self, position: int | None = None, kind: str | None = None) -> Trial:
        restore(self.saved, self.current)
        restore_files(self.saved_files)
        fresh_containers(self.world)
        self.ids.drawn = 0
        clock.freeze(self.operation.at)
        self.injector.start(position, kind)
        try:
            first = self.operation.call(self.world, self.context)
        finally:
            calls = self.injector.stop()
        after, _ = effect(self.operation)
        repeat = self.operation.call(self.world, self.context)  # the same container: a client's retry
        final, self.current = effect(self.operation)
        return Trial(first, calls, after, repeat, final)


def judge(operation: Operation, trial: Trial, before: Items, clean: Trial) -> list[str]:
    """What is wrong with a trial, measured against the clean run."""
    failures = []
    expected, complete = operation.answer(clean.first), clean.after
    if is_2xx(trial.first):
        if trial.after != complete or operation.answer(trial.first) != expected:
            failures.append(f"answered {trial.first.status} but the effect is not complete: {_difference(complete, trial.after)}")
    else:
        if problem := retryable_problem(trial.first):
            failures.append(problem)
        harmless = operation.partial is not None and operation.partial(before, trial.after, complete)
        if trial.after not in (before, complete) and not harmless:
            failures.append(f"left an undocumented partial state: {_difference(before, trial.after)}")
    if trial.final != complete:
        failures.append(f"the repeat did not complete: {_difference(complete, trial.final)}")
    repeat = trial.repeat
    if operation.answer(repeat) != expected and (repeat.status, _slug(repeat)) not in operation.repeat_may_answer:
        failures.append(f"the repeat answered {repeat.status} {repeat.body!r}")
    return failures


def _slug(response: HttpResponse) -> str | None:
    return response.problem_type if response.status >= 400 else None


@pytest.fixture
def world(register_api, checkin_api, admin_api, account_api, verify_api, card_tap, renewal_api, monkeypatch) -> World:
    """The premium state machine exists in moto (not executed: its tasks are run by the operations themselves)."""
    from functions.premium import handler as premium
    from local.workflows import create_state_machines, register_lambda_functions
    from shared.config import settings
    from shared.functions import FUNCTIONS

    arns = register_lambda_functions(aws.client("iam"), aws.client("lambda"), tuple(f.name for f in FUNCTIONS))
    monkeypatch.setenv("PREMIUM_STATE_MACHINE", create_state_machines(aws.client("iam"), aws.client("stepfunctions"), arns)["premium"])
    settings.cache_clear()
    return World(register_api, checkin_api, admin_api, account_api, verify_api, card_tap, renewal_api, premium)


@pytest.mark.parametrize(
    "operation",
    [pytest.param(o, id=o.name, marks=[pytest.mark.xfail(strict=True, reason=o.xfail)] if o.xfail else []) for o in OPERATIONS],
)
def test_every_aws_call_of_the_operation_may_fail(world, operation, monkeypatch):
    started = time.perf_counter()
    injector = FaultInjector()
    injector.install(aws.client("dynamodb"), aws.client("s3"), aws.client("secretsmanager"), aws.client("stepfunctions"),
                     aws.client("sesv2"))
    ids = Ids()
    monkeypatch.setattr(activity_rules, "secrets", ids)  # ids drawn by the handlers repeat from trial to trial
    monkeypatch.setattr(premium_application, "secrets", ids)
    monkeypatch.setattr(approval_link, "secrets", ids)
    context = operation.setup(world)
    before, saved = effect(operation)
    sweep = Sweep(world, operation, injector, ids, context, saved, saved, bucket_files())

    clean = sweep.run()
    assert is_2xx(clean.first), f"the clean run failed: {clean.first.status} {clean.first.body}"
    assert clean.after != before, "the clean run changed nothing"
    assert len(clean.calls) >= 2, f"not a multi-call operation: {clean.calls}"
    failures = [f"no fault: {f}" for f in judge(operation, clean, before, clean)]
    known: list[str] = []  # failures of a kind the operation lists in `known_failures`
    trials = 0
    for position, call in enumerate(clean.calls, start=1):
        for kind in KINDS:
            if not injector.applies(kind, call):
                continue
            trials += 1
            found = [f"{kind} at call {position} ({call}): {f}" for f in judge(operation, sweep.run(position, kind), before, clean)]
            (known if kind in operation.known_failures else failures).extend(found)
    seconds = time.perf_counter() - started
    print(f"{operation.name}: {len(clean.calls)} calls ({', '.join(clean.calls)}), {trials} trials, {seconds:.1f} s")
    assert not failures, "\n".join(failures)
    for kind, reason in operation.known_failures.items():  # strict, like xfail: a fixed one must be unlisted
        assert any(f.startswith(f"{kind} at") for f in known), f"{kind} no longer fails ({reason}): remove it from known_failures"


def _difference(expected: Items, actual: Items) -> str:
    missing = {k: v for k, v in expected.items() if actual.get(k) != v}
    extra = {k: v for k, v in actual.items() if expected.get(k) != v}
    return f"expected but not found {missing}; found instead {extra}"


def test_a_fault_mid_import_keeps_the_rows_stored_and_the_re_import_says_which_r_act_5(admin_api):
    """The second of three batch writes is throttled: the first 25 rows are stored, the answer is 503, and importing
    the file again stores the other 31 and reports the 25 as imported before."""
    injector = FaultInjector()
    injector.install(aws.client("dynamodb"))
    clock.freeze(AFTER_THE_SAMPLE)

    def upload() -> HttpResponse:
        return admin_api("POST", "/prelaunch-imports", body=IMPORT_FILE, headers={"Content-Type": "text/csv"}, claims=STAFF)

    injector.start(position=3, kind="refused")  # BatchGetItem (which rows exist), then BatchWriteItem 1, 2, 3
    failed = upload()
    assert injector.stop()[2] == "dynamodb:BatchWriteItem"
    assert failed.status == 503 and failed.problem_type == "service-unavailable", failed.body
    again = upload()
    assert again.status == 200
    assert (again.body["accepted_count"], again.body["already_imported_count"], again.body["stored_count"]) == (56, 25, 31)
    assert [row["newly_stored"] for row in again.body["accepted"]] == [False] * 25 + [True] * 31
