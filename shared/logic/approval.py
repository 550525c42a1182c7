"""The approval page (R-PRE-5), its use cases: staff open the e-mailed link, sign in with their staff account (the
page's routes have no API Gateway authorizer: a link opened in a browser sends no Authorization header), see the
application and approve or reject it. The admin function verifies everything itself: the link (signed, current, of
an application waiting for staff), the session (signed claims in a cookie, shared/domain/approval_session.py), the
organisation (the link's, R-PRIV-2), the form's CSRF token and the editor role; then PremiumDecisions.decide, which
resumes the waiting execution and ends the link. functions/admin/handler.py speaks HTTP, shared/web renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import clock
from ..dal.repository import Repository
from ..dal.staff_sign_in import MfaRequired, SignedIn, StaffSignIn
from ..domain import approval_session
from ..domain.approval_link import ApprovalLink
from ..domain.errors import Forbidden, InvalidInput
from ..domain.premium_application import REJECTION_REASON_MAX, DecisionInput, PremiumApplication
from ..domain.staff import EDITOR, StaffMember, staff_from_claims
from ..organisations import catalog
from .premium import PremiumDecisions

__all__ = ["ApprovalDesk", "MfaRequired", "Signed"]


@dataclass(frozen=True)
class Signed:
    """A staff member signed in: who, and the session to keep in the cookie."""

    staff: StaffMember
    session: str


@dataclass
class ApprovalDesk:
    decisions: PremiumDecisions
    sign_in: StaffSignIn
    session_key: Callable[[], bytes]
    registrations: Repository

    def open_link(self, token: str) -> tuple[ApprovalLink, PremiumApplication]:
        """InvalidApprovalLink when forged, expired, used or superseded (one answer for all)."""
        return self.decisions.open_link(token)

    # --- who is there --------------------------------------------------------------------------------------------

    def signed_in(self, session: str | None) -> Signed:
        """The session's staff member; Unauthenticated when there is none, or it is forged or expired."""
        claims = approval_session.verify(self.session_key(), session, clock.now())
        organisation = catalog.get(claims.code)
        if organisation is None:  # not made by us: the code came from a verified token
            raise Forbidden("the session names no organisation", reason="organisation")
        return Signed(StaffMember(claims.sub, organisation, frozenset(claims.roles)), session or "")

    def authenticate(self, email: str, password: str) -> Signed | MfaRequired:
        """SignInRefused (shared/dal/staff_sign_in.py) when Cognito says no; Forbidden for an account without an
        organisation or role."""
        return self._signed(self.sign_in.start(email, password))

    def answer_mfa(self, email: str, session: str, code: str) -> Signed | MfaRequired:
        return self._signed(self.sign_in.answer_mfa(email, session, code))

    def _signed(self, outcome: SignedIn | MfaRequired) -> Signed | MfaRequired:
        if isinstance(outcome, MfaRequired):
            return outcome
        staff = staff_from_claims(outcome.claims)
        token = approval_session.sign(self.session_key(), approval_session.new_session(staff, clock.now()))
        return Signed(staff, token)

    @staticmethod
    def require_organisation(staff: StaffMember, link: ApprovalLink) -> None:
        """Staff of another organisation see nothing of the application (R-PRIV-2)."""
        if staff.organisation.code != link.organisation_code:
            raise Forbidden("the approval link is for another organisation's application", reason="organisation")

    # --- the application -------------------------------------------------------------------------------------------

    def csrf_for(self, signed: Signed, application: PremiumApplication) -> str | None:
        """The decision form's token, for an editor; None for a viewer (the page shows no form)."""
        if EDITOR not in signed.staff.roles:
            return None
        return approval_session.csrf_token(self.session_key(), signed.session, application.id)

    def applicant_name(self, application: PremiumApplication) -> str | None:
        """The name the person gave this organisation, if any: staff of the organisation may see it (R-PRIV-2); nothing
        else of their personal data is shown."""
        code = application.organisation_code
        registration = self.registrations.get_registrations(application.user_id, [code]).get(code)
        return registration.personal.name if registration and registration.personal else None

    def decide(self, signed: Signed, link: ApprovalLink, application: PremiumApplication, csrf: str | None,
               decision: str, reason: str) -> PremiumApplication:
        """The decision, after the checks the API's authorizer cannot make here, in this order: the organisation and
        the form's token (Forbidden with `reason` organisation or csrf), the editor role (Forbidden with
        required_role), then the input (InvalidInput with `field`; RejectionReasonRequired without a reason).
        PremiumApplicationDecided when someone decided first. A reason typed with an approval is not kept."""
        self.require_organisation(signed.staff, link)
        if not approval_session.csrf_matches(self.session_key(), signed.session, application.id, csrf):
            raise Forbidden("the form's token does not belong to this session and application", reason="csrf")
        signed.staff.require(EDITOR)
        if decision not in ("approve", "reject"):
            raise InvalidInput("choose approve or reject", field="decision")
        text = reason.strip() if decision == "reject" else ""
        if len(text) > REJECTION_REASON_MAX:
            raise InvalidInput(f"a reason is at most {REJECTION_REASON_MAX} characters", field="reason")
        request = DecisionInput(decision=decision, reason=text or None)
        return self.decisions.decide(signed.staff, link.user_id, link.application_id, request).application
