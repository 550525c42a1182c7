"""Who is calling the admin API: a staff member of one organisation, from the staff pool's ID token claims
(`custom:lg_code`, `cognito:groups`) that the authorizer put in the request context. Admin routes never take an
organisation from the request: everything is scoped to the token's organisation (R-PRIV-2)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from ..domain.errors import Forbidden
from ..organisations import catalog
from ..organisations.catalog import Organisation
from .resolver import Unauthenticated

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


def _groups(raw: str | list | None) -> frozenset[str]:
    """API Gateway passes list claims as strings ("[a, b]", "a,b" or JSON); accept each form."""
    if raw is None:
        return frozenset()
    if isinstance(raw, list):
        return frozenset(str(g) for g in raw)
    try:
        parsed = json.loads(raw)
        if isinstance(parsed, list):
            return frozenset(str(g) for g in parsed)
    except json.JSONDecodeError:
        pass
    return frozenset(g for g in re.split(r"[\s,\[\]]+", raw) if g)


def current_staff(app: APIGatewayRestResolver) -> StaffMember:
    context = app.current_event.request_context
    claims = (context.authorizer.claims or {}) if context else {}
    subject, code = claims.get("sub"), claims.get("custom:lg_code")
    if not subject:
        raise Unauthenticated("a valid staff ID token is required")
    organisation = catalog.get(code) if code else None
    if organisation is None:
        raise Forbidden("the staff account has no valid organisation (custom:lg_code)")
    roles = _groups(claims.get("cognito:groups")) & set(ROLES)
    if not roles:
        raise Forbidden("the staff account has no role (cognito:groups: editor or viewer)")
    return StaffMember(user_id=subject, organisation=organisation, roles=roles)
