"""Use cases of an organisation's premium settings (R-ADM-2, R-PRE-1, R-PRE-2, R-PRE-7): staff read them (viewer)
and save them whole (editor), always their own organisation's, named by the staff token (R-PRIV-2)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import clock
from ..dal.premium_settings import PremiumSettingsRepository
from ..domain.premium_settings import OrganisationPremiumSettings, PremiumSettings, PremiumSettingsUpdate
from ..domain.staff import EDITOR, VIEWER, StaffMember


@dataclass
class PremiumSettingsService:
    repository: PremiumSettingsRepository

    def get(self, staff: StaffMember) -> OrganisationPremiumSettings:
        staff.require(VIEWER)
        return self.repository.get(staff.organisation.code)

    def save(self, staff: StaffMember, update: PremiumSettingsUpdate) -> OrganisationPremiumSettings:
        """The whole settings, if nobody saved since `update.version` was read (else ConcurrentUpdate, 409). No read
        first: the write's condition decides, and a repeated PUT is recognised from the item the condition returns."""
        staff.require(EDITOR)
        settings = OrganisationPremiumSettings(
            **update.model_dump(include=set(PremiumSettings.model_fields)),
            organisation_code=staff.organisation.code,
            version=update.version + 1,
            updated_at=clock.now(),
            updated_by=staff.user_id,
        )
        return self.repository.save(settings, expected_version=update.version)
