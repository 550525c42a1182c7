"""renewal function (app API): premium registration as the person sees it — apply (first time or renewal), follow
the application and its reasons, read the notices. Applying starts the premium workflow's execution (the judgement
and staff approval run there, in the premium function). Thin: parse, call the premium service, respond.
Also the daily renewal schedule (R-PRE-6): reminders before the expiry, and renewal by the system's judgement where
the organisation approves automatically (its event and its work queue's messages: shared/api/scheduled.py).
Rules: R-PRE-1..7, R-CARD-1."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths

from shared import config, wiring
from shared.api import resolver, scheduled
from shared.api.paging import Limit, NextToken
from shared.api.resolver import COGNITO, create_resolver
from shared.domain.paging import DEFAULT_PAGE_SIZE
from shared.domain.premium_application import APPLICATION_ID_PATTERN, ApplicationView, ApplyForPremium
from shared.logic.premium import ApplicationList, NoticeList
from shared.observability import entry_point, metrics

config.at_cold_start("renewal")  # a missing setting fails the start, not the first request needing it
app = create_resolver("ふるさと住民登録 app API: renewal")
SIGNED_IN = [{COGNITO: []}]
LgCodePath = Annotated[str, Path(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits)")]
ApplicationIdPath = Annotated[str, Path(pattern=APPLICATION_ID_PATTERN, description="A premium application's id")]

service = lru_cache(maxsize=1)(wiring.premium_applications)
access = lru_cache(maxsize=1)(wiring.access_recorder)
runner = lru_cache(maxsize=1)(lambda: wiring.schedule_runner("renewal"))


def signed_in_user() -> str:
    return resolver.signed_in_user(app, access().note)


@app.post(
    "/me/premium-applications", tags=["premium"], security=SIGNED_IN, status_code=201,
    summary="Apply for premium registration, or its renewal (R-PRE-5, R-PRE-6)",
    response_description="Applied: the judgement follows (status judging); follow it with GET",
    responses={
        201: {"description": "Applied: the judgement follows (status judging); follow it with GET",
              "content": {"application/json": {"model": ApplicationView}}},
        200: {"description": "An application there was open already: that one (nothing new started)",
              "content": {"application/json": {"model": ApplicationView}}},
    },
)
def apply(request: Annotated[ApplyForPremium, Body()]) -> Response[ApplicationView]:
    created, view = service().apply(signed_in_user(), request)
    if created:
        metrics.add_metric(name="PremiumApplications", unit="Count", value=1)
    return Response(status_code=201 if created else 200, content_type="application/json", body=view)


@app.get("/me/premium-applications", tags=["premium"], security=SIGNED_IN, summary="My premium applications")
def applications(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> ApplicationList:
    return service().list(signed_in_user(), limit, page)


@app.get(
    "/me/premium-applications/<code>/<application_id>", tags=["premium"], security=SIGNED_IN,
    summary="One premium application: its status and every reason once judged",
)
def application(code: LgCodePath, application_id: ApplicationIdPath) -> ApplicationView:
    return service().get(signed_in_user(), code, application_id)


@app.get("/me/notices", tags=["premium"], security=SIGNED_IN, summary="My notices (お知らせ), newest first")
def notices(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> NoticeList:
    return service().notices(signed_in_user(), limit, page)


@entry_point(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict, context) -> dict:
    if scheduled.is_scheduled(event):
        return scheduled.handle(event, context, runner)
    return app.resolve(event, context)
