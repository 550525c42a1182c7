"""checkin function (app API): scanning an activity's code, and my records. Rules: R-ACT-2..4, R-PRIV-2."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from pydantic import Field

from shared import config, wiring
from shared.api import resolver
from shared.api.paging import Limit, NextToken
from shared.api.resolver import COGNITO, create_resolver, current_user_id
from shared.domain.activities import ActivityRecord, Evidence, EvidenceRequest
from shared.domain.models import RequestModel
from shared.domain.paging import DEFAULT_PAGE_SIZE, Paged
from shared.logic.activities import AttendanceResult
from shared.logic.evidence import EvidenceCreated
from shared.observability import entry_point, metrics

config.at_cold_start("checkin")  # a missing setting fails the start, not the first request needing it
app = create_resolver("ふるさと住民登録 app API: checkin")
SIGNED_IN = [{COGNITO: []}]


service = lru_cache(maxsize=1)(wiring.activity_service)


access = lru_cache(maxsize=1)(wiring.access_recorder)
evidence = lru_cache(maxsize=1)(wiring.evidence_service)


def signed_in_user() -> str:
    return resolver.signed_in_user(app, access().note)


class CheckinRequest(RequestModel):
    code: str = Field(min_length=1, max_length=2000, description="The text read from the QR code (URL or token)")


class MyRecords(Paged):
    organisation_code: str
    first_day: date
    last_day: date
    count_last_12_months: int = Field(
        description="Every record from first_day to last_day, not this page's: toward premium registration's 3 a year (R-PRE-1)"
    )
    records: list[ActivityRecord] = Field(description="Oldest first")


@app.post(
    "/checkins", tags=["records"], summary="Record attendance by scanning an activity's code", security=SIGNED_IN,
    responses={201: {"description": "Recorded"}, 200: {"description": "Already recorded that day: the record kept"}},
)
def check_in(request: Annotated[CheckinRequest, Body()]) -> Response[AttendanceResult]:
    user_id = current_user_id(app)  # the access record rides in the check-in transaction: one round trip
    result = service().check_in(user_id, request.code, record_access=access().needs_write(user_id))
    if result.created:
        access().written(user_id)
        metrics.add_metric(name="CheckIns", unit="Count", value=1)
    return Response(status_code=201 if result.created else 200, content_type="application/json", body=result)


@app.get("/me/records/<code>", tags=["records"], summary="My records for an organisation, last 12 months", security=SIGNED_IN)
def my_records(
    code: Annotated[str, Path(pattern=r"^\d{6}$")], limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None
) -> MyRecords:
    records, window = service().my_records(signed_in_user(), code, limit, page)
    return MyRecords(
        organisation_code=code, first_day=window.first_day, last_day=window.last_day,
        count_last_12_months=window.count, records=records.items, next=records.next,
    )


class MyEvidence(Paged):
    evidence: list[Evidence]


EvidenceIdPath = Annotated[str, Path(pattern=r"^e[0-9a-f]{16}$")]


@app.post(
    "/me/evidence",
    tags=["records"],
    summary="Start an evidence upload for an attended activity (R-ACT-3): returns a presigned upload form",
    security=SIGNED_IN,
    status_code=201,
    response_description="Started: upload the file with the form, then submit",
)
def start_evidence(request: Annotated[EvidenceRequest, Body()]) -> Response[EvidenceCreated]:
    created = evidence().start(signed_in_user(), request)
    return Response(status_code=201, content_type="application/json", body=created)


@app.post(
    "/me/evidence/<code>/<evidence_id>/submit",
    tags=["records"],
    summary="Submit uploaded evidence for the organisation's review",
    security=SIGNED_IN,
)
def submit_evidence(code: Annotated[str, Path(pattern=r"^\d{6}$")], evidence_id: EvidenceIdPath) -> Evidence:
    return evidence().submit(signed_in_user(), code, evidence_id)


@app.get("/me/evidence/<code>", tags=["records"], summary="My evidence for an organisation and its status", security=SIGNED_IN)
def my_evidence(
    code: Annotated[str, Path(pattern=r"^\d{6}$")], limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None
) -> MyEvidence:
    found = evidence().mine(signed_in_user(), code, limit, page)
    return MyEvidence(evidence=found.items, next=found.next)


@entry_point(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
