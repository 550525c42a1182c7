"""A premium application (R-PRE-5) and what it tells the person: its life, as pure rules.

    judging ──► ineligible                    (the judgement found reasons; the person is told them)
        │
        ├──► approved                          (eligible, automatic approval, no conditions to check by hand)
        └──► awaiting_approval ──► approved | rejected   (staff decide from the e-mailed link or the queue)
                                └► unanswered             (no decision within the configured time)
    any open status ──► failed                (a step still failing after its retries: staff are told)

One application is open per person and organisation at a time; a finished one frees the next. The outcome's notice
(in-app, and by e-mail where the person gave an address) is written by the workflow's last step.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .models import LgCode, OrganisationRef, RequestModel
from .premium import Judgement, Occasion, Reason

ApplicationStatus = Literal["judging", "awaiting_approval", "approved", "ineligible", "rejected", "unanswered", "failed"]
OPEN_STATUSES: frozenset[str] = frozenset({"judging", "awaiting_approval"})
FINAL_STATUSES: frozenset[str] = frozenset({"approved", "ineligible", "rejected", "unanswered", "failed"})
Decision = Literal["approve", "reject"]
REJECTION_REASON_MAX = 500

STATUS_LABELS: dict[str, str] = {
    "judging": "審査中",
    "awaiting_approval": "承認待ち",
    "approved": "承認",
    "ineligible": "要件を満たしていません",
    "rejected": "不承認",
    "unanswered": "期限内に審査されませんでした",
    "failed": "処理できませんでした",
}


def new_application_id() -> str:
    """Unguessable and a valid Step Functions execution name (letters and digits, 80 at most)."""
    return "pa" + secrets.token_hex(12)


APPLICATION_ID_PATTERN = r"^pa[0-9a-f]{24}$"


class StaffDecision(BaseModel):
    """Who decided, when, and why (a rejection's reason is shown to the person)."""

    model_config = ConfigDict(frozen=True)
    decision: Decision
    decided_by: str = Field(description="The staff member's user id, or `system` for an automatic approval")
    decided_at: datetime
    reason: str | None = None


class PremiumApplication(BaseModel):
    """The application as stored and as the person and staff see it."""

    model_config = ConfigDict(frozen=True)
    id: str
    organisation_code: LgCode
    user_id: str
    status: ApplicationStatus
    applied_at: datetime
    renewal: bool = Field(default=False, description="The person was premium there when applying (R-PRE-6)")
    judgement: Judgement | None = Field(default=None, description="The automatic judgement, once made")
    occasions: tuple[Occasion, ...] = Field(default=(), description="The counted occasions the judgement read")
    long_stay_days: int | None = Field(default=None, description="Days with records in the window (R-PRE-7)")
    decision: StaffDecision | None = None
    premium_expires_on: date | None = Field(default=None, description="Set when approved: premium through this day")
    long_stay_marker: bool = False
    failure: str | None = Field(default=None, description="Why it failed (for staff; no personal data)")
    finished_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self.judgement.reasons if self.judgement else ()


class ApplicationView(BaseModel):
    """A premium application as the applicant sees it: status, every reason once judged, the outcome."""

    id: str
    organisation: OrganisationRef
    status: ApplicationStatus
    status_label: str = Field(description="The status in Japanese, as shown in the app")
    applied_at: datetime
    renewal: bool
    reasons: list[Reason] = Field(description="Every unmet requirement (R-PRE-5); empty while judging or when met")
    occasions_counted: int | None = Field(description="Occasions the judgement counted; null while judging")
    occasions_needed: int | None
    extra_conditions: list[str] = Field(description="Conditions staff check by hand before approving")
    rejection_reason: str | None = Field(description="Staff's reason when rejected")
    premium_expires_on: date | None = Field(description="Premium through this day, when approved (R-PRE-6)")
    long_stay_marker: bool


def view_of(application: PremiumApplication, organisation: OrganisationRef) -> ApplicationView:
    judgement = application.judgement
    decision = application.decision
    return ApplicationView(
        id=application.id,
        organisation=organisation,
        status=application.status,
        status_label=STATUS_LABELS[application.status],
        applied_at=application.applied_at,
        renewal=application.renewal,
        reasons=list(application.reasons),
        occasions_counted=judgement.occasions if judgement else None,
        occasions_needed=judgement.needed if judgement else None,
        extra_conditions=list(judgement.extra_conditions) if judgement else [],
        rejection_reason=decision.reason if decision and decision.decision == "reject" else None,
        premium_expires_on=application.premium_expires_on,
        long_stay_marker=application.long_stay_marker,
    )


class ApplyForPremium(RequestModel):
    """`POST /me/premium-applications`: which organisation (the person must be registered there)."""

    organisation_code: LgCode


class DecisionInput(RequestModel):
    """A staff decision (API and approval page): approve, or reject with a reason the person will read."""

    decision: Decision
    reason: str | None = Field(default=None, min_length=1, max_length=REJECTION_REASON_MAX)


# --- notices ---------------------------------------------------------------------------------------------------------

NoticeKind = Literal[
    "premium_approved", "premium_ineligible", "premium_rejected", "premium_unanswered", "premium_failed",
    "premium_reminder", "premium_lapsed", "inactivity_warning",  # the daily schedules (shared/logic/schedules.py)
]


class Notice(BaseModel):
    """An in-app notice to the person (the app's お知らせ list); the same text goes by e-mail where they gave one."""

    model_config = ConfigDict(frozen=True)
    id: str
    organisation_code: LgCode
    kind: NoticeKind
    title: str
    body: str
    at: datetime
    application_id: str | None = None


def outcome_notice(application: PremiumApplication, organisation: OrganisationRef, at: datetime) -> Notice | None:
    """What the person is told when an application ends (None while it is open). One notice per application: its
    id is derived from the application's, so a retried step writes the same notice again, not a second one."""
    name = organisation.name
    what = "プレミアム登録の更新" if application.renewal else "プレミアム登録"
    if application.status == "approved":
        expires = application.premium_expires_on
        kind: NoticeKind = "premium_approved"
        title = f"{name}の{what}が承認されました"
        body = f"{name}のプレミアム登録の有効期限は{expires:%Y年%-m月%-d日}までです。" if expires else title
        if application.long_stay_marker:
            body += "長期滞在のしるしが付きました。"
    elif application.status == "ineligible":
        kind, title = "premium_ineligible", f"{name}の{what}の要件を満たしていません"
        body = "理由: " + "／".join(r.message for r in application.reasons)
    elif application.status == "rejected":
        kind, title = "premium_rejected", f"{name}の{what}は承認されませんでした"
        reason = application.decision.reason if application.decision else None
        body = f"理由: {reason}" if reason else "詳しくは登録先の自治体にお問い合わせください。"
    elif application.status == "unanswered":
        kind, title = "premium_unanswered", f"{name}の{what}の審査が期限内に終わりませんでした"
        body = "お手数ですが、もう一度申請してください。"
    elif application.status == "failed":
        kind, title = "premium_failed", f"{name}の{what}を処理できませんでした"
        body = "自治体の担当者に連絡しました。時間をおいて、もう一度申請してください。"
    else:
        return None
    return Notice(
        id=f"n{application.id}", organisation_code=application.organisation_code, kind=kind, title=title, body=body,
        at=at, application_id=application.id,
    )
