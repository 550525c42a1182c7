"""Issue 3's walk over HTTP on the local runtime: staff of 飛騨市 designate an activity and print its QR code; a
registered citizen scans it (read from the PNG by a real decoder) and sees it counted for 飛騨市 and 岐阜県
(R-ACT-2, R-ACT-4); a second scan adds nothing; a tampered code is refused; 気仙沼市 staff see none of it (R-PRIV-2)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from tests.qr_reader import decode

HIDA, GIFU, KESENNUMA = "212172", "210005", "042056"
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}


def test_staff_designate_citizen_scans_records_count_and_others_see_nothing(api):
    hida_staff = api.staff_sign_in(HIDA)
    now = datetime.fromisoformat(api("POST", "/local/clock", json={"reset": True}).json()["now"])
    activity = {
        "name": "古川祭 会場清掃",
        "kind": "project",
        "starts_at": (now - timedelta(minutes=10)).isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "place": "飛騨市古川町",
    }
    created = api.admin_call("POST", "/activities", hida_staff, json=activity)
    assert created.status_code == 201, created.text
    activity_id = created.json()["id"]

    png = api.admin_call("GET", f"/activities/{activity_id}/checkin-code", hida_staff, params={"format": "png"})
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    scanned = decode(png.content)
    assert scanned.startswith("https://")

    citizen = api.sign_in(f"{uuid.uuid4().hex[:10]}@example.jp")
    assert api("POST", "/registrations", citizen, json={"organisation_code": HIDA, "answers": ANSWERS}).status_code == 201
    first = api("POST", "/checkins", citizen, json={"code": scanned})
    assert first.status_code == 201, first.text
    assert first.json()["counted_for"] == [HIDA, GIFU]
    second = api("POST", "/checkins", citizen, json={"code": scanned})
    assert second.status_code == 200 and second.json()["created"] is False
    for code in (HIDA, GIFU):
        mine = api("GET", f"/me/records/{code}", citizen).json()
        assert mine["count_last_12_months"] == 1 and mine["records"][0]["activity_name"] == "古川祭 会場清掃"

    tampered = scanned[:-5] + ("AAAAA" if not scanned.endswith("AAAAA") else "BBBBB")
    refused = api("POST", "/checkins", citizen, json={"code": tampered})
    assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["title"]

    attendees = api.admin_call("GET", f"/activities/{activity_id}/records", hida_staff).json()["records"]
    assert len(attendees) == 1

    kesennuma_staff = api.staff_sign_in(KESENNUMA)
    assert api.admin_call("GET", "/activities", kesennuma_staff).json()["activities"] == []
    for path in (f"/activities/{activity_id}", f"/activities/{activity_id}/records", f"/activities/{activity_id}/checkin-code"):
        response = api.admin_call("GET", path, kesennuma_staff)
        assert response.status_code == 404 and "古川祭" not in response.text


def test_admin_api_needs_a_staff_token_not_a_citizen_token(api):
    citizen = api.sign_in(f"{uuid.uuid4().hex[:10]}@example.jp")
    response = api.admin_call("GET", "/activities", citizen)
    assert response.status_code == 401 and response.headers["Content-Type"] == "application/problem+json"
    staff = api.staff_sign_in(HIDA)
    assert api("GET", "/me/registrations", staff).status_code == 401  # and the app API refuses staff tokens
    assert api.admin_call("GET", "/openapi.json").json()["paths"]["/activities"]


def test_template_file_imports_over_http_with_a_row_report(api):
    from tests.unit.test_prelaunch import SAMPLE, as_xlsx

    staff = api.staff_sign_in(HIDA)
    rows = [list(r) for r in SAMPLE[3:]]
    rows[2][9] = "昭和99年"  # one bad birth date
    xlsx = as_xlsx(rows)
    api("POST", "/local/clock", json={"now": "2027-04-01T09:00:00+09:00"})
    try:
        headers = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        first = api.admin_call("POST", "/prelaunch-imports", staff, data=xlsx, headers=dict(headers))
        again = api.admin_call("POST", "/prelaunch-imports", staff, data=xlsx, headers=dict(headers))
    finally:
        api("POST", "/local/clock", json={"reset": True})
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["accepted_count"] == 13 and report["rejected_count"] == 1
    assert report["rejected"][0]["row_number"] == 6 and report["rejected"][0]["reasons"]
    assert again.json()["stored_count"] == 0 and again.json()["already_imported_count"] == 13


def test_recruitment_notice_application_and_staff_decision_over_http(api):
    staff = api.staff_sign_in(HIDA)
    now = datetime.fromisoformat(api("POST", "/local/clock", json={"reset": True}).json()["now"])
    notice = {
        "name": "飛騨の森 間伐体験", "kind": "project", "place": "飛騨市宮川町", "recruiting": True, "capacity": 10,
        "starts_at": (now + timedelta(days=14)).isoformat(), "ends_at": (now + timedelta(days=14, hours=4)).isoformat(),
    }
    activity = api.admin_call("POST", "/activities", staff, json=notice).json()
    citizen = api.sign_in(f"{uuid.uuid4().hex[:10]}@example.jp")
    api("POST", "/registrations", citizen, json={"organisation_code": HIDA, "answers": ANSWERS})
    board = api("GET", "/me/recruitment", citizen).json()["activities"]
    assert activity["id"] in [a["id"] for a in board]
    applied = api("POST", f"/organisations/{HIDA}/activities/{activity['id']}/applications", citizen, json={"message": "初参加です"})
    assert applied.status_code == 201, applied.text
    applicants = api.admin_call("GET", f"/activities/{activity['id']}/applications", staff).json()["applications"]
    assert [a["message"] for a in applicants] == ["初参加です"]
    user_id = applicants[0]["user_id"]
    decided = api.admin_call("PUT", f"/activities/{activity['id']}/applications/{user_id}/decision", staff, json={"status": "accepted"})
    assert decided.json()["status"] == "accepted"
    assert api("GET", "/me/applications", citizen).json()["applications"][0]["status"] == "accepted"


def test_evidence_upload_review_and_record_over_http(api):
    """R-ACT-3: the presigned upload (SigV4, path style on the local moto at 127.0.0.1) goes to local S3 as it would
    go to S3; submitting moves the file where the form cannot reach, so posting the form again changes nothing staff
    see; staff accept; a record appears."""
    staff = api.staff_sign_in(HIDA)
    now = datetime.fromisoformat(api("POST", "/local/clock", json={"reset": True}).json()["now"])
    body = {"name": "見守り活動", "kind": "public_interest_group", "place": "飛騨市神岡町",
            "starts_at": (now - timedelta(hours=3)).isoformat(), "ends_at": (now - timedelta(hours=1)).isoformat()}
    activity = api.admin_call("POST", "/activities", staff, json=body).json()
    citizen = api.sign_in(f"{uuid.uuid4().hex[:10]}@example.jp")
    api("POST", "/registrations", citizen, json={"organisation_code": HIDA, "answers": ANSWERS})
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
    started = api("POST", "/me/evidence", citizen, json={
        "organisation_code": HIDA, "activity_id": activity["id"], "day": activity["starts_at"][:10],
        "content_type": "image/png", "size_bytes": len(png),
    })
    assert started.status_code == 201, started.text
    form = started.json()["upload"]
    assert form["url"] == f"{api.moto}/furusato-local-evidence"
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    uploaded = api.http.post(form["url"], data=form["fields"], files={"file": ("photo.png", png)}, timeout=10)
    assert uploaded.status_code in (200, 204), uploaded.text
    evidence_id = started.json()["evidence"]["id"]
    submitted = api("POST", f"/me/evidence/{HIDA}/{evidence_id}/submit", citizen).json()
    assert submitted["status"] == "submitted" and submitted["object_key"].startswith(f"evidence/{HIDA}/")
    replaced = api.http.post(form["url"], data=form["fields"], files={"file": ("photo.png", png[:8] + b"\xff" * 24)}, timeout=10)
    assert replaced.status_code in (200, 204)  # the form is still valid for its key under uploads/ ...
    (waiting,) = [e for e in api.admin_call("GET", "/evidence", staff).json()["evidence"] if e["id"] == evidence_id]
    view = api.admin_call("GET", f"/evidence/{waiting['user_id']}/{evidence_id}", staff).json()["view_url"]
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in view
    assert api.http.get(view, timeout=10).content == png  # ... and staff still see the file that was submitted
    accepted = api.admin_call("POST", f"/evidence/{waiting['user_id']}/{evidence_id}/accept", staff)
    assert accepted.status_code == 200 and accepted.json()["attendance"]["record"]["source"] == "evidence"
    assert api("GET", f"/me/records/{GIFU}", citizen).json()["count_last_12_months"] == 1


def test_staff_print_a_days_code_of_a_multi_day_event_and_it_counts_for_that_day_only(api):
    """Issue 7 part 3 over HTTP: a multi-day event's printed code is the day's (R-ACT-2); tomorrow's is not valid
    today, and the printable sheet has a page per day."""
    hida_staff = api.staff_sign_in(HIDA)
    now = datetime.fromisoformat(api("POST", "/local/clock", json={"reset": True}).json()["now"])
    activity = {
        "name": "古川やんちゃ市",
        "kind": "project",
        "starts_at": (now - timedelta(minutes=10)).isoformat(),
        "ends_at": (now + timedelta(days=2)).isoformat(),
        "place": "飛騨市古川町",
        "multi_day": True,
    }
    created = api.admin_call("POST", "/activities", hida_staff, json=activity)
    assert created.status_code == 201, created.text
    path = f"/activities/{created.json()['id']}/checkin-code"
    today, tomorrow = now.date(), now.date() + timedelta(days=1)

    png = api.admin_call("GET", path, hida_staff, params={"format": "png", "day": today.isoformat()})
    assert png.status_code == 200, png.text
    citizen = api.sign_in(f"{uuid.uuid4().hex[:10]}@example.jp")
    assert api("POST", "/registrations", citizen, json={"organisation_code": HIDA, "answers": ANSWERS}).status_code == 201
    scanned = api("POST", "/checkins", citizen, json={"code": decode(png.content)})
    assert scanned.status_code == 201, scanned.text
    assert scanned.json()["record"]["day"] == today.isoformat()

    tomorrows = api.admin_call("GET", path, hida_staff, params={"day": tomorrow.isoformat()}).json()
    assert tomorrows["day"] == tomorrow.isoformat()
    early = api("POST", "/checkins", citizen, json={"code": tomorrows["url"]})
    assert early.status_code == 422 and early.json()["type"].endswith("/checkin-code-not-yet-valid")

    sheet = api.admin_call("GET", path, hida_staff, params={"format": "html", "day": today.isoformat(), "days": 2})
    assert sheet.status_code == 200 and sheet.text.count("<svg") == 2 and "rel=\"next\"" in sheet.headers["Link"]
