"""Importing the pre-launch activity records template (R-ACT-5): every row checked, good rows stored even when
others are bad, and the same file imported twice adds nothing. The report is bounded whatever the file (Lambda
answers at most 6 MB; a 0.8 MB CSV of bad rows once made a 6.55 MB report): the counts of every row, the first rows
in full, and every bad row counted under the kinds of its problems."""

from __future__ import annotations

from collections import Counter
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


REPORT_ROWS = 100  # accepted rows and bad rows shown in full, each
REPORT_TEXT_CHARS = 200  # a cell value or a reason as shown back (a hostile cell may hold megabytes)
REPORT_REASON_KINDS = 50  # kinds of problem counted by name; the rest under OTHER_REASONS
OTHER_REASONS = "その他の理由"
DUPLICATE_REASON = "同じ活動・同じ参加者の行がファイル内で重複しています"


class ReasonCount(BaseModel):
    reason: str = Field(description="A kind of problem (Japanese), without the row's values")
    rows: int = Field(description="Bad rows with this problem")


class ImportResult(BaseModel):
    uploader_code: str
    venue_code: str
    total_rows: int
    accepted_count: int
    stored_count: int = Field(description="Accepted rows not imported before")
    already_imported_count: int
    rejected_count: int
    minor_count: int
    accepted: list[AcceptedRow] = Field(description=f"The first {REPORT_ROWS} accepted rows")
    rejected: list[RowProblem] = Field(
        description=f"The first {REPORT_ROWS} bad rows with every reason (Japanese); values and reasons cut at "
        f"{REPORT_TEXT_CHARS} characters"
    )
    rejected_by_reason: list[ReasonCount] = Field(
        description=f"Every bad row counted under each kind of its problems, most frequent first ({REPORT_REASON_KINDS} "
        f"kinds at most, the rest under {OTHER_REASONS})"
    )


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
                for r in report.accepted[:REPORT_ROWS]
            ],
            rejected=[_shown(p) for p in report.rejected[:REPORT_ROWS]],
            rejected_by_reason=_by_reason(report.rejected),
        )


def _cut(text: str | None) -> str | None:
    return text if text is None or len(text) <= REPORT_TEXT_CHARS else text[: REPORT_TEXT_CHARS - 1] + "…"


def _shown(problem: RowProblem) -> RowProblem:
    return problem.model_copy(
        update={"reasons": [_cut(r) for r in problem.reasons], "raw": {k: _cut(v) for k, v in problem.raw.items()}}
    )


def _kind(reason: str, problem: RowProblem) -> str:
    """A reason without the row's values: reasons read "<what>: <the value as written>"."""
    if problem.duplicate_of is not None:
        return DUPLICATE_REASON
    return _cut(reason.split(": ", 1)[0]) or reason


def _by_reason(problems: list[RowProblem]) -> list[ReasonCount]:
    counts = Counter(kind for p in problems for kind in {_kind(r, p) for r in p.reasons})
    ranked = counts.most_common()
    shown = [ReasonCount(reason=k, rows=n) for k, n in ranked[:REPORT_REASON_KINDS]]
    rest = sum(n for _, n in ranked[REPORT_REASON_KINDS:])
    return shown + ([ReasonCount(reason=OTHER_REASONS, rows=rest)] if rest else [])
