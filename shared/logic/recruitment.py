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
from .organisations import known_organisation


@dataclass
class RecruitmentService:
    activities: ActivityRepository
    registrations: Repository

    def open_activities_for(self, user_id: str) -> list[OpenActivity]:
        """One Query for the person's registrations, then one per organisation registered with."""
        now = clock.now()
        codes = sorted({r.organisation_code for r in self.registrations.list_registrations_of_user(user_id)})
        found = [a for code in codes for a in self.activities.open_activities(code, now)]
        return sorted(found, key=lambda a: (a.starts_at, a.id))

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

    def my_applications(self, user_id: str) -> list[Application]:
        return self.activities.applications_of_user(user_id)

    # --- staff ---------------------------------------------------------------------------------------------------------

    def applicants(self, staff: StaffMember, activity_id: str) -> list[Application]:
        staff.require(VIEWER)
        activity = self.activities.get_activity(staff.organisation.code, activity_id)
        return self.activities.applications_of_activity(activity.id)

    def decide(
        self, staff: StaffMember, activity_id: str, user_id: str, status: Literal["accepted", "declined"]
    ) -> Application:
        staff.require(EDITOR)
        activity = self.activities.get_activity(staff.organisation.code, activity_id)
        return self.activities.decide_application(activity.organisation_code, activity.id, user_id, status, clock.now())
