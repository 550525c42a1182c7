"""The route table: every HTTP route of both APIs, the function that serves it, and whether it needs a signed-in
user. The CDK stack builds API Gateway from it, the local gateway dispatches with it, and a test checks that each
function's resolver serves exactly its routes: one source of truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Route:
    api: Literal["app", "admin"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str  # API Gateway syntax: /organisations/{code}
    function: str  # a function of shared/functions.py with an Http trigger
    auth: bool  # True: the API's Cognito authorizer must accept the caller's ID token


ROUTES: tuple[Route, ...] = (
    # register: organisations, registrations, cards (app API)
    Route("app", "GET", "/organisations", "register", auth=False),
    Route("app", "GET", "/organisations/{code}", "register", auth=False),
    Route("app", "GET", "/postal-codes/{postal_code}", "register", auth=False),
    Route("app", "GET", "/statistics/national", "register", auth=False),  # R-STAT-2: public, aggregated
    Route("app", "POST", "/registrations", "register", auth=True),
    Route("app", "GET", "/me/registrations", "register", auth=True),
    Route("app", "GET", "/me/registrations/{code}/card", "register", auth=True),
    Route("app", "GET", "/me/recruitment", "register", auth=True),
    Route("app", "GET", "/me/applications", "register", auth=True),
    Route("app", "POST", "/organisations/{code}/activities/{activity_id}/applications", "register", auth=True),
    Route("app", "DELETE", "/organisations/{code}/activities/{activity_id}/applications", "register", auth=True),
    # account: withdrawal and account deletion, the functions that may erase (app API)
    Route("app", "DELETE", "/me/registrations/{code}", "account", auth=True),
    Route("app", "DELETE", "/me", "account", auth=True),
    # verify: identity verification with the My Number Card, pre-launch participations it matches (app API)
    Route("app", "POST", "/me/verification", "verify", auth=True),
    Route("app", "GET", "/me/verification", "verify", auth=True),
    Route("app", "POST", "/me/verification/complete", "verify", auth=True),
    Route("app", "GET", "/me/prelaunch-matches", "verify", auth=True),
    Route("app", "POST", "/me/prelaunch-matches/{code}/{match_id}/confirm", "verify", auth=True),
    Route("app", "DELETE", "/me/prelaunch-matches/{code}/{match_id}", "verify", auth=True),
    # renewal: premium applications and notices (app API)
    Route("app", "POST", "/me/premium-applications", "renewal", auth=True),
    Route("app", "GET", "/me/premium-applications", "renewal", auth=True),
    Route("app", "GET", "/me/premium-applications/{code}/{application_id}", "renewal", auth=True),
    Route("app", "GET", "/me/notices", "renewal", auth=True),
    # checkin: scans and records (app API)
    Route("app", "POST", "/checkins", "checkin", auth=True),
    Route("app", "GET", "/me/records/{code}", "checkin", auth=True),
    Route("app", "POST", "/me/evidence", "checkin", auth=True),
    Route("app", "GET", "/me/evidence/{code}", "checkin", auth=True),
    Route("app", "POST", "/me/evidence/{code}/{evidence_id}/submit", "checkin", auth=True),
    # admin: municipal staff (admin API; every route scoped to the staff member's organisation)
    Route("admin", "GET", "/staff/me", "admin", auth=True),
    Route("admin", "GET", "/statistics", "admin", auth=True),  # R-STAT-1: the organisation's (and area's) figures
    Route("admin", "GET", "/activities", "admin", auth=True),
    Route("admin", "POST", "/activities", "admin", auth=True),
    Route("admin", "GET", "/activities/{activity_id}", "admin", auth=True),
    Route("admin", "PATCH", "/activities/{activity_id}", "admin", auth=True),
    Route("admin", "POST", "/activities/{activity_id}/cancel", "admin", auth=True),
    Route("admin", "GET", "/activities/{activity_id}/checkin-code", "admin", auth=True),
    Route("admin", "GET", "/activities/{activity_id}/records", "admin", auth=True),
    Route("admin", "POST", "/activities/{activity_id}/records", "admin", auth=True),
    Route("admin", "POST", "/prelaunch-imports", "admin", auth=True),
    Route("admin", "GET", "/activities/{activity_id}/applications", "admin", auth=True),
    Route("admin", "PUT", "/activities/{activity_id}/applications/{user_id}/decision", "admin", auth=True),
    Route("admin", "GET", "/registrants", "admin", auth=True),
    Route("admin", "POST", "/registrants/exports", "admin", auth=True),  # the registrant export (CSV, asynchronous)
    Route("admin", "GET", "/registrants/exports", "admin", auth=True),
    Route("admin", "GET", "/registrants/exports/{export_id}", "admin", auth=True),
    Route("admin", "GET", "/registrants/{user_id}", "admin", auth=True),
    Route("admin", "GET", "/registrants/{user_id}/records", "admin", auth=True),
    Route("admin", "GET", "/evidence", "admin", auth=True),
    Route("admin", "GET", "/evidence/{user_id}/{evidence_id}", "admin", auth=True),
    Route("admin", "POST", "/evidence/{user_id}/{evidence_id}/accept", "admin", auth=True),
    Route("admin", "POST", "/evidence/{user_id}/{evidence_id}/reject", "admin", auth=True),
    Route("admin", "GET", "/premium-settings", "admin", auth=True),
    Route("admin", "PUT", "/premium-settings", "admin", auth=True),
    Route("admin", "GET", "/premium-applications", "admin", auth=True),
    Route("admin", "GET", "/premium-applications/{user_id}/{application_id}", "admin", auth=True),
    Route("admin", "POST", "/premium-applications/{user_id}/{application_id}/decision", "admin", auth=True),
    # admin: the approval page staff open from the e-mailed link (R-PRE-5). No authorizer: a link opened in a browser
    # sends no Authorization header; the admin function verifies the link, its own staff session and the forms.
    Route("admin", "GET", "/approval", "admin", auth=False),
    Route("admin", "POST", "/approval/sign-in", "admin", auth=False),
    Route("admin", "POST", "/approval/decision", "admin", auth=False),
)
