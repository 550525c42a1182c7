"""verify function (app API): identity verification with the My Number Card through the authentication app's OpenID
Connect provider, a guardian's consent for minors, and the pre-launch participations it matches. The one function
holding the verifier's client key and the subject-hash key. Thin: parse, call the verification service, respond.
Rules: R-BAS-4, R-PRE-3, R-CARD-1, R-ACT-5, R-PRIV-1."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths

from shared import config, wiring
from shared.api import resolver
from shared.api.paging import Limit, NextToken
from shared.api.resolver import COGNITO, create_resolver
from shared.domain.paging import DEFAULT_PAGE_SIZE
from shared.logic.verification import (
    ClaimResult,
    CompleteVerification,
    PrelaunchMatches,
    StartVerification,
    VerificationResult,
    VerificationStarted,
    VerificationStatus,
)
from shared.observability import entry_point, metrics

config.at_cold_start("verify")  # a missing setting fails the start, not the first request needing it
app = create_resolver("ふるさと住民登録 app API: verify")
SIGNED_IN = [{COGNITO: []}]
LgCodePath = Annotated[str, Path(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits)")]
MatchIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16,64}$", description="A pre-launch participation's id")]

service = lru_cache(maxsize=1)(wiring.verification_service)
access = lru_cache(maxsize=1)(wiring.access_recorder)


def signed_in_user() -> str:
    return resolver.signed_in_user(app, access().note)


@app.post(
    "/me/verification", tags=["verification"], summary="Start identity verification with the My Number Card",
    security=SIGNED_IN, status_code=201, response_description="Started: open authorization_url",
)
def start(request: Annotated[StartVerification, Body()]) -> Response[VerificationStarted]:
    started = service().start(signed_in_user(), request)
    return Response(status_code=201, content_type="application/json", body=started)


@app.post(
    "/me/verification/complete", tags=["verification"], summary="Complete it with the provider's code and state",
    security=SIGNED_IN,
)
def complete(request: Annotated[CompleteVerification, Body()]) -> VerificationResult:
    result = service().complete(signed_in_user(), request)
    metrics.add_metric(name="Verifications", unit="Count", value=1)
    return result


@app.get("/me/verification", tags=["verification"], summary="My verification (本人確認) status", security=SIGNED_IN)
def status() -> VerificationStatus:
    return service().status(signed_in_user())


@app.get(
    "/me/prelaunch-matches", tags=["verification"], security=SIGNED_IN,
    summary="Pre-launch participations that may be mine (same name and birth date, another place: R-ACT-5)",
)
def matches(limit: Limit = DEFAULT_PAGE_SIZE, page: NextToken = None) -> PrelaunchMatches:
    return service().offers(signed_in_user(), limit, page)


@app.post(
    "/me/prelaunch-matches/<code>/<match_id>/confirm", tags=["verification"], security=SIGNED_IN,
    summary="Confirm a near match: it becomes my record",
)
def confirm(code: LgCodePath, match_id: MatchIdPath) -> ClaimResult:
    return service().confirm_offer(signed_in_user(), code, match_id)


@app.delete(
    "/me/prelaunch-matches/<code>/<match_id>", tags=["verification"], security=SIGNED_IN, status_code=204,
    summary="Not mine: the offer goes (the participation stays with the organisation)",
    response_description="Declined (no body)",
)
def decline(code: LgCodePath, match_id: MatchIdPath):  # 204: no body, no model
    service().decline_offer(signed_in_user(), code, match_id)
    return Response(status_code=204)


@entry_point(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
