"""Use cases of designated activities and attendance (R-ACT-1..4): staff designate and manage activities and
their check-in codes; citizens check in by scanning; records count for the venue municipality and its prefecture.
Raises domain errors only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel

from .. import clock
from ..domain.staff import EDITOR, VIEWER, StaffMember
from ..dal.activities import ActivityRepository
from ..domain import activities as rules
from ..domain import checkin_token as tokens
from ..domain.activities import Activity, ActivityInput, ActivityPatch, ActivityRecord, RecordSource
from ..domain.errors import ActivityCancelled, ActivityNotRunning, InvalidInput
from ..domain.paging import Page
from ..organisations import catalog
from .organisations import known_organisation


class CheckinCode(BaseModel):
    activity_id: str
    kind: tokens.TokenKind
    url: str
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class RecordWindow:
    first_day: date
    last_day: date
    count: int  # every record in the window, not the page's


def records_window(
    repository: ActivityRepository,
    organisation_code: str,
    user_id: str,
    limit: int,
    token: str | None,
    finish: Callable[[list[ActivityRecord]], list[ActivityRecord]] = lambda records: records,
) -> tuple[Page[ActivityRecord], RecordWindow]:
    """A page of a person's records for one organisation in the last 12 months (R-ACT-4, toward R-PRE-1's three a
    year), and how many there are in the whole window: the count is never the page's. When the first page holds
    the whole window (nearly always: a few records a year) the count is its length, at no cost; otherwise one
    Select=COUNT Query over the same key condition adds the number, without reading the items back."""
    first, last = rules.twelve_month_window(clock.today())
    page = repository.records_of_user(organisation_code, user_id, first, last, limit, token)
    whole = token is None and page.next is None
    total = len(page.items) if whole else repository.count_records_of_user(organisation_code, user_id, first, last)
    return Page(finish(page.items), page.next), RecordWindow(first, last, total)


class AttendanceResult(BaseModel):
    created: bool
    record: ActivityRecord
    counted_for: list[str]
    message: str


@dataclass
class ActivityService:
    repository: ActivityRepository
    signing_keys: Callable[..., tokens.SigningKeys]  # (refresh: bool = False) -> the current key set

    # --- staff: designation ------------------------------------------------------------------------------------------

    def create(self, staff: StaffMember, data: ActivityInput) -> Activity:
        staff.require(EDITOR)
        venue = rules.resolve_venue(staff.organisation, catalog.get(data.venue_code) if data.venue_code else None)
        now = clock.now()
        activity = Activity(
            **data.model_dump(exclude={"venue_code"}),
            venue_code=venue.code,
            id=rules.new_activity_id(),
            organisation_code=staff.organisation.code,
            created_at=now,
            updated_at=now,
        )
        self.repository.create_activity(activity)
        return activity

    def list(self, staff: StaffMember, limit: int, token: str | None = None) -> Page[Activity]:
        """A page of the organisation's activities, in id order (ids are random: no date order across pages)."""
        staff.require(VIEWER)
        return self.repository.activities_page(staff.organisation.code, limit, token)

    def get(self, staff: StaffMember, activity_id: str) -> Activity:
        staff.require(VIEWER)
        return self.repository.get_activity(staff.organisation.code, activity_id)

    def edit(self, staff: StaffMember, activity_id: str, patch: ActivityPatch) -> Activity:
        staff.require(EDITOR)
        current = self.repository.get_activity(staff.organisation.code, activity_id)
        if current.status == "cancelled":
            raise ActivityCancelled(f"activity {activity_id} is cancelled", activity_id=activity_id)
        changes = patch.model_dump(exclude_unset=True)
        merged = {**current.model_dump(include=set(ActivityInput.model_fields)), **changes}
        try:
            data = ActivityInput.model_validate(merged)
        except ValueError as error:
            raise InvalidInput(str(error)) from error
        venue = rules.resolve_venue(staff.organisation, catalog.get(data.venue_code) if data.venue_code else None)
        updated = current.model_copy(
            update={**data.model_dump(), "venue_code": venue.code, "updated_at": clock.now(), "version": current.version + 1}
        )
        bookkeeping = {"updated_at", "version"}
        if updated.model_dump(exclude=bookkeeping) == current.model_dump(exclude=bookkeeping):
            # Nothing changes, nothing is written: an edit retried after a lost answer answers as the first did.
            return current
        self.repository.replace_activity(updated, expected_version=current.version)
        return updated

    def cancel(self, staff: StaffMember, activity_id: str) -> Activity:
        """Cancelled activities refuse check-ins at once, printed codes included; records already made stay."""
        staff.require(EDITOR)
        current = self.repository.get_activity(staff.organisation.code, activity_id)
        if current.status == "cancelled":
            return current
        cancelled = current.model_copy(update={"status": "cancelled", "updated_at": clock.now(), "version": current.version + 1})
        self.repository.replace_activity(cancelled, expected_version=current.version)
        return cancelled

    # --- staff: check-in codes -------------------------------------------------------------------------------------

    def checkin_code(self, staff: StaffMember, activity_id: str, kind: tokens.TokenKind) -> tuple[Activity, CheckinCode]:
        """R-ACT-2. A printed code is valid through the activity's time window only (a photographed copy is useless
        afterwards); a rotating code, shown on a staff device, changes every minute and lives two minutes."""
        staff.require(EDITOR)
        activity = self.repository.get_activity(staff.organisation.code, activity_id)
        if activity.status == "cancelled":
            raise ActivityCancelled(f"activity {activity_id} is cancelled", activity_id=activity_id)
        now = clock.now()
        common = dict(
            activity_id=activity.id,
            organisation_code=activity.organisation_code,
            venue_code=activity.venue_code,
            starts_at=activity.starts_at,
            ends_at=activity.ends_at,
            now=now,
            attendance_day=None if (activity.multi_day or activity.blanket) else activity.starts_at.date(),
        )
        if kind == "printed":
            claims = tokens.printed_claims(**common)
        else:
            try:
                claims = tokens.rotating_claims(**common)
            except tokens.OutsideActivityWindow as error:
                raise ActivityNotRunning(str(error), activity_id=activity_id) from error
        url = tokens.checkin_url(tokens.issue(claims, self.signing_keys()))
        return activity, CheckinCode(
            activity_id=activity.id, kind=kind, url=url, valid_from=claims.not_before, valid_until=claims.expires
        )

    # --- attendance ------------------------------------------------------------------------------------------------

    def records_of_activity(
        self, staff: StaffMember, activity_id: str, limit: int, token: str | None = None
    ) -> Page[ActivityRecord]:
        staff.require(VIEWER)
        activity = self.repository.get_activity(staff.organisation.code, activity_id)
        page = self.repository.records_of_activity(activity.id, limit, token)
        return Page([r.model_copy(update={"activity_name": activity.name}) for r in page.items], page.next)

    def enter_record(self, staff: StaffMember, activity_id: str, user_id: str, day: date) -> AttendanceResult:
        """Direct entry by staff (R-ACT-3) for a registrant of their organisation, on a day of the activity."""
        return self._record_by_staff(staff, activity_id, user_id, day, "staff_entry")

    def evidence_attendance(
        self, staff: StaffMember, activity_id: str, user_id: str, day: date
    ) -> tuple[Activity, list[ActivityRecord]]:
        """The records accepted evidence becomes (R-ACT-3), counted for the venue and its prefecture like a scan,
        for the caller to write in the same transaction as the decision."""
        return self._staff_records(staff, activity_id, user_id, day, "evidence")

    def _record_by_staff(
        self, staff: StaffMember, activity_id: str, user_id: str, day: date, source: RecordSource
    ) -> AttendanceResult:
        activity, records = self._staff_records(staff, activity_id, user_id, day, source)
        created, record = self.repository.record_attendance(
            activity.organisation_code, activity.id, records, registered_with=activity.organisation_code
        )
        return self.attendance_result(created, record, activity)

    def _staff_records(
        self, staff: StaffMember, activity_id: str, user_id: str, day: date, source: RecordSource
    ) -> tuple[Activity, list[ActivityRecord]]:
        staff.require(EDITOR)
        activity = self.repository.get_activity(staff.organisation.code, activity_id)
        if not (activity.starts_at.date() <= day <= activity.ends_at.date()):
            raise InvalidInput(f"{day} is not a day of the activity", parameter="day")
        if day > clock.today():
            raise InvalidInput("attendance cannot be entered for a future day", parameter="day")
        attendance_day = day if (activity.multi_day or activity.blanket) else activity.starts_at.date()
        records = self._records(activity.organisation_code, activity.id, activity.venue_code, user_id, attendance_day, source, staff.user_id)
        return activity, records

    def attendance_result(self, created: bool, record: ActivityRecord, activity: Activity) -> AttendanceResult:
        result = self._result(created, record, activity.venue_code)
        result.record.activity_name = activity.name
        return result

    def check_in(self, user_id: str, scanned: str, record_access: bool = False) -> AttendanceResult:
        """A citizen scans the code (R-ACT-2): the token is verified, then one transaction records the attendance
        for the venue municipality and its prefecture (R-ACT-4) unless it exists (then the first record is
        returned), refusing a cancelled activity or a person not registered with the designating organisation.
        `record_access`: the day's app access (R-BAS-5) rides in the same transaction, so a scan stays one round
        trip even for the container's first request of the person that day."""
        now = clock.now()
        token = tokens.token_from_scanned_text(scanned)
        try:
            claims = tokens.verify(token, self.signing_keys(), now)
        except tokens.UnknownSigningKey:
            # A rotation may not have reached this container's cached keys yet: fetch them once more.
            claims = tokens.verify(token, self.signing_keys(refresh=True), now)
        day = claims.attendance_day or now.date()
        source: RecordSource = "qr_printed" if claims.kind == "printed" else "qr_rotating"
        return self._attend(
            claims.organisation_code, claims.activity_id, claims.venue_code, user_id, day, source, None, now,
            access_day=now.date() if record_access else None,
        )

    def _attend(
        self,
        designated_by: str,
        activity_id: str,
        venue_code: str,
        user_id: str,
        day: date,
        source: RecordSource,
        recorded_by: str | None,
        running_at: datetime | None,
        access_day: date | None = None,
    ) -> AttendanceResult:
        """Records need a registration with the designating organisation (decision: no implicit registration).
        `running_at`: the activity must be running then (a scan; staff entries are made afterwards)."""
        records = self._records(designated_by, activity_id, venue_code, user_id, day, source, recorded_by)
        created, record = self.repository.record_attendance(
            designated_by, activity_id, records, registered_with=designated_by, running_at=running_at,
            margin=tokens.DEFAULT_MARGIN, access_day=access_day,
        )
        return self._result(created, record, venue_code)

    @staticmethod
    def _records(
        designated_by: str, activity_id: str, venue_code: str, user_id: str, day: date, source: RecordSource,
        recorded_by: str | None,
    ) -> list[ActivityRecord]:
        """One record for the venue municipality and one for its prefecture (R-ACT-4), the venue's first."""
        venue = known_organisation(venue_code)
        now = clock.now()
        return [
            ActivityRecord(
                organisation_code=code, user_id=user_id, activity_id=activity_id, designated_by=designated_by,
                venue_code=venue.code, day=day, source=source, recorded_at=now, recorded_by=recorded_by,
            )
            for code in rules.counted_for(venue)
        ]

    @staticmethod
    def _result(created: bool, record: ActivityRecord, venue_code: str) -> AttendanceResult:
        venue = known_organisation(venue_code)
        names = "・".join(known_organisation(c).name for c in rules.counted_for(venue))
        message = f"参加を記録しました（{names}の活動実績）" if created else "この活動への参加は記録済みです"
        return AttendanceResult(created=created, record=record, counted_for=list(rules.counted_for(venue)), message=message)

    # --- citizens: my records ----------------------------------------------------------------------------------------

    def my_records(
        self, user_id: str, organisation_code: str, limit: int, token: str | None = None
    ) -> tuple[Page[ActivityRecord], RecordWindow]:
        """A page of the person's records counted for one organisation over the last 12 months (one Query, then
        the activities' current names: one BatchGetItem) and the window's count (see `records_window`)."""
        known_organisation(organisation_code)
        return records_window(self.repository, organisation_code, user_id, limit, token, self._with_names)

    def _with_names(self, records: list[ActivityRecord]) -> list[ActivityRecord]:
        """Records keep the activity id, not its name (a QR code carries no name, and names can be edited)."""
        names = self.repository.activity_names({(r.designated_by, r.activity_id) for r in records})
        return [r.model_copy(update={"activity_name": names.get(r.activity_id)}) for r in records]
