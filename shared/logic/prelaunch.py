"""Importing the pre-launch activity records template (R-ACT-5): every row checked, a report of every bad row,
good rows stored even when others are bad, and the same file imported twice adds nothing."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from .. import clock
from ..domain.staff import EDITOR, StaffMember
from ..dal.prelaunch import PrelaunchRepository
from ..domain import prelaunch
from ..domain.prelaunch import RowProblem


class AcceptedRow(BaseModel):
    row_number: int
    activity_name: str
    day: str
    minor: bool
    newly_stored: bool = Field(description="False: imported before (same participation), not stored again")


class ImportResult(BaseModel):
    uploader_code: str
    venue_code: str
    total_rows: int
    accepted_count: int
    stored_count: int = Field(description="Accepted rows not imported before")
    already_imported_count: int
    rejected_count: int
    minor_count: int
    accepted: list[AcceptedRow]
    rejected: list[RowProblem] = Field(description="Every bad row with every reason (Japanese)")


@dataclass
class PrelaunchImportService:
    repository: PrelaunchRepository

    def import_file(self, staff: StaffMember, filename: str | None, data: bytes, venue_code: str | None) -> ImportResult:
        staff.require(EDITOR)
        venue = prelaunch.resolve_venue(staff.organisation, venue_code)
        rows = prelaunch.parse_upload(filename, data)
        report = prelaunch.validate_rows(rows, staff.organisation, venue, clock.now())
        stored = {r.row_key for r in self.repository.store_new(report.accepted)}
        return ImportResult(
            uploader_code=report.uploader_code,
            venue_code=report.venue_code,
            total_rows=report.total,
            accepted_count=report.accepted_count,
            stored_count=len(stored),
            already_imported_count=report.accepted_count - len(stored),
            rejected_count=report.rejected_count,
            minor_count=report.minor_count,
            accepted=[
                AcceptedRow(
                    row_number=r.row_number, activity_name=r.activity_name, day=r.starts_at.date().isoformat(),
                    minor=r.minor, newly_stored=r.row_key in stored,
                )
                for r in report.accepted
            ],
            rejected=report.rejected,
        )
