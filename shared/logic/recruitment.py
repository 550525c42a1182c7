"""Recruitment (R-BAS-7): registrants see the open activities of the organisations they registered with and apply
from the app (or follow the activity's external page); staff see the applicants and accept or decline them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .. import clock
from ..domain.staff import EDITOR, VIEWER, StaffMember
from ..dal.activities import ActivityRepository
from ..dal.repository import Repository
from ..domain.activities import Application, OpenActivity, is_open_for_applications
from ..domain.errors import ApplicationsClosed, ApplyExternally
from ..domain.paging import Page
from .organisations import known_organisation


@dataclass
class RecruitmentService:
    activities: ActivityRepository
    registrations: Repository

    def open_activities_for(self, user_id: str, limit: int, token: str | None = None) -> Page[OpenActivity]:
        """A page of the open activities of the organisations the person registered with: bounded whatever their
        number (the data layer reads a bounded number of registrations per page)."""
        return self.activities.open_activities_of_user(user_id, clock.now(), limit, token)

    def apply(self, user_id: str, organisation_code: str, activity_id: str, message: str | None) -> Application:
        known_organisation(organisation_code)
        activity = self.activities.get_activity(organisation_code, activity_id)
        now = clock.now()
        if not is_open_for_applications(activity, now):
            raise ApplicationsClosed(f"{activity_id} does not take applications", activity_id=activity_id)
        if activity.external_url:
            raise ApplyExternally(f"apply at {activity.external_url}", external_url=activity.external_url)
        application = Application(
            organisation_code=organisation_code, activity_id=activity_id, user_id=user_id, message=message, applied_at=now
        )
        self.activities.apply(activity, application, now)
        return application

    def withdraw(self, user_id: str, organisation_code: str, activity_id: str) -> None:
        self.activities.withdraw_application(organisation_code, activity_id, user_id)

    def my_applications(self, user_id: str, limit: int, token: str | None = None) -> Page[Application]:
        return self.activities.applications_of_user(user_id, limit, token)

    # --- staff ---------------------------------------------------------------------------------------------------------

    def applicants(self, staff: StaffMember, activity_id: str, limit: int, token: str | None = None) -> Page[Application]:
        staff.require(VIEWER)
        activity = self.activities.get_activity(staff.organisation.code, activity_id)
        return self.activities.applications_of_activity(activity.id, limit, token)

    def decide(
        self, staff: StaffMember, activity_id: str, user_id: str, status: Literal["accepted", "declined"]
    ) -> Application:
        staff.require(EDITOR)
        activity = self.activities.get_activity(staff.organisation.code, activity_id)
        return self.activities.decide_application(activity.organisation_code, activity.id, user_id, status, clock.now())
