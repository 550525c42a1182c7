"""Claiming pre-launch records (R-ACT-5) after identity verification with the My Number Card (R-BAS-4): which of an
organisation's unclaimed records are the verified person's.

A record is an EXACT match when its participant's name and birth date equal the card's (after `normalise_name`) and
its place agrees: the same postal code, or its address (or, failing that, its postal code) lies in the municipality
the card's address lies in. It is a NEAR match when name and birth date agree but the place does not (the person
moved, staff mistyped the postal code, or it is someone else with the same name and birth date): offered to the
person to confirm, never claimed silently. Anything else is not theirs. docs/decisions.md, "Claiming pre-launch
records: the matching rule".

Records are filed under `identity_key` (name and birth date), so the exact and the near matches of one organisation
come back from one Query (shared.dal.prelaunch.PrelaunchRepository.unclaimed_of).

Pure: the catalog is read-only data in the package.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..organisations.catalog import municipalities_for_postal_code, municipality_of_address, normalize_postal_code
from .prelaunch import PrelaunchRecord, identity_key, normalise_name

__all__ = [
    "EXACT",
    "NEAR",
    "ClaimantIdentity",
    "Match",
    "claimant_identity_key",
    "match",
    "municipality_code_of",
    "normalise_name",
]

Match = Literal["exact", "near"]
EXACT: Match = "exact"
NEAR: Match = "near"


class ClaimantIdentity(BaseModel):
    """What the card asserted of the person claiming, as the claim needs it (built from the verification's identity;
    nothing here is stored)."""

    model_config = ConfigDict(frozen=True)
    name: str = Field(min_length=1, max_length=100)
    birth_date: date
    address: str = Field(description="The card's address as formatted (with its prefecture)")
    postal_code: str | None = Field(default=None, description="123-4567 or 1234567; None when the card gave none")
    municipality_code: str | None = Field(
        default=None,
        description="The municipality (6-digit code) the verified address lies in; None: derived here from the "
        "address, or from the postal code when it names one municipality (municipality_code_of)",
    )


def claimant_identity_key(name: str, birth_date: date) -> str:
    """The key the claimant's records are filed under: the import's own function (shared.domain.prelaunch)."""
    return identity_key(name, birth_date)


def municipality_code_of(address: str | None, postal_code: str | None) -> str | None:
    """Where an address lies: the municipality its text names, else the one its postal code covers when it covers
    exactly one (a few postal codes span several municipalities: then none, rather than a guess)."""
    found = municipality_of_address(address) if address else None
    if found is not None:
        return found.code
    places = _postal_municipalities(postal_code)
    return next(iter(places)) if len(places) == 1 else None


def match(identity: ClaimantIdentity, record: PrelaunchRecord) -> Match | None:
    """EXACT, NEAR or None for one unclaimed record (R-ACT-5, R-BAS-4); see the module's docstring."""
    participant = record.participant
    if participant.birth_date != identity.birth_date:
        return None
    if normalise_name(participant.name) != normalise_name(identity.name):
        return None
    postal_code = _postal(identity.postal_code)
    if postal_code is not None and _postal(participant.postal_code) == postal_code:
        return EXACT
    verified = identity.municipality_code or municipality_code_of(identity.address, identity.postal_code)
    if verified is not None and verified in _places(participant.address, participant.postal_code):
        return EXACT
    return NEAR


def _places(address: str, postal_code: str) -> frozenset[str]:
    """The municipalities a participant's details put them in: the one their address names (what the person wrote,
    more precise than a postal code), else every municipality of their postal code. A postal code spanning two
    municipalities thus places the person in either: both are neighbours, and name and birth date agree already."""
    found = municipality_of_address(address)
    return frozenset({found.code}) if found is not None else _postal_municipalities(postal_code)


def _postal_municipalities(postal_code: str | None) -> frozenset[str]:
    digits = _postal(postal_code)
    return frozenset(o.code for o in municipalities_for_postal_code(digits)) if digits else frozenset()


def _postal(postal_code: str | None) -> str | None:
    if not postal_code:
        return None
    try:
        return normalize_postal_code(postal_code)
    except (ValueError, TypeError):
        return None
