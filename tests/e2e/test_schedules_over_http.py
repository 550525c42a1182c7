"""Issue 10's schedules over HTTP on the local runtime (R-PRE-6, R-BAS-5): the clock moves on and the days run
(POST /local/days, what `make tick DATE=…` sends): a premium registrant without a renewal is reminded, then is basic
again; inactive registrants are told, then removed, while one who came back stays."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from tests.e2e.test_premium_over_http import (
    approve_from_the_link, card_tap, check_in_three_times, follow, move_clock, outbox_link, premium_settings,
    tokyo_person,
)

JST = timezone(timedelta(hours=9))
AMA = "325252"  # 海士町 (島根県): its staff approve premium applications
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}


def run_days(api, first: str, last: str) -> dict:
    response = api.http.post(api.base + "/local/days", json={"from": first, "to": last}, timeout=600)
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == [], response.json()
    return response.json()


def mails_to(api, address: str) -> list[dict]:
    return [m for m in api.admin_call("GET", "/local/outbox").json() if address in m["to"]]


def registered(api, email: str, code: str) -> str:
    token = api.sign_in(email)
    response = api("POST", "/registrations", token, json={"organisation_code": code, "answers": ANSWERS,
                                                          "personal": {"email": email}})
    assert response.status_code == 201, response.text
    return token


def test_issue_10_done_when_the_year_passes_reminded_then_basic_inactive_told_then_removed_one_who_came_back_stays(api):
    try:
        _walk(api)
    finally:
        api("POST", "/local/clock", json={"reset": True})


def _walk(api):
    # A verified citizen checks in three times at 海士町 in December 2026 and staff approve: premium until 2027-12-2x.
    email = f"premium-{uuid.uuid4().hex[:6]}@example.jp"
    move_clock(api, datetime(2026, 12, 1, 9, 0, tzinfo=JST))
    citizen = registered(api, email, AMA)
    card_tap(api, citizen, tokyo_person())
    staff = api.staff_sign_in(AMA)
    approver = premium_settings(api, staff, auto_approve=False)
    check_in_three_times(api, staff, citizen, AMA, datetime(2026, 12, 3, 10, 0, tzinfo=JST))
    move_clock(api, datetime(2026, 12, 20, 9, 0, tzinfo=JST))
    applied = api("POST", "/me/premium-applications", citizen, json={"organisation_code": AMA})
    assert applied.status_code == 201, applied.text
    follow(api, citizen, AMA, applied.json()["id"], "awaiting_approval")
    api.staff_sign_in(AMA)
    approve_from_the_link(api, outbox_link(api, approver), f"editor@{AMA}.example.lg.jp")
    approved = follow(api, citizen, AMA, applied.json()["id"], "approved")
    expires_on = datetime.fromisoformat(approved["premium_expires_on"]).date()
    assert expires_on == datetime(2027, 12, 20).date()

    # Two basic registrants of 海士町 who last opened the app on 2026-12-20 (the clock's day): told 90 days before
    # three years are up (2029-12-20), removed the day after, unless they come back.
    gone_email, back_email = (f"{who}-{uuid.uuid4().hex[:6]}@example.jp" for who in ("gone", "back"))
    registered(api, gone_email, AMA)
    back = registered(api, back_email, AMA)

    # The year passes: the reminder 30 days before the expiry, the lapse the day after it.
    reminded_on = expires_on - timedelta(days=30)
    run_days(api, (reminded_on - timedelta(days=1)).isoformat(), reminded_on.isoformat())
    notices = api("GET", "/me/notices", citizen).json()["notices"]
    assert [n["kind"] for n in notices][:1] == ["premium_reminder"], notices
    assert any("有効期限が近づいています" in m["subject"] for m in mails_to(api, email))
    run_days(api, (expires_on - timedelta(days=1)).isoformat(), (expires_on + timedelta(days=1)).isoformat())
    card = api("GET", f"/me/registrations/{AMA}/card", citizen).json()
    assert card["level"] == "basic", card
    assert api("GET", "/me/notices", citizen).json()["notices"][0]["kind"] == "premium_lapsed"

    # Three years without the app: told (in-app and by e-mail) with the deadline, then removed.
    run_days(api, "2029-09-20", "2029-09-21")  # 2029-09-21: 90 days before 2029-12-20
    assert any("削除されます" in m["subject"] for m in mails_to(api, gone_email))
    assert any("削除されます" in m["subject"] for m in mails_to(api, back_email))
    move_clock(api, datetime(2029, 11, 1, 12, 0, tzinfo=JST))
    assert api("GET", "/me/registrations", back).status_code == 200  # came back: stays
    run_days(api, "2029-12-20", "2029-12-21")
    assert any("削除しました" in m["subject"] for m in mails_to(api, gone_email))
    assert not any("削除しました" in m["subject"] for m in mails_to(api, back_email))
    gone = api.sign_in(gone_email)  # signing in again is an access, but the registration is gone already
    assert api("GET", "/me/registrations", gone).json()["registrations"] == []
    assert sorted(r["organisation"]["code"] for r in api("GET", "/me/registrations", back).json()["registrations"]) == ["320005", AMA]
