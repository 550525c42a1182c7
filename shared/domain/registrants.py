"""The staff registrant list (R-PRIV-2, R-ORG-3): which registrations a list asks for (filters), and what one row
shows. Pure rules; the data layer turns a filter into a key condition and a filter expression
(shared/dal/registrants.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from .errors import InvalidInput
from .models import Level, PersonalInfo
from .premium import is_premium
from .survey import COMMON_QUESTIONS

RELATIONSHIP_QUESTION = "relationship"
RELATIONSHIP_CHOICES: tuple[str, ...] = next(
    tuple(c.id for c in q.choices) for q in COMMON_QUESTIONS if q.id == RELATIONSHIP_QUESTION
)
Relationship = Literal[
    "birthplace", "lived_before", "type1_remote_support", "type2_regular_visits", "type3_community_work",
    "type4_dual_residence", "family_ties", "interested",
]
# The Literal is what the OpenAPI document shows; it must be the survey's choices exactly (tests/unit).
assert set(Relationship.__args__) == set(RELATIONSHIP_CHOICES)  # type: ignore[attr-defined]


def relationships_of(answers: dict[str, Any]) -> frozenset[str]:
    """The relationship types a registration's survey answers declare (the common `relationship` question)."""
    answer = answers.get(RELATIONSHIP_QUESTION) or ()
    chosen = {answer} if isinstance(answer, str) else set(answer)
    return frozenset(chosen & set(RELATIONSHIP_CHOICES))


class RegistrantFilter(BaseModel):
    """What a staff list of registrants asks for; every field optional (None: any)."""

    level: Level | None = None  # as of today: premium while `premium_expires_on` has not passed (R-PRE-6)
    verified: bool | None = None  # identity verified and shared with the organisation (R-BAS-4)
    resident: bool | None = None  # lives there: not counted as 関係人口 (R-BAS-6)
    relationship: Relationship | None = None
    since_from: date | None = None  # registered on or after this day (Asia/Tokyo)
    since_to: date | None = None  # registered on or before this day

    def since_bounds(self) -> tuple[str, str] | None:
        """The registrants index sort-key range (`<since ISO 8601>#<user id>`) of the registration days asked for;
        None: every day. `since` is stored in Japan's time, so a day's prefix is the Tokyo day."""
        if self.since_from is None and self.since_to is None:
            return None
        if self.since_from is not None and self.since_to is not None and self.since_from > self.since_to:
            raise InvalidInput("since_from is after since_to", parameter="since_from")
        low = self.since_from.isoformat() if self.since_from else "0000"
        high = f"{self.since_to.isoformat()}~" if self.since_to else "9999~"  # "~" sorts after the time ("T…")
        return low, high


class RegistrantSummary(BaseModel):
    """One row of the staff list: what the registration says, and personal data only if the person gave it to this
    organisation (the registration's own `personal`)."""

    user_id: str
    level: Level = Field(description="As of today: premium while premium_expires_on has not passed (R-PRE-6)")
    premium_expires_on: date | None = Field(
        default=None, description="The last day of the latest premium period, if any"
    )
    verified: bool = Field(description="Identity verified with the My Number Card and shared with this organisation")
    verified_on: date | None = None
    resident: bool = Field(description="Lives there: not counted as 関係人口 (R-BAS-6)")
    relationships: list[Relationship] = Field(default_factory=list, description="Survey answer: relationship types")
    registered_since: datetime
    direct: bool = Field(description="Registered here directly (a prefecture: false when only co-registered)")
    via: list[str] = Field(
        default_factory=list, description="A prefecture's co-registration: through these municipalities (R-ORG-3)"
    )
    last_active_month: str | None = Field(
        default=None, description="YYYY-MM of the last attendance at an activity this organisation designated"
    )
    personal: PersonalInfo | None = Field(default=None, description="Only what the person gave this organisation")


def summary(item: dict[str, Any], personal: PersonalInfo | None, today: date) -> RegistrantSummary:
    """A row from a registrants index item (projected attributes) and the registration's personal data."""
    expires = date.fromisoformat(item["premium_expires_on"]) if item.get("premium_expires_on") else None
    verified_on = date.fromisoformat(item["personal_verified_on"]) if item.get("personal_verified_on") else None
    return RegistrantSummary(
        user_id=item["user_id"],
        level="premium" if is_premium(expires, today) else "basic",
        premium_expires_on=expires,
        verified=verified_on is not None,
        verified_on=verified_on,
        resident=bool(item.get("resident", False)),
        relationships=sorted(set(item.get("relationships", ())) & set(RELATIONSHIP_CHOICES)),
        registered_since=datetime.fromisoformat(item["since"]),
        direct=bool(item.get("direct", False)),
        via=sorted(item.get("via", ())),
        last_active_month=item.get("last_active_month"),
        personal=personal,
    )


def last_active_month(day: date) -> str:
    return day.isoformat()[:7]
