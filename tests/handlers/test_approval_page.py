"""The approval page the e-mailed link opens (R-PRE-5, R-PRIV-2), on moto: the premium workflow waits on its task
token, the approvers' e-mail carries the signed link, staff sign in on the page with the staff pool (InitiateAuth,
the ID token verified against the pool's JWKS), see the application and decide; the execution resumes and the link
stops working."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from local.outbox import read
from shared import clock
from shared.dal import aws
from shared.dal.approval_keys import ApprovalKeys
from shared.domain import approval_link, approval_session
from shared.web.approval_page import STYLE_SOURCE
from tests.handlers.conftest import Browser
from tests.handlers.premium_helpers import APPROVERS, HIDA, active_person, settings

NOW = datetime(2026, 12, 20, 10, 0, tzinfo=clock.TOKYO)
TAKAYAMA = "212032"  # 高山市, 飛騨市's neighbour
EDITOR, VIEWER, OTHER = "shomu@city.hida.test", "etsuran@city.hida.test", "shomu@city.takayama.test"


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)
    yield
    clock.reset()


@pytest.fixture
def staff(staff_pool):
    staff_pool.account(EDITOR, HIDA, "editor")
    staff_pool.account(VIEWER, HIDA, "viewer")
    staff_pool.account(OTHER, TAKAYAMA, "editor")
    return staff_pool


@pytest.fixture
def waiting(register_api, admin_api, card_tap, renewal_api, premium_workflow, staff):
    """u1 (verified as 東京 花子, three activities at 飛騨市) applied and waits for staff: (application id, the token of
    the link e-mailed to the approvers)."""
    active_person(register_api, admin_api, card_tap, "u1", email="hanako@example.jp")
    settings(admin_api, extra_conditions=["市内の活動団体からの推薦があること"])
    applied = renewal_api("POST", "/me/premium-applications", "u1", body={"organisation_code": HIDA})
    assert applied.status == 201, applied.body
    mails = premium_workflow.until(lambda: premium_workflow.mail_to(APPROVERS[0]), what="the approval e-mail")
    (link,) = [u for u in read(mails[0])["links"] if "/approval?" in u]
    assert link.startswith("https://admin.furusato.test/v1/approval?link=")
    return applied.body["id"], parse_qs(urlsplit(link).query)["link"][0]


def csrf_of(html: str) -> str:
    return unescape(re.search(r'name="csrf" value="([^"]*)"', html).group(1))


def signed_in(admin_api, token: str, email: str = EDITOR) -> Browser:
    browser = Browser(admin_api)
    response = browser.sign_in(token, email)
    assert response.status == 303, response.body
    return browser


def test_r_pre_5_approve_on_the_page_resumes_the_execution_and_the_link_works_once(
    admin_api, renewal_api, premium_workflow, waiting
):
    application_id, token = waiting
    browser = Browser(admin_api)
    first = browser.open(token)
    assert first.status == 200 and 'action="/v1/approval/sign-in"' in first.body and "職員サインイン" in first.body
    assert "東京" not in first.body and "u1" not in first.body  # nothing of the applicant before sign-in

    signed = browser.sign_in(token, EDITOR)
    assert signed.status == 303
    assert signed.headers["Location"] == f"/v1/approval?link={token}"
    (cookie,) = browser.set_cookies
    assert cookie.startswith(f"{approval_session.COOKIE_NAME}=")
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/v1/approval", "Max-Age=1800"):
        assert attribute in cookie.split("; "), cookie

    page = browser.open(token)
    assert page.status == 200, page.body
    for shown in ("飛騨市", "承認待ち", "3回（必要な回数 3回）", "市内の活動団体からの推薦があること", "東京 花子",
                  "利用者ID u1", "雪下ろしボランティア", "2026年12月5日", "新規の申請"):
        assert shown in page.body, shown
    assert "hanako@example.jp" not in page.body and "1985" not in page.body  # R-PRIV-2: no more than staff need

    result = browser.post("/approval/decision", link=token, decision="approve", reason="", csrf=csrf_of(page.body))
    assert result.status == 200, result.body
    assert "承認しました" in result.body and "2027年12月20日" in result.body
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED", premium_workflow.entered(application_id)
    followed = renewal_api("GET", f"/me/premium-applications/{HIDA}/{application_id}", "u1").body
    assert (followed["status"], followed["premium_expires_on"]) == ("approved", "2027-12-20")

    again = browser.open(token)  # the decision ended the link
    assert again.status == 403 and "このリンクは使えません" in again.body
    twice = browser.post("/approval/decision", link=token, decision="approve", reason="", csrf=csrf_of(page.body))
    assert twice.status == 403 and "このリンクは使えません" in twice.body


def test_r_pre_5_reject_needs_a_reason_and_the_person_reads_it(admin_api, renewal_api, premium_workflow, waiting):
    application_id, token = waiting
    browser = signed_in(admin_api, token)
    page = browser.open(token)
    missing = browser.post("/approval/decision", link=token, decision="reject", reason="  ", csrf=csrf_of(page.body))
    assert missing.status == 422 and 'aria-describedby="reason-hint reason-error"' in missing.body
    assert 'id="reason-error"' in missing.body and "理由を入力してください" in missing.body
    nothing = browser.post("/approval/decision", link=token, reason="", csrf=csrf_of(page.body))
    assert nothing.status == 422 and 'id="decision-error"' in nothing.body
    rejected = browser.post("/approval/decision", link=token, decision="reject", reason="推薦書が確認できません",
                            csrf=csrf_of(missing.body))
    assert rejected.status == 200 and "不承認にしました" in rejected.body and "推薦書が確認できません" in rejected.body
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED"
    notice = renewal_api("GET", "/me/notices", "u1").body["notices"][0]
    assert notice["kind"] == "premium_rejected" and "推薦書が確認できません" in notice["body"]


def test_r_pre_5_a_wrong_password_shows_the_form_again_with_a_japanese_error(admin_api, waiting):
    _, token = waiting
    browser = Browser(admin_api)
    wrong = browser.sign_in(token, EDITOR, "Wrong-Passw0rd!")
    assert wrong.status == 401 and "メールアドレスまたはパスワードが違います" in wrong.body
    assert 'aria-describedby="sign-in-error"' in wrong.body and f'value="{EDITOR}"' in wrong.body
    assert browser.set_cookies == []
    unknown = browser.sign_in(token, "nobody@city.hida.test")
    assert unknown.status == 401 and "メールアドレスまたはパスワードが違います" in unknown.body


def test_r_priv_2_staff_of_another_organisation_see_nothing(admin_api, waiting):
    _, token = waiting
    browser = Browser(admin_api)
    refused = browser.sign_in(token, OTHER)
    assert refused.status == 403 and "この申請は表示できません" in refused.body
    assert browser.set_cookies == [] and "u1" not in refused.body
    # a session of 高山市 (signed in from a link of its own) opening 飛騨市's link
    session = approval_session.sign(_keys().session, approval_session.StaffSession(
        sub="s-takayama", code=TAKAYAMA, roles=("editor",), expires_at=NOW + timedelta(minutes=30)))
    browser.cookies[approval_session.COOKIE_NAME] = session
    opened = browser.open(token)
    assert opened.status == 403 and "東京 花子" not in opened.body and "u1" not in opened.body


def test_r_pre_5_a_viewer_sees_the_application_but_cannot_decide(admin_api, waiting):
    application_id, token = waiting
    browser = signed_in(admin_api, token, VIEWER)
    page = browser.open(token)
    assert page.status == 200 and "閲覧者" in page.body and 'name="csrf"' not in page.body
    csrf = approval_session.csrf_token(_keys().session, browser.cookies[approval_session.COOKIE_NAME], application_id)
    refused = browser.post("/approval/decision", link=token, decision="approve", reason="", csrf=csrf)
    assert refused.status == 403 and "承認する権限がありません" in refused.body
    assert "承認待ち" in browser.open(token).body  # nothing decided


def test_r_pre_5_a_decision_without_the_forms_token_is_refused(admin_api, premium_workflow, waiting):
    application_id, token = waiting
    browser = signed_in(admin_api, token)
    assert browser.post("/approval/decision", link=token, decision="approve", reason="").status == 403
    other_session = approval_session.sign(_keys().session, approval_session.StaffSession(
        sub="another", code=HIDA, roles=("editor",), expires_at=NOW + timedelta(minutes=30)))
    stolen = approval_session.csrf_token(_keys().session, other_session, application_id)  # another session's token
    refused = browser.post("/approval/decision", link=token, decision="approve", reason="", csrf=stolen)
    assert refused.status == 403 and "このフォームは使えません" in refused.body
    assert premium_workflow.describe(application_id)["status"] == "RUNNING"


def test_r_pre_5_without_a_session_the_decision_asks_to_sign_in_again(admin_api, waiting):
    _, token = waiting
    browser = signed_in(admin_api, token)
    csrf = csrf_of(browser.open(token).body)
    clock.freeze(NOW + timedelta(minutes=31))  # the session lasts 30 minutes
    expired = browser.post("/approval/decision", link=token, decision="approve", reason="", csrf=csrf)
    assert expired.status == 401 and "サインインの有効期限が切れました" in expired.body and 'name="password"' in expired.body


def test_r_pre_5_an_expired_or_altered_link_shows_only_that_it_does_not_work(admin_api, waiting):
    _, token = waiting
    browser = signed_in(admin_api, token)
    body, signature = token.split(".")
    for bad in ("", "nonsense", f"{body}.{signature[:-2]}AA", f"{body[:-2]}AA.{signature}"):
        refused = browser.open(bad)
        assert refused.status == 403 and "このリンクは使えません" in refused.body, bad
    link = approval_link.verify(_keys().link, token, NOW)
    clock.freeze(link.expires_at + timedelta(seconds=1))
    expired = browser.open(token)
    assert expired.status == 403 and "このリンクは使えません" in expired.body and "u1" not in expired.body
    assert browser.sign_in(token, EDITOR).status == 403  # no sign-in either


def test_the_pages_answer_with_the_security_headers(admin_api, waiting):
    _, token = waiting
    response = Browser(admin_api).open(token)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    policy = response.headers["Content-Security-Policy"]
    assert policy == (f"default-src 'none'; style-src {STYLE_SOURCE}; form-action 'self'; frame-ancestors 'none'; "
                      "base-uri 'none'")


def test_a_body_no_form_sends_is_problem_json(admin_api, waiting):
    _, token = waiting
    response = admin_api("POST", "/approval/sign-in", body={"link": token}, headers={})
    assert response.status == 415 and response.headers["Content-Type"] == "application/problem+json"


def _keys() -> ApprovalKeys:
    import json
    import os

    text = aws.client("secretsmanager").get_secret_value(SecretId=os.environ["APPROVAL_SECRET"])["SecretString"]
    return ApprovalKeys.from_value(json.loads(text)["key"])


def test_r_pre_5_sign_in_with_the_authenticator_code_as_the_deployed_pool_requires(admin_api, staff, waiting):
    """Deployed, the staff pool requires TOTP MFA: the password step answers SOFTWARE_TOKEN_MFA, a second form takes
    the code (Cognito's session in a hidden field), RespondToAuthChallenge signs in. moto accepts any code."""
    _, token = waiting
    cognito = staff.cognito
    email = staff.account("mfa@city.hida.test", HIDA, "editor")
    tokens = cognito.initiate_auth(ClientId=staff.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": email, "PASSWORD": "Staff-Passw0rd!"})["AuthenticationResult"]
    cognito.associate_software_token(AccessToken=tokens["AccessToken"])
    cognito.verify_software_token(AccessToken=tokens["AccessToken"], UserCode="123456")
    cognito.admin_set_user_mfa_preference(UserPoolId=staff.pool_id, Username=email,
                                          SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    browser = Browser(admin_api)
    asked = browser.sign_in(token, email)
    assert asked.status == 200 and "確認コード" in asked.body and 'autocomplete="one-time-code"' in asked.body
    assert browser.set_cookies == []
    session = unescape(re.search(r'name="session" value="([^"]*)"', asked.body).group(1))
    stale = browser.post("/approval/sign-in", link=token, email=email, session="not-a-session", code="123456")
    assert stale.status == 401 and "サインインをやり直してください" in stale.body
    done = browser.post("/approval/sign-in", link=token, email=email, session=session, code="123456")
    assert done.status == 303 and browser.cookies
    assert "承認待ち" in browser.open(token).body
