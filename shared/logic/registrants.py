"""What staff see of one registrant (R-PRIV-2): their registration with the staff's organisation, personal data
included, and their records there. A prefecture also sees the registrations with its municipalities that it was
co-registered through (R-ORG-3), and nothing of other municipalities."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel, Field

from ..domain.staff import VIEWER, StaffMember
from ..dal.activities import ActivityRepository
from ..dal.registrants import RegistrantRepository
from ..dal.repository import Repository
from .. import clock
from ..domain.activities import ActivityRecord
from ..domain.errors import RegistrationNotFound
from ..domain.models import Registration
from ..domain.paging import Paged
from ..domain.registrants import RegistrantFilter, RegistrantSummary, summary
from .activities import records_window, with_activity_names


class RegistrantView(BaseModel):
    registration: Registration
    co_registered_through: list[Registration] = Field(
        default_factory=list, description="A prefecture's view: the municipality registrations it came through (R-ORG-3)"
    )


class RegistrantList(Paged):
    registrants: list[RegistrantSummary] = Field(
        description="Shard after shard of the organisation's registrants, newest registration first within each "
        "(not one order over the whole list); a filtered page may hold fewer than `limit` with a `next`"
    )


class RegistrantRecords(Paged):
    user_id: str
    count_last_12_months: int = Field(description="Every record of the 12 months, not this page's")
    records: list[ActivityRecord]


@dataclass
class RegistrantService:
    registrations: Repository
    activities: ActivityRepository
    listing: RegistrantRepository

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

    def list(
        self, staff: StaffMember, wanted: RegistrantFilter, limit: int, token: str | None = None
    ) -> RegistrantList:
        """A page of the staff organisation's registrants (R-PRIV-2; a prefecture's include those co-registered
        through its municipalities, R-ORG-3), filtered: one Query of the registrants index (more only to go on into
        the next shard), then the page's personal data with one BatchGetItem of its registrations."""
        staff.require(VIEWER)
        code = staff.organisation.code
        page = self.listing.page(code, wanted, clock.today(), limit, token)
        return RegistrantList(registrants=self._rows(code, page.items), next=page.next)

    def all_pages(self, staff: StaffMember, wanted: RegistrantFilter, page_size: int) -> Iterator[RegistrantList]:
        """Every page of the list, in turn (a later export job iterates this; each page costs what `list` costs)."""
        staff.require(VIEWER)
        code, today = staff.organisation.code, clock.today()
        for page in self.listing.pages(code, wanted, today, page_size):
            yield RegistrantList(registrants=self._rows(code, page.items, today), next=page.next)

    def page_of(
        self, code: str, wanted: RegistrantFilter, today, limit: int, token: str | None = None
    ) -> RegistrantList:
        """A page of an organisation's list for a job that checked the staff member when it was asked for (the
        registrant export, shared/logic/exports.py): what `list` returns, as of `today`."""
        page = self.listing.page(code, wanted, today, limit, token)
        return RegistrantList(registrants=self._rows(code, page.items, today), next=page.next)

    def _rows(self, code: str, items: list[dict], today=None) -> list[RegistrantSummary]:
        personal = self.listing.personal_data(code, [i["user_id"] for i in items]) if items else {}
        today = today or clock.today()
        return [summary(item, personal.get(item["user_id"]), today) for item in items]

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
