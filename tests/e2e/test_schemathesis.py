"""Schemathesis against both APIs on the local runtime (issue 6: real clients agree with the OpenAPI). Every operation
of the committed documents gets requests generated from its schema, positive and negative, and requests aimed at
seeded data (a citizen registered with 飛騨市, activities, a check-in, applications, evidence); each response must
pass not_a_server_error, status_code_conformance, content_type_conformance and response_schema_conformance, and
every operation must reach a 2xx at least once: a run that never succeeded would prove nothing.

Bounded: a fixed seed (derandomize) and MAX_EXAMPLES per operation. Destructive operations each get their own target
(an activity to cancel, a registration to withdraw, an application to withdraw, evidence to accept and to reject),
so the order they run in breaks no other operation's success. A runtime of its own: other tests move the clock."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections import Counter
from html import unescape
from urllib.parse import parse_qs, urlsplit
from dataclasses import dataclass, field
from pathlib import Path
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local import openapi
from local.process import RuntimeDidNotStart, local_runtime
from tests.e2e.conftest import Api

PRELAUNCH_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "prelaunch_sample.csv"
MAX_EXAMPLES = 20  # per operation; with the seeded ones, about a minute for both APIs on 2 cores
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HIDA, KESENNUMA, MINAMISANRIKU = "212172", "042056", "046060"
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"]}
SCHEMAS = {api: schemathesis.openapi.from_path(str(openapi.path_for(api))) for api in ("app", "admin")}
OPERATIONS = [
    (api, f"{operation.method.upper()} {operation.path}")
    for api, schema in SCHEMAS.items()
    for operation in (result.ok() for result in schema.get_all_operations())
]


@dataclass
class Seeded:
    """Known-good values per operation: path parameters and, where random bodies rarely succeed, a body."""

    api: Api
    citizen: str
    staff: str
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)


def _activity(api: Api, staff: str, name: str, starts: datetime, ends: datetime, **extra) -> str:
    body = {"name": name, "kind": "project", "starts_at": starts.isoformat(), "ends_at": ends.isoformat(), "place": "飛騨市古川町"}
    created = api.admin_call("POST", "/activities", staff, json=body | extra)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _uploaded_evidence(api: Api, citizen: str, activity_id: str, day: str, submit: bool) -> str:
    started = api("POST", "/me/evidence", citizen, json={
        "organisation_code": HIDA, "activity_id": activity_id, "day": day, "content_type": "image/png", "size_bytes": 8,
    })
    assert started.status_code == 201, started.text
    form = started.json()["upload"]
    uploaded = api.http.post(form["url"], data=form["fields"], files={"file": ("p.png", b"\x89PNG\r\n\x1a\n")}, timeout=10)
    assert uploaded.status_code in (200, 204), uploaded.text
    evidence_id = started.json()["evidence"]["id"]
    if submit:
        submitted = api("POST", f"/me/evidence/{HIDA}/{evidence_id}/submit", citizen)
        assert submitted.status_code == 200, submitted.text
    return evidence_id


def _provider_callback(api: Api, citizen: str, person: dict) -> dict:
    """Start a verification and approve it at the development provider: the code and state the app gets back."""
    started = api("POST", "/me/verification", citizen, json={"share_with_organisations": True})
    assert started.status_code == 201, started.text
    callback = api.http.post(started.json()["authorization_url"], data={"decision": "approve", **person}, timeout=30)
    assert callback.status_code == 200, callback.text
    return callback.json()


APPROVER = "furusato@city.hida.example.lg.jp"
STAFF_PASSWORD = "Staff-Passw0rd!"  # tests/e2e/conftest.py Api.staff_sign_in
FORM = "application/x-www-form-urlencoded"


def _premium_applicant(api: Api, staff: str, code: str, attended) -> tuple[str, str, str, str]:
    """A citizen verified with a Tokyo address, a QR check-in and two staff-entered records at 飛騨市, whose premium
    application waits for staff: (token, user id, application id, the e-mailed approval link's token)."""
    applicant = api.sign_in(f"schemathesis-premium-{uuid.uuid4().hex[:8]}@example.jp")
    registered = api("POST", "/registrations", applicant, json={"organisation_code": HIDA, "answers": ANSWERS})
    assert registered.status_code == 201, registered.text
    tokyo = {"name": f"申請 {uuid.uuid4().hex[:6]}", "address": "東京都千代田区霞が関1-1-1", "postal_code": "100-0013",
             "birthdate": "1980-01-01", "gender": "male"}
    verified = api("POST", "/me/verification/complete", applicant, json=_provider_callback(api, applicant, tokyo))
    assert verified.status_code == 200, verified.text
    scanned = api("POST", "/checkins", applicant, json={"code": code})
    assert scanned.status_code == 201, scanned.text
    user_id = scanned.json()["record"]["user_id"]
    for activity_id, day in attended:
        entered = api.admin_call("POST", f"/activities/{activity_id}/records", staff, json={"user_id": user_id, "day": day})
        assert entered.status_code == 201, entered.text
    applied = api("POST", "/me/premium-applications", applicant, json={"organisation_code": HIDA})
    assert applied.status_code == 201, applied.text
    application_id = applied.json()["id"]
    for _ in range(300):
        for mail in api.admin_call("GET", "/local/outbox").json():
            for link in mail["links"]:
                token = parse_qs(urlsplit(link).query).get("link", [""])[0]
                claims = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=" * (-len(token.split(".")[0]) % 4)) or b"{}") if token else {}
                if claims.get("a") == application_id:
                    return applicant, user_id, application_id, token
        time.sleep(0.1)
    raise AssertionError(f"no approval e-mail for {application_id}")


def _approval_session(api: Api, link: str) -> tuple[str, str]:
    """Sign in on the approval page as 飛騨市's editor: the session cookie and the page's CSRF token."""
    browser = requests.Session()
    signed = browser.post(api.admin + "/approval/sign-in", data={"link": link, "email": "editor@212172.example.lg.jp",
                          "password": STAFF_PASSWORD}, allow_redirects=False, timeout=30)
    assert signed.status_code == 303, signed.text
    cookie = signed.headers["Set-Cookie"].split(";", 1)[0]
    page = browser.get(api.admin + signed.headers["Location"], headers={"Cookie": cookie}, timeout=30)
    assert page.status_code == 200, page.text
    return cookie, unescape(re.search(r'name="csrf" value="([^"]*)"', page.text).group(1))


def seed_data(api: Api) -> Seeded:
    now = datetime.fromisoformat(api("POST", "/local/clock", json={"reset": True}).json()["now"])
    today = now.date().isoformat()
    staff = api.staff_sign_in(HIDA)
    citizen = api.sign_in(f"schemathesis-{uuid.uuid4().hex[:8]}@example.jp")
    for code in (HIDA, KESENNUMA):
        answers = ANSWERS | ({"own_fan_club": "member"} if code == KESENNUMA else {})
        registered = api("POST", "/registrations", citizen, json={"organisation_code": code, "answers": answers})
        assert registered.status_code == 201, registered.text

    running = (now - timedelta(minutes=10), now + timedelta(hours=2))
    main = _activity(api, staff, "雪下ろし", *running, recruiting=True)
    to_edit = _activity(api, staff, "草刈り", *running)
    to_cancel = _activity(api, staff, "中止予定の清掃", *running)
    to_apply = _activity(api, staff, "祭りの準備", *running, recruiting=True)
    to_withdraw = _activity(api, staff, "朝市の手伝い", *running, recruiting=True)
    # Yesterday noon in Japan, so its day is a past day whatever the hour the run starts (a run just after midnight
    # Tokyo time once had "now - 3 h" on yesterday and "today" on today: evidence for a day the activity never had).
    yesterday_noon = (now - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    earlier = _activity(api, staff, "見守り活動", yesterday_noon, yesterday_noon + timedelta(hours=2))
    earlier_day = yesterday_noon.date().isoformat()

    code = api.admin_call("GET", f"/activities/{main}/checkin-code", staff).json()["url"]
    checked_in = api("POST", "/checkins", citizen, json={"code": code})
    assert checked_in.status_code == 201, checked_in.text
    user_id = checked_in.json()["record"]["user_id"]
    for activity_id in (main, to_withdraw):
        applied = api("POST", f"/organisations/{HIDA}/activities/{activity_id}/applications", citizen, json={})
        assert applied.status_code == 201, applied.text
    to_submit, to_view, to_accept, to_reject = (
        _uploaded_evidence(api, citizen, earlier, earlier_day, submit=submit) for submit in (False, True, True, True)
    )

    def request(path: dict | None = None, body: Any = None, media_type: str = "application/json", token: str | None = None,
                query: dict | None = None, headers: dict | None = None):
        return {"path_parameters": path, "body": body, "media_type": media_type if body is not None else None, "token": token,
                "query": query, "headers": headers}

    # Deleting the account is the one operation that would end the seeded citizen: it deletes one of its own.
    leaving = api.sign_in(f"schemathesis-leaving-{uuid.uuid4().hex[:8]}@example.jp")
    registered = api("POST", "/registrations", leaving, json={"organisation_code": HIDA, "answers": ANSWERS})
    assert registered.status_code == 201, registered.text

    # Identity verification: a card tap completed (two near matches offered: one to confirm, one to decline), and a
    # second one brought back from the provider for schemathesis to complete (a state and a code work once).
    person = {"name": f"試験 {uuid.uuid4().hex[:6]}", "address": "岐阜県飛騨市古川町本町2-22", "postal_code": "509-4225",
              "birthdate": "1985-03-03", "gender": "female"}
    rows = "".join(
        f"N{n},清掃{n},2026年5月{n}日 9:00,2026年5月{n}日 11:00,古川町,,{person['name']},100-0013,東京都千代田区霞が関1-1-1,1985/3/3,女性\n"
        for n in (1, 2)
    )
    header = "ID,活動名,活動開始日時,活動終了日時,活動場所,参加条件,氏名,郵便番号,住所(除郵便番号),生年月日,性別\n"
    imported = api.admin_call("POST", "/prelaunch-imports", staff, data=(header + rows).encode(), headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    completed = api("POST", "/me/verification/complete", citizen, json=_provider_callback(api, citizen, person))
    assert completed.status_code == 200 and completed.json()["offered_matches"] == 2, completed.text
    offers = api("GET", "/me/prelaunch-matches", citizen).json()["matches"]
    spare_callback = _provider_callback(api, citizen, person)

    # Premium (R-PRE-5): verified citizens living in Tokyo with three records at 飛騨市 apply; the state machine judges
    # (executed by moto), the applications wait for staff and the approvers are e-mailed a link each. One application
    # per operation that uses one up: the JSON decision, and the approval page's three routes.
    premium_body = {"activities_needed": 3, "long_stay_marker": True, "approver_emails": [APPROVER], "version": 0}
    saved = api.admin_call("PUT", "/premium-settings", staff, json=premium_body)
    assert saved.status_code == 200, saved.text
    two_days_ago = yesterday_noon - timedelta(days=1)
    before = _activity(api, staff, "花壇の手入れ", two_days_ago, two_days_ago + timedelta(hours=2))
    attended = ((earlier, earlier_day), (before, two_days_ago.date().isoformat()))
    applicant, applicant_id, application_id, _ = _premium_applicant(api, staff, code, attended)
    _, _, _, page_link = _premium_applicant(api, staff, code, attended)
    _, _, _, sign_in_link = _premium_applicant(api, staff, code, attended)
    _, _, _, decision_link = _premium_applicant(api, staff, code, attended)
    cookie, csrf = _approval_session(api, decision_link)
    # The registrant export: one asked for (the background poller writes it), for GET /registrants/exports/{id}
    exported = api.admin_call("POST", "/registrants/exports", staff, json={})
    assert exported.status_code == 202, exported.text
    export_id = exported.json()["id"]

    evidence_body = {"organisation_code": HIDA, "activity_id": earlier, "day": earlier_day, "content_type": "image/png", "size_bytes": 8}
    app = {
        "GET /organisations/{code}": request({"code": HIDA}),
        "GET /postal-codes/{postal_code}": request({"postal_code": "506-0000"}),
        "POST /registrations": request(body={"organisation_code": MINAMISANRIKU, "answers": ANSWERS}),
        "GET /me/registrations/{code}/card": request({"code": HIDA}),
        "DELETE /me/registrations/{code}": request({"code": KESENNUMA}),  # withdrawn once, 404 after: its own target
        "POST /organisations/{code}/activities/{activity_id}/applications": request(
            {"code": HIDA, "activity_id": to_apply}, {"message": "参加します"}
        ),
        "DELETE /organisations/{code}/activities/{activity_id}/applications": request({"code": HIDA, "activity_id": to_withdraw}),
        "POST /checkins": request(body={"code": code}),
        "GET /me/records/{code}": request({"code": HIDA}),
        "POST /me/evidence": request(body=evidence_body),
        "GET /me/evidence/{code}": request({"code": HIDA}),
        "POST /me/evidence/{code}/{evidence_id}/submit": request({"code": HIDA, "evidence_id": to_submit}),
        "DELETE /me": request(token=leaving),
        "POST /me/verification/complete": request(body=spare_callback),
        "POST /me/prelaunch-matches/{code}/{match_id}/confirm": request({"code": HIDA, "match_id": offers[0]["id"]}),
        "DELETE /me/prelaunch-matches/{code}/{match_id}": request({"code": HIDA, "match_id": offers[1]["id"]}),
        "POST /me/premium-applications": request(body={"organisation_code": HIDA}, token=applicant),  # the open one
        "GET /me/premium-applications/{code}/{application_id}": request(
            {"code": HIDA, "application_id": application_id}, token=applicant
        ),
    }
    admin = {
        "POST /activities": request(body={
            "name": "川の清掃", "kind": "project", "place": "飛騨市神岡町",
            "starts_at": running[0].isoformat(), "ends_at": running[1].isoformat(),
        }),
        "GET /activities/{activity_id}": request({"activity_id": main}),
        "PATCH /activities/{activity_id}": request({"activity_id": to_edit}, {"name": "草刈り（午後）"}),
        "POST /activities/{activity_id}/cancel": request({"activity_id": to_cancel}),
        "GET /activities/{activity_id}/checkin-code": request({"activity_id": main}),
        "GET /activities/{activity_id}/records": request({"activity_id": main}),
        "POST /activities/{activity_id}/records": request({"activity_id": main}, {"user_id": user_id, "day": today}),
        "POST /prelaunch-imports": request(body=PRELAUNCH_SAMPLE.read_bytes(), media_type="text/csv"),
        "GET /activities/{activity_id}/applications": request({"activity_id": main}),
        "PUT /activities/{activity_id}/applications/{user_id}/decision": request(
            {"activity_id": main, "user_id": user_id}, {"status": "accepted"}
        ),
        "GET /registrants": request(query={"limit": 10, "relationship": "birthplace"}),
        "POST /registrants/exports": request(body={"relationship": "birthplace"}),
        "GET /registrants/exports/{export_id}": request({"export_id": export_id}),
        "GET /registrants/{user_id}": request({"user_id": user_id}),
        "GET /registrants/{user_id}/records": request({"user_id": user_id}),
        "GET /evidence/{user_id}/{evidence_id}": request({"user_id": user_id, "evidence_id": to_view}),
        "POST /evidence/{user_id}/{evidence_id}/accept": request({"user_id": user_id, "evidence_id": to_accept}),
        "POST /evidence/{user_id}/{evidence_id}/reject": request(
            {"user_id": user_id, "evidence_id": to_reject}, {"reason": "写真が不鮮明です"}
        ),
        "GET /premium-applications/{user_id}/{application_id}": request(
            {"user_id": applicant_id, "application_id": application_id}
        ),
        # Approved once; the same decision by the same staff member again answers again (a retry).
        "POST /premium-applications/{user_id}/{application_id}/decision": request(
            {"user_id": applicant_id, "application_id": application_id}, {"decision": "approve"}
        ),
        # Saved at version 0 by the seed: the same body again is the same write, done (R-ADM-2).
        "PUT /premium-settings": request(body=premium_body),
        # The approval page (a browser: form posts, a session cookie), each on its own application's link.
        "GET /approval": request(query={"link": page_link}),
        "POST /approval/sign-in": request(
            body={"link": sign_in_link, "email": "editor@212172.example.lg.jp", "password": STAFF_PASSWORD}, media_type=FORM
        ),
        "POST /approval/decision": request(
            body={"link": decision_link, "decision": "approve", "reason": "", "csrf": csrf}, media_type=FORM,
            headers={"Cookie": cookie},
        ),
    }
    return Seeded(api, citizen, staff, {**{f"app {k}": v for k, v in app.items()}, **{f"admin {k}": v for k, v in admin.items()}})


@pytest.fixture(scope="module")
def seeded():
    try:
        with local_runtime() as runtime:
            yield seed_data(Api(runtime.app, runtime.moto, runtime.admin))
    except RuntimeDidNotStart as error:
        pytest.fail(str(error))


def _strategy(operation, known: dict[str, Any] | None):
    """Generated requests (valid and invalid), and, where seeded values exist, requests on the seeded resources:
    with the known body, and with a generated one."""
    strategies = [operation.as_strategy(), operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)]
    if known and (known["path_parameters"] or known["body"] is not None or known.get("query")):
        fixed = {"path_parameters": known["path_parameters"]} if known["path_parameters"] else {}
        if known.get("query"):
            fixed["query"] = known["query"]
        strategies.insert(0, operation.as_strategy(**fixed))
        if known["body"] is not None:
            strategies.insert(0, operation.as_strategy(**fixed, body=known["body"], media_type=known["media_type"]))
    return st.one_of(strategies)


def test_every_operation_is_covered():
    documented = {(api, f"{method.upper()} {path}") for api in SCHEMAS for path, ops in openapi.build(api)["paths"].items() for method in ops}
    assert set(OPERATIONS) == documented


@pytest.mark.parametrize(("api_name", "label"), OPERATIONS, ids=[f"{a} {l}" for a, l in OPERATIONS])
def test_schemathesis_finds_nothing_and_reaches_a_success(seeded, api_name, label):
    operation = SCHEMAS[api_name].find_operation_by_label(label)
    known = seeded.requests.get(f"{api_name} {label}")
    base = seeded.api.base if api_name == "app" else seeded.api.admin
    token = (known or {}).get("token") or (seeded.citizen if api_name == "app" else seeded.staff)
    headers = {"Authorization": token, **((known or {}).get("headers") or {})}
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
    )
    @given(case=_strategy(operation, known))
    def run(case):
        response = case.call(base_url=base, headers=headers, timeout=30)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()
    # A form's success is a 303 to the page (POST/redirect/GET) where the operation documents one.
    documented = SCHEMAS[api_name].raw_schema["paths"][operation.path][operation.method.lower()]["responses"]
    succeeded = {s for s in statuses if 200 <= s < 300 or (s == 303 and "303" in documented)}
    assert succeeded, f"{label} never succeeded: {dict(statuses)}"
