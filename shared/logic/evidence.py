"""Evidence of attendance (R-ACT-3): a registrant uploads a photo or document for an activity they attended without
scanning; staff of the designating organisation accept it (it becomes a record, counted like a scan: R-ACT-4) or
reject it with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .. import clock
from ..domain.staff import EDITOR, VIEWER, StaffMember
from ..dal.activities import ActivityRepository
from ..dal.evidence import EvidenceFiles, EvidenceRepository
from ..domain.activities import Evidence, EvidenceRequest, new_evidence_id
from ..domain.errors import EvidenceAlreadyDecided, EvidenceNotUploaded, InvalidInput, NotRegisteredWithOrganisation
from ..domain.paging import Page
from .activities import ActivityService, AttendanceResult
from .organisations import known_organisation


class UploadForm(BaseModel):
    url: str
    fields: dict[str, str]


class EvidenceCreated(BaseModel):
    evidence: Evidence
    upload: UploadForm


class EvidenceForReview(BaseModel):
    evidence: Evidence
    view_url: str


class EvidenceDecision(BaseModel):
    evidence: Evidence
    attendance: AttendanceResult | None = None


@dataclass
class EvidenceService:
    evidence: EvidenceRepository
    files: EvidenceFiles
    activities: ActivityRepository
    attendance: ActivityService
    is_registered: Any  # (organisation_code, user_id) -> bool

    def start(self, user_id: str, request: EvidenceRequest) -> EvidenceCreated:
        known_organisation(request.organisation_code)
        activity = self.activities.get_activity(request.organisation_code, request.activity_id)
        if not (activity.starts_at.date() <= request.day <= activity.ends_at.date()) or request.day > clock.today():
            raise InvalidInput(f"{request.day} is not a past day of the activity", parameter="day")
        if not self.is_registered(request.organisation_code, user_id):
            raise NotRegisteredWithOrganisation(
                f"not registered with {request.organisation_code}", organisation_code=request.organisation_code
            )
        evidence_id = new_evidence_id()
        evidence = Evidence(
            id=evidence_id,
            organisation_code=request.organisation_code,
            user_id=user_id,
            activity_id=activity.id,
            day=request.day,
            content_type=request.content_type,
            size_bytes=request.size_bytes,
            note=request.note,
            object_key=f"evidence/{request.organisation_code}/{user_id}/{evidence_id}",
            created_at=clock.now(),
        )
        self.evidence.create(evidence)
        form = self.files.upload_form(evidence)
        return EvidenceCreated(evidence=evidence, upload=UploadForm(url=form["url"], fields=form["fields"]))

    def submit(self, user_id: str, organisation_code: str, evidence_id: str) -> Evidence:
        """After the upload: the file must be there, of the declared type, within the limit."""
        evidence = self.evidence.get(organisation_code, user_id, evidence_id)
        uploaded = self.files.uploaded(evidence)
        if uploaded is None or not uploaded[1].startswith(evidence.content_type):
            raise EvidenceNotUploaded(f"no matching upload for {evidence_id}", evidence_id=evidence_id)
        return self.evidence.mark_submitted(evidence, clock.now())

    def mine(self, user_id: str, organisation_code: str, limit: int, token: str | None = None) -> Page[Evidence]:
        known_organisation(organisation_code)
        return self.evidence.of_user(organisation_code, user_id, limit, token)

    # --- staff -------------------------------------------------------------------------------------------------------

    def to_review(self, staff: StaffMember, limit: int, token: str | None = None) -> Page[Evidence]:
        staff.require(VIEWER)
        return self.evidence.to_review(staff.organisation.code, limit, token)

    def view(self, staff: StaffMember, user_id: str, evidence_id: str) -> EvidenceForReview:
        staff.require(VIEWER)
        evidence = self.evidence.get(staff.organisation.code, user_id, evidence_id)
        return EvidenceForReview(evidence=evidence, view_url=self.files.view_url(evidence))

    def accept(self, staff: StaffMember, user_id: str, evidence_id: str) -> EvidenceDecision:
        staff.require(EDITOR)
        evidence = self.evidence.get(staff.organisation.code, user_id, evidence_id)
        if evidence.status != "submitted":
            raise EvidenceAlreadyDecided(f"evidence {evidence_id} is {evidence.status}", evidence_id=evidence_id)
        # The record first: if deciding then fails (a concurrent decision), the record exists once all the same.
        attendance = self.attendance.record_from_evidence(staff, evidence.activity_id, user_id, evidence.day)
        decided = self.evidence.decide(evidence, "accepted", staff.user_id, clock.now(), None)
        return EvidenceDecision(evidence=decided, attendance=attendance)

    def reject(self, staff: StaffMember, user_id: str, evidence_id: str, reason: str) -> EvidenceDecision:
        staff.require(EDITOR)
        evidence = self.evidence.get(staff.organisation.code, user_id, evidence_id)
        return EvidenceDecision(evidence=self.evidence.decide(evidence, "rejected", staff.user_id, clock.now(), reason))
