"""Municipal staff: who they are (one organisation) and what their roles allow. The roles come from the staff
pool's groups; shared/api/staff.py reads the token's claims and builds a StaffMember with `parse_groups`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..organisations import catalog
from ..organisations.catalog import Organisation
from .errors import Forbidden, Unauthenticated

EDITOR = "editor"  # designates activities, enters records, imports, approves
VIEWER = "viewer"  # reads only
ROLES = (EDITOR, VIEWER)


@dataclass(frozen=True)
class StaffMember:
    user_id: str
    organisation: Organisation
    roles: frozenset[str]

    def require(self, role: str) -> None:
        if role not in self.roles and not (role == VIEWER and EDITOR in self.roles):
            raise Forbidden(f"the {role} role is needed", required_role=role)


def parse_groups(claim: str | list | None) -> frozenset[str]:
    """The group names of a `cognito:groups` claim, exactly; a name is never split or trimmed into another one.

    API Gateway's Cognito authorizer passes every claim as a string; the array arrives as
    - `[editor, viewer]` (REST API) or `[editor viewer]` (HTTP API): brackets, names separated by ", " or " ";
    - a JSON array `["editor","viewer"]` (so the local gateway passes it);
    - `editor viewer`, or a single name, without brackets.
    Cognito group names cannot contain whitespace (GroupName pattern [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+), so whitespace
    always separates two names; a comma or a bracket without a following space is part of a name ("pending,editor"
    and "[editor]" are groups of their own, not editor). A list (a decoded token) is taken as it is."""
    if claim is None:
        return frozenset()
    if isinstance(claim, list):
        return frozenset(g for g in claim if isinstance(g, str))
    text = claim.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return frozenset(g for g in parsed if isinstance(g, str))
        return frozenset(name for name in re.split(r",? +", text[1:-1]) if name)
    return frozenset(text.split())


def staff_from_claims(claims: dict) -> StaffMember:
    """The staff member a staff pool ID token's claims name: `sub`, `custom:lg_code`, `cognito:groups`. From the
    admin API authorizer's context (every claim a string), or from a token the approval page verified itself (the
    groups a list). No organisation or no role: Forbidden; no subject: Unauthenticated."""
    subject, code = claims.get("sub"), claims.get("custom:lg_code")
    if not subject:
        raise Unauthenticated("a valid staff ID token is required")
    organisation = catalog.get(code) if code else None
    if organisation is None:
        raise Forbidden("the staff account has no valid organisation (custom:lg_code)")
    roles = parse_groups(claims.get("cognito:groups")) & set(ROLES)
    if not roles:
        raise Forbidden("the staff account has no role (cognito:groups: editor or viewer)")
    return StaffMember(user_id=subject, organisation=organisation, roles=roles)
