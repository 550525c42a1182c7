"""Evidence files (R-ACT-3), pure rules: a file is what was declared (size, type, magic numbers), and a person holds
a bounded number of open uploads. Also the S3 client's configuration: SigV4 and virtual-hosted addressing deployed,
path style (by botocore's own endpoint rules) on the local moto at 127.0.0.1."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from shared import clock
from shared.dal import aws
from shared.domain.activities import Evidence
from shared.domain.errors import EvidenceUploadExpired, EvidenceUploadMismatch, TooManyOpenUploads
from shared.domain.evidence import (
    OPEN_UPLOADS_PER_PERSON,
    UPLOAD_OPEN_FOR,
    UploadedFile,
    check_still_open,
    check_upload,
    looks_like,
    room_for_another_upload,
    still_open,
)

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=clock.TOKYO)
STARTS = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "application/pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0",
    "image/heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
}


@pytest.mark.parametrize("declared", list(STARTS))
def test_a_file_is_recognised_by_its_first_bytes_and_only_as_its_own_type(declared):
    for actual, first_bytes in STARTS.items():
        assert looks_like(declared, first_bytes) == (actual == declared), (declared, actual)
    assert not looks_like(declared, b"")
    assert not looks_like(declared, b"<html><script>alert(1)</script>")


def test_heif_images_of_other_brands_are_heic_but_other_iso_media_are_not():
    assert looks_like("image/heic", b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00")
    assert not looks_like("image/heic", b"\x00\x00\x00\x1cftypisom\x00\x00\x00\x00")  # an MP4 video
    assert not looks_like("image/heic", b"\x00\x00\x00\x1cftypqt  \x00\x00\x00\x00")  # a QuickTime movie


def _evidence(**changes) -> Evidence:
    fields = dict(id="e0123456789abcdef", organisation_code="212172", user_id="u1", activity_id="a0123456789abcdef",
                  day=date(2026, 12, 5), content_type="image/png", size_bytes=100, object_key="uploads/x",
                  created_at=NOW - timedelta(hours=1))
    return Evidence(**(fields | changes))


def test_an_upload_must_be_exactly_what_was_declared():
    evidence = _evidence()
    check_upload(evidence, UploadedFile(100, "image/png", '"etag"', STARTS["image/png"]))
    for wrong, reason in [
        (UploadedFile(99, "image/png", '"e"', STARTS["image/png"]), "99 bytes uploaded, 100 declared"),
        (UploadedFile(100, "image/png; charset=utf-8", '"e"', STARTS["image/png"]), "uploaded as image/png; charset=utf-8, image/png declared"),
        (UploadedFile(100, "", '"e"', STARTS["image/png"]), "uploaded as no type, image/png declared"),
        (UploadedFile(100, "image/png", '"e"', STARTS["image/jpeg"]), "the file is not image/png"),
    ]:
        with pytest.raises(EvidenceUploadMismatch) as refused:
            check_upload(evidence, wrong)
        assert refused.value.extensions == {"evidence_id": evidence.id, "reason": reason}


def test_an_upload_can_be_submitted_for_a_day_after_it_was_started():
    evidence = _evidence(created_at=NOW - UPLOAD_OPEN_FOR + timedelta(seconds=1))
    check_still_open(evidence, NOW)
    with pytest.raises(EvidenceUploadExpired):
        check_still_open(evidence, NOW + timedelta(seconds=1))


def test_open_uploads_are_capped_and_stop_counting_after_a_day():
    now = NOW.timestamp()
    expired = {f"old{i}": int(now) - i for i in range(20)}  # stopped counting: any number of them
    counting = {f"e{i}": int(now) + 60 * (i + 1) for i in range(OPEN_UPLOADS_PER_PERSON - 1)}
    assert still_open(expired | counting, NOW) == counting
    assert room_for_another_upload(expired | counting, NOW) == int((NOW + UPLOAD_OPEN_FOR).timestamp())
    full = counting | {"last": int(now) + 3600}
    with pytest.raises(TooManyOpenUploads) as refused:
        room_for_another_upload(full, NOW)
    assert refused.value.extensions["open_uploads"] == OPEN_UPLOADS_PER_PERSON
    assert refused.value.extensions["available_at"] == (NOW + timedelta(minutes=1)).isoformat()  # the oldest one's end


def test_s3_presigns_with_sigv4_on_the_regional_virtual_host(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws.reset()
    try:
        s3 = aws.client("s3")
        form = s3.generate_presigned_post("furusato-evidence", "uploads/212172/u1/e1", ExpiresIn=60)
        view = s3.generate_presigned_url("get_object", Params={"Bucket": "furusato-evidence", "Key": "evidence/x"}, ExpiresIn=60)
    finally:
        aws.reset()
    assert form["url"] == "https://furusato-evidence.s3.ap-northeast-1.amazonaws.com/"
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert view.startswith("https://furusato-evidence.s3.ap-northeast-1.amazonaws.com/evidence/x?")
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in view and "AWSAccessKeyId" not in view


def test_on_the_local_moto_the_same_client_addresses_the_bucket_by_path(monkeypatch):
    """No <bucket>.127.0.0.1 host to resolve: botocore's S3 endpoint rules fall back to path style for an IP
    endpoint, with the deployed configuration unchanged (the e2e test uploads through such a form)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")
    aws.reset()
    try:
        s3 = aws.client("s3")
        form = s3.generate_presigned_post("furusato-local-evidence", "uploads/k", ExpiresIn=60)
    finally:
        aws.reset()
    assert s3.meta.config.s3 == {"addressing_style": "virtual"} and s3.meta.config.signature_version == "s3v4"
    assert form["url"] == "http://127.0.0.1:4599/furusato-local-evidence"
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
