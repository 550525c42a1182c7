"""register function (app API): organisations, basic registration, my registrations, cards, recruitment.
Thin: parse, call the registration service, respond. Rules: R-ORG-1..3, R-BAS-1..6, R-CARD-1, R-PRIV-1."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel, Field

from shared import config, wiring
from shared.api import resolver
from shared.api.paging import Limit, NextToken
from shared.api.resolver import COGNITO, create_resolver
from shared.domain.activities import Application, OpenActivity
from shared.domain.models import (
    POSTAL_CODE_PATTERN,
    Card,
    MyRegistrations,
    OrganisationDetail,
    OrganisationRef,
    OrganisationSummary,
    RegisterRequest,
    RegisterResponse,
    RequestModel,
)
from shared.domain.paging import DEFAULT_PAGE_SIZE, Paged
from shared.logic.registration import RegisterCommand
from shared.logic.statistics import MONTH_PATTERN, NationalStatistics
from shared.observability import entry_point, metrics

config.at_cold_start("register")  # a missing setting fails the start, not the first request needing it
app = create_resolver("ふるさと住民登録 app API: register")
SIGNED_IN = [{COGNITO: []}]
ORGANISATION_LIST_MAX = 2000  # the country has 47 prefectures and ~1,740 municipalities: one bounded response
LgCodePath = Annotated[str, Path(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits)")]


service = lru_cache(maxsize=1)(wiring.registration_service)
access = lru_cache(maxsize=1)(wiring.access_recorder)
recruitment = lru_cache(maxsize=1)(wiring.recruitment_service)
statistics_reader = lru_cache(maxsize=1)(wiring.statistics_reader)


def signed_in_user() -> str:
    return resolver.signed_in_user(app, access().note)


class OrganisationList(BaseModel):
    organisations: list[OrganisationSummary]


class PostalCodeLookup(BaseModel):
    postal_code: str
    municipalities: list[OrganisationRef]


@app.get("/organisations", tags=["organisations"], summary="Search organisations (joined ones by default)")
def list_organisations(
    q: Annotated[str | None, Query(max_length=50, description="Part of the name or its kana")] = None,
    prefecture: Annotated[str | None, Query(pattern=r"^\d{6}$", description="Only this prefecture's")] = None,
    include_not_joined: Annotated[bool, Query()] = False,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=ORGANISATION_LIST_MAX,
            description=f"At most {ORGANISATION_LIST_MAX:,} (every prefecture and municipality is ~1,800), default 100; "
            "not paged: the list is bounded by the country",
        ),
    ] = 100,
) -> OrganisationList:
    return OrganisationList(organisations=service().list_organisations(q, prefecture, include_not_joined, limit))


@app.get("/organisations/<code>", tags=["organisations"], summary="An organisation's intro, card design and survey")
def get_organisation(code: LgCodePath) -> OrganisationDetail:
    return service().organisation_detail(code)


@app.get("/postal-codes/<postal_code>", tags=["organisations"], summary="The municipality of a postal code")
def lookup_postal_code(postal_code: Annotated[str, Path(pattern=POSTAL_CODE_PATTERN, description="郵便番号, e.g. 988-0000")]) -> PostalCodeLookup:
    return PostalCodeLookup(postal_code=postal_code, municipalities=service().municipalities_for_postal_code(postal_code))


@app.get(
    "/statistics/national",
    tags=["statistics"],
    summary="National 関係人口 statistics (R-STAT-1/2): aggregated, small cells withheld; current or a month-end snapshot",
)
def national_statistics(
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="Month-end snapshot, YYYY-MM")] = None,
) -> NationalStatistics:
    return statistics_reader().national_statistics(month)


@app.post(
    "/registrations", tags=["registrations"], summary="Register (basic) with an organisation", security=SIGNED_IN,
    status_code=201, response_description="Registered",
)
def register(
    request: Annotated[RegisterRequest, Body()],
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=100, description="Retries with the same key return the first result")
    ] = None,
) -> Response[RegisterResponse]:
    command = RegisterCommand(user_id=signed_in_user(), idempotency_key=idempotency_key, request=request)
    result = service().register(command)
    metrics.add_metric(name="Registrations", unit="Count", value=1)
    return Response(status_code=201, content_type="application/json", body=result)


@app.get("/me/registrations", tags=["registrations"], summary="My registrations", security=SIGNED_IN)
def my_registrations(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> MyRegistrations:
    return service().my_registrations(signed_in_user(), limit, page)


@app.get("/me/registrations/<code>/card", tags=["registrations"], summary="Registration card (登録証)", security=SIGNED_IN)
def card(code: LgCodePath) -> Card:
    return service().card(signed_in_user(), code)


class OpenActivities(Paged):
    activities: list[OpenActivity] = Field(
        description="By organisation, soonest end first. A page may hold fewer than `limit` (even none) and still "
        "have a `next`: each page looks at up to 10 of the organisations registered with."
    )


class MyApplications(Paged):
    applications: list[Application]


class ApplicationRequest(RequestModel):
    message: str | None = Field(default=None, max_length=500, description="A note to the organisation")


ActivityIdPath = Annotated[str, Path(pattern=r"^a[0-9a-f]{16}$")]


@app.get("/me/recruitment", tags=["recruitment"], summary="Open activities of my organisations (R-BAS-7)", security=SIGNED_IN)
def open_activities(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> OpenActivities:
    found = recruitment().open_activities_for(signed_in_user(), limit, page)
    return OpenActivities(activities=found.items, next=found.next)


@app.get("/me/applications", tags=["recruitment"], summary="My applications", security=SIGNED_IN)
def my_applications(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> MyApplications:
    found = recruitment().my_applications(signed_in_user(), limit, page)
    return MyApplications(applications=found.items, next=found.next)


@app.post(
    "/organisations/<code>/activities/<activity_id>/applications",
    tags=["recruitment"],
    summary="Apply to take part (R-BAS-7)",
    security=SIGNED_IN,
    status_code=201,
    response_description="Applied",
)
def apply(code: LgCodePath, activity_id: ActivityIdPath, request: Annotated[ApplicationRequest, Body()]) -> Response[Application]:
    application = recruitment().apply(signed_in_user(), code, activity_id, request.message)
    return Response(status_code=201, content_type="application/json", body=application)


@app.delete(
    "/organisations/<code>/activities/<activity_id>/applications",
    tags=["recruitment"],
    summary="Withdraw my application",
    security=SIGNED_IN,
    status_code=204,
    response_description="Withdrawn (no body)",
)
def withdraw_application(code: LgCodePath, activity_id: ActivityIdPath):  # 204: no body, no model
    recruitment().withdraw(signed_in_user(), code, activity_id)
    return Response(status_code=204)


@entry_point(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
