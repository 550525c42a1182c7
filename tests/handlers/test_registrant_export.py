"""The staff registrant export on moto (issue 10 item 4; R-PRIV-2, R-ORG-3): POST queues it, the exports function
writes it from its work queue (drained as the event source mapping would deliver it, local/queues.py), GET gives a
presigned link to a UTF-8 CSV with a BOM. Only the staff's own organisation's exports exist for them; a redelivered
message changes nothing; a large export is an S3 multipart upload over several messages."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime

import pytest
import requests

from local.events import FakeLambdaContext, sqs_event
from local.queues import QueueWorker
from shared import clock
from shared.dal import aws, keys
from shared.domain.exports import BOM, HEADER
from tests.handlers.conftest import _function, staff_claims
from tests.handlers.test_registrant_list import HIDA, KESENNUMA, MIYAGI, register

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=clock.TOKYO)
QUEUE = os.environ["EXPORT_QUEUE_URL"]
BUCKET = os.environ["EVIDENCE_BUCKET"]


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)


@pytest.fixture
def exports_fn(repo):
    with _function("exports") as caller:
        yield caller.handler


@pytest.fixture
def worker(exports_fn):
    invoke = lambda name, event: exports_fn.lambda_handler(event, FakeLambdaContext(name))  # noqa: E731
    return QueueWorker(aws.client("sqs"), invoke, {QUEUE: "exports"})


def drain(worker) -> int:
    handled = worker.drain()
    assert not worker.errors, worker.errors
    return handled


def download(url: str) -> list[dict[str, str]]:
    data = requests.get(url, timeout=10).content
    assert data.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert rows[0] == list(HEADER)
    return [dict(zip(HEADER, r)) for r in rows[1:]]


def export(admin_api, code: str, body=None, headers=None, role: str = "viewer"):
    return admin_api("POST", "/registrants/exports", body=body or {}, headers=headers, claims=staff_claims(code, role))


def test_r_priv_2_export_queued_written_and_downloaded(register_api, admin_api, worker):
    register(register_api, "kesennuma-fan", KESENNUMA, personal={"name": "=気仙 太郎", "email": "taro@example.jp"})
    register(register_api, "other-fan", KESENNUMA)
    register(register_api, "hida-fan", HIDA, personal={"name": "飛騨 花子"})
    created = export(admin_api, KESENNUMA)
    assert created.status == 202 and created.body["status"] == "queued" and created.body["url"] is None
    export_id = created.body["id"]
    waiting = admin_api("GET", f"/registrants/exports/{export_id}", claims=staff_claims(KESENNUMA, "viewer"))
    assert waiting.status == 200 and waiting.body["status"] == "queued"
    assert drain(worker) == 1
    done = admin_api("GET", f"/registrants/exports/{export_id}", claims=staff_claims(KESENNUMA, "viewer"))
    assert done.status == 200 and done.body["status"] == "done" and done.body["rows"] == 2
    assert "X-Amz-Signature" in done.body["url"] and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in done.body["url"]
    rows = {r["利用者ID"]: r for r in download(done.body["url"])}
    assert set(rows) == {"kesennuma-fan", "other-fan"}
    assert rows["kesennuma-fan"]["氏名"] == "'=気仙 太郎" and rows["other-fan"]["氏名"] == ""
    assert "飛騨" not in json.dumps(rows, ensure_ascii=False)
    listed = admin_api("GET", "/registrants/exports", claims=staff_claims(KESENNUMA, "viewer"))
    assert [e["id"] for e in listed.body["exports"]] == [export_id] and listed.body["next"] is None


def test_r_priv_2_another_organisation_never_reads_an_export(register_api, admin_api, worker):
    register(register_api, "kesennuma-fan", KESENNUMA, personal={"name": "気仙 太郎"})
    export_id = export(admin_api, KESENNUMA).body["id"]
    drain(worker)
    for code in (HIDA, MIYAGI):  # another municipality; even the prefecture the municipality belongs to
        other = admin_api("GET", f"/registrants/exports/{export_id}", claims=staff_claims(code, "editor"))
        assert other.status == 404 and other.problem_type == "export-not-found"
        assert admin_api("GET", "/registrants/exports", claims=staff_claims(code)).body["exports"] == []


def test_r_org_3_a_prefectures_export_includes_co_registrations(register_api, admin_api, worker):
    register(register_api, "kesennuma-fan", KESENNUMA, personal={"name": "気仙 太郎"})
    export_id = export(admin_api, MIYAGI).body["id"]
    drain(worker)
    done = admin_api("GET", f"/registrants/exports/{export_id}", claims=staff_claims(MIYAGI))
    rows = download(done.body["url"])
    assert [r["利用者ID"] for r in rows] == ["kesennuma-fan"] and rows[0]["氏名"] == ""  # given to Kesennuma only


def test_filters_apply_and_bad_filters_write_nothing(register_api, admin_api, worker, moto):
    register(register_api, "a", KESENNUMA, answers={"relationship": ["birthplace"], "interests": ["local_news"],
                                                    "own_fan_club": "member"})
    register(register_api, "b", KESENNUMA, answers={"relationship": ["interested"], "interests": ["local_news"],
                                                    "own_fan_club": "member"})
    export_id = export(admin_api, KESENNUMA, {"relationship": "interested"}).body["id"]
    drain(worker)
    done = admin_api("GET", f"/registrants/exports/{export_id}", claims=staff_claims(KESENNUMA))
    assert [r["利用者ID"] for r in download(done.body["url"])] == ["b"]
    for body in ({"since_from": "2026-12-02", "since_to": "2026-12-01"}, {"level": "gold"}, {"unknown": 1}, {"verified": "yes"}):
        refused = export(admin_api, KESENNUMA, body)
        assert refused.status == 422 and refused.problem_type == "invalid-input", body
    assert len(admin_api("GET", "/registrants/exports", claims=staff_claims(KESENNUMA)).body["exports"]) == 1
    missing = admin_api("GET", "/registrants/exports/x20261203100000aaaaaaaaaaaa", claims=staff_claims(KESENNUMA))
    assert missing.status == 404


def test_a_retried_post_with_the_same_idempotency_key_makes_one_export(register_api, admin_api, worker):
    register(register_api, "kesennuma-fan", KESENNUMA)
    first = export(admin_api, KESENNUMA, headers={"Idempotency-Key": "k1"})
    again = export(admin_api, KESENNUMA, headers={"Idempotency-Key": "k1"})
    assert first.status == 202 and again.status == 200 and again.body["id"] == first.body["id"]
    other = export(admin_api, KESENNUMA, {"resident": True}, headers={"Idempotency-Key": "k1"})
    assert other.status == 422 and other.problem_type == "idempotency-key-reused"
    drain(worker)  # the first message and the retry's: one export written once
    listed = admin_api("GET", "/registrants/exports", claims=staff_claims(KESENNUMA)).body["exports"]
    assert [(e["id"], e["status"], e["rows"]) for e in listed] == [(first.body["id"], "done", 1)]


def test_a_bounded_number_of_exports_in_progress_per_organisation(register_api, admin_api, worker):
    for _ in range(3):
        assert export(admin_api, KESENNUMA).status == 202
    refused = export(admin_api, KESENNUMA)
    assert refused.status == 429 and refused.problem_type == "too-many-exports" and refused.headers.get("Retry-After")
    assert export(admin_api, HIDA).status == 202  # another organisation's are its own
    drain(worker)
    assert export(admin_api, KESENNUMA).status == 202


def _receive_one():
    sqs = aws.client("sqs")
    message = sqs.receive_message(QueueUrl=QUEUE, MaxNumberOfMessages=1, AttributeNames=["All"])["Messages"][0]
    sqs.delete_message(QueueUrl=QUEUE, ReceiptHandle=message["ReceiptHandle"])
    return message


def _state(moto, code: str, export_id: str) -> dict:
    from shared.dal.items import dump

    return moto.get_item(TableName=os.environ["TABLE_NAME"], Key=dump(keys.export(code, export_id)), ConsistentRead=True)["Item"]


def _arn():
    return aws.client("sqs").get_queue_attributes(QueueUrl=QUEUE, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@pytest.fixture
def small_parts(exports_fn, monkeypatch):
    """Parts of a few hundred bytes (moto's minimum part size lowered to match; S3's is 5 MiB), pages of two."""
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 100)
    writer = exports_fn.writer()
    monkeypatch.setattr(writer, "part_bytes", 300)
    monkeypatch.setattr(writer, "page_size", 2)
    return writer


def test_a_large_export_is_a_multipart_upload_over_several_messages(register_api, admin_api, exports_fn, worker, small_parts, moto):
    users = [f"fan-{i:02d}" for i in range(9)]
    for user in users:
        register(register_api, user, KESENNUMA, personal={"name": f"名前{user}", "address": "宮城県気仙沼市" * 3})
    export_id = export(admin_api, KESENNUMA).body["id"]
    handled = drain(worker)
    done = admin_api("GET", f"/registrants/exports/{export_id}", claims=staff_claims(KESENNUMA))
    assert done.body["status"] == "done" and done.body["rows"] == 9
    assert handled == int(_state(moto, KESENNUMA, export_id)["next_part"]["N"]) - 1 >= 3  # one message per part
    rows = download(done.body["url"])
    assert sorted(r["利用者ID"] for r in rows) == users  # nothing twice, nothing skipped


def test_a_redelivered_message_changes_nothing(register_api, admin_api, exports_fn, small_parts, moto):
    for i in range(6):
        register(register_api, f"fan-{i}", KESENNUMA, personal={"address": "宮城県気仙沼市" * 5})
    export_id = export(admin_api, KESENNUMA).body["id"]
    first = _receive_one()  # part 1
    exports_fn.lambda_handler(sqs_event([first], _arn()), FakeLambdaContext("exports"))
    after_first = _state(moto, KESENNUMA, export_id)
    assert after_first["next_part"]["N"] == "2" and len(after_first["parts"]["L"]) == 1
    second = _receive_one()  # part 2's message, held back
    result = exports_fn.lambda_handler(sqs_event([first], _arn()), FakeLambdaContext("exports"))  # part 1 again
    assert result["batchItemFailures"] == []
    assert _state(moto, KESENNUMA, export_id) == after_first  # no part written twice, none skipped
    duplicate = _receive_one()  # its only effect: part 2's message sent again (the first might have been lost)
    assert json.loads(duplicate["Body"]) == json.loads(second["Body"])
    for message in (second, duplicate):
        exports_fn.lambda_handler(sqs_event([message], _arn()), FakeLambdaContext("exports"))
    assert _state(moto, KESENNUMA, export_id)["next_part"]["N"] == "3"
    QueueWorker(aws.client("sqs"), lambda n, e: exports_fn.lambda_handler(e, FakeLambdaContext(n)), {QUEUE: "exports"}).drain()
    done = admin_api("GET", f"/registrants/exports/{export_id}", claims=staff_claims(KESENNUMA))
    assert sorted(r["利用者ID"] for r in download(done.body["url"])) == [f"fan-{i}" for i in range(6)]


def test_the_last_delivery_of_a_failing_message_marks_the_export_failed_and_aborts_the_upload(
    register_api, admin_api, exports_fn, small_parts, moto, monkeypatch
):
    for i in range(6):
        register(register_api, f"fan-{i}", KESENNUMA, personal={"address": "宮城県気仙沼市" * 5})
    export_id = export(admin_api, KESENNUMA).body["id"]
    exports_fn.lambda_handler(sqs_event([_receive_one()], _arn()), FakeLambdaContext("exports"))  # part 1 written
    message = _receive_one()

    def broken(*args, **kwargs):
        raise RuntimeError("DynamoDB is having a bad day")

    monkeypatch.setattr(small_parts.registrants, "page_of", broken)
    for receive in (1, 4, 5):  # retried by SQS; the fifth delivery is the last before the dead-letter queue
        message["Attributes"] = {"ApproximateReceiveCount": str(receive)}
        with pytest.raises(Exception, match="bad day"):  # a batch of one that failed entirely: SQS delivers it again
            exports_fn.lambda_handler(sqs_event([message], _arn()), FakeLambdaContext("exports"))
        if receive < 5:
            status = admin_api("GET", f"/registrants/exports/{export_id}", claims=staff_claims(KESENNUMA)).body["status"]
            assert status == "running"
    failed = admin_api("GET", f"/registrants/exports/{export_id}", claims=staff_claims(KESENNUMA))
    assert failed.body["status"] == "failed" and failed.body["url"] is None
    assert aws.client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
