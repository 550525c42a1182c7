"""The premium workflow on moto (R-PRE-1..7): the renewal function starts the deployed state machine, moto executes
it, its tasks run the premium function's handler, staff decide through the admin function."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shared import clock
from tests.handlers.conftest import staff_claims
from tests.handlers.premium_helpers import APPROVERS, HIDA, active_person, register, settings

NOW = datetime(2026, 12, 20, 10, 0, tzinfo=clock.TOKYO)


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)
    yield
    clock.reset()


def apply(renewal_api, user: str, code: str = HIDA):
    return renewal_api("POST", "/me/premium-applications", user, body={"organisation_code": code})


def test_r_pre_5_apply_judge_staff_approve_by_link_and_the_person_is_premium_for_a_year(
    register_api, admin_api, card_tap, renewal_api, premium_workflow
):
    active_person(register_api, admin_api, card_tap, "u1", email="taro@example.jp")
    settings(admin_api)
    applied = apply(renewal_api, "u1")
    assert applied.status == 201, applied.body
    application_id = applied.body["id"]
    assert applied.body["status"] == "judging"
    mails = premium_workflow.until(lambda: premium_workflow.mail_to(APPROVERS[0]), what="the approval e-mail")
    followed = renewal_api("GET", f"/me/premium-applications/{HIDA}/{application_id}", "u1")
    assert followed.body["status"] == "awaiting_approval", followed.body
    assert (followed.body["occasions_counted"], followed.body["occasions_needed"], followed.body["reasons"]) == (3, 3, [])
    assert len(mails) == 1 and set(mails[0].destinations) == set(APPROVERS)
    queue = admin_api("GET", "/premium-applications", claims=staff_claims(HIDA)).body["applications"]
    assert [a["id"] for a in queue] == [application_id]
    decided = admin_api("POST", f"/premium-applications/u1/{application_id}/decision", body={"decision": "approve"},
                        claims=staff_claims(HIDA))
    assert decided.status == 200, decided.body
    assert decided.body["application"]["status"] == "approved"
    assert decided.body["application"]["premium_expires_on"] == "2027-12-20"  # approved 2026-12-20: through 2027-12-20
    done = premium_workflow.wait(application_id)
    assert done["status"] == "SUCCEEDED", premium_workflow.entered(application_id)
    notices = renewal_api("GET", "/me/notices", "u1").body["notices"]
    assert [n["kind"] for n in notices] == ["premium_approved"]
    assert admin_api("GET", "/premium-applications", claims=staff_claims(HIDA)).body["applications"] == []
    assert len(premium_workflow.sent_mail()) == 2  # the approvers' request, then the person's outcome


def test_r_pre_1_too_few_activities_ends_ineligible_with_the_reason(
    register_api, admin_api, card_tap, renewal_api, premium_workflow
):
    active_person(register_api, admin_api, card_tap, "u1", days=(date(2026, 12, 5), date(2026, 12, 6)))
    application_id = apply(renewal_api, "u1").body["id"]
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED"
    followed = renewal_api("GET", f"/me/premium-applications/{HIDA}/{application_id}", "u1").body
    assert followed["status"] == "ineligible"
    assert [r["code"] for r in followed["reasons"]] == ["too_few_activities"]
    assert renewal_api("GET", "/me/notices", "u1").body["notices"][0]["kind"] == "premium_ineligible"


def test_r_pre_5_automatic_approval(register_api, admin_api, card_tap, renewal_api, premium_workflow):
    active_person(register_api, admin_api, card_tap, "u1")
    settings(admin_api, auto_approve=True)
    application_id = apply(renewal_api, "u1").body["id"]
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED"
    followed = renewal_api("GET", f"/me/premium-applications/{HIDA}/{application_id}", "u1").body
    assert (followed["status"], followed["premium_expires_on"]) == ("approved", "2027-12-20")


def test_a_retried_apply_starts_no_second_execution(register_api, admin_api, card_tap, renewal_api, premium_workflow):
    active_person(register_api, admin_api, card_tap, "u1")
    settings(admin_api)
    first = apply(renewal_api, "u1")
    again = apply(renewal_api, "u1")
    assert (first.status, again.status, again.body["id"]) == (201, 200, first.body["id"])
    premium_workflow.wait(first.body["id"], "AwaitStaff")
    executions = premium_workflow.client.list_executions(stateMachineArn=premium_workflow.arn)["executions"]
    assert [e["name"] for e in executions] == [first.body["id"]]


def test_not_registered_is_404(renewal_api, register_api):
    register(register_api, "u1")
    response = apply(renewal_api, "u1", "131016")
    assert response.status == 404, response.body
