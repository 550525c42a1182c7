"""What staff see of one registrant (R-PRIV-2): their registration with the staff's organisation, personal data
included, and their records there. A prefecture also sees the registrations with its municipalities that it was
co-registered through (R-ORG-3), and nothing of other municipalities."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from ..domain.staff import VIEWER, StaffMember
from ..dal.activities import ActivityRepository
from ..dal.repository import Repository
from ..domain.activities import ActivityRecord
from ..domain.errors import RegistrationNotFound
from ..domain.models import Registration
from ..domain.paging import Paged
from .activities import records_window, with_activity_names


class RegistrantView(BaseModel):
    registration: Registration
    co_registered_through: list[Registration] = Field(
        default_factory=list, description="A prefecture's view: the municipality registrations it came through (R-ORG-3)"
    )


class RegistrantRecords(Paged):
    user_id: str
    count_last_12_months: int = Field(description="Every record of the 12 months, not this page's")
    records: list[ActivityRecord]


@dataclass
class RegistrantService:
    registrations: Repository
    activities: ActivityRepository

    def view(self, staff: StaffMember, user_id: str) -> RegistrantView:
        staff.require(VIEWER)
        code = staff.organisation.code
        registration = self.registrations.get_registrations(user_id, [code]).get(code)
        if registration is None:
            raise RegistrationNotFound(f"{user_id} is not registered with {code}", organisation_code=code)
        through: list[Registration] = []
        if staff.organisation.is_prefecture and registration.via:
            found = self.registrations.get_registrations(user_id, sorted(registration.via))
            through = [found[c] for c in sorted(found)]
        return RegistrantView(registration=registration, co_registered_through=through)

    def records(self, staff: StaffMember, user_id: str, limit: int, token: str | None = None) -> RegistrantRecords:
        """A page of the records counted for the staff's organisation (R-ACT-3, R-ACT-4), last 12 months, and their
        count over the whole window: one Query (+1 Select=COUNT when there is more than one page), then the
        activities' current names (one BatchGetItem)."""
        staff.require(VIEWER)
        page, window = records_window(
            self.activities, staff.organisation.code, user_id, limit, token,
            lambda records: with_activity_names(self.activities, records),  # current names: one BatchGetItem
        )
        if not page.items and not self.registrations.get_registrations(user_id, [staff.organisation.code]):
            raise RegistrationNotFound(
                f"{user_id} is not registered with {staff.organisation.code}", organisation_code=staff.organisation.code
            )
        return RegistrantRecords(user_id=user_id, count_last_12_months=window.count, records=page.items, next=page.next)
