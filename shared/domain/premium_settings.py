"""An organisation's premium settings (R-ADM-2, R-PRE-1, R-PRE-2, R-PRE-7): what its premium registration requires,
how applications are approved and by whom, and the long-stay marker. Staff (editor) set them on the admin API; the
judgement (issue 9, later parts) reads them.

The requirement fields are those of shared.domain.premium.PremiumRequirements (same names, limits and defaults, from
its constants; `requirements()` gives the judgement its model), plus how the approval reaches staff. Here they are
the body of `PUT /premium-settings` and, with the version, its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from .models import LgCode, RequestModel
from .premium import EXTRA_CONDITIONS_DESCRIPTION, MAX_EXTRA_CONDITIONS, PremiumRequirements, RequirementFields
from .premium import ExtraCondition as Condition  # one definition: not empty, at most 200 characters

MAX_APPROVERS = 20

# The same shape as PersonalInfo.email: one @, no whitespace, a dot in the domain. Staff work addresses.
EmailAddress = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]

StayEvidence = Literal["record_days"]
STAY_EVIDENCE_DESCRIPTION = (
    "How long-stay days are evidenced (R-PRE-7). `record_days`: the distinct days with an attendance record at this "
    "organisation in the judgement's 12-month window. Staff-entered stays are a later addition "
    "(docs/decisions.md, 2026-12-02 Premium settings)."
)


class PremiumSettings(RequestModel, RequirementFields):
    """The settings as staff send them (strict: a boolean is a JSON boolean, an unknown member is refused): the
    judgement's requirement fields (shared.domain.premium.RequirementFields) and how approvals reach staff."""

    extra_conditions: list[Condition] = Field(
        default_factory=list, max_length=MAX_EXTRA_CONDITIONS, description=EXTRA_CONDITIONS_DESCRIPTION
    )
    stay_evidence: StayEvidence = Field(default="record_days", description=STAY_EVIDENCE_DESCRIPTION)
    approver_emails: list[EmailAddress] = Field(
        min_length=1, max_length=MAX_APPROVERS,
        description="Staff work addresses that receive approval e-mails (R-ADM-3 コーディネーター); no staff directory yet",
    )

    def requirements(self) -> PremiumRequirements:
        """What the judgement reads (shared.domain.premium)."""
        return PremiumRequirements(**self.model_dump(include=set(PremiumRequirements.model_fields)))

    @field_validator("approver_emails")
    @classmethod
    def _each_address_once(cls, value: list[str]) -> list[str]:
        # Domains are case-insensitive and mail systems treat local parts so in practice: one person, one e-mail.
        if len({address.lower() for address in value}) != len(value):
            raise ValueError("an approver address is listed twice")
        return value


class PremiumSettingsUpdate(PremiumSettings):
    """`PUT /premium-settings`: the whole settings and the version they were read at (optimistic concurrency)."""

    version: int = Field(ge=0, description="The version read (`GET /premium-settings`; 0 when never set)")


class OrganisationPremiumSettings(PremiumSettings):
    """The settings as stored and answered. Read back leniently (numbers come back from DynamoDB as Decimal, a member
    added later is not a reason to fail). Never set: the defaults, no approvers yet, version 0."""

    model_config = ConfigDict(strict=False, extra="ignore")
    organisation_code: LgCode
    approver_emails: list[EmailAddress] = Field(  # type: ignore[assignment]
        default_factory=list, max_length=MAX_APPROVERS,
        description="Staff work addresses that receive approval e-mails; empty until first set",
    )
    version: int = Field(default=0, ge=0, description="Send it back with the next PUT; 0: never set (the defaults)")
    updated_at: datetime | None = None
    updated_by: str | None = Field(default=None, description="The staff member (user id) who saved this version")

    def same_settings(self, other: OrganisationPremiumSettings) -> bool:
        """The same settings at the same version, whoever saved them when: a resent write meeting its own result."""
        bookkeeping = {"updated_at", "updated_by"}
        return self.model_dump(exclude=bookkeeping) == other.model_dump(exclude=bookkeeping)


def defaults(organisation_code: str) -> OrganisationPremiumSettings:
    return OrganisationPremiumSettings(organisation_code=organisation_code)
