"""Premium registration (R-PRE-1..7), the use cases:

- `PremiumApplications` (renewal function, app API): apply — one Step Functions execution per application, named
  after it, so a retried request starts no second one — and follow the application, read the notices;
- `PremiumJudge`: the automatic judgement over the person's records (pure rules of shared.domain.premium) and the
  approval itself, with the transactional guard of the limit of three (R-PRE-4);
- `PremiumWorkflowTasks` (premium function, the state machine's tasks): judge, request staff approval (the task token
  kept in the table, an e-mailed signed link), unanswered, notify, fail;
- `PremiumDecisions` (admin function): the staff queue, one application with the applicant's records, approve or
  reject (audit trail), then the waiting execution goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from .. import clock
from ..dal.activities import ActivityRepository
from ..dal.mail import Mail, Mailer, recipients
from ..dal.premium import NotRegistered, OpenApplicationExists, PremiumRepository, StaleOutcome, audit_item
from ..dal.premium_settings import PremiumSettingsRepository
from ..dal.repository import Repository, account_verification
from ..dal.workflow import WorkflowClient
from ..domain import approval_link, premium
from ..domain.activities import ActivityRecord
from ..domain.errors import (
    ConcurrentUpdate,
    InvalidApprovalLink,
    PremiumApplicationDecided,
    PremiumApplicationNotFound,
    RegistrationNotFound,
    RejectionReasonRequired,
    RenewalNotOpen,
    UnknownOrganisation,
)
from ..domain.models import OrganisationRef
from ..domain.paging import MAX_PAGE_SIZE, Paged
from ..domain.premium_application import (
    STATUS_LABELS,
    ApplicationStatus,
    ApplicationView,
    ApplyForPremium,
    DecisionInput,
    Notice,
    PremiumApplication,
    StaffDecision,
    new_application_id,
    outcome_notice,
    view_of,
)
from ..domain.staff import EDITOR, VIEWER, StaffMember
from ..organisations import catalog
from .organisations import organisation_ref

logger = logging.getLogger(__name__)
GUARD_ATTEMPTS = 5  # approvals of one person racing: each retry reads the winner's outcome
SYSTEM = "system"  # decided_by of an automatic approval


def _organisation(code: str) -> OrganisationRef:
    organisation = catalog.get(code)
    if organisation is None:
        raise UnknownOrganisation(f"no organisation {code}")
    return organisation_ref(organisation)


class ApplicationRef(BaseModel):
    """What the execution's input names: the application (no personal data)."""

    organisation_code: str
    user_id: str
    id: str


def execution_input(application: PremiumApplication, approval_timeout_seconds: int) -> dict[str, Any]:
    ref = ApplicationRef(organisation_code=application.organisation_code, user_id=application.user_id, id=application.id)
    return {"application": ref.model_dump(), "approval_timeout_seconds": approval_timeout_seconds}


# --- the app API -------------------------------------------------------------------------------------------------------


class ApplicationSummary(BaseModel):
    id: str
    organisation: OrganisationRef
    status: ApplicationStatus
    status_label: str
    applied_at: datetime


class ApplicationList(Paged):
    applications: list[ApplicationSummary] = Field(description="Oldest first; open one in detail for its reasons")


class NoticeList(Paged):
    notices: list[Notice] = Field(description="Newest first")


@dataclass
class PremiumApplications:
    premium: PremiumRepository
    registrations: Repository
    workflow: WorkflowClient
    approval_timeout_seconds: int
    renewal_window_days: int

    def apply(self, user_id: str, request: ApplyForPremium) -> tuple[bool, ApplicationView]:
        """A new application (True), or the open one there already (False), its execution started either way: a
        retried request, or one whose execution could not be started before, starts it now (same name: never a
        second execution)."""
        code = request.organisation_code
        organisation = _organisation(code)
        registration = self.registrations.get_registrations(user_id, [code]).get(code)
        if registration is None:
            raise RegistrationNotFound(f"not registered with {code}")
        if registration.premium_open:
            return False, self._resume(user_id, code, registration.premium_open, organisation)
        today = clock.today()
        expiry = registration.premium_expires_on
        renewal = premium.is_premium(expiry, today)
        if renewal and today < expiry - timedelta(days=self.renewal_window_days):  # type: ignore[operator]
            opens = expiry - timedelta(days=self.renewal_window_days)  # type: ignore[operator]
            raise RenewalNotOpen(f"renewal opens on {opens.isoformat()}", opens_on=opens.isoformat(),
                                 premium_expires_on=expiry.isoformat())  # type: ignore[union-attr]
        application = PremiumApplication(
            id=new_application_id(), organisation_code=code, user_id=user_id, status="judging",
            applied_at=clock.now(), renewal=renewal,
        )
        try:
            self.premium.create(application, expiry)
        except NotRegistered as error:
            raise RegistrationNotFound(f"not registered with {code}") from error
        except OpenApplicationExists as open_one:  # a concurrent request created it first
            return False, self._resume(user_id, code, open_one.application_id, organisation)
        except StaleOutcome as error:
            raise ConcurrentUpdate("the registration changed meanwhile; try again") from error
        self.workflow.start(application.id, execution_input(application, self.approval_timeout_seconds))
        return True, view_of(application, organisation)

    def _resume(self, user_id: str, code: str, application_id: str, organisation: OrganisationRef) -> ApplicationView:
        application = self.premium.get(code, user_id, application_id)
        if application is None:  # the mark without its application cannot be written (one transaction)
            raise PremiumApplicationNotFound(f"open application {application_id} is missing")
        if application.status == "judging":
            self.workflow.start(application.id, execution_input(application, self.approval_timeout_seconds))
        return view_of(application, organisation)

    def get(self, user_id: str, code: str, application_id: str) -> ApplicationView:
        application = self.premium.get(code, user_id, application_id)
        if application is None:
            raise PremiumApplicationNotFound(f"no application {application_id} at {code}")
        return view_of(application, _organisation(code))

    def list(self, user_id: str, limit: int, page: str | None) -> ApplicationList:
        found = self.premium.applications_of_user(user_id, limit, page)
        summaries = []
        for item in found.items:
            code, application_id = item["org_code"], item["user_sk"].rsplit("#", 1)[-1]
            summaries.append(ApplicationSummary(
                id=application_id, organisation=_organisation(code), status=item["status"],
                status_label=STATUS_LABELS[item["status"]], applied_at=item["applied_at"],
            ))
        return ApplicationList(applications=summaries, next=found.next)

    def notices(self, user_id: str, limit: int, page: str | None) -> NoticeList:
        found = self.premium.notices_of_user(user_id, limit, page)
        return NoticeList(notices=found.items, next=found.next)


# --- the judgement and the approval ------------------------------------------------------------------------------------


@dataclass
class PremiumJudge:
    premium: PremiumRepository
    registrations: Repository
    activities: ActivityRepository
    settings: PremiumSettingsRepository

    def _expiries(self, user_id: str) -> dict[str, date]:
        """The person's premium expiry per organisation (lapsed ones included), from the registrations themselves,
        strongly consistent (an approval a moment ago is seen)."""
        registrations = self.registrations.all_registrations_of_user(user_id)
        return {code: r.premium_expires_on for code, r in registrations.items() if r.premium_expires_on}

    def _records(self, code: str, user_id: str, first: date, last: date) -> list[ActivityRecord]:
        records: list[ActivityRecord] = []
        token = None
        while True:
            page = self.activities.records_of_user(code, user_id, first, last, MAX_PAGE_SIZE, token)
            records += page.items
            token = page.next
            if token is None:
                return records

    def assess(self, application: PremiumApplication) -> PremiumApplication:
        """The application with its judgement (R-PRE-1, R-PRE-3, R-PRE-4, R-PRE-5), the occasions it counted and the
        stay days of the 12 months (R-PRE-7). Reads: the registration, the account, the settings, the person's
        registrations (their expiries), their records at this organisation in the 12 months, the activities'
        kinds."""
        code, user_id = application.organisation_code, application.user_id
        today = clock.today()
        registration = self.registrations.get_registrations(user_id, [code]).get(code)
        if registration is None:
            raise RegistrationNotFound(f"{user_id} withdrew from {code}")
        verification = account_verification(self.registrations.get_account(user_id)).status
        requirements = self.settings.get(code).requirements()
        expiries = self._expiries(user_id)
        first, last = premium.window(today)
        records = self._records(code, user_id, first, last)
        # Each activity's kind (how its records count) and current name (the occasions show it to the person and to
        # staff), read together; a claimed pre-launch record has no Activity item and keeps its own name.
        kinds = self.activities.kinds_and_names(
            {(r.designated_by, r.activity_id) for r in records if not r.activity_id.startswith(premium.PRELAUNCH_ACTIVITY_PREFIX)}
        )
        records = [r.model_copy(update={"activity_name": kinds[r.activity_id][0]}) if r.activity_id in kinds else r
                   for r in records]
        counting = {activity_id: kind for activity_id, (_, kind) in kinds.items()}
        period_first, period_last = premium.counting_period(today, expiries.get(code))
        counted = premium.count_occasions(
            records, organisation_code=code, counting=counting, first_day=period_first, last_day=period_last,
            consecutive_days_count_each=requirements.consecutive_days_count_each,
        )
        stay = premium.stay_days(records, organisation_code=code, first_day=first, last_day=last)
        judgement = premium.judge(
            candidate=code, today=today, requirements=requirements, verification=verification,
            resident=registration.resident, resident_basis=registration.resident_basis, counted=counted,
            expiries=expiries,
        )
        marker = judgement.eligible and premium.earns_long_stay_marker(requirements, stay)
        return application.model_copy(update={
            "judgement": judgement, "occasions": counted.occasions, "long_stay_days": stay, "long_stay_marker": marker,
            "renewal": judgement.renewal,
        })

    def approve(self, judged: PremiumApplication, expected: str, decided_by: str, at: datetime) -> PremiumApplication:
        """Approve: premium for a year from today, or a renewal's year from the old expiry (R-PRE-6), if the limit
        of three still allows it (R-PRE-4) against the person's premium organisations read now. The guard on the
        account makes a racing approval of the same person fail its transaction; it then reads again and is judged
        against the winner: a fourth organisation ends ineligible (limit_reached). Returns the final application
        (approved or ineligible); PremiumApplicationDecided when it was no longer `expected`."""
        code, user_id = judged.organisation_code, judged.user_id
        decision = StaffDecision(decision="approve", decided_by=decided_by, decided_at=at)
        for _ in range(GUARD_ATTEMPTS):
            guard = self.premium.premium_guard(user_id)
            expiries = self._expiries(user_id)
            today = at.date()
            held = premium.held_premium(expiries, today)
            previous = expiries.get(code)
            if not premium.may_add(held, code):
                judgement = premium.judgement_with(judged.judgement, premium.reason("limit_reached"))
                finished = judged.model_copy(update={"status": "ineligible", "judgement": judgement,
                                                     "long_stay_marker": False, "finished_at": at})
                if not self.premium.finish(judged, expected, finished):
                    raise PremiumApplicationDecided(f"application {judged.id} is no longer {expected}")
                return finished
            renewing = premium.is_premium(previous, today)
            expires_on = premium.renewed_expiry(previous) if renewing else premium.expiry_after_approval(today)  # type: ignore[arg-type]
            finished = judged.model_copy(update={"status": "approved", "decision": decision,
                                                 "premium_expires_on": expires_on, "finished_at": at})
            try:
                done = self.premium.decide(judged, expected, finished, previous, guard,
                                           audit_item(judged, decision, judged.judgement))
            except StaleOutcome:
                continue  # another approval of this person (or of this organisation) won: read again
            if not done:
                raise PremiumApplicationDecided(f"application {judged.id} is no longer {expected}")
            return finished
        raise ConcurrentUpdate("the person's premium registrations kept changing; try again")


# --- the workflow's tasks ---------------------------------------------------------------------------------------------

Next = Literal["await_staff", "notify"]


@dataclass
class PremiumWorkflowTasks:
    judge: PremiumJudge
    mailer: Mailer
    link_key: Any  # () -> bytes: the approval link key (from its secret)
    approval_base_url: str

    @property
    def premium(self) -> PremiumRepository:
        return self.judge.premium

    def _load(self, ref: ApplicationRef) -> PremiumApplication | None:
        return self.premium.get(ref.organisation_code, ref.user_id, ref.id)

    def run_judgement(self, ref: ApplicationRef) -> Next:
        """Judge; an ineligible application ends (the person is told why), an eligible one is approved at once where
        the organisation approves automatically, else waits for staff. A retried step finds it judged and goes on."""
        application = self._load(ref)
        if application is None or application.status != "judging":
            return "await_staff" if application is not None and application.status == "awaiting_approval" else "notify"
        try:
            judged = self.judge.assess(application)
        except RegistrationNotFound:
            return "notify"  # withdrawn: the application went with the registration's partition
        judgement = judged.judgement
        assert judgement is not None
        now = clock.now()
        if not judgement.eligible:
            self.premium.finish(application, "judging", judged.model_copy(update={"status": "ineligible", "finished_at": now}))
            return "notify"
        if judgement.approval == "automatic":
            try:
                self.judge.approve(judged, "judging", SYSTEM, now)
            except PremiumApplicationDecided:
                pass  # a retried step: done already
            return "notify"
        if not self.premium.await_staff(application, judged):
            current = self._load(ref)
            return "await_staff" if current is not None and current.status == "awaiting_approval" else "notify"
        return "await_staff"

    def request_approval(self, ref: ApplicationRef, task_token: str, timeout_seconds: int) -> None:
        """Keep the execution's task token with the application and e-mail the organisation's approvers a signed
        link that works once and until the wait ends. No applicant data in the e-mail: staff sign in to see it."""
        application = self._load(ref)
        if application is None or application.status != "awaiting_approval":
            return  # decided meanwhile (through the staff API): the decision's resume is what the execution needs
        now = clock.now()
        link = approval_link.ApprovalLink(
            organisation_code=ref.organisation_code, user_id=ref.user_id, application_id=ref.id,
            nonce=approval_link.new_nonce(), expires_at=approval_link.link_expiry(now, timeout_seconds),
        )
        if not self.premium.store_token(application, task_token, link.nonce):
            return
        settings = self.judge.settings.get(ref.organisation_code)
        organisation = _organisation(ref.organisation_code)
        url = f"{self.approval_base_url.rstrip('/')}/approval?link={approval_link.sign(self.link_key(), link)}"
        self.mailer.send(approval_request_mail(settings.approver_emails, organisation, application, url, link.expires_at))

    def unanswered(self, ref: ApplicationRef) -> None:
        """The wait for staff timed out: the application ends unanswered (unless a decision got there first)."""
        application = self._load(ref)
        if application is None or application.status != "awaiting_approval":
            return
        self.premium.finish(application, "awaiting_approval",
                            application.model_copy(update={"status": "unanswered", "finished_at": clock.now()}))

    def notify(self, ref: ApplicationRef) -> None:
        """The outcome as an in-app notice (once) and, where the person gave an e-mail address to the organisation,
        by e-mail: sent until it is marked sent, so a retried step neither writes a second notice nor loses the
        e-mail (at least once: a failure between sending and marking sends it again)."""
        application = self._load(ref)
        if application is None or application.open:
            return
        organisation = _organisation(ref.organisation_code)
        notice = outcome_notice(application, organisation, application.finished_at or clock.now())
        if notice is None or not self.premium.put_notice(ref.user_id, notice):
            return
        registration = self.judge.registrations.get_registrations(ref.user_id, [ref.organisation_code]).get(ref.organisation_code)
        email = registration.personal.email if registration and registration.personal else None
        if email:
            self.mailer.send(Mail(to=(email,), subject=f"【ふるさと住民登録】{notice.title}", text=f"{notice.title}\n\n{notice.body}\n"))
        self.premium.mark_emailed(ref.user_id, notice, clock.now())

    def fail(self, ref: ApplicationRef, error: str | None) -> None:
        """A step failed after its retries: the application ends failed, the person is told, staff are e-mailed."""
        application = self._load(ref)
        if application is None:
            return
        if application.open:
            failed = application.model_copy(update={"status": "failed", "failure": (error or "Unknown")[:200],
                                                    "finished_at": clock.now()})
            self.premium.finish(application, application.status, failed)
        settings = self.judge.settings.get(ref.organisation_code)
        organisation = _organisation(ref.organisation_code)
        self.mailer.send(Mail(
            to=recipients(settings.approver_emails),
            subject=f"【ふるさと住民登録】プレミアム登録の申請を処理できませんでした（{organisation.name}）",
            text=f"申請 {ref.id} の処理中にエラーが発生し、申請は「処理できませんでした」になりました（{error or '不明'}）。\n"
            "申請者には再申請をお願いする通知を送りました。繰り返し発生する場合は運用担当にご連絡ください。\n",
        ))
        self.notify(ref)


def approval_request_mail(approvers: list[str], organisation: OrganisationRef, application: PremiumApplication,
                          url: str, until: datetime) -> Mail:
    what = "プレミアム登録の更新" if application.renewal else "プレミアム登録"
    deadline = until.astimezone(clock.TOKYO)
    text = (
        f"{organisation.name}への{what}の申請が、自動審査で要件を満たしました。職員の承認をお待ちしています。\n\n"
        f"次のリンクを開き、職員アカウントでサインインして、承認または不承認を選んでください。\n{url}\n\n"
        f"このリンクは{deadline:%Y年%-m月%-d日 %H:%M}まで、1回だけ使えます。申請者の情報はサインイン後に表示します。\n"
    )
    html = (
        f"<p>{organisation.name}への{what}の申請が、自動審査で要件を満たしました。職員の承認をお待ちしています。</p>"
        f'<p><a href="{url}">承認ページを開く</a>（職員アカウントでサインインしてください）</p>'
        f"<p>このリンクは{deadline:%Y年%-m月%-d日 %H:%M}まで、1回だけ使えます。</p>"
    )
    return Mail(to=recipients(approvers), subject=f"【ふるさと住民登録】{what}の承認依頼（{organisation.name}）",
                text=text, html=html)


# --- staff --------------------------------------------------------------------------------------------------------------


class WaitingApplication(BaseModel):
    id: str
    user_id: str
    applied_at: datetime
    renewal: bool
    occasions: int | None = None
    needed: int | None = None


class WaitingList(Paged):
    applications: list[WaitingApplication] = Field(description="Waiting for a staff decision, oldest first")


class ApplicationForStaff(BaseModel):
    """One application as staff decide it: the judgement with every reason, the occasions it counted (each with its
    days), the stay days, the conditions to check by hand, the decision once made."""

    application: PremiumApplication
    organisation: OrganisationRef
    status_label: str


@dataclass
class PremiumDecisions:
    judge: PremiumJudge
    workflow: WorkflowClient
    link_key: Any = None  # () -> bytes, where approval links are opened (the approval page)

    @property
    def premium(self) -> PremiumRepository:
        return self.judge.premium

    def queue(self, staff: StaffMember, limit: int, page: str | None) -> WaitingList:
        staff.require(VIEWER)
        found = self.premium.waiting_for_staff(staff.organisation.code, limit, page)
        return WaitingList(applications=[WaitingApplication.model_validate(i) for i in found.items], next=found.next)

    def view(self, staff: StaffMember, user_id: str, application_id: str) -> ApplicationForStaff:
        staff.require(VIEWER)
        application = self.premium.get(staff.organisation.code, user_id, application_id)
        if application is None:
            raise PremiumApplicationNotFound(f"no application {application_id} at {staff.organisation.code}")
        return ApplicationForStaff(application=application, organisation=organisation_ref(staff.organisation),
                                   status_label=STATUS_LABELS[application.status])

    def decide(self, staff: StaffMember, user_id: str, application_id: str, request: DecisionInput) -> ApplicationForStaff:
        """Approve or reject an application waiting for staff (editor), kept in the audit trail, then the waiting
        execution goes on to tell the person. Repeating the same decision answers it again (and resumes the
        execution, should the first resume have been lost); another decision on a decided application is
        refused."""
        staff.require(EDITOR)
        if request.decision == "reject" and not request.reason:
            raise RejectionReasonRequired("a rejection needs a reason the person can read")
        code = staff.organisation.code
        application, task_token, _ = self.premium.get_with_secrets(code, user_id, application_id)
        if application is None:
            raise PremiumApplicationNotFound(f"no application {application_id} at {code}")
        if application.status != "awaiting_approval":
            return self._repeat(staff, application, request, task_token)
        now = clock.now()
        if request.decision == "approve":
            finished = self.judge.approve(application.model_copy(update={}), "awaiting_approval", staff.user_id, now)
        else:
            decision = StaffDecision(decision="reject", decided_by=staff.user_id, decided_at=now, reason=request.reason)
            finished = application.model_copy(update={"status": "rejected", "decision": decision, "finished_at": now})
            if not self.premium.decide(application, "awaiting_approval", finished, None, None,
                                       audit_item(application, decision, application.judgement)):
                current = self.premium.get(code, user_id, application_id)
                return self._repeat(staff, current or application, request, task_token)
        if task_token:
            self.workflow.resume(task_token, {"status": finished.status})
        return ApplicationForStaff(application=finished, organisation=organisation_ref(staff.organisation),
                                   status_label=STATUS_LABELS[finished.status])

    def _repeat(self, staff: StaffMember, application: PremiumApplication, request: DecisionInput,
                task_token: str | None) -> ApplicationForStaff:
        """The same decision by the same staff member again (a retry after a lost answer): answered as done, and the
        execution resumed again in case the first resume never reached it (a resume of a finished wait is a no-op)."""
        decided = application.decision
        if decided is None or decided.decision != request.decision or decided.decided_by != staff.user_id:
            raise PremiumApplicationDecided(f"application {application.id} is {application.status}")
        if task_token:
            self.workflow.resume(task_token, {"status": application.status})
        return ApplicationForStaff(application=application, organisation=organisation_ref(staff.organisation),
                                   status_label=STATUS_LABELS[application.status])

    def open_link(self, token: str) -> tuple[approval_link.ApprovalLink, PremiumApplication]:
        """The application an e-mailed link names, if the link is genuine, unexpired and still the current one of
        an application waiting for staff (a decided application's link no longer works)."""
        link = approval_link.verify(self.link_key(), token, clock.now())
        application, _, nonce = self.premium.get_with_secrets(link.organisation_code, link.user_id, link.application_id)
        if application is None or application.status != "awaiting_approval" or nonce != link.nonce:
            raise InvalidApprovalLink("the approval link was used, superseded, or its application is decided")
        return link, application
