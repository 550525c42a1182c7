"""Issue 9's walk over HTTP on the local runtime (R-PRE-1..7, R-CARD-1): a verified citizen checks in to three 飛騨市
activities by QR code and applies; the deployed state machine, executed by moto, judges; an e-mail lands in the
outbox; staff approve; the card shows premium until the right day; a fourth premium organisation is refused with its
reason; a renewal extends from the old expiry date."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from html import unescape

import jwt
import requests

from tests.qr_reader import decode

HIDA, KESENNUMA, AMA, MINAMISANRIKU = "212172", "042056", "325252", "046060"
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}
KESENNUMA_ANSWERS = {**ANSWERS, "own_fan_club": "member"}
def tokyo_person() -> dict:
    """A card holder living in Tokyo, new to this runtime (a card verifies one account: R-BAS-4)."""
    return {"name": f"東京 {uuid.uuid4().hex[:6]}", "address": "東京都千代田区霞が関1-1-1", "postal_code": "100-0013",
            "birthdate": "1985-05-05", "gender": "female"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def until(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout}s")


def move_clock(api, when: datetime) -> None:
    assert api("POST", "/local/clock", json={"now": when.isoformat()}).status_code == 200


def card_tap(api, token: str, identity: dict) -> dict:
    started = api("POST", "/me/verification", token, json={"share_with_organisations": True})
    assert started.status_code == 201, started.text
    callback = api.http.post(started.json()["authorization_url"], data={"decision": "approve", **identity}, timeout=30)
    assert callback.status_code == 200, callback.text
    completed = api("POST", "/me/verification/complete", token, json=callback.json())
    assert completed.status_code == 200, completed.text
    return completed.json()


def check_in_three_times(api, staff: str, citizen: str, code: str, first_day: datetime) -> None:
    """Three activities on three days, each scanned from its printed QR code while it runs."""
    for n in range(3):
        start = first_day + timedelta(days=7 * n)
        move_clock(api, start - timedelta(days=2))
        activity = {"name": f"棚田の草刈り {n + 1}", "kind": "project", "place": "公民館", "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=3)).isoformat()}
        created = api.admin_call("POST", "/activities", staff, json=activity)
        assert created.status_code == 201, created.text
        png = api.admin_call("GET", f"/activities/{created.json()['id']}/checkin-code", staff, params={"format": "png"})
        move_clock(api, start + timedelta(minutes=30))
        scanned = api("POST", "/checkins", citizen, json={"code": decode(png.content)})
        assert scanned.status_code == 201, scanned.text


def premium_settings(api, staff: str, **fields) -> None:
    current = api.admin_call("GET", "/premium-settings", staff).json()
    body = {k: v for k, v in current.items() if k not in ("organisation_code", "updated_at", "updated_by")}
    body.update({"approver_emails": [f"approver-{uuid.uuid4().hex[:6]}@city.example.lg.jp"], **fields})
    saved = api.admin_call("PUT", "/premium-settings", staff, json=body)
    assert saved.status_code == 200, saved.text
    return body["approver_emails"][0]


def follow(api, citizen: str, code: str, application_id: str, *statuses: str) -> dict:
    def current():
        body = api("GET", f"/me/premium-applications/{code}/{application_id}", citizen).json()
        return body if body["status"] in statuses else None
    return until(current, f"application {application_id} to become {statuses}")


def outbox_link(api, approver: str) -> str:
    def found():
        mails = api.admin_call("GET", "/local/outbox").json()
        links = [link for mail in mails if approver in mail["to"] for link in mail["links"] if "/approval?link=" in link]
        return links[-1] if links else None
    return until(found, f"an approval e-mail to {approver} in /local/outbox")


def approve_from_the_link(api, link: str, staff_email: str) -> str:
    """What a staff member does in a browser: open the link, sign in, approve. The result page's text."""
    browser = requests.Session()  # no Authorization header, ever
    opened = browser.get(link, timeout=30)
    assert opened.status_code == 200 and "職員サインイン" in opened.text, opened.text[-500:]
    token = unescape(re.search(r'name="link" value="([^"]*)"', opened.text).group(1))
    signed = browser.post(api.admin + "/approval/sign-in", headers=FORM, allow_redirects=False, timeout=30,
                          data={"link": token, "email": staff_email, "password": "Staff-Passw0rd!"})
    assert signed.status_code == 303, signed.text
    session = {"Cookie": signed.headers["Set-Cookie"].split(";", 1)[0]}
    page = browser.get(api.admin + signed.headers["Location"], headers=session, timeout=30)
    assert page.status_code == 200 and "承認待ち" in page.text, page.text[-1000:]
    csrf = unescape(re.search(r'name="csrf" value="([^"]*)"', page.text).group(1))
    result = browser.post(api.admin + "/approval/decision", headers={**FORM, **session}, timeout=30,
                          data={"link": token, "decision": "approve", "reason": "", "csrf": csrf})
    assert result.status_code == 200, result.text[-1000:]
    return result.text


def entered_records(api, code: str, user_id: str, days: list[datetime]) -> None:
    """Staff of `code` enter the person's attendance of activities on `days` (R-ACT-3)."""
    staff = api.staff_sign_in(code)
    for day in days:
        move_clock(api, day - timedelta(days=2))
        body = {"name": "浜の清掃", "kind": "project", "place": "公民館", "starts_at": day.isoformat(),
                "ends_at": (day + timedelta(hours=2)).isoformat()}
        created = api.admin_call("POST", "/activities", staff, json=body)
        assert created.status_code == 201, created.text
        move_clock(api, day + timedelta(hours=3))
        entered = api.admin_call("POST", f"/activities/{created.json()['id']}/records", staff,
                                 json={"user_id": user_id, "day": day.date().isoformat()})
        assert entered.status_code == 201, entered.text


def test_issue_9_done_when_apply_judge_approve_by_link_card_limit_of_three_and_renewal(api):
    jst = timezone(timedelta(hours=9))
    first_day = datetime(2027, 5, 8, 10, 0, tzinfo=jst)
    move_clock(api, first_day - timedelta(days=10))
    citizen = api.sign_in(f"premium-{uuid.uuid4().hex[:8]}@example.jp")
    for code, answers in ((HIDA, ANSWERS), (KESENNUMA, KESENNUMA_ANSWERS), (AMA, ANSWERS), (MINAMISANRIKU, ANSWERS)):
        registered = api("POST", "/registrations", citizen, json={"organisation_code": code, "answers": answers})
        assert registered.status_code == 201, registered.text
    assert card_tap(api, citizen, tokyo_person())["status"] == "verified"  # lives in Tokyo: a resident of none
    user_id = jwt.decode(citizen, options={"verify_signature": False})["sub"]

    # 1. three 飛騨市 activities, checked in by QR code; the application judged; the approvers e-mailed
    hida_staff = api.staff_sign_in(HIDA)
    approver = premium_settings(api, hida_staff)
    check_in_three_times(api, hida_staff, citizen, HIDA, first_day)
    move_clock(api, datetime(2027, 5, 30, 10, 0, tzinfo=jst))
    applied = api("POST", "/me/premium-applications", citizen, json={"organisation_code": HIDA})
    assert applied.status_code == 201 and applied.json()["status"] == "judging", applied.text
    application_id = applied.json()["id"]
    waiting = follow(api, citizen, HIDA, application_id, "awaiting_approval")
    assert (waiting["occasions_counted"], waiting["occasions_needed"], waiting["reasons"]) == (3, 3, [])

    # 2. a staff member opens the e-mailed link, signs in and approves
    result = approve_from_the_link(api, outbox_link(api, approver), "editor@212172.example.lg.jp")
    assert "承認しました" in result
    approved = follow(api, citizen, HIDA, application_id, "approved")
    assert approved["premium_expires_on"] == "2028-05-30"  # approved 2027-05-30: a year counted from the next day

    # 3. the card shows premium until that day
    card = api("GET", f"/me/registrations/{HIDA}/card", citizen).json()
    assert (card["level"], card["level_label"], card["premium_expires_on"]) == ("premium", "プレミアム登録", "2028-05-30")
    notices = until(lambda: api("GET", "/me/notices", citizen).json()["notices"], "the approval notice")
    assert notices[0]["kind"] == "premium_approved" and "2028年5月30日" in notices[0]["body"]

    # 4. 気仙沼市 and 海士町 approve automatically; a fourth premium organisation (南三陸町) is refused, with its reason
    for code in (KESENNUMA, AMA, MINAMISANRIKU):
        premium_settings(api, api.staff_sign_in(code), auto_approve=True)
        entered_records(api, code, user_id, [datetime(2027, 6, d, 10, 0, tzinfo=jst) for d in (5, 12, 19)])
    move_clock(api, datetime(2027, 6, 25, 10, 0, tzinfo=jst))
    for code in (KESENNUMA, AMA):
        other = api("POST", "/me/premium-applications", citizen, json={"organisation_code": code}).json()
        assert follow(api, citizen, code, other["id"], "approved", "ineligible")["status"] == "approved"
    fourth = api("POST", "/me/premium-applications", citizen, json={"organisation_code": MINAMISANRIKU}).json()
    refused = follow(api, citizen, MINAMISANRIKU, fourth["id"], "approved", "ineligible")
    assert refused["status"] == "ineligible" and [r["code"] for r in refused["reasons"]] == ["limit_reached"]
    assert "3団体まで" in refused["reasons"][0]["message"]

    # 5. the renewal: within 60 days of the expiry, three occasions since the premium year began, approved by staff:
    #    a year from the old expiry date
    check_in_three_times(api, hida_staff, citizen, HIDA, datetime(2028, 4, 1, 10, 0, tzinfo=jst))
    move_clock(api, datetime(2028, 4, 20, 10, 0, tzinfo=jst))
    renewal = api("POST", "/me/premium-applications", citizen, json={"organisation_code": HIDA})
    assert renewal.status_code == 201 and renewal.json()["renewal"] is True, renewal.text
    follow(api, citizen, HIDA, renewal.json()["id"], "awaiting_approval")
    decided = api.admin_call("POST", f"/premium-applications/{user_id}/{renewal.json()['id']}/decision", hida_staff,
                             json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["application"]["premium_expires_on"] == "2029-05-30"
    card = api("GET", f"/me/registrations/{HIDA}/card", citizen).json()
    assert (card["level"], card["premium_expires_on"]) == ("premium", "2029-05-30")
    api("POST", "/local/clock", json={"reset": True})
