"""Least privilege, checked against behaviour: every route of every function is exercised on moto (success and
the refused paths) while every AWS call is recorded as IAM authorizes it (tests/aws_calls.py: DynamoDB per key area
and index, S3 per key prefix, presigned URLs as the action they need, Secrets Manager, and any other service), and
each function's recorded calls must equal its grants in shared/functions.py: nothing missing (AccessDenied in
production), nothing unused."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from shared import clock
from shared.functions import FUNCTIONS
from tests.aws_calls import AwsCallRecorder, granted, recording
from local.outbox import outbox
from tests.handlers.conftest import Browser, staff_claims
from tests.unit.test_prelaunch import SAMPLE_BYTES

HIDA = "212172"
PRELAUNCH_OF_TARO = (  # the development provider's preset hida-adult (飛騨 太郎): one exact match, two near ones
    "ID,活動名,活動開始日時,活動終了日時,活動場所,参加条件,氏名,郵便番号,住所(除郵便番号),生年月日,性別\n"
    "E1,雪下ろし,2026年4月10日 9:00,2026年4月10日 12:00,古川町,,飛騨 太郎,509-4292,岐阜県飛騨市古川町本町2-22,1990/4/1,男性\n"
    "E2,草刈り,2026年5月10日 9:00,2026年5月10日 12:00,古川町,,飛騨 太郎,100-0013,東京都千代田区霞が関1-1-1,1990/4/1,男性\n"
    "E3,清掃,2026年6月10日 9:00,2026年6月10日 12:00,古川町,,飛騨 太郎,100-0013,東京都千代田区霞が関1-1-1,1990/4/1,男性\n"
).encode()
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"]}


@pytest.fixture
def recorder(repo):
    with recording() as recorder:
        yield recorder


def test_each_function_is_granted_exactly_the_aws_calls_it_makes(
    recorder: AwsCallRecorder, register_api, checkin_api, admin_api, account_api, verify_api, card_tap, renewal_api,
    monkeypatch, staff_pool,
):
    def as_(function, caller):
        def call(*args, **kwargs):
            recorder.current = function
            response = caller(*args, **kwargs)
            assert response.status < 500, (args, response.body)
            return response
        return call

    # The premium state machine exists (not executed here: its tasks are invoked below with the payloads its states
    # send, so every call is the premium function's, on this thread).
    from local.workflows import create_state_machines, register_lambda_functions
    from shared.config import settings
    from shared.dal import aws
    from shared.functions import FUNCTIONS as ALL

    recorder.current = "test set-up"
    arns = register_lambda_functions(aws.client("iam"), aws.client("lambda"), tuple(f.name for f in ALL))
    monkeypatch.setenv("PREMIUM_STATE_MACHINE", create_state_machines(aws.client("iam"), aws.client("stepfunctions"), arns)["premium"])
    settings.cache_clear()
    from functions.premium import handler as premium_handler
    from local.events import FakeLambdaContext

    def premium_task(payload: dict) -> dict:
        recorder.current = "premium"
        return premium_handler.lambda_handler(payload, FakeLambdaContext("premium"))

    register, checkin, admin = as_("register", register_api), as_("checkin", checkin_api), as_("admin", admin_api)
    renewal = as_("renewal", renewal_api)
    account, verify = as_("account", account_api), as_("verify", verify_api)

    def tap(user, request=None, **identity):
        recorder.current = "verify"
        return card_tap(user, request, **identity)
    staff = staff_claims(HIDA)
    start = datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO)
    clock.freeze(start - timedelta(days=3))

    # register: browse, register (with and without a key, retried), list, card, withdraw, recruitment
    register("GET", "/organisations")
    register("GET", f"/organisations/{HIDA}")
    register("GET", "/postal-codes/5090000")
    register("POST", "/registrations", user="u1", body={"organisation_code": HIDA, "answers": ANSWERS}, headers={"Idempotency-Key": "k"})
    register("POST", "/registrations", user="u1", body={"organisation_code": HIDA, "answers": ANSWERS}, headers={"Idempotency-Key": "k"})
    register("POST", "/registrations", user="u2", body={"organisation_code": HIDA, "answers": ANSWERS})
    # refused inside the idempotent call: Powertools deletes the key's record so that a corrected retry can run
    register("POST", "/registrations", user="u2", body={"organisation_code": HIDA, "answers": ANSWERS}, headers={"Idempotency-Key": "k2"})
    register("GET", "/me/registrations", user="u1")
    register("GET", f"/me/registrations/{HIDA}/card", user="u1")

    # admin: activities, codes, records, import, applications
    body = {"name": "草刈り", "kind": "project", "place": "飛騨市", "recruiting": True, "capacity": 5,
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
    activity = admin("POST", "/activities", body=body, claims=staff).body
    aid = activity["id"]
    admin("GET", "/staff/me", claims=staff)
    # premium settings (R-ADM-2): defaults read by a viewer, saved by an editor, a stale save refused, a repeat done
    admin("GET", "/premium-settings", claims=staff_claims(HIDA, "viewer"))
    premium = {"activities_needed": 4, "approver_emails": ["furusato@city.hida.example.lg.jp"], "version": 0}
    admin("PUT", "/premium-settings", body=premium, claims=staff)
    admin("PUT", "/premium-settings", body=premium, claims=staff)  # repeated: recognised from the returned item
    admin("PUT", "/premium-settings", body=premium | {"activities_needed": 5}, claims=staff)  # stale: 409
    admin("GET", "/activities", claims=staff)
    admin("GET", f"/activities/{aid}", claims=staff)
    admin("PATCH", f"/activities/{aid}", body={"capacity": 6}, claims=staff)
    code = admin("GET", f"/activities/{aid}/checkin-code", claims=staff).body["url"]
    admin("GET", f"/activities/{aid}/checkin-code", query="format=png", claims=staff)

    register("GET", "/me/recruitment", user="u1")
    register("POST", f"/organisations/{HIDA}/activities/{aid}/applications", user="u1", body={})
    register("POST", f"/organisations/{HIDA}/activities/{aid}/applications", user="u1", body={})  # twice: refused
    register("GET", "/me/applications", user="u1")
    register("DELETE", f"/organisations/{HIDA}/activities/{aid}/applications", user="u1")
    register("POST", f"/organisations/{HIDA}/activities/{aid}/applications", user="u2", body={})
    admin("GET", f"/activities/{aid}/applications", claims=staff)
    admin("PUT", f"/activities/{aid}/applications/u2/decision", body={"status": "accepted"}, claims=staff)

    # checkin: scan, scan again, refused scans, my records
    clock.freeze(start + timedelta(minutes=5))
    checkin("POST", "/checkins", user="u1", body={"code": code})
    checkin("POST", "/checkins", user="u1", body={"code": code})
    checkin("POST", "/checkins", user="stranger", body={"code": code})
    checkin("GET", f"/me/records/{HIDA}", user="u1")
    admin("GET", f"/activities/{aid}/records", claims=staff)
    admin("GET", "/registrants/u1", claims=staff)
    admin("GET", "/registrants/u1/records", claims=staff)
    admin("GET", "/registrants/u1", claims=staff_claims("210005"))  # a prefecture: and the registration it came through
    admin("GET", "/registrants", query="level=basic&relationship=birthplace", claims=staff)  # the list, its personal data
    admin("POST", f"/activities/{aid}/records", body={"user_id": "u2", "day": "2026-12-05"}, claims=staff)
    clock.freeze(start + timedelta(minutes=6))
    checkin("POST", "/checkins", user="u2", body={"code": code})

    # evidence: start, upload, submit, review, accept / reject
    clock.freeze(start + timedelta(days=1))
    for user in ("u1", "u2"):
        created = checkin(
            "POST", "/me/evidence", user=user,
            body={"organisation_code": HIDA, "activity_id": aid, "day": "2026-12-05", "content_type": "image/png", "size_bytes": 8},
        ).body
        form = created["upload"]
        requests.post(form["url"], data=form["fields"], files={"file": ("x.png", b"\x89PNG\r\n\x1a\n")}, timeout=10)
        checkin("POST", f"/me/evidence/{HIDA}/{created['evidence']['id']}/submit", user=user)
        checkin("GET", f"/me/evidence/{HIDA}", user=user)
    queue = admin("GET", "/evidence", claims=staff).body["evidence"]
    admin("GET", f"/evidence/{queue[0]['user_id']}/{queue[0]['id']}", claims=staff)
    admin("POST", f"/evidence/{queue[0]['user_id']}/{queue[0]['id']}/reject", body={"reason": "x"}, claims=staff)
    admin("POST", f"/evidence/{queue[1]['user_id']}/{queue[1]['id']}/accept", claims=staff)

    admin("POST", f"/activities/{aid}/cancel", claims=staff)
    checkin("POST", "/checkins", user="u2", body={"code": code})  # cancelled: the refusal reads the activity
    clock.freeze(datetime(2027, 4, 1, 9, 0, tzinfo=clock.TOKYO))
    admin("POST", "/prelaunch-imports", body=SAMPLE_BYTES, headers={"Content-Type": "text/csv"}, claims=staff)
    # verify: a card tap claims the exact matches and offers the near ones; status, offers confirmed and declined; a
    # second account refused; a minor and a guardian; the card reads the verification (register)
    admin("POST", "/prelaunch-imports", body=PRELAUNCH_OF_TARO, headers={"Content-Type": "text/csv"}, claims=staff)
    register("POST", "/registrations", user="u3", body={"organisation_code": HIDA, "answers": ANSWERS})
    assert tap("u3", preset="hida-adult").body["claimed_records"] == 1
    tap("u3", preset="hida-adult")  # again: the same card, nothing new
    verify("GET", "/me/verification", user="u3")
    offers = verify("GET", "/me/prelaunch-matches", user="u3").body["matches"]
    verify("POST", f"/me/prelaunch-matches/{HIDA}/{offers[0]['id']}/confirm", user="u3")
    verify("DELETE", f"/me/prelaunch-matches/{HIDA}/{offers[1]['id']}", user="u3")
    register("GET", f"/me/registrations/{HIDA}/card", user="u3")
    register("POST", "/registrations", user="u4", body={"organisation_code": HIDA, "answers": ANSWERS})
    assert tap("u4", preset="hida-adult").status == 409
    verify("POST", "/me/verification", user="u4", body={"purpose": "guardian", "guardian_consents": True})  # refused
    register("POST", "/registrations", user="u5", body={"organisation_code": HIDA, "answers": ANSWERS})
    tap("u5", preset="minor-16")
    assert tap("u5", {"purpose": "guardian", "guardian_consents": True}, preset="guardian").body["status"] == "verified"
    account("DELETE", "/me", user="u3", headers={"Confirm-Account-Deletion": "DELETE"})  # the subject claim goes

    # premium (R-PRE-5): u6 applies (verified, four records); the state machine's tasks judge, ask staff (e-mail,
    # signed link), staff approve (the execution's token answered), notify; a second application is judged
    # ineligible and notified; a failing one is marked failed (staff e-mailed)
    register("POST", "/registrations", user="u6", body={"organisation_code": HIDA, "answers": ANSWERS,
                                                         "personal": {"email": "u6@example.jp"}})
    tap("u6", preset="tokyo-adult")
    days = [datetime(2027, 4, d, 10, 0, tzinfo=clock.TOKYO) for d in (10, 11, 12, 13)]  # 飛騨市 asks 4 (above)
    for day in days:
        clock.freeze(day - timedelta(days=7))
        premium_activity = admin("POST", "/activities", body={**body, "recruiting": False, "starts_at": day.isoformat(),
                                                              "ends_at": (day + timedelta(hours=2)).isoformat()}, claims=staff).body
        clock.freeze(day + timedelta(hours=3))
        admin("POST", f"/activities/{premium_activity['id']}/records", body={"user_id": "u6", "day": day.date().isoformat()}, claims=staff)
    clock.freeze(datetime(2027, 4, 20, 10, 0, tzinfo=clock.TOKYO))
    applied = renewal("POST", "/me/premium-applications", user="u6", body={"organisation_code": HIDA}).body
    renewal("POST", "/me/premium-applications", user="u6", body={"organisation_code": HIDA})  # retried: the open one
    ref = {"organisation_code": HIDA, "user_id": "u6", "id": applied["id"]}
    assert premium_task({"task": "judge", "application": ref}) == {"next": "await_staff"}
    premium_task({"task": "request_approval", "application": ref, "token": "token-1", "timeout_seconds": 3600})
    renewal("GET", "/me/premium-applications", user="u6")
    renewal("GET", f"/me/premium-applications/{HIDA}/{applied['id']}", user="u6")
    admin("GET", "/premium-applications", claims=staff)
    admin("GET", f"/premium-applications/u6/{applied['id']}", claims=staff)
    # the approval page (R-PRE-5): the e-mailed link, staff sign-in (Cognito's public operations: no grant), the page
    (mail,) = [m for m in outbox() if "furusato@city.hida.example.lg.jp" in m["to"]]
    (link,) = [parse_qs(urlsplit(u).query)["link"][0] for u in mail["links"] if "/approval?" in u]
    recorder.current = "test set-up"
    approver = staff_pool.account("shomu@city.hida.example.lg.jp", HIDA)
    browser = Browser(admin)
    browser.open(link)
    browser.sign_in(link, approver)
    assert browser.open(link).status == 200
    admin("POST", f"/premium-applications/u6/{applied['id']}/decision", body={"decision": "approve"}, claims=staff)
    assert browser.open(link).status == 403  # decided: the link no longer works
    premium_task({"task": "notify", "application": ref})
    renewal("GET", "/me/notices", user="u6")
    register("GET", f"/me/registrations/{HIDA}/card", user="u6")
    register("GET", "/me/registrations", user="u6")
    clock.freeze(datetime(2027, 4, 21, 10, 0, tzinfo=clock.TOKYO))
    renewal("POST", "/me/premium-applications", user="u6", body={"organisation_code": HIDA})  # renewal not open: 409
    register("POST", "/registrations", user="u7", body={"organisation_code": HIDA, "answers": ANSWERS})
    for user in ("u7",):
        second = renewal("POST", "/me/premium-applications", user=user, body={"organisation_code": HIDA}).body
        ref = {"organisation_code": HIDA, "user_id": user, "id": second["id"]}
        assert premium_task({"task": "judge", "application": ref}) == {"next": "notify"}  # not verified: ineligible
        premium_task({"task": "notify", "application": ref})
        third = renewal("POST", "/me/premium-applications", user=user, body={"organisation_code": HIDA}).body
        ref = {"organisation_code": HIDA, "user_id": user, "id": third["id"]}
        premium_task({"task": "fail", "application": ref, "error": "States.TaskFailed"})
    # 岐阜県 approves automatically: u6's 飛騨市 records count there too (R-ACT-4); the approval is the task's
    gifu = staff_claims("210005")
    admin("PUT", "/premium-settings", body={"auto_approve": True, "approver_emails": ["a@pref.gifu.example.lg.jp"], "version": 0},
          claims=gifu)
    automatic = renewal("POST", "/me/premium-applications", user="u6", body={"organisation_code": "210005"}).body
    ref = {"organisation_code": "210005", "user_id": "u6", "id": automatic["id"]}
    assert premium_task({"task": "judge", "application": ref}) == {"next": "notify"}
    account("DELETE", "/me", user="u6", headers={"Confirm-Account-Deletion": "DELETE"})  # applications, audit entries

    # renewal and expiry: the daily schedules (R-PRE-6, R-BAS-5). u8 (e-mail given to Hida) holds premium at Hida
    # (staff approve: reminded by e-mail) and u7 at Gifu (automatic approval: judged, ineligible, reminded); u9
    # last used the app three years before, has evidence and records at Hida: told, then removed (the withdrawal).
    from functions.expiry import handler as expiry_handler
    from functions.renewal import handler as renewal_handler
    from tests.handlers.conftest import Days
    from tests.handlers.premium_helpers import premium_at

    def scheduled(name: str, event: dict):
        recorder.current = name
        handler = renewal_handler if name == "renewal" else expiry_handler
        try:
            return handler.lambda_handler(event, FakeLambdaContext(name))
        finally:
            recorder.current = "test set-up"  # receiving and deleting messages is the event source mapping's

    recorder.current = "test set-up"
    clock.freeze(datetime(2027, 4, 21, 10, 0, tzinfo=clock.TOKYO))
    register("POST", "/registrations", user="u8",
             body={"organisation_code": HIDA, "answers": ANSWERS, "personal": {"email": "u8@example.jp"}})
    dynamodb = aws.client("dynamodb")
    premium_at(dynamodb, "u8", HIDA, date(2027, 6, 30))
    premium_at(dynamodb, "u7", "210005", date(2027, 6, 30))
    Days(scheduled).run(date(2027, 5, 31))  # reminders (u7 judged for the automatic renewal first)
    Days(scheduled).run(date(2027, 7, 1))  # lapses
    old_day = datetime(2026, 4, 20, 10, 0, tzinfo=clock.TOKYO)
    clock.freeze(old_day - timedelta(days=7))
    old_activity = admin("POST", "/activities", body={**body, "recruiting": False, "starts_at": old_day.isoformat(),
                                                      "ends_at": (old_day + timedelta(hours=2)).isoformat()}, claims=staff).body
    assert "id" in old_activity, old_activity
    clock.freeze(datetime(2026, 4, 21, 10, 0, tzinfo=clock.TOKYO))
    register("POST", "/registrations", user="u9",
             body={"organisation_code": HIDA, "answers": ANSWERS, "personal": {"email": "u9@example.jp"}})
    u9_evidence = checkin("POST", "/me/evidence", user="u9", body={
        "organisation_code": HIDA, "activity_id": old_activity["id"], "day": "2026-04-20", "content_type": "image/png",
        "size_bytes": 8}).body
    u9_form = u9_evidence["upload"]
    requests.post(u9_form["url"], data=u9_form["fields"], files={"file": ("x.png", b"\x89PNG\r\n\x1a\n")}, timeout=10)
    checkin("POST", f"/me/evidence/{HIDA}/{u9_evidence['evidence']['id']}/submit", user="u9")
    admin("POST", f"/evidence/u9/{u9_evidence['evidence']['id']}/accept", claims=staff)  # a record, by staff
    # the form used again after the submit (as u2's below): the removal finds that file under uploads/ too
    requests.post(u9_form["url"], data=u9_form["fields"], files={"file": ("x.png", b"\x89PNG")}, timeout=10)
    Days(scheduled).run(date(2029, 1, 21))  # told: 90 days before 2029-04-21
    Days(scheduled).run(date(2029, 4, 22))  # removed: evidence erased, the record anonymous (the withdrawal)
    recorder.current = "test set-up"
    assert not dynamodb.get_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": f"ORG#{HIDA}#USER#u9"},
                                                                         "sk": {"S": "REGISTRATION"}}).get("Item")

    # account: withdrawal (records anonymised, evidence erased), account deletion (an application's place freed)
    account("DELETE", f"/me/registrations/{HIDA}", user="u1")
    account("DELETE", "/me", user="u2")  # unconfirmed: refused
    # u2's upload form used once more after the submit: the account deletion finds that file under uploads/ too
    requests.post(form["url"], data=form["fields"], files={"file": ("x.png", b"\x89PNG")}, timeout=10)
    account("DELETE", "/me", user="u2", headers={"Confirm-Account-Deletion": "DELETE"})
    account("DELETE", "/me", user="u2", headers={"Confirm-Account-Deletion": "DELETE"})  # repeated: done already

    # exports: the staff registrant export. admin asks (with an Idempotency-Key, retried; a bad filter refused), lists
    # and follows it; the exports function writes it over several messages (small parts) and, for one whose last
    # delivery fails, aborts its multipart upload
    import moto.s3.models

    from functions.exports import handler as exports_handler
    from local.queues import QueueWorker

    exports_handler.writer.cache_clear()
    register("POST", "/registrations", user="u10",
             body={"organisation_code": HIDA, "answers": ANSWERS, "personal": {"name": "飛騨 次郎", "email": "u10@example.jp"}})
    register("POST", "/registrations", user="u11", body={"organisation_code": HIDA, "answers": ANSWERS})
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 50)
    monkeypatch.setattr(exports_handler.writer(), "part_bytes", 100)
    monkeypatch.setattr(exports_handler.writer(), "page_size", 1)

    def exports(event: dict, context=None):
        recorder.current = "exports"
        try:
            return exports_handler.lambda_handler(event, FakeLambdaContext("exports"))
        finally:
            recorder.current = "test set-up"

    queue = os.environ["EXPORT_QUEUE_URL"]
    asked = admin("POST", "/registrants/exports", body={}, claims=staff, headers={"Idempotency-Key": "e1"}).body
    admin("POST", "/registrants/exports", body={}, claims=staff, headers={"Idempotency-Key": "e1"})  # retried
    admin("POST", "/registrants/exports", body={"since_from": "2027-01-02", "since_to": "2027-01-01"}, claims=staff)
    admin("GET", f"/registrants/exports/{asked['id']}", claims=staff)  # queued
    recorder.current = "test set-up"
    QueueWorker(aws.client("sqs"), lambda name, event: exports(event), {queue: "exports"}).drain()
    done = admin("GET", f"/registrants/exports/{asked['id']}", claims=staff).body
    assert done["status"] == "done" and done["url"], done
    admin("GET", "/registrants/exports", claims=staff)
    failing = admin("POST", "/registrants/exports", body={}, claims=staff).body
    recorder.current = "test set-up"
    sqs = aws.client("sqs")
    first = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"])["Messages"][0]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"])
    from local.events import sqs_event

    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    exports(sqs_event([first], arn))  # part 1: the upload begun
    recorder.current = "test set-up"
    second = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"])["Messages"][0]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=second["ReceiptHandle"])
    second["Attributes"] = {"ApproximateReceiveCount": "5"}

    def broken(*args, **kwargs):
        raise RuntimeError("a fault")

    monkeypatch.setattr(exports_handler.writer().registrants, "page_of", broken)
    with pytest.raises(Exception, match="a fault"):
        exports(sqs_event([second], arn))  # its last delivery: failed, the upload aborted
    assert admin("GET", f"/registrants/exports/{failing['id']}", claims=staff).body["status"] == "failed"
    exports_handler.writer.cache_clear()

    # stats: every counted change above from the table's stream (as its event source mapping delivers it), a month-end
    # snapshot; then the statistics reads of staff (a prefecture, a month, CSV) and of the public
    from functions.stats import handler as stats_handler
    from local.streams import StreamPoller, item_types, streams_client
    from shared.functions import SCHEDULE_SOURCE
    from shared.functions import function as declared_function

    for cache in (stats_handler.upkeep, stats_handler.snapshots):
        cache.cache_clear()

    def stats(event: dict) -> dict:
        recorder.current = "stats"
        try:
            return stats_handler.lambda_handler(event, FakeLambdaContext("stats"))
        finally:
            recorder.current = "test set-up"

    recorder.current = "test set-up"
    StreamPoller(aws.client("dynamodb"), streams_client(), os.environ["TABLE_NAME"], item_types(declared_function("stats")), stats).poll()
    snapshot = stats({"source": SCHEDULE_SOURCE, "schedule": "statistics-snapshot", "scheduled_time": clock.now().isoformat()})
    admin("GET", "/statistics", claims=gifu, query=f"month={snapshot['month']}")
    admin("GET", "/statistics", claims=gifu, query=f"organisation={HIDA}&format=csv")
    register("GET", "/statistics/national")
    for cache in (stats_handler.upkeep, stats_handler.snapshots):
        cache.cache_clear()

    for function in FUNCTIONS:
        recorded = recorder.calls[function.name]
        missing, unused = sorted(recorded - granted(function)), sorted(granted(function) - recorded)
        assert (missing, unused) == ([], []), f"{function.name}: calls without a grant, grants never used"
