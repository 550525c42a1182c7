"""Use cases of identity verification with the My Number Card (R-BAS-4, R-PRE-3, R-ACT-5): start, complete (own
card or a guardian's), the account's status, and the near matches of pre-launch participations offered to the
person. Raises domain errors only.

Completing a verification, in this order (each step safe to repeat; a failure after step 3 leaves a verified
account whose registrations a new card tap brings up to date):
1. the started request is taken (a state works once, for the account that started it);
2. the code is exchanged and the ID token checked (shared/dal/identity_provider.py);
3. nationally, in one transaction: the subject's keyed hash claimed for this account (one person, one account)
   and the account's verification recorded; nothing else of the person is kept nationally (R-PRIV-1);
4. with the person's consent, the 4 info written into each registration (organisation areas), marked verified, and
   the resident flag judged from the verified address (R-BAS-6);
5. the pre-launch participations held by those organisations that match the person become their records; near
   matches are offered, never claimed silently (R-ACT-5; docs/decisions.md, the matching rule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from .. import clock
from ..dal.activities import prelaunch_activity_id
from ..dal.identity_provider import OidcClient
from ..dal.prelaunch import PrelaunchRepository
from ..dal.verification import VerificationRepository
from ..domain import claims as matching
from ..domain import registration as registration_rules
from ..domain.activities import ActivityRecord, PrelaunchProvenance, counted_for
from ..domain.errors import ConsentRequired, GuardianNotNeeded, PrelaunchMatchNotFound
from ..domain.models import OrganisationRef, RequestModel
from ..domain.paging import Page, Paged
from ..domain.prelaunch import PrelaunchRecord
from ..domain.verification import (
    REASONS,
    REQUEST_LIFETIME_SECONDS,
    AccountVerification,
    AuthorizationSecrets,
    PendingVerification,
    Purpose,
    Status,
    VerifiedIdentity,
    identity_from_claims,
    outcome_for_guardian,
    outcome_for_self,
    subject_hash,
)
from .organisations import known_organisation, organisation_ref

# --- API models ------------------------------------------------------------------------------------------------------


class StartVerification(RequestModel):
    purpose: Purpose = Field(
        default="self",
        description="self: the person's own card. guardian: the guardian of a minor (R-PRE-3) taps their card next, "
        "in the minor's app, after the minor's own verification said guardian_required",
    )
    share_with_organisations: bool = Field(
        default=False,
        description="Consent to write the card's name, address, birth date and gender, marked verified, into the "
        "registrations with the organisations the person is registered with now (never into the national area)",
    )
    guardian_consents: bool = Field(
        default=False, description="purpose guardian: the guardian consents to the minor's registration (required)"
    )


class VerificationStarted(BaseModel):
    state: str = Field(description="Comes back from the provider with the code; send both to complete")
    authorization_url: str = Field(description="Open it in the browser (the authentication app takes over)")
    expires_at: datetime = Field(description=f"Complete within {REQUEST_LIFETIME_SECONDS // 60} minutes")


class CompleteVerification(RequestModel):
    state: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    code: str = Field(min_length=1, max_length=2048, pattern=r"^[\x21-\x7e]+$", description="The provider's code")


class GuardianView(BaseModel):
    verified_on: date
    consented_at: datetime


class VerificationStatus(BaseModel):
    status: Status = Field(description="unverified, verified (本人確認済み), or guardian_required (under 18: a guardian "
                                       "must verify and consent, R-PRE-3)")
    verified_on: date | None = None
    reason: str | None = Field(default=None, description="Why it is not complete (Japanese)")
    guardian: GuardianView | None = None


class VerificationResult(VerificationStatus):
    shared_with: list[OrganisationRef] = Field(
        default_factory=list, description="Registrations that now hold the verified 4 info"
    )
    claimed_records: int = Field(default=0, description="Pre-launch participations that became the person's records")
    offered_matches: int = Field(default=0, description="Near matches to confirm (GET /me/prelaunch-matches)")


class PrelaunchMatchView(BaseModel):
    """A pre-launch participation that may be the person's: same name and birth date, another place (R-ACT-5)."""

    id: str = Field(description="The participation's id")
    organisation: OrganisationRef
    activity_name: str
    day: date
    place: str
    venue: OrganisationRef
    offered_at: datetime


class PrelaunchMatches(Paged):
    matches: list[PrelaunchMatchView]


class ClaimResult(BaseModel):
    claimed: bool = Field(description="False: it was claimed before (a retry) or is no longer there")
    message: str


# --- the service -----------------------------------------------------------------------------------------------------


def _status_view(verification: AccountVerification) -> dict[str, Any]:
    guardian = verification.guardian
    return {
        "status": verification.status,
        "verified_on": verification.verified_on,
        "reason": REASONS.get(verification.status),
        "guardian": GuardianView(verified_on=guardian.verified_on, consented_at=guardian.consented_at) if guardian else None,
    }


@dataclass
class VerificationService:
    repository: VerificationRepository
    prelaunch: PrelaunchRepository
    provider: OidcClient

    # --- start ---------------------------------------------------------------------------------------------------------

    def start(self, user_id: str, request: StartVerification) -> VerificationStarted:
        if request.purpose == "guardian":
            if not request.guardian_consents:
                raise ConsentRequired("a guardian's verification records their consent: send guardian_consents true",
                                      parameter="guardian_consents")
            current, _ = self.repository.get_verification(user_id)
            if current.status != "guardian_required":
                raise GuardianNotNeeded("no verification of this account is waiting for a guardian")
        now = clock.now()
        pending = PendingVerification(
            user_id=user_id,
            secrets=AuthorizationSecrets.new(),
            purpose=request.purpose,
            share_with_organisations=request.share_with_organisations,
            guardian_consents=request.guardian_consents,
            created_at=now,
            expires_at=now + timedelta(seconds=REQUEST_LIFETIME_SECONDS),
        )
        self.repository.put_pending(pending)
        return VerificationStarted(
            state=pending.secrets.state,
            authorization_url=self.provider.authorization_url(pending.secrets),
            expires_at=pending.expires_at,
        )

    # --- complete ------------------------------------------------------------------------------------------------------

    def complete(self, user_id: str, request: CompleteVerification) -> VerificationResult:
        now = clock.now()
        pending = self.repository.take_pending(user_id, request.state, now)
        identity = identity_from_claims(self.provider.exchange(request.code, pending.secrets))
        key = subject_hash(self.provider.subject_hash_key(), self.provider.config.issuer, identity.subject)
        current, _ = self.repository.get_verification(user_id)
        today = now.date()
        if pending.purpose == "guardian":
            outcome = outcome_for_guardian(current, identity, key, today, now)
            self.repository.record_guardian(user_id, outcome, current)
            return VerificationResult(**_status_view(outcome))
        outcome = outcome_for_self(identity, key, today, current)
        self.repository.record_verification(user_id, outcome, current)
        codes = self.repository.registered_codes(user_id)
        shared = self._share(user_id, codes, identity, today) if pending.share_with_organisations else []
        claimed, offered = self._claim_prelaunch(user_id, codes, identity, now)
        return VerificationResult(
            **_status_view(outcome), shared_with=shared, claimed_records=claimed, offered_matches=offered
        )

    def _share(self, user_id: str, codes: list[str], identity: VerifiedIdentity, day: date) -> list[OrganisationRef]:
        """The verified 4 info into each registration, and residency judged from the verified address (R-BAS-6)."""
        home = matching.municipality_code_of(identity.address, identity.postal_code)
        residence = (known_organisation(home),) if home is not None else ()
        shared = []
        for code, item in sorted(self.repository.registrations_with_personal(user_id, codes).items()):
            org = known_organisation(code)
            self.repository.write_verified_personal(item, identity, registration_rules.is_resident(org, residence), day)
            shared.append(organisation_ref(org))
        return shared

    def _claim_prelaunch(self, user_id: str, codes: list[str], identity: VerifiedIdentity, now: datetime) -> tuple[int, int]:
        """R-ACT-5: exact matches become the person's records; near matches are offered. One Query per organisation
        the person is registered with (the participations are grouped by name and birth date)."""
        identity_key = matching.claimant_identity_key(identity.name, identity.birth_date)
        verified = matching.ClaimantIdentity(
            name=identity.name, birth_date=identity.birth_date, address=identity.address, postal_code=identity.postal_code
        )
        claimed = offered = 0
        for code in codes:
            for record in self.prelaunch.unclaimed_of(code, identity_key):
                kind = matching.match(verified, record)
                if kind == "exact":
                    claimed += self._claim(user_id, record, identity_key, now, confirmed=False)
                elif kind == "near":
                    self.repository.offer(user_id, record, identity_key, now)
                    offered += 1
        return claimed, offered

    def _claim(self, user_id: str, record: PrelaunchRecord, identity_key: str, now: datetime, confirmed: bool) -> bool:
        venue = known_organisation(record.venue_code)
        provenance = PrelaunchProvenance(
            uploader_code=record.uploader_code, row_key=record.row_key, row_number=record.row_number,
            external_id=record.external_id, claimed_at=now, confirmed_by_person=confirmed,
        )
        records = [
            ActivityRecord(
                organisation_code=code,
                user_id=user_id,
                activity_id=prelaunch_activity_id(record.activity_key),
                activity_name=record.activity_name,
                designated_by=record.uploader_code,
                venue_code=record.venue_code,
                day=record.starts_at.astimezone(clock.TOKYO).date(),
                source="prelaunch_import",
                recorded_at=now,
                prelaunch=provenance,
            )
            for code in counted_for(venue)
        ]
        return self.repository.claim(user_id, record, identity_key, records, now, offer=confirmed)

    # --- status and offers ---------------------------------------------------------------------------------------------

    def status(self, user_id: str) -> VerificationStatus:
        current, _ = self.repository.get_verification(user_id)
        return VerificationStatus(**_status_view(current))

    def offers(self, user_id: str, limit: int, token: str | None) -> PrelaunchMatches:
        page: Page[dict[str, Any]] = self.repository.offers_of_user(user_id, limit, token)
        return PrelaunchMatches(
            matches=[
                PrelaunchMatchView(
                    id=item["row_key"],
                    organisation=organisation_ref(known_organisation(item["org_code"])),
                    activity_name=item["activity_name"],
                    day=date.fromisoformat(item["day"]),
                    place=item["place"],
                    venue=organisation_ref(known_organisation(item["venue_code"])),
                    offered_at=datetime.fromisoformat(item["offered_at"]),
                )
                for item in page.items
            ],
            next=page.next,
        )

    def confirm_offer(self, user_id: str, code: str, match_id: str) -> ClaimResult:
        """The person says a near match is theirs: it becomes their record, its provenance saying they confirmed."""
        offer = self._offer(user_id, code, match_id)
        record = next((r for r in self.prelaunch.unclaimed_of(code, offer["identity_key"]) if r.row_key == match_id), None)
        if record is None:  # claimed meanwhile (by staff's decision or another verification): nothing to do
            self.repository.decline_offer(code, user_id, match_id)
            return ClaimResult(claimed=False, message="この活動記録はすでに登録済みか、削除されています")
        claimed = self._claim(user_id, record, offer["identity_key"], clock.now(), confirmed=True)
        return ClaimResult(
            claimed=claimed,
            message="活動記録に追加しました" if claimed else "この活動記録はすでに登録済みです",
        )

    def decline_offer(self, user_id: str, code: str, match_id: str) -> None:
        self._offer(user_id, code, match_id)
        self.repository.decline_offer(code, user_id, match_id)

    def _offer(self, user_id: str, code: str, match_id: str) -> dict[str, Any]:
        org = known_organisation(code)
        offer = self.repository.get_offer(code, user_id, match_id)
        if offer is None:
            raise PrelaunchMatchNotFound(f"no pre-launch match {match_id} offered at {org.name}", organisation_code=code)
        return offer
