"""Designated activities (担い手活動, R-ACT-1) and attendance records (R-ACT-2..4): models and pure rules."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import clock
from ..organisations.catalog import Organisation
from .errors import InvalidInput
from .models import JsonDate, JsonDateTime, LgCode, RequestModel

# R-ACT-1 / guideline 2-4: (1) a designated project, (2) a designated side job, (3) activity in a public-interest
# group (自治会, NPO, 消防団 …), (4) a public post (観光PR大使, 審議会委員 …).
ActivityKind = Literal["project", "side_job", "public_interest_group", "public_post"]
ActivityStatus = Literal["active", "cancelled"]
RecordSource = Literal["qr_printed", "qr_rotating", "staff_entry", "evidence", "prelaunch_import"]

MAX_SINGLE_ACTIVITY = timedelta(hours=24)
MAX_MULTI_DAY = timedelta(days=31)
MAX_BLANKET = timedelta(days=366)
RECORDS_COUNT_FROM = date(2026, 4, 1)  # R-ACT-5: records from 2026-04 onward count


def _tokyo(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=clock.TOKYO)).astimezone(clock.TOKYO)


class ActivityInput(RequestModel):
    """What staff enter to designate an activity (admin screen, R-ADM-2)."""

    model_config = ConfigDict(str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    kind: ActivityKind
    starts_at: JsonDateTime = Field(description="Asia/Tokyo when no offset is given")
    ends_at: JsonDateTime
    place: str = Field(min_length=1, max_length=200)
    venue_code: LgCode | None = Field(
        default=None,
        description="Municipality where it takes place: required when a prefecture designates it; a municipality's own",
    )
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    conditions: str | None = Field(default=None, max_length=500)
    multi_day: bool = Field(default=False, description="Runs over several consecutive days (R-PRE-2)")
    blanket: bool = Field(
        default=False,
        description="Blanket designation (包括指定): a period, e.g. a 自治会's year, whose attendance is recorded repeatedly",
    )
    recruiting: bool = Field(default=False, description="Open for applications from the app (R-BAS-7)")
    external_url: str | None = Field(default=None, max_length=500, pattern=r"^https://")

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _in_tokyo(cls, value: datetime) -> datetime:
        return _tokyo(value)

    @model_validator(mode="after")
    def _period(self) -> ActivityInput:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        length = self.ends_at - self.starts_at
        limit = MAX_BLANKET if self.blanket else MAX_MULTI_DAY if self.multi_day else MAX_SINGLE_ACTIVITY
        if length > limit:
            raise ValueError(f"an activity of this kind lasts at most {limit.days or 1} day(s); set multi_day or blanket")
        if self.starts_at.date() < RECORDS_COUNT_FROM and self.ends_at.date() < RECORDS_COUNT_FROM:
            raise ValueError("activities before 2026-04-01 do not count (R-ACT-5)")
        return self


class ActivityPatch(RequestModel):
    """A partial edit; the result is validated as a whole (ActivityInput)."""

    name: str | None = None
    description: str | None = None
    kind: ActivityKind | None = None
    starts_at: JsonDateTime | None = None
    ends_at: JsonDateTime | None = None
    place: str | None = None
    venue_code: LgCode | None = None
    capacity: int | None = None
    conditions: str | None = None
    multi_day: bool | None = None
    blanket: bool | None = None
    recruiting: bool | None = None
    external_url: str | None = None


class Activity(ActivityInput):
    # What the table holds and the API returns, not what a client sends: read back leniently (numbers arrive as
    # Decimal) and never refused for a member added later.
    model_config = ConfigDict(strict=False, extra="ignore")
    id: str
    organisation_code: LgCode
    venue_code: LgCode  # type: ignore[assignment]  # always resolved on an activity
    status: ActivityStatus = "active"
    created_at: datetime
    updated_at: datetime
    version: int = 1
    schedule_revision: int = Field(
        default=1,
        description="Bumped whenever its time or place changes: check-in codes issued before carry an older one and "
        "stop working (R-ACT-2); print them again",
    )
    applicants: int = Field(default=0, description="Applications received (kept by the application transactions)")


class PrelaunchProvenance(BaseModel):
    """A record claimed from a pre-launch import (R-ACT-5): which upload row it was, so staff can trace it."""

    uploader_code: LgCode
    row_key: str
    row_number: int
    external_id: str | None = None
    claimed_at: datetime
    confirmed_by_person: bool = Field(description="A near match the person confirmed (not an exact match)")


class ActivityRecord(BaseModel):
    """One attendance, as counted for one organisation (R-ACT-4: the venue municipality and its prefecture each
    get one). At most one per person, activity and day."""

    organisation_code: LgCode  # the organisation it counts for
    user_id: str
    activity_id: str
    activity_name: str | None = Field(default=None, description="The activity's current name (filled when listed)")
    designated_by: LgCode
    venue_code: LgCode
    day: date
    source: RecordSource
    recorded_at: datetime
    recorded_by: str | None = Field(default=None, description="Staff member who entered it (staff_entry, evidence)")
    prelaunch: PrelaunchProvenance | None = Field(
        default=None, description="Where a pre-launch participation came from (source prelaunch_import, R-ACT-5)"
    )


def new_activity_id() -> str:
    """Short, URL-safe and unguessable (activity ids appear in QR codes and URLs)."""
    return "a" + secrets.token_hex(8)


def resolve_venue(organisation: Organisation, venue: Organisation | None) -> Organisation:
    """R-ACT-4: records count for the municipality where the activity takes place and its prefecture. A prefecture
    must name that municipality (one of its own); a municipality's activities take place in it."""
    if organisation.is_prefecture:
        if venue is None:
            raise InvalidInput("venue_code (the municipality where it takes place) is required for a prefecture", parameter="venue_code")
        if venue.is_prefecture or venue.prefecture_code != organisation.code:
            raise InvalidInput(f"{venue.code} is not a municipality of {organisation.name}", parameter="venue_code")
        return venue
    if venue is not None and venue.code != organisation.code:
        raise InvalidInput("a municipality's activities take place in the municipality itself", parameter="venue_code")
    return organisation


def counted_for(venue: Organisation) -> tuple[str, str]:
    """The organisations a record at `venue` counts for (R-ACT-4): the municipality, then its prefecture."""
    return venue.code, venue.prefecture_code


# What a check-in code's validity derives from: changing any of them stops the codes issued before (R-ACT-2).
SCHEDULE_FIELDS = ("starts_at", "ends_at", "venue_code", "place", "multi_day", "blanket")


def schedule_revision_after(current: Activity, edited: Activity) -> int:
    """The edited activity's schedule revision: the current one + 1 when its time or place changed, however little
    (a 5-minute move or another hall included), else unchanged (a new description keeps printed codes valid)."""
    changed = any(getattr(current, name) != getattr(edited, name) for name in SCHEDULE_FIELDS)
    return current.schedule_revision + 1 if changed else current.schedule_revision


def attendance_day(activity: Activity, at: datetime) -> date:
    """The Tokyo day of an attendance: one record per person, activity and day (a multi-day or blanket activity
    collects one per day attended; a single activity one in all)."""
    at = _tokyo(at)
    if not (activity.multi_day or activity.blanket):
        return activity.starts_at.date()
    return at.date()


def twelve_month_window(today: date) -> tuple[date, date]:
    """The last 12 months up to `today`, inclusive (R-PRE-1 counts 3 activities a year), not before 2026-04."""
    try:
        start = today.replace(year=today.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28) + timedelta(days=1)
    return max(start, RECORDS_COUNT_FROM), today


# --- recruitment (R-BAS-7) -------------------------------------------------------------------------------------------

ApplicationStatus = Literal["applied", "accepted", "declined"]


class Application(BaseModel):
    """A registrant's application to take part in an activity an organisation recruits for (R-BAS-7)."""

    organisation_code: LgCode
    activity_id: str
    user_id: str
    status: ApplicationStatus = "applied"
    message: str | None = Field(default=None, max_length=500)
    applied_at: datetime
    decided_at: datetime | None = None


class OpenActivity(BaseModel):
    """An activity as a recruitment notice in the app (no staff-only fields)."""

    id: str
    organisation_code: LgCode
    name: str
    description: str
    kind: ActivityKind
    starts_at: datetime
    ends_at: datetime
    place: str
    venue_code: LgCode
    capacity: int | None = None
    conditions: str | None = None
    external_url: str | None = Field(default=None, description="Apply on this page instead of in the app")


def is_open_for_applications(activity: Activity, now: datetime) -> bool:
    return activity.status == "active" and activity.recruiting and activity.ends_at > now


# --- evidence (R-ACT-3) ----------------------------------------------------------------------------------------------

EvidenceStatus = Literal["awaiting_upload", "submitted", "accepted", "rejected"]
EVIDENCE_CONTENT_TYPES = ("image/jpeg", "image/png", "image/heic", "application/pdf")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


class EvidenceRequest(RequestModel):
    """A registrant's proof of attendance where no code was scanned (R-ACT-3): a photo or a document."""

    organisation_code: LgCode = Field(description="The organisation that designated the activity")
    activity_id: str = Field(pattern=r"^a[0-9a-f]{16}$")
    day: JsonDate
    content_type: Literal["image/jpeg", "image/png", "image/heic", "application/pdf"]
    size_bytes: int = Field(gt=0, le=EVIDENCE_MAX_BYTES)
    note: str | None = Field(default=None, max_length=500)


class Evidence(BaseModel):
    id: str
    organisation_code: LgCode
    user_id: str
    activity_id: str
    day: date
    content_type: str
    size_bytes: int
    note: str | None = None
    status: EvidenceStatus = "awaiting_upload"
    object_key: str = Field(description="Where the file is: its upload key until submitted, then the reviewed copy's")
    created_at: datetime
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    rejection_reason: str | None = None


def new_evidence_id() -> str:
    return "e" + secrets.token_hex(8)
