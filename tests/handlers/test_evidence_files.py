"""Evidence files on S3 (R-ACT-3, issue 7 part 2), on moto. moto accepts uploads that break a presigned POST's
policy and signatures S3 would refuse, so the form itself is checked: SigV4, and the policy's conditions. On submit
the file is checked against what was declared and copied where no upload form reaches; staff view that copy."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from shared import clock
from shared.dal import aws
from shared.domain.evidence import OPEN_UPLOADS_PER_PERSON
from tests.handlers.conftest import staff_claims
from tests.handlers.test_evidence import HIDA, PHOTO, attended, start, upload  # noqa: F401 (fixture)

BUCKET = "furusato-test-evidence"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * (len(PHOTO) - 8)


def submit(checkin_api, eid: str, user: str = "u1"):
    return checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user=user)


def test_upload_form_is_sigv4_on_the_regional_virtual_host_and_its_policy_pins_key_type_size_and_expiry(checkin_api, attended):
    before = datetime.now(UTC)  # botocore signs with the real time, not the test clock
    created = start(checkin_api, attended).body
    form, eid = created["upload"], created["evidence"]["id"]
    assert form["url"] == f"https://{BUCKET}.s3.ap-northeast-1.amazonaws.com/"
    fields = form["fields"]
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["x-amz-credential"].endswith("/ap-northeast-1/s3/aws4_request")
    key = f"uploads/{HIDA}/u1/{eid}"
    assert fields["key"] == key and fields["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": BUCKET} in conditions
    assert {"key": key} in conditions  # exactly this key: no starts-with a prefix
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", len(PHOTO), len(PHOTO)] in conditions  # exactly the declared size
    assert {"x-amz-algorithm": "AWS4-HMAC-SHA256"} in conditions
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timedelta(minutes=14) < expires - before <= timedelta(minutes=15, seconds=5)


def test_staff_view_a_sigv4_link_to_the_submitted_copy(checkin_api, admin_api, attended):
    created = start(checkin_api, attended).body
    eid = created["evidence"]["id"]
    upload(created)
    submitted = submit(checkin_api, eid).body
    view = admin_api("GET", f"/evidence/u1/{eid}", claims=staff_claims(HIDA)).body["view_url"]
    url = urlsplit(view)
    query = parse_qs(url.query)
    assert url.netloc == f"{BUCKET}.s3.ap-northeast-1.amazonaws.com"
    assert url.path.startswith(f"/evidence/{HIDA}/u1/{eid}/") and url.path == "/" + submitted["object_key"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) == 300
    assert requests.get(view, timeout=10).content == PHOTO


def test_the_upload_form_cannot_replace_the_file_staff_review(checkin_api, admin_api, attended):
    """The same form posted again after submit (S3 accepts it while the form is valid) changes nothing staff see."""
    created = start(checkin_api, attended).body
    eid = created["evidence"]["id"]
    upload(created)
    assert admin_api("GET", f"/evidence/u1/{eid}", claims=staff_claims(HIDA)).status == 404  # not submitted: not for staff
    assert submit(checkin_api, eid).status == 200
    s3 = aws.client("s3")
    with pytest.raises(s3.exceptions.ClientError):  # moved: nothing left at the upload key
        s3.head_object(Bucket=BUCKET, Key=created["evidence"]["object_key"])
    forged = b"\xff\xd8\xff\xe1" + b"X" * (len(PHOTO) - 4)
    assert upload(created, forged) in (200, 204)
    view = admin_api("GET", f"/evidence/u1/{eid}", claims=staff_claims(HIDA)).body["view_url"]
    assert requests.get(view, timeout=10).content == PHOTO
    (reviewed,) = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"evidence/{HIDA}/u1/{eid}/")["Contents"]
    assert s3.get_object(Bucket=BUCKET, Key=reviewed["Key"])["Body"].read() == PHOTO


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        (PHOTO + b"0", "image/jpeg", "bytes uploaded"),  # larger than declared (moto ignores content-length-range)
        (PHOTO, "image/png", "uploaded as image/png"),  # another type than declared
        (PNG, "image/jpeg", "the file is not image/jpeg"),  # declared JPEG, the bytes are a PNG
        (b"<html>" + PHOTO[6:], "image/jpeg", "the file is not image/jpeg"),
    ],
    ids=["larger", "other-type", "png-bytes", "html-bytes"],
)
def test_submit_refuses_a_file_that_is_not_what_was_declared(checkin_api, admin_api, attended, data, content_type, reason):
    created = start(checkin_api, attended).body
    eid = created["evidence"]["id"]
    upload(created, data, content_type)
    refused = submit(checkin_api, eid)
    assert refused.status == 409 and refused.problem_type == "evidence-upload-mismatch", refused.body
    assert reason in refused.body["reason"] and refused.body["title"] == "アップロードされたファイルが申告された形式・サイズと一致しません"
    (mine,) = checkin_api("GET", f"/me/evidence/{HIDA}", user="u1").body["evidence"]
    assert mine["status"] == "awaiting_upload"
    assert admin_api("GET", "/evidence", claims=staff_claims(HIDA)).body["evidence"] == []
    upload(created)  # the right file with the same form: now it goes through
    assert submit(checkin_api, eid).body["status"] == "submitted"


def test_a_person_holds_at_most_ten_open_uploads(checkin_api, attended):
    """Each open upload reserves up to 10 MB in the bucket: the 11th is refused until one is submitted or a day
    has passed since the oldest started."""
    opened_at = clock.now()
    created = [start(checkin_api, attended) for _ in range(OPEN_UPLOADS_PER_PERSON)]
    assert [c.status for c in created] == [201] * OPEN_UPLOADS_PER_PERSON
    refused = start(checkin_api, attended)
    assert refused.status == 409 and refused.problem_type == "too-many-open-uploads"
    assert refused.body["title"] == "提出していないアップロードが多すぎます。提出するか、時間をおいてやり直してください"
    assert refused.body["open_uploads"] == OPEN_UPLOADS_PER_PERSON
    assert datetime.fromisoformat(refused.body["available_at"]) == opened_at + timedelta(hours=24)
    assert len(checkin_api("GET", f"/me/evidence/{HIDA}", user="u1").body["evidence"]) == OPEN_UPLOADS_PER_PERSON

    first = created[0].body
    upload(first)
    assert submit(checkin_api, first["evidence"]["id"]).status == 200
    assert start(checkin_api, attended).status == 201  # a submitted upload frees its place
    assert start(checkin_api, attended).status == 409

    clock.freeze(opened_at + timedelta(hours=24))  # every one of them started a day ago: none counts any more
    assert [start(checkin_api, attended).status for _ in range(OPEN_UPLOADS_PER_PERSON)] == [201] * OPEN_UPLOADS_PER_PERSON
    assert start(checkin_api, attended).status == 409


def test_an_upload_not_submitted_within_a_day_can_no_longer_be_submitted(checkin_api, attended):
    created = start(checkin_api, attended).body
    upload(created)
    clock.freeze(clock.now() + timedelta(hours=24))
    expired = submit(checkin_api, created["evidence"]["id"])
    assert expired.status == 409 and expired.problem_type == "evidence-upload-expired"
