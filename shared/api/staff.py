"""Who is calling the admin API: a staff member of one organisation, from the staff pool's ID token claims
(`custom:lg_code`, `cognito:groups`) that the authorizer put in the request context. Admin routes never take an
organisation from the request: everything is scoped to the token's organisation (R-PRIV-2). The staff member and their
roles are domain concepts (shared/domain/staff.py); this module only reads the request."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from ..domain.errors import Forbidden, Unauthenticated
from ..domain.staff import ROLES, StaffMember, parse_groups
from ..organisations import catalog


def current_staff(app: APIGatewayRestResolver) -> StaffMember:
    context = app.current_event.request_context
    claims = (context.authorizer.claims or {}) if context else {}
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
