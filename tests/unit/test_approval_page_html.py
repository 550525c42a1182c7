"""The approval page's HTML (R-PRE-5): every page staff can see — sign-in (blank, with an error), the code step, the
application (an editor's form, the form with an error, a viewer's), the results and the error page — has no WCAG 2.1
AA violation in headless Chromium with axe-core; its colours meet WCAG AA contrast; every value is escaped."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shared import clock
from shared.domain.premium import Judgement, Occasion, reason
from shared.domain.premium_application import PremiumApplication, StaffDecision
from shared.web import approval_page as pages
from shared.web.tokens import TOKENS
from tests.axe import violations

AT = datetime(2026, 12, 20, 10, 0, tzinfo=clock.TOKYO)
JUDGEMENT = Judgement(
    organisation_code="212172", eligible=True, reasons=(), renewal=False, occasions=3, needed=3,
    first_day=date(2025, 12, 21), last_day=date(2026, 12, 20), approval="staff",
    extra_conditions=("市内の活動団体からの推薦があること",),
)
APPLICATION = PremiumApplication(
    id="pa" + "0" * 24, organisation_code="212172", user_id="u-123", status="awaiting_approval", applied_at=AT,
    judgement=JUDGEMENT, long_stay_days=4, occasions=(
        Occasion(activity_id="a1", activity_name="雪下ろしボランティア", days=(date(2026, 12, 5),), counts=1, basis="activity"),
        Occasion(activity_id="a2", activity_name="古川祭の準備", days=(date(2026, 4, 18), date(2026, 4, 19), date(2026, 4, 20)),
                 counts=3, basis="consecutive_days"),
        Occasion(activity_id="p1", activity_name=None, days=(date(2026, 6, 1),), counts=1, basis="activity"),
    ),
)
LINK = "eyJvIjoiMjEyMTcyIn0.c2lnbmF0dXJl"


def application(**shown) -> str:
    view = dict(base="/v1", link=LINK, organisation_name="飛騨市", staff_roles=frozenset({"editor"}),
                application=APPLICATION, applicant_name="東京 花子", csrf="token")
    return pages.application_page(pages.ApplicationPage(**{**view, **shown}))


PAGES = {
    "sign-in": lambda: pages.sign_in_page(pages.SignInPage("/v1", LINK)),
    "sign-in with an error": lambda: pages.sign_in_page(
        pages.SignInPage("/v1", LINK, "shomu@city.hida.test", "メールアドレスまたはパスワードが違います。")),
    "code": lambda: pages.code_page(pages.CodePage("/v1", LINK, "shomu@city.hida.test", "s" * 40, "確認コードが違います。")),
    "application": application,
    "application, a rejection without a reason": lambda: application(
        decision="reject", error_field="reason", error="不承認にするときは、申請者に伝える理由を入力してください。"),
    "application, no choice": lambda: application(error_field="decision", error="承認するか、承認しないかを選んでください。"),
    "application for a viewer": lambda: application(csrf=None, staff_roles=frozenset({"viewer"})),
    "approved": lambda: pages.result_page(pages.ResultPage("飛騨市", APPLICATION.model_copy(update={
        "status": "approved", "premium_expires_on": date(2027, 12, 20)}))),
    "rejected": lambda: pages.result_page(pages.ResultPage("飛騨市", APPLICATION.model_copy(update={
        "status": "rejected", "decision": StaffDecision(decision="reject", decided_by="s", decided_at=AT, reason="推薦書がありません")}))),
    "ineligible": lambda: pages.result_page(pages.ResultPage("飛騨市", APPLICATION.model_copy(update={
        "status": "ineligible", "judgement": JUDGEMENT.model_copy(update={"eligible": False, "reasons": (reason("limit_reached"),)})}))),
    "error": lambda: pages.error_page("このリンクは使えません", "承認リンクが無効か、有効期限が切れているか、すでに使われています。"),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_r_pre_5_the_approval_pages_have_no_accessibility_violations(name):
    assert violations(PAGES[name]()) == []


def test_every_input_has_a_label_and_the_choice_a_legend():
    html = application(error_field="reason", error="x")
    assert '<label for="reason">' in html and '<label for="decision-approve">' in html and "<legend>判断</legend>" in html
    assert '<html lang="ja">' in html and "<main>" in html and "<script" not in html
    assert 'aria-describedby="reason-hint reason-error"' in html and 'id="reason-error"' in html


def test_everything_shown_is_escaped():
    hostile = APPLICATION.model_copy(update={"occasions": (
        Occasion(activity_id="a1", activity_name='<script>alert(1)</script>"', days=(date(2026, 12, 5),), counts=1,
                 basis="activity"),)})
    html = application(application=hostile, applicant_name="<b>x</b>", link='"><script>', reason="</textarea><script>")
    assert "<script" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in html and 'value="&quot;&gt;&lt;script&gt;"' in html


def test_r_priv_2_the_application_page_shows_the_name_and_user_id_only():
    html = application()
    assert "東京 花子（利用者ID u-123）" in html
    assert "（名前のない活動）" in html and "2026年4月18日、2026年4月19日、2026年4月20日" in html


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize(("foreground", "background", "minimum"), pages.CONTRAST)
def test_the_colours_meet_wcag_aa_contrast(foreground, background, minimum):
    lighter, darker = sorted((_luminance(TOKENS[foreground]), _luminance(TOKENS[background])), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= minimum


def test_the_stylesheet_uses_only_tokens_it_carries_and_its_hash_is_the_policys():
    import base64
    import hashlib
    import re

    assert set(re.findall(r"var\((--[a-z0-9-]+)\)", pages.STYLE)) <= set(TOKENS)
    digest = base64.b64encode(hashlib.sha256(pages.STYLE.encode()).digest()).decode()
    assert pages.STYLE_SOURCE == f"'sha256-{digest}'" and f"<style>{pages.STYLE}</style>" in application()
