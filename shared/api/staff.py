"""Who is calling the admin API: a staff member of one organisation, from the staff pool's ID token claims
(`custom:lg_code`, `cognito:groups`) that the authorizer put in the request context. Admin routes never take an
organisation from the request: everything is scoped to the token's organisation (R-PRIV-2). The staff member and their
roles are domain concepts (shared/domain/staff.py); this module only reads the request."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from ..domain.staff import StaffMember, staff_from_claims


def current_staff(app: APIGatewayRestResolver) -> StaffMember:
    context = app.current_event.request_context
    return staff_from_claims((context.authorizer.claims or {}) if context else {})
