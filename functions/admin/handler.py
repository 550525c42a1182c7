"""admin function (admin API, municipal staff): designated activities, their check-in codes, records, the premium
settings, premium decisions and the approval page staff open from the e-mailed link.
Every route is scoped to the staff member's organisation from the token (R-PRIV-2, R-ADM-2, R-ACT-1..4); the approval
page's, which have no authorizer, to the organisation of the session the function verifies itself (R-PRE-5)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel, Field

from shared import config, qr, wiring
from shared.api import approval
from shared.api.paging import Limit, NextToken
from shared.api.resolver import COGNITO, FileBody, create_resolver
from shared.api.staff import current_staff
from shared.domain.activities import Activity, ActivityInput, ActivityPatch, ActivityRecord, Application, Evidence
from shared.domain import prelaunch
from shared.domain.models import JsonDate, OrganisationRef, RequestModel
from shared.domain.paging import DEFAULT_PAGE_SIZE, Paged
from shared.domain.premium_application import APPLICATION_ID_PATTERN, DecisionInput
from shared.domain.premium_settings import OrganisationPremiumSettings, PremiumSettingsUpdate
from shared.logic.activities import MAX_SHEET_DAYS, AttendanceResult, CheckinCode
from shared.logic.evidence import EvidenceDecision, EvidenceForReview
from shared.logic.organisations import organisation_ref
from shared.logic.premium import ApplicationForStaff, WaitingList
from shared.logic.prelaunch import ImportResult
from shared.domain.registrants import RegistrantFilter, Relationship
from shared.domain.exports import EXPORT_ID_PATTERN, ExportRequest, RegistrantExport
from shared.logic.exports import ExportList
from shared.logic.registrants import RegistrantList, RegistrantRecords, RegistrantView
from shared.logic.statistics import MONTH_PATTERN, StaffStatistics, as_csv
from shared.observability import entry_point

config.at_cold_start("admin")  # a missing setting fails the start, not the first request needing it
app = create_resolver("ふるさと住民登録 admin API")
STAFF = [{COGNITO: []}]
ActivityId = Annotated[str, Path(pattern=r"^a[0-9a-f]{16}$")]


service = lru_cache(maxsize=1)(wiring.activity_service)


importer = lru_cache(maxsize=1)(wiring.prelaunch_importer)
recruitment = lru_cache(maxsize=1)(wiring.recruitment_service)
evidence = lru_cache(maxsize=1)(wiring.evidence_service)
registrants = lru_cache(maxsize=1)(wiring.registrant_service)
exports = lru_cache(maxsize=1)(wiring.export_service)
premium_settings = lru_cache(maxsize=1)(wiring.premium_settings_service)
premium_decisions = lru_cache(maxsize=1)(wiring.premium_decisions)
approval_desk = lru_cache(maxsize=1)(wiring.approval_desk)
statistics_reader = lru_cache(maxsize=1)(wiring.statistics_reader)


class StaffInfo(BaseModel):
    user_id: str
    organisation: OrganisationRef
    roles: list[str]


class ActivityList(Paged):
    activities: list[Activity] = Field(description="In id order (not by date)")


class RecordList(Paged):
    records: list[ActivityRecord] = Field(description="By day, then person")


class RecordEntry(RequestModel):
    user_id: str = Field(min_length=1, max_length=100, description="The registrant (app user id)")
    day: JsonDate


@app.get("/staff/me", tags=["staff"], summary="Who I am: organisation and roles", security=STAFF)
def whoami() -> StaffInfo:
    staff = current_staff(app)
    return StaffInfo(user_id=staff.user_id, organisation=organisation_ref(staff.organisation), roles=sorted(staff.roles))


@app.get("/activities", tags=["activities"], summary="My organisation's designated activities", security=STAFF)
def list_activities(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> ActivityList:
    found = service().list(current_staff(app), limit, page)
    return ActivityList(activities=found.items, next=found.next)


@app.post(
    "/activities", tags=["activities"], summary="Designate an activity (R-ACT-1)", security=STAFF,
    status_code=201, response_description="Designated",
)
def create_activity(data: Annotated[ActivityInput, Body()]) -> Response[Activity]:
    activity = service().create(current_staff(app), data)
    return Response(status_code=201, content_type="application/json", body=activity)


@app.get("/activities/<activity_id>", tags=["activities"], summary="One activity", security=STAFF)
def get_activity(activity_id: ActivityId) -> Activity:
    return service().get(current_staff(app), activity_id)


@app.patch("/activities/<activity_id>", tags=["activities"], summary="Edit an activity", security=STAFF)
def edit_activity(activity_id: ActivityId, patch: Annotated[ActivityPatch, Body()]) -> Activity:
    return service().edit(current_staff(app), activity_id, patch)


@app.post("/activities/<activity_id>/cancel", tags=["activities"], summary="Cancel an activity", security=STAFF)
def cancel_activity(activity_id: ActivityId) -> Activity:
    return service().cancel(current_staff(app), activity_id)


@app.get(
    "/activities/<activity_id>/checkin-code",
    tags=["activities"],
    summary="The check-in QR code (R-ACT-2): printed (valid for one day's window) or rotating (every minute)",
    description=(
        "A printed code is valid for one day only: a single-day activity's time ± 30 min; a multi-day or blanket "
        "activity has one code per day (`day`, by default today or its first day). `format=html` is the printable "
        "sheet: one A4 page per day from `day`, at most `days` (31) days; a `Link: rel=\"next\"` header gives the "
        "next sheet. A reschedule or change of venue stops every code issued before it: print again."
    ),
    security=STAFF,
    responses={
        200: {
            "description": "The code: JSON (its URL, day and validity), PNG, SVG, or a printable HTML sheet",
            "content": {
                "application/json": {"model": CheckinCode},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        }
    },
)
def checkin_code(
    activity_id: ActivityId,
    kind: Annotated[Literal["printed", "rotating"], Query()] = "printed",
    format: Annotated[Literal["json", "png", "svg", "html"], Query()] = "json",
    day: Annotated[date | None, Query(description="Printed code: the day it is for; a sheet: its first day")] = None,
    days: Annotated[int, Query(ge=1, le=MAX_SHEET_DAYS, description="Days on a printable sheet (format=html)")] = MAX_SHEET_DAYS,
):  # no return annotation: the body is JSON, PNG, SVG or HTML (documented in `responses`)
    if format == "html" and kind == "printed":
        return _printable_sheet(activity_id, day, days)
    activity, code = service().checkin_code(current_staff(app), activity_id, kind, day)
    if format == "png":
        return Response(status_code=200, content_type="image/png", body=qr.qr_png(code.url))
    if format == "svg":
        return Response(status_code=200, content_type="image/svg+xml", body=qr.qr_svg(code.url))
    if format == "html":
        return Response(status_code=200, content_type="text/html; charset=utf-8", body=_sheet(activity, [code]))
    return Response(status_code=200, content_type="application/json", body=code)


def _printable_sheet(activity_id: str, day: date | None, days: int) -> Response:
    activity, sheet = service().checkin_sheet(current_staff(app), activity_id, day, days)
    headers = {}
    if sheet.next_day:
        headers["Link"] = f'<?kind=printed&format=html&day={sheet.next_day.isoformat()}&days={days}>; rel="next"'
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=_sheet(activity, sheet.codes), headers=headers)


def _sheet(activity: Activity, codes: list[CheckinCode]) -> str:
    printed = [qr.PrintedCode(c.url, c.valid_from, c.valid_until, c.day if activity.multi_day or activity.blanket else None) for c in codes]
    organisation = current_staff(app).organisation.name
    return qr.printable_sheet(activity.name, organisation, activity.place, activity.starts_at, activity.ends_at, printed)


@app.get(
    "/statistics",
    tags=["statistics"],
    summary="My organisation's 関係人口 statistics (R-STAT-1): current or a month-end snapshot; JSON or CSV",
    description=(
        "The organisation's own figures; a prefecture's staff also get their whole area's (the prefecture and all "
        "its municipalities, each person once), and may ask for one of their municipalities (`organisation`). "
        "Residents are never counted (R-BAS-6). `month` reads a month-end snapshot (see `months`)."
    ),
    security=STAFF,
    responses={
        200: {
            "description": "The figures",
            "content": {
                "application/json": {"model": StaffStatistics},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
def statistics(
    organisation: Annotated[str | None, Query(pattern=r"^\d{6}$", description="A municipality of my prefecture")] = None,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="Month-end snapshot, YYYY-MM")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
):  # no return annotation: the body is JSON or CSV (documented in `responses`)
    found = statistics_reader().staff_statistics(current_staff(app).organisation.code, organisation, month)
    if format == "csv":
        return Response(
            status_code=200, content_type="text/csv; charset=utf-8", body=as_csv(found),
            headers={"Content-Disposition": 'attachment; filename="statistics.csv"'},
        )
    return Response(status_code=200, content_type="application/json", body=found)


@app.get("/activities/<activity_id>/records", tags=["records"], summary="Who attended (R-ACT-3)", security=STAFF)
def activity_records(activity_id: ActivityId, limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> RecordList:
    found = service().records_of_activity(current_staff(app), activity_id, limit, page)
    return RecordList(records=found.items, next=found.next)


@app.post(
    "/activities/<activity_id>/records", tags=["records"], summary="Enter a registrant's attendance (R-ACT-3)", security=STAFF,
    responses={201: {"description": "Recorded"}, 200: {"description": "Already recorded that day: the record kept"}},
)
def enter_record(activity_id: ActivityId, entry: Annotated[RecordEntry, Body()]) -> Response[AttendanceResult]:
    result = service().enter_record(current_staff(app), activity_id, entry.user_id, entry.day)
    return Response(status_code=201 if result.created else 200, content_type="application/json", body=result)


PRELAUNCH_UPLOAD = FileBody(
    media_types=prelaunch.UPLOAD_MEDIA_TYPES,
    max_bytes=prelaunch.MAX_UPLOAD_BYTES,
    description="The pre-launch template as the whole body: .xlsx, or CSV/TSV in UTF-8, UTF-16 or Shift_JIS",
)


@app.post(
    "/prelaunch-imports",
    tags=["records"],
    summary="Import the pre-launch activity records template, .xlsx or CSV, as the request body (R-ACT-5)",
    security=STAFF,
    openapi_extensions=PRELAUNCH_UPLOAD.openapi(),
)
def import_prelaunch_records(
    venue_code: Annotated[
        str | None, Query(pattern=r"^\d{6}$", description="Municipality where the activities took place (required for a prefecture)")
    ] = None,
    filename: Annotated[str | None, Query(max_length=200)] = None,
) -> ImportResult:
    data = PRELAUNCH_UPLOAD.read(app.current_event)
    hint = filename or app.current_event.headers.get("content-type")
    return importer().import_file(current_staff(app), hint, data, venue_code)


class ApplicationList(Paged):
    applications: list[Application] = Field(description="First applied first")


class Decision(RequestModel):
    status: Literal["accepted", "declined"]


@app.get("/activities/<activity_id>/applications", tags=["recruitment"], summary="Applicants (R-BAS-7)", security=STAFF)
def applications(activity_id: ActivityId, limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> ApplicationList:
    found = recruitment().applicants(current_staff(app), activity_id, limit, page)
    return ApplicationList(applications=found.items, next=found.next)


@app.put(
    "/activities/<activity_id>/applications/<user_id>/decision",
    tags=["recruitment"],
    summary="Accept or decline an applicant",
    security=STAFF,
)
def decide(
    activity_id: ActivityId, user_id: Annotated[str, Path(min_length=1, max_length=100)], decision: Annotated[Decision, Body()]
) -> Application:
    return recruitment().decide(current_staff(app), activity_id, user_id, decision.status)


class EvidenceList(Paged):
    evidence: list[Evidence] = Field(description="Oldest submission first")


class Rejection(RequestModel):
    reason: str = Field(min_length=1, max_length=500, description="Shown to the registrant")


UserIdPath = Annotated[str, Path(min_length=1, max_length=100)]
PremiumApplicationIdPath = Annotated[str, Path(pattern=APPLICATION_ID_PATTERN, description="A premium application's id")]
EvidenceIdPath = Annotated[str, Path(pattern=r"^e[0-9a-f]{16}$")]


@app.get(
    "/registrants",
    tags=["registrants"],
    summary="My organisation's registrants, filtered (a prefecture: also those co-registered through its municipalities, R-ORG-3)",
    description=(
        "Personal data only where the person gave it to this organisation. Pages walk the list's shards in turn, "
        "newest registration first within each; a filtered page may hold fewer than `limit` items and still have "
        "a `next`. `since_from` after `since_to`: 422 invalid-input."
    ),
    security=STAFF,
)
def list_registrants(
    level: Annotated[Literal["basic", "premium"] | None, Query(description="As of today (R-PRE-6)")] = None,
    verified: Annotated[bool | None, Query(description="Identity verified and shared with us (R-BAS-4)")] = None,
    resident: Annotated[bool | None, Query(description="Lives here (R-BAS-6)")] = None,
    relationship: Annotated[Relationship | None, Query(description="A relationship type of the survey answer")] = None,
    since_from: Annotated[date | None, Query(description="Registered on or after this day")] = None,
    since_to: Annotated[date | None, Query(description="Registered on or before this day")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    page: NextToken = None,
) -> RegistrantList:
    wanted = RegistrantFilter(
        level=level, verified=verified, resident=resident, relationship=relationship, since_from=since_from,
        since_to=since_to,
    )
    return registrants().list(current_staff(app), wanted, limit, page)


ExportIdPath = Annotated[str, Path(pattern=EXPORT_ID_PATTERN, description="An export's id")]


@app.post(
    "/registrants/exports",
    tags=["registrants"],
    summary="Export my organisation's registrants as CSV (filtered like the list): queued, written to a file, fetched with a link",
    description=(
        "202 with the export (status `queued`); follow it with GET /registrants/exports/{export_id} until `done`, "
        "then download its `url` (valid 15 minutes): UTF-8 CSV with a BOM for Excel, personal data only where the "
        "person gave it to this organisation. At most 3 exports in progress per organisation (429 too-many-exports). "
        "A retry with the same Idempotency-Key returns the first export (200)."
    ),
    security=STAFF,
    status_code=202,
    responses={
        202: {"description": "Queued", "content": {"application/json": {"model": RegistrantExport}}},
        200: {"description": "A retry (same Idempotency-Key): the export it made", "content": {"application/json": {"model": RegistrantExport}}},
    },
)
def create_export(
    request: Annotated[ExportRequest, Body()],
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=100, description="Retries with the same key return the first export")
    ] = None,
) -> Response[RegistrantExport]:
    created, export = exports().create(current_staff(app), request.filter(), idempotency_key)
    return Response(status_code=202 if created else 200, content_type="application/json", body=export)


@app.get("/registrants/exports", tags=["registrants"], summary="My organisation's exports of the last 7 days, newest first", security=STAFF)
def list_exports(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> ExportList:
    return exports().list(current_staff(app), limit, page)


@app.get(
    "/registrants/exports/<export_id>", tags=["registrants"], security=STAFF,
    summary="An export: its status, rows and, once done, a link to the CSV (15 minutes)",
)
def get_export(export_id: ExportIdPath) -> RegistrantExport:
    return exports().get(current_staff(app), export_id)


@app.get(
    "/registrants/<user_id>",
    tags=["registrants"],
    summary="A registrant of my organisation, personal data included (a prefecture: also the municipality registrations it came through, R-ORG-3)",
    security=STAFF,
)
def registrant(user_id: UserIdPath) -> RegistrantView:
    return registrants().view(current_staff(app), user_id)


@app.get("/registrants/<user_id>/records", tags=["registrants"], summary="A registrant's records here, last 12 months", security=STAFF)
def registrant_records(user_id: UserIdPath, limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> RegistrantRecords:
    return registrants().records(current_staff(app), user_id, limit, page)


@app.get("/evidence", tags=["records"], summary="Evidence waiting for review (R-ACT-3)", security=STAFF)
def evidence_to_review(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> EvidenceList:
    found = evidence().to_review(current_staff(app), limit, page)
    return EvidenceList(evidence=found.items, next=found.next)


@app.get("/evidence/<user_id>/<evidence_id>", tags=["records"], summary="One piece of evidence and a link to view it", security=STAFF)
def view_evidence(user_id: UserIdPath, evidence_id: EvidenceIdPath) -> EvidenceForReview:
    return evidence().view(current_staff(app), user_id, evidence_id)


@app.post("/evidence/<user_id>/<evidence_id>/accept", tags=["records"], summary="Accept: it becomes a record", security=STAFF)
def accept_evidence(user_id: UserIdPath, evidence_id: EvidenceIdPath) -> EvidenceDecision:
    return evidence().accept(current_staff(app), user_id, evidence_id)


@app.post("/evidence/<user_id>/<evidence_id>/reject", tags=["records"], summary="Reject with a reason", security=STAFF)
def reject_evidence(user_id: UserIdPath, evidence_id: EvidenceIdPath, rejection: Annotated[Rejection, Body()]) -> EvidenceDecision:
    return evidence().reject(current_staff(app), user_id, evidence_id, rejection.reason)


@app.get(
    "/premium-settings",
    tags=["premium"],
    summary="My organisation's premium settings (R-ADM-2, R-PRE-1, R-PRE-2, R-PRE-7); the defaults at version 0 when never set",
    security=STAFF,
)
def get_premium_settings() -> OrganisationPremiumSettings:
    return premium_settings().get(current_staff(app))


@app.put(
    "/premium-settings",
    tags=["premium"],
    summary="Save my organisation's premium settings (editor)",
    description=(
        "The whole settings and the `version` they were read at. Someone saved since: 409 `concurrent-update` "
        "(read them again). The same request repeated answers as the first did."
    ),
    security=STAFF,
)
def put_premium_settings(update: Annotated[PremiumSettingsUpdate, Body()]) -> OrganisationPremiumSettings:
    return premium_settings().save(current_staff(app), update)


@app.get(
    "/premium-applications", tags=["premium"], security=STAFF,
    summary="Premium applications waiting for a staff decision, oldest first (R-PRE-5)",
)
def premium_queue(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> WaitingList:
    return premium_decisions().queue(current_staff(app), limit, page)


@app.get(
    "/premium-applications/<user_id>/<application_id>", tags=["premium"], security=STAFF,
    summary="One premium application: the judgement, every reason, the occasions counted, the decision",
)
def premium_application(user_id: UserIdPath, application_id: PremiumApplicationIdPath) -> ApplicationForStaff:
    return premium_decisions().view(current_staff(app), user_id, application_id)


@app.post(
    "/premium-applications/<user_id>/<application_id>/decision", tags=["premium"], security=STAFF,
    summary="Approve, or reject with a reason (editor); kept in the audit trail",
    description=(
        "Approval makes the person premium for a year from today, a renewal for a year from the old expiry "
        "(R-PRE-6). Where another approval gave the person their third premium organisation meanwhile, the "
        "application ends `ineligible` with `limit_reached` (R-PRE-4). The same decision repeated answers again; "
        "another decision on a decided application: 409."
    ),
)
def decide_premium(
    user_id: UserIdPath, application_id: PremiumApplicationIdPath, decision: Annotated[DecisionInput, Body()]
) -> ApplicationForStaff:
    return premium_decisions().decide(current_staff(app), user_id, application_id, decision)


# --- the approval page (R-PRE-5): HTML for a browser, no authorizer (shared/api/approval.py) -------------------------

def _html(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


PAGE_REFUSED = _html("A page: the link is invalid, expired or used; or for another organisation's application")
PAGE_UNAVAILABLE = _html("A page: AWS did not answer; try again (Retry-After)")


def _pages() -> approval.ApprovalPages:
    base = approval.base_path(config.settings().approval_base_url or "")
    return approval.ApprovalPages(approval_desk(), base, approval.session_cookie(app.current_event.raw_event))


@app.get(
    "/approval", tags=["approval page"],
    summary="The approval page the e-mailed link opens (R-PRE-5): sign-in, or the application and the decision form",
    description=(
        "HTML for a browser. Without a session of a staff member of the link's organisation: the sign-in form; with "
        "one: the application (the judgement, every reason, the conditions to check by hand, the occasions counted) "
        "and, for an editor, the decision form."
    ),
    responses={
        200: _html("The sign-in form, or the application page"), 403: PAGE_REFUSED, 503: PAGE_UNAVAILABLE,
    },
)
def approval_page(link: Annotated[str, Query(description="The approval link's token")] = ""):
    pages = _pages()
    return pages.guarded(lambda: pages.open(link))


@app.post(
    "/approval/sign-in", tags=["approval page"],
    summary="Sign in on the approval page with a staff account: e-mail and password, then the authenticator's code",
    description=(
        "Cognito InitiateAuth (USER_PASSWORD_AUTH) on the staff pool, then RespondToAuthChallenge with the TOTP code; "
        "the ID token is verified against the pool's JWKS. Signed in: 303 to the application with the session "
        "cookie (HttpOnly, Secure, SameSite=Strict, 30 minutes)."
    ),
    openapi_extensions=approval.SIGN_IN_FORM.openapi(),
    responses={
        200: _html("The form for the authenticator app's code"),
        303: {**_html("Signed in: see the application (Location)"), "headers": {
            "Location": {"description": "The application page", "schema": {"type": "string"}},
            "Set-Cookie": {"description": "The staff session", "schema": {"type": "string"}}}},
        401: _html("The form again: wrong e-mail, password or code, or the code step expired"),
        403: PAGE_REFUSED, 503: PAGE_UNAVAILABLE,
    },
)
def approval_sign_in():
    form = approval.SIGN_IN_FORM.read(app.current_event)  # a body no browser form sends: problem JSON
    pages = _pages()
    return pages.guarded(lambda: pages.sign_in(form))


@app.post(
    "/approval/decision", tags=["approval page"],
    summary="Approve, or reject with a reason, on the approval page (editor; the session and the form's token)",
    description=(
        "Then the link no longer works. Approval makes the person premium for a year (R-PRE-6) unless the limit of "
        "three was reached meanwhile (R-PRE-4): the result page says which."
    ),
    openapi_extensions=approval.DECISION_FORM.openapi(),
    responses={
        200: _html("The result: approved (until when), rejected, or no longer eligible with the reasons"),
        401: _html("The sign-in form: the session expired"),
        403: _html("A page: the link is invalid or used, another organisation, a stale form, or a viewer"),
        409: _html("A page: the application was decided meanwhile"),
        422: _html("The application page again: no choice, or a rejection without a reason"),
        503: PAGE_UNAVAILABLE,
    },
)
def approval_decision():
    form = approval.DECISION_FORM.read(app.current_event)  # a body no browser form sends: problem JSON
    pages = _pages()
    return pages.guarded(lambda: pages.decide(form))


@entry_point(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
