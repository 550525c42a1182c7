"""The approval page on the local runtime (R-PRE-5), over HTTP as a browser uses it: a premium application waits for
staff, the approvers' e-mail is in GET /local/outbox, its link opens the page on the admin gateway (no authorizer),
the sign-in form posts form-encoded, the session cookie comes back through the local gateway and goes with the
decision; the workflow then tells the person."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import urlsplit

import jwt
import requests

HIDA = "212172"
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}
APPROVER = "approver@city.hida.example.lg.jp"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _verify(api, token: str) -> None:
    started = api("POST", "/me/verification", token, json={"share_with_organisations": True})
    assert started.status_code == 201, started.text
    answer = api.http.post(started.json()["authorization_url"], data={"decision": "approve", "preset": "tokyo-adult"},
                           allow_redirects=False, timeout=30)
    query = dict(p.split("=", 1) for p in urlsplit(answer.headers["Location"]).query.split("&"))
    done = api("POST", "/me/verification/complete", token, json={"state": query["state"], "code": query["code"]})
    assert done.status_code == 200, done.text


def _three_activities_attended(api, staff: str, user_id: str) -> None:
    today = datetime.now(timezone.utc)
    for days_ago in (12, 11, 10):
        start = (today - timedelta(days=days_ago)).replace(hour=1, minute=0, second=0, microsecond=0)
        body = {"name": f"草刈り{days_ago}", "kind": "project", "place": "古川町", "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=3)).isoformat()}
        created = api.admin_call("POST", "/activities", staff, json=body)
        assert created.status_code == 201, created.text
        entered = api.admin_call("POST", f"/activities/{created.json()['id']}/records", staff,
                                 json={"user_id": user_id, "day": start.date().isoformat()})
        assert entered.status_code == 201, entered.text


def _approval_link(api) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mails = api.admin_call("GET", "/local/outbox").json()
        links = [link for mail in mails if APPROVER in mail["to"] for link in mail["links"] if "/approval?link=" in link]
        if links:
            return links[-1]
        time.sleep(0.2)
    raise AssertionError("no approval e-mail in /local/outbox")


def test_r_pre_5_staff_approve_from_the_e_mailed_link_on_the_local_runtime(api):
    citizen = api.sign_in("approval-page@example.jp")
    registered = api("POST", "/registrations", citizen, json={"organisation_code": HIDA, "answers": ANSWERS})
    assert registered.status_code == 201, registered.text
    user_id = jwt.decode(citizen, options={"verify_signature": False})["sub"]  # the app user id staff enter records for
    _verify(api, citizen)
    staff = api.staff_sign_in(HIDA)  # local: creates editor@212172.example.lg.jp
    _three_activities_attended(api, staff, user_id)
    settings = api.admin_call("GET", "/premium-settings", staff).json()
    saved = api.admin_call("PUT", "/premium-settings", staff, json={
        **{k: v for k, v in settings.items() if k not in ("organisation_code", "updated_at", "updated_by")},
        "approver_emails": [APPROVER]})
    assert saved.status_code == 200, saved.text
    applied = api("POST", "/me/premium-applications", citizen, json={"organisation_code": HIDA})
    assert applied.status_code == 201, applied.text

    link = _approval_link(api)
    assert link.startswith(api.admin + "/approval?link=")
    browser = requests.Session()  # a browser: no Authorization header, ever
    opened = browser.get(link, timeout=30)
    assert opened.status_code == 200 and "職員サインイン" in opened.text
    assert opened.headers["Content-Type"] == "text/html; charset=utf-8" and opened.headers["Cache-Control"] == "no-store"
    token = unescape(re.search(r'name="link" value="([^"]*)"', opened.text).group(1))
    signed = browser.post(api.admin + "/approval/sign-in", headers=FORM, allow_redirects=False, timeout=30,
                          data={"link": token, "email": "editor@212172.example.lg.jp", "password": "Staff-Passw0rd!"})
    assert signed.status_code == 303, signed.text
    cookie = signed.headers["Set-Cookie"]
    assert "Path=/approval" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # requests keeps a Secure cookie for https only; a browser also sends it to http://127.0.0.1 (a secure context)
    session = {"Cookie": cookie.split(";", 1)[0]}
    page = browser.get(api.admin + signed.headers["Location"], headers=session, timeout=30)
    assert page.status_code == 200 and "承認待ち" in page.text and "東京 花子" in page.text, page.text[-2000:]
    csrf = unescape(re.search(r'name="csrf" value="([^"]*)"', page.text).group(1))
    result = browser.post(api.admin + "/approval/decision", headers={**FORM, **session}, timeout=30,
                          data={"link": token, "decision": "approve", "reason": "", "csrf": csrf})
    assert result.status_code == 200 and "承認しました" in result.text, result.text[-2000:]
    assert browser.get(link, headers=session, timeout=30).status_code == 403  # used

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        notices = api("GET", "/me/notices", citizen).json()["notices"]
        if notices:
            break
        time.sleep(0.2)
    assert [n["kind"] for n in notices] == ["premium_approved"]
