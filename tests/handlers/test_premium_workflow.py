"""The premium workflow on moto (R-PRE-1..7): the renewal function starts the deployed state machine, moto executes
it, its tasks run the premium function's handler, staff decide through the admin function."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shared import clock
from tests.handlers.conftest import staff_claims
from tests.handlers.premium_helpers import (
    AMA,
    APPROVERS,
    GIFU,
    HIDA,
    KESENNUMA,
    MINAMISANRIKU,
    NAGANO,
    SHIMANE,
    active_person,
    attend,
    designate,
    premium_at,
    register,
    settings,
)

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


# --- the card (R-CARD-1, R-PRE-6, R-PRE-7) -----------------------------------------------------------------------------


def test_r_card_1_the_card_shows_premium_its_expiry_and_the_long_stay_marker_then_lapses(
    register_api, admin_api, card_tap, renewal_api, premium_workflow
):
    active_person(register_api, admin_api, card_tap, "u1")
    settings(admin_api, auto_approve=True, long_stay_marker=True, long_stay_min_days=3)
    application_id = apply(renewal_api, "u1").body["id"]
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED"
    card = register_api("GET", f"/me/registrations/{HIDA}/card", "u1").body
    assert (card["level"], card["level_label"], card["premium_expires_on"], card["long_stay"]) == (
        "premium", "プレミアム登録", "2027-12-20", True)
    listed = register_api("GET", "/me/registrations", "u1").body["registrations"]
    assert {r["organisation"]["code"]: r["level"] for r in listed}[HIDA] == "premium"
    clock.freeze(datetime(2027, 12, 20, 23, 59, tzinfo=clock.TOKYO))  # the last day: still premium
    assert register_api("GET", f"/me/registrations/{HIDA}/card", "u1").body["level"] == "premium"
    clock.freeze(datetime(2027, 12, 21, 0, 0, tzinfo=clock.TOKYO))  # derived from the date: nothing had to flip
    lapsed = register_api("GET", f"/me/registrations/{HIDA}/card", "u1").body
    assert (lapsed["level"], lapsed["premium_expires_on"], lapsed["long_stay"]) == ("basic", None, False)


# --- the limit of three (R-PRE-4): the guideline's five examples through the workflow ---------------------------------

EXAMPLES = {
    # (held, applied for, allowed)
    "example_1_X_in_A_Y_in_B_Z_in_C": ([KESENNUMA, HIDA], AMA, True),
    "example_2_X_Y_in_A_Z_in_B": ([KESENNUMA, MINAMISANRIKU], HIDA, True),
    "example_3_X_Y_in_A_prefecture_B_alone": ([KESENNUMA, MINAMISANRIKU], GIFU, True),
    "example_4_X_Y_Z_and_prefecture_D_alone": ([KESENNUMA, HIDA, AMA], NAGANO, False),
    "example_5_X_Y_in_A_prefecture_B_and_prefecture_C_alone": ([KESENNUMA, MINAMISANRIKU, GIFU], SHIMANE, False),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_r_pre_4_the_guidelines_five_examples_through_the_workflow(
    name, register_api, admin_api, card_tap, renewal_api, premium_workflow, moto
):
    held, candidate, allowed = EXAMPLES[name]
    for code in held:
        register(register_api, "u1", code)
    active_person(register_api, admin_api, card_tap, "u1", codes=(candidate,))
    for code in held:
        premium_at(moto, "u1", code, date(2027, 6, 30))
    settings(admin_api, candidate, auto_approve=True)
    application_id = apply(renewal_api, "u1", candidate).body["id"]
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED"
    followed = renewal_api("GET", f"/me/premium-applications/{candidate}/{application_id}", "u1").body
    assert followed["status"] == ("approved" if allowed else "ineligible"), followed
    assert [r["code"] for r in followed["reasons"]] == ([] if allowed else ["limit_reached"])


def test_r_pre_4_two_approvals_racing_cannot_make_a_fourth_premium_organisation(
    register_api, admin_api, card_tap, renewal_api, premium_workflow, moto, monkeypatch
):
    """Premium at 気仙沼市 and 飛騨市; applications to 海士町 and 南三陸町 wait for staff. The second approval reads the
    person's premium organisations, then the first commits before it writes: its transaction fails on the guard, it
    reads again and ends ineligible (limit_reached). One transactional guard, whatever the interleaving."""
    from shared.dal.premium import PremiumRepository

    for code in (KESENNUMA, HIDA):
        register(register_api, "u1", code)
    active_person(register_api, admin_api, card_tap, "u1", codes=(AMA, MINAMISANRIKU))
    for code in (KESENNUMA, HIDA):
        premium_at(moto, "u1", code, date(2027, 6, 30))
    waiting = {}
    for code in (AMA, MINAMISANRIKU):
        settings(admin_api, code)
        waiting[code] = apply(renewal_api, "u1", code).body["id"]
    for code, application_id in waiting.items():
        premium_workflow.until(lambda: renewal_api("GET", f"/me/premium-applications/{code}/{application_id}", "u1")
                               .body["status"] == "awaiting_approval", what=f"{code} waiting")
    original = PremiumRepository.decide
    interleaved = []

    def decide(self, application, *args, **kwargs):
        if application.organisation_code == MINAMISANRIKU and not interleaved:
            interleaved.append(True)  # the 海士町 approval lands between this one's reads and its write
            first = admin_api("POST", f"/premium-applications/u1/{waiting[AMA]}/decision",
                              body={"decision": "approve"}, claims=staff_claims(AMA))
            assert first.body["application"]["status"] == "approved"
        return original(self, application, *args, **kwargs)

    monkeypatch.setattr(PremiumRepository, "decide", decide)
    second = admin_api("POST", f"/premium-applications/u1/{waiting[MINAMISANRIKU]}/decision",
                       body={"decision": "approve"}, claims=staff_claims(MINAMISANRIKU))
    assert second.status == 200, second.body
    assert second.body["application"]["status"] == "ineligible"
    assert [r["code"] for r in second.body["application"]["judgement"]["reasons"]] == ["limit_reached"]
    cards = {code: register_api("GET", f"/me/registrations/{code}/card", "u1").body["level"]
             for code in (KESENNUMA, HIDA, AMA, MINAMISANRIKU)}
    assert cards == {KESENNUMA: "premium", HIDA: "premium", AMA: "premium", MINAMISANRIKU: "basic"}


# --- renewal (R-PRE-6) ------------------------------------------------------------------------------------------------


def test_r_pre_6_renewal_counts_only_the_current_premium_year_and_extends_from_the_old_expiry(
    register_api, admin_api, card_tap, renewal_api, premium_workflow
):
    active_person(register_api, admin_api, card_tap, "u1")
    settings(admin_api, auto_approve=True)
    assert premium_workflow.wait(apply(renewal_api, "u1").body["id"])["status"] == "SUCCEEDED"  # through 2027-12-20
    clock.freeze(datetime(2027, 6, 1, 10, 0, tzinfo=clock.TOKYO))
    early = apply(renewal_api, "u1")
    assert (early.status, early.body["type"].rsplit("/", 1)[-1]) == (409, "renewal-not-open"), early.body
    clock.freeze(datetime(2027, 11, 1, 10, 0, tzinfo=clock.TOKYO))  # within the 60 days before the expiry
    first_try = apply(renewal_api, "u1")
    assert first_try.status == 201 and first_try.body["renewal"] is True
    assert premium_workflow.wait(first_try.body["id"])["status"] == "SUCCEEDED"
    refused = renewal_api("GET", f"/me/premium-applications/{HIDA}/{first_try.body['id']}", "u1").body
    assert (refused["status"], refused["occasions_counted"]) == ("ineligible", 0)  # December 2026 won the approval
    days = (date(2027, 10, 10), date(2027, 10, 17), date(2027, 10, 24))
    for day in days:
        attend(admin_api, HIDA, designate(admin_api, HIDA, day), "u1", day)
    renewed = apply(renewal_api, "u1")
    assert premium_workflow.wait(renewed.body["id"])["status"] == "SUCCEEDED"
    followed = renewal_api("GET", f"/me/premium-applications/{HIDA}/{renewed.body['id']}", "u1").body
    assert (followed["status"], followed["premium_expires_on"]) == ("approved", "2028-12-20"), followed


def test_r_pre_6_after_a_lapse_applying_again_counts_the_last_12_months(
    register_api, admin_api, card_tap, renewal_api, premium_workflow, moto
):
    active_person(register_api, admin_api, card_tap, "u1")
    premium_at(moto, "u1", HIDA, date(2026, 12, 10))  # lapsed ten days ago
    settings(admin_api, auto_approve=True)
    application_id = apply(renewal_api, "u1").body["id"]
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED"
    followed = renewal_api("GET", f"/me/premium-applications/{HIDA}/{application_id}", "u1").body
    assert (followed["status"], followed["renewal"], followed["premium_expires_on"]) == ("approved", False, "2027-12-20")


# --- staff decisions ---------------------------------------------------------------------------------------------------


def test_r_pre_5_a_rejection_needs_a_reason_which_the_person_reads(
    register_api, admin_api, card_tap, renewal_api, premium_workflow
):
    active_person(register_api, admin_api, card_tap, "u1", email="taro@example.jp")
    settings(admin_api)
    application_id = apply(renewal_api, "u1").body["id"]
    premium_workflow.until(lambda: premium_workflow.mail_to(APPROVERS[0]), what="the approval e-mail")
    path = f"/premium-applications/u1/{application_id}/decision"
    assert admin_api("POST", path, body={"decision": "reject"}, claims=staff_claims(HIDA)).status == 422
    assert admin_api("POST", path, body={"decision": "approve"}, claims=staff_claims(HIDA, "viewer")).status == 403
    assert admin_api("POST", path, body={"decision": "approve"}, claims=staff_claims(KESENNUMA)).status == 404
    reason = "地域活動の内容を確認できませんでした"
    rejected = admin_api("POST", path, body={"decision": "reject", "reason": reason}, claims=staff_claims(HIDA))
    assert rejected.status == 200 and rejected.body["application"]["status"] == "rejected"
    again = admin_api("POST", path, body={"decision": "reject", "reason": reason}, claims=staff_claims(HIDA))
    assert again.status == 200  # the same decision repeated answers again
    other = admin_api("POST", path, body={"decision": "approve"}, claims=staff_claims(HIDA))
    assert other.status == 409
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED"
    notice = renewal_api("GET", "/me/notices", "u1").body["notices"][0]
    assert notice["kind"] == "premium_rejected" and reason in notice["body"]
    assert premium_workflow.until(lambda: premium_workflow.mail_to("taro@example.jp"), what="the person's e-mail")
    card = register_api("GET", f"/me/registrations/{HIDA}/card", "u1").body
    assert card["level"] == "basic"


def test_an_approval_left_unanswered_ends_the_execution_and_says_so(
    register_api, admin_api, card_tap, renewal_api, premium_workflow, monkeypatch
):
    from shared.config import settings as config

    monkeypatch.setenv("APPROVAL_TIMEOUT_SECONDS", "2")
    config.cache_clear()
    active_person(register_api, admin_api, card_tap, "u1")
    settings(admin_api)
    application_id = apply(renewal_api, "u1").body["id"]
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED"
    assert "Unanswered" in premium_workflow.entered(application_id)
    followed = renewal_api("GET", f"/me/premium-applications/{HIDA}/{application_id}", "u1").body
    assert followed["status"] == "unanswered"
    assert renewal_api("GET", "/me/notices", "u1").body["notices"][0]["kind"] == "premium_unanswered"
    assert admin_api("GET", "/premium-applications", claims=staff_claims(HIDA)).body["applications"] == []
    late = admin_api("POST", f"/premium-applications/u1/{application_id}/decision", body={"decision": "approve"},
                     claims=staff_claims(HIDA))
    assert late.status == 409
    assert apply(renewal_api, "u1").status == 201  # the person may apply again


def test_a_step_that_keeps_failing_marks_the_application_failed_and_tells_staff(
    register_api, admin_api, card_tap, renewal_api, premium_workflow, monkeypatch
):
    from shared.logic.premium import PremiumJudge

    active_person(register_api, admin_api, card_tap, "u1")
    settings(admin_api)

    def broken(self, application):
        raise RuntimeError("records unavailable")

    monkeypatch.setattr(PremiumJudge, "assess", broken)
    application_id = apply(renewal_api, "u1").body["id"]
    assert premium_workflow.wait(application_id, timeout=60)["status"] == "FAILED"
    assert premium_workflow.entered(application_id)[-1] == "ApplicationFailed"
    followed = renewal_api("GET", f"/me/premium-applications/{HIDA}/{application_id}", "u1").body
    assert followed["status"] == "failed"
    assert premium_workflow.mail_to(APPROVERS[0])  # staff are told
    assert renewal_api("GET", "/me/notices", "u1").body["notices"][0]["kind"] == "premium_failed"
    monkeypatch.undo()
    assert apply(renewal_api, "u1").status == 201  # and the person can apply again


# --- deletion (R-PRIV-1) ----------------------------------------------------------------------------------------------


def test_account_deletion_removes_applications_and_notices_and_anonymises_the_audit(
    register_api, admin_api, card_tap, renewal_api, account_api, premium_workflow, moto
):
    import os

    from shared.dal.items import load

    active_person(register_api, admin_api, card_tap, "u1", email="taro@example.jp")
    settings(admin_api)
    application_id = apply(renewal_api, "u1").body["id"]
    premium_workflow.until(lambda: premium_workflow.mail_to(APPROVERS[0]), what="the approval e-mail")
    reason = "確認のため窓口にお越しください"
    admin_api("POST", f"/premium-applications/u1/{application_id}/decision",
              body={"decision": "reject", "reason": reason}, claims=staff_claims(HIDA))
    assert premium_workflow.wait(application_id)["status"] == "SUCCEEDED"

    def items() -> list[dict]:
        return [load(i) for i in moto.scan(TableName=os.environ["TABLE_NAME"])["Items"]]  # test inspection only

    assert {i["type"] for i in items() if i.get("user_pk") == "USER#u1"} >= {"PremiumApplication", "Notice", "PremiumAudit"}
    deleted = account_api("DELETE", "/me", "u1", headers={"Confirm-Account-Deletion": "DELETE"})
    assert deleted.status == 204, deleted.body
    left = items()
    assert not [i for i in left if i.get("type") in ("PremiumApplication", "Notice")]
    (audit,) = [i for i in left if i.get("type") == "PremiumAudit"]
    assert (audit["decision"], audit["decided_by"], audit["judgement"]["occasions"]) == ("reject", f"staff-{HIDA}-editor", 3)
    assert "u1" not in str(audit) and reason not in str(audit) and "anonymised_at" in audit
