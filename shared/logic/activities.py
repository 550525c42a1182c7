"""Use cases of designated activities and attendance (R-ACT-1..4): staff designate and manage activities and
their check-in codes; citizens check in by scanning; records count for the venue municipality and its prefecture.
Raises domain errors only."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field

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


MAX_SHEET_DAYS = 31  # printed codes per sheet: a multi-day event's month on one; a blanket year in pages by from-day


class CheckinCode(BaseModel):
    activity_id: str
    kind: tokens.TokenKind
    url: str
    valid_from: datetime
    valid_until: datetime
    day: date | None = Field(
        default=None,
        description="The day the attendance counts for (every printed code); none: the day of the scan (a rotating "
        "code of a multi-day or blanket activity)",
    )
    schedule_revision: int = Field(description="The activity's schedule revision: a reschedule or change of venue stops the code")


class CheckinSheet(BaseModel):
    """Printed codes for consecutive days of an activity, one per day (R-ACT-2)."""

    codes: list[CheckinCode]
    next_day: date | None = Field(description="The first day of the next sheet; none: this sheet reaches the last day")


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


# A check-in answers with the activity's name (the code carries none). The transaction stays the only write; the name
# is read once per activity per container in this long (a burst of scans at an event reads it once), so an edited name
# shows in a check-in confirmation within minutes.
ACTIVITY_NAME_CACHE_SECONDS = 300


def with_activity_names(repository: ActivityRepository, records: list[ActivityRecord]) -> list[ActivityRecord]:
    """Records keep the activity id, not its name (a QR code carries no name, and names can be edited): the current
    names, one BatchGetItem per 100 activities."""
    if not records:
        return records
    names = repository.activity_names({(r.designated_by, r.activity_id) for r in records})
    # A pre-launch record keeps its own name (no Activity item holds it).
    return [r.model_copy(update={"activity_name": names.get(r.activity_id, r.activity_name)}) for r in records]


@dataclass
class ActivityService:
    repository: ActivityRepository
    # The key stores this function holds (shared/dal/secrets.py): the admin function signs, checkin only verifies.
    signing_key_store: Callable[[], tokens.SigningKeys] | None = None
    verification_key_store: Callable[..., tokens.VerificationKeys] | None = None  # (refresh: bool = False)

    def signing_keys(self) -> tokens.SigningKeys:
        if self.signing_key_store is None:
            raise RuntimeError("CHECKIN_KEYS_SECRET is not set: this function does not sign check-in codes")
        return self.signing_key_store()

    def verification_keys(self, refresh: bool = False) -> tokens.VerificationKeys:
        if self.verification_key_store is None:
            raise RuntimeError("CHECKIN_VERIFY_KEYS_SECRET is not set: this function does not verify check-in codes")
        return self.verification_key_store(refresh=refresh)
    _names: dict[tuple[str, str], tuple[str | None, float]] = field(default_factory=dict, repr=False)

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
        updated = updated.model_copy(update={"schedule_revision": rules.schedule_revision_after(current, updated)})
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

    def checkin_code(
        self, staff: StaffMember, activity_id: str, kind: tokens.TokenKind, day: date | None = None
    ) -> tuple[Activity, CheckinCode]:
        """R-ACT-2. A printed code is valid for one day's window only, so a photographed copy is useless on any other
        day: a single-day activity's time ± margin, or, for a multi-day or blanket activity, the `day` asked for
        (default: today, or the first day ahead of it). A rotating code, shown on a staff device, changes every
        minute and lives two. Every code carries the activity's schedule revision (a reschedule stops it)."""
        staff.require(EDITOR)
        activity = self._active(staff, activity_id)
        now = clock.now()
        if kind == "printed":
            return activity, self._printed_codes(activity, self._first_code_day(activity, day), 1, now)[0]
        if day is not None:
            raise InvalidInput("a rotating code is for now: ask for a printed code to choose a day", parameter="day")
        multi_day = activity.multi_day or activity.blanket
        try:
            claims = tokens.rotating_claims(
                activity.id, activity.organisation_code, activity.venue_code, activity.starts_at, activity.ends_at, now,
                attendance_day=None if multi_day else activity.starts_at.date(),
                schedule_revision=activity.schedule_revision,
            )
        except tokens.OutsideActivityWindow as error:
            raise ActivityNotRunning(str(error), activity_id=activity_id) from error
        return activity, self._code(activity, claims, tokens.issue(claims, self.signing_keys()))

    def checkin_sheet(
        self, staff: StaffMember, activity_id: str, from_day: date | None = None, days: int = MAX_SHEET_DAYS
    ) -> tuple[Activity, CheckinSheet]:
        """Printed codes for `days` consecutive days of the activity from `from_day` (at most MAX_SHEET_DAYS, and not
        past its last day), one per day: what staff print for a multi-day event, or page through for a blanket
        activity's year. A single-day activity has one code."""
        staff.require(EDITOR)
        if not 1 <= days <= MAX_SHEET_DAYS:
            raise InvalidInput(f"days: between 1 and {MAX_SHEET_DAYS} per sheet", parameter="days")
        activity = self._active(staff, activity_id)
        first = self._first_code_day(activity, from_day)
        codes = self._printed_codes(activity, first, days, clock.now())
        last_day = tokens.activity_days(activity.starts_at, activity.ends_at)[1]
        after = codes[-1].day + timedelta(days=1) if codes[-1].day else None
        return activity, CheckinSheet(codes=codes, next_day=after if after and after <= last_day else None)

    def _active(self, staff: StaffMember, activity_id: str) -> Activity:
        activity = self.repository.get_activity(staff.organisation.code, activity_id)
        if activity.status == "cancelled":
            raise ActivityCancelled(f"activity {activity_id} is cancelled", activity_id=activity_id)
        return activity

    @staticmethod
    def _first_code_day(activity: Activity, day: date | None) -> date | None:
        """The day of a printed code: None for a single-day activity (its one window; `day`, if given, must be its
        day); for a multi-day or blanket one `day`, by default today or, ahead of the activity, its first day."""
        first, last = tokens.activity_days(activity.starts_at, activity.ends_at)
        if not (activity.multi_day or activity.blanket):
            if day not in (None, activity.starts_at.date()):
                raise InvalidInput(f"the activity takes place on {activity.starts_at.date()}", parameter="day")
            return None
        if day is None:
            return min(max(clock.today(), first), last)
        if not first <= day <= last:
            raise InvalidInput(f"{day} is not a day of the activity ({first} to {last})", parameter="day")
        return day

    def _printed_codes(self, activity: Activity, first: date | None, days: int, now: datetime) -> list[CheckinCode]:
        keys = self.signing_keys()
        last = tokens.activity_days(activity.starts_at, activity.ends_at)[1]
        wanted = [None] if first is None else [first + timedelta(days=n) for n in range(days) if first + timedelta(days=n) <= last]
        codes = []
        for day in wanted:
            claims = tokens.printed_claims(
                activity.id, activity.organisation_code, activity.venue_code, activity.starts_at, activity.ends_at, now,
                day=day, schedule_revision=activity.schedule_revision,
            )
            codes.append(self._code(activity, claims, tokens.issue(claims, keys)))
        return codes

    @staticmethod
    def _code(activity: Activity, claims: tokens.CheckinClaims, token: str) -> CheckinCode:
        return CheckinCode(
            activity_id=activity.id, kind=claims.kind, url=tokens.checkin_url(token), valid_from=claims.not_before,
            valid_until=claims.expires, day=claims.attendance_day, schedule_revision=claims.schedule_revision,
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
            claims = tokens.verify(token, self.verification_keys(), now)
        except tokens.UnknownSigningKey:
            # A rotation may not have reached this container's cached keys yet: the store refetches them, at most once
            # per interval whatever the key id (forged ids must not cost a Secrets Manager read each).
            claims = tokens.verify(token, self.verification_keys(refresh=True), now)
        day = claims.attendance_day or now.date()
        source: RecordSource = "qr_printed" if claims.kind == "printed" else "qr_rotating"
        result = self._attend(
            claims.organisation_code, claims.activity_id, claims.venue_code, user_id, day, source, None,
            claims.schedule_revision, access_day=now.date() if record_access else None,
        )
        result.record.activity_name = self._activity_name(claims.organisation_code, claims.activity_id)
        return result

    def _activity_name(self, organisation_code: str, activity_id: str) -> str | None:
        key, now = (organisation_code, activity_id), time.monotonic()
        cached = self._names.get(key)
        if cached is None or now - cached[1] > ACTIVITY_NAME_CACHE_SECONDS:
            cached = (self.repository.activity_names({key}).get(activity_id), now)
            self._names[key] = cached
        return cached[0]

    def _attend(
        self,
        designated_by: str,
        activity_id: str,
        venue_code: str,
        user_id: str,
        day: date,
        source: RecordSource,
        recorded_by: str | None,
        schedule_revision: int | None,
        access_day: date | None = None,
    ) -> AttendanceResult:
        """Records need a registration with the designating organisation (decision: no implicit registration).
        `schedule_revision`: a scan's code was issued for this revision of the activity's time and place, and must
        still be current (staff entries, made afterwards, pass None)."""
        records = self._records(designated_by, activity_id, venue_code, user_id, day, source, recorded_by)
        created, record = self.repository.record_attendance(
            designated_by, activity_id, records, registered_with=designated_by,
            schedule_revision=schedule_revision, access_day=access_day,
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
        return with_activity_names(self.repository, records)
