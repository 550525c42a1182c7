"""Key builders: the only place that knows how keys are spelled (docs/access-patterns.md lists every query).

Two areas, told apart by the leading key (R-PRIV-1), so IAM can separate them with dynamodb:LeadingKeys:
- organisation area `ORG#<code>…`: an organisation's profile, and each person's registration with it, personal
  data included. A registration is its own partition (`ORG#<code>#USER#<sub>`), so an organisation with a million
  registrants spreads over a million partition keys instead of becoming one hot partition.
- national area `NAT#…`: the account (last access; no personal data but e-mail) and idempotency records."""

from __future__ import annotations

ORG = "ORG#"
NATIONAL = "NAT#"


def organisation_profile(code: str) -> dict[str, str]:
    return {"pk": f"{ORG}{code}", "sk": "PROFILE"}


def registration(code: str, user_id: str) -> dict[str, str]:
    return {"pk": f"{ORG}{code}#USER#{user_id}", "sk": "REGISTRATION"}


def registrations_by_user(user_id: str) -> dict[str, str]:
    """GSI registrations_by_user keys of a registration item (the sort key adds the organisation)."""
    return {"user_pk": f"USER#{user_id}"}


def account(user_id: str) -> dict[str, str]:
    return {"pk": f"{NATIONAL}USER#{user_id}", "sk": "ACCOUNT"}


def idempotency(key: str) -> dict[str, str]:
    return {"pk": f"{NATIONAL}IDEMPOTENCY#{key}", "sk": "IDEMPOTENCY"}


JOINED_PARTITION = "JOINED"  # joined_organisations GSI: at most ~1,800 small items, read through a cache
