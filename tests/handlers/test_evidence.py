"""Evidence of attendance on moto (R-ACT-3): upload through a presigned POST (type and size enforced by S3), staff of
the designating organisation accept it (a record for the venue and its prefecture, R-ACT-4) or reject it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests

from shared import clock
from tests.handlers.conftest import staff_claims

HIDA, GIFU, KESENNUMA = "212172", "210005", "042056"
START = datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO)
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}
PHOTO = b"\xff\xd8\xff\xe0" + b"0" * 2000


@pytest.fixture
def attended(admin_api, register_api):
    clock.freeze(START - timedelta(days=2))
    body = {"name": "清掃活動", "kind": "project", "place": "飛騨市", "starts_at": START.isoformat(),
            "ends_at": (START + timedelta(hours=2)).isoformat()}
    activity = admin_api("POST", "/activities", body=body, claims=staff_claims(HIDA)).body
    assert register_api("POST", "/registrations", user="u1", body={"organisation_code": HIDA, "answers": ANSWERS}).status == 201
    clock.freeze(START + timedelta(days=1))
    return activity


def start(checkin_api, activity, user: str = "u1", **changes):
    body = {"organisation_code": HIDA, "activity_id": activity["id"], "day": "2026-12-05", "content_type": "image/jpeg",
            "size_bytes": len(PHOTO), **changes}
    return checkin_api("POST", "/me/evidence", user=user, body=body)


def upload(created: dict, data: bytes = PHOTO, content_type: str = "image/jpeg") -> int:
    form = created["upload"]
    fields = {**form["fields"], "Content-Type": content_type}
    return requests.post(form["url"], data=fields, files={"file": ("photo.jpg", data)}, timeout=10).status_code


def test_r_act_3_upload_submit_and_accept_make_a_record(checkin_api, admin_api, attended):
    created = start(checkin_api, attended)
    assert created.status == 201, created.body
    assert created.body["evidence"]["status"] == "awaiting_upload"
    assert upload(created.body) in (200, 204)
    eid = created.body["evidence"]["id"]
    submitted = checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user="u1")
    assert submitted.status == 200 and submitted.body["status"] == "submitted"

    queue = admin_api("GET", "/evidence", claims=staff_claims(HIDA)).body["evidence"]
    assert [(e["id"], e["user_id"]) for e in queue] == [(eid, "u1")]
    view = admin_api("GET", f"/evidence/u1/{eid}", claims=staff_claims(HIDA))
    assert view.status == 200 and view.body["view_url"].startswith("http")
    accepted = admin_api("POST", f"/evidence/u1/{eid}/accept", claims=staff_claims(HIDA))
    assert accepted.status == 200 and accepted.body["evidence"]["status"] == "accepted"
    assert accepted.body["attendance"]["record"]["source"] == "evidence"
    assert accepted.body["attendance"]["counted_for"] == [HIDA, GIFU]
    assert admin_api("GET", "/evidence", claims=staff_claims(HIDA)).body["evidence"] == []
    again = admin_api("POST", f"/evidence/u1/{eid}/accept", claims=staff_claims(HIDA))
    assert again.status == 409 and again.problem_type == "evidence-already-decided"
    assert checkin_api("GET", f"/me/records/{GIFU}", user="u1").body["count_last_12_months"] == 1


def test_rejection_carries_the_reason_to_the_registrant(checkin_api, admin_api, attended):
    created = start(checkin_api, attended).body
    upload(created)
    eid = created["evidence"]["id"]
    checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user="u1")
    rejected = admin_api("POST", f"/evidence/u1/{eid}/reject", body={"reason": "活動日の写真ではありません"}, claims=staff_claims(HIDA))
    assert rejected.body["evidence"]["status"] == "rejected"
    mine = checkin_api("GET", f"/me/evidence/{HIDA}", user="u1").body["evidence"]
    assert [(e["status"], e["rejection_reason"]) for e in mine] == [("rejected", "活動日の写真ではありません")]
    assert checkin_api("GET", f"/me/records/{HIDA}", user="u1").body["records"] == []


def test_submit_without_a_matching_upload_is_refused(checkin_api, attended):
    created = start(checkin_api, attended).body
    eid = created["evidence"]["id"]
    missing = checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user="u1")
    assert missing.status == 409 and missing.problem_type == "evidence-not-uploaded"


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"content_type": "text/html"}, 422),
        ({"size_bytes": 50 * 1024 * 1024}, 422),
        ({"day": "2026-12-09"}, 422),  # not a day of the activity
        ({"activity_id": "a0000000000000000"}, 404),
    ],
)
def test_bad_evidence_requests_are_refused(checkin_api, attended, changes, status):
    assert start(checkin_api, attended, **changes).status == status


def test_only_registrants_and_only_the_designating_organisations_staff(checkin_api, admin_api, attended):
    stranger = checkin_api(
        "POST", "/me/evidence", user="stranger",
        body={"organisation_code": HIDA, "activity_id": attended["id"], "day": "2026-12-05", "content_type": "image/png", "size_bytes": 10},
    )
    assert stranger.status == 409 and stranger.problem_type == "not-registered"
    created = start(checkin_api, attended).body
    upload(created)
    eid = created["evidence"]["id"]
    checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user="u1")
    other = staff_claims(KESENNUMA)
    assert admin_api("GET", "/evidence", claims=other).body["evidence"] == []
    assert admin_api("GET", f"/evidence/u1/{eid}", claims=other).status == 404
    assert admin_api("POST", f"/evidence/u1/{eid}/accept", claims=other).status == 404
    assert checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user="u2").status == 404


def test_staff_list_shows_when_evidence_was_started_and_submitted_and_where_the_file_is(checkin_api, admin_api, attended):
    """Issue 6 part 6: the review list carried created_at = submitted_at and an empty object_key."""
    started_at = clock.now()
    created = start(checkin_api, attended).body
    eid = created["evidence"]["id"]
    upload(created)
    clock.freeze(started_at + timedelta(minutes=10))
    checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user="u1")
    (listed,) = admin_api("GET", "/evidence", claims=staff_claims(HIDA)).body["evidence"]
    assert datetime.fromisoformat(listed["created_at"]) == started_at
    assert datetime.fromisoformat(listed["submitted_at"]) == started_at + timedelta(minutes=10)
    assert listed["object_key"].startswith(f"evidence/{HIDA}/u1/{eid}/")
    assert listed["status"] == "submitted" and listed["size_bytes"] == len(PHOTO)
    assert listed == admin_api("GET", f"/evidence/u1/{eid}", claims=staff_claims(HIDA)).body["evidence"]


def test_submitting_again_returns_the_first_submission_and_changes_nothing(checkin_api, admin_api, attended):
    """Issue 6 part 6: a second submit rewrote submitted_at (and moved the evidence in the review queue)."""
    created = start(checkin_api, attended).body
    eid = created["evidence"]["id"]
    upload(created)
    first = checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user="u1")
    assert first.status == 200
    clock.freeze(clock.now() + timedelta(hours=1))
    again = checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user="u1")
    assert again.status == 200 and again.body == first.body
    (listed,) = admin_api("GET", "/evidence", claims=staff_claims(HIDA)).body["evidence"]
    assert listed["submitted_at"] == first.body["submitted_at"]
    admin_api("POST", f"/evidence/u1/{eid}/reject", body={"reason": "不鮮明です"}, claims=staff_claims(HIDA))
    after_decision = checkin_api("POST", f"/me/evidence/{HIDA}/{eid}/submit", user="u1")
    assert after_decision.status == 200 and after_decision.body["status"] == "rejected"
    assert after_decision.body["submitted_at"] == first.body["submitted_at"]
    assert admin_api("GET", "/evidence", claims=staff_claims(HIDA)).body["evidence"] == []
