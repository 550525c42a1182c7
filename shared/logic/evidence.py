"""Evidence of attendance (R-ACT-3): a registrant uploads a photo or document for an activity they attended without
scanning; staff of the designating organisation accept it (it becomes a record, counted like a scan: R-ACT-4) or
reject it with a reason. Files: docs/decisions.md (2026-12-02, evidence files)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .. import clock
from ..domain.staff import EDITOR, VIEWER, StaffMember
from ..dal.activities import ActivityRepository
from ..dal.evidence import EvidenceFiles, EvidenceRepository, OpenUploads
from ..domain import evidence as file_rules
from ..domain.activities import Evidence, EvidenceRequest, new_evidence_id
from ..domain.errors import (
    EvidenceAlreadyDecided,
    EvidenceNotFound,
    EvidenceNotUploaded,
    InvalidInput,
    NotRegisteredWithOrganisation,
)
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
        now = clock.now()
        open_uploads = self.evidence.open_uploads(user_id)
        open_until = file_rules.room_for_another_upload(open_uploads.entries, now)
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
            object_key=self.files.upload_key(request.organisation_code, user_id, evidence_id),
            created_at=now,
        )
        still_open = OpenUploads(file_rules.still_open(open_uploads.entries, now), open_uploads.version)
        self.evidence.create(evidence, still_open, open_until)
        form = self.files.upload_form(evidence)
        return EvidenceCreated(evidence=evidence, upload=UploadForm(url=form["url"], fields=form["fields"]))

    def submit(self, user_id: str, organisation_code: str, evidence_id: str) -> Evidence:
        """After the upload: the file must be there, exactly as declared (size, type, first bytes). It is copied
        where no upload form reaches, and that copy is what staff review. Submitting again changes nothing and
        returns the evidence as it is (the first submission's time and file)."""
        evidence = self.evidence.get(organisation_code, user_id, evidence_id)
        if evidence.status != "awaiting_upload":
            return evidence
        now = clock.now()
        file_rules.check_still_open(evidence, now)
        uploaded = self.files.uploaded(evidence)
        if uploaded is None:
            raise EvidenceNotUploaded(f"nothing uploaded for {evidence_id}", evidence_id=evidence_id)
        file_rules.check_upload(evidence, uploaded)
        # Copy, then record the submission, then delete the upload: a failure at any step leaves the evidence
        # awaiting upload with its upload in place, and the same submit completes it.
        reviewed_key = self.files.keep_for_review(evidence, uploaded)
        submitted = self.evidence.mark_submitted(evidence, now, reviewed_key)
        if submitted is None:  # a concurrent submit won: its result stands
            return self.evidence.get(organisation_code, user_id, evidence_id)
        self.files.discard_upload(evidence.object_key)
        return submitted

    def mine(self, user_id: str, organisation_code: str, limit: int, token: str | None = None) -> Page[Evidence]:
        known_organisation(organisation_code)
        return self.evidence.of_user(organisation_code, user_id, limit, token)

    # --- staff -------------------------------------------------------------------------------------------------------

    def to_review(self, staff: StaffMember, limit: int, token: str | None = None) -> Page[Evidence]:
        staff.require(VIEWER)
        return self.evidence.to_review(staff.organisation.code, limit, token)

    def view(self, staff: StaffMember, user_id: str, evidence_id: str) -> EvidenceForReview:
        """Staff see only submitted files (the reviewed copy), never an upload in progress."""
        staff.require(VIEWER)
        evidence = self.evidence.get(staff.organisation.code, user_id, evidence_id)
        if evidence.status == "awaiting_upload":
            raise EvidenceNotFound(f"evidence {evidence_id} is not submitted", evidence_id=evidence_id)
        return EvidenceForReview(evidence=evidence, view_url=self.files.view_url(evidence))

    def accept(self, staff: StaffMember, user_id: str, evidence_id: str) -> EvidenceDecision:
        """The records (venue and prefecture, source `evidence`) and the decision in one transaction."""
        staff.require(EDITOR)
        evidence = self.evidence.get(staff.organisation.code, user_id, evidence_id)
        if evidence.status != "submitted":
            raise EvidenceAlreadyDecided(f"evidence {evidence_id} is {evidence.status}", evidence_id=evidence_id)
        activity, records = self.attendance.evidence_attendance(staff, evidence.activity_id, user_id, evidence.day)
        attendance = self.activities.attendance_transaction(
            activity.organisation_code, activity.id, records, registered_with=activity.organisation_code
        )
        accepted, created, record = self.evidence.accept(evidence, staff.user_id, clock.now(), attendance)
        return EvidenceDecision(evidence=accepted, attendance=self.attendance.attendance_result(created, record, activity))

    def reject(self, staff: StaffMember, user_id: str, evidence_id: str, reason: str) -> EvidenceDecision:
        staff.require(EDITOR)
        evidence = self.evidence.get(staff.organisation.code, user_id, evidence_id)
        if evidence.status != "submitted":
            raise EvidenceAlreadyDecided(f"evidence {evidence_id} is {evidence.status}", evidence_id=evidence_id)
        return EvidenceDecision(evidence=self.evidence.reject(evidence, staff.user_id, clock.now(), reason))
