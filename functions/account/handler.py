"""account function (app API): withdrawal from an organisation and deletion of the whole account. The one function
that may erase a person's data (S3 evidence files, the Cognito sign-in), so no other holds those grants.
Thin: parse, call the account service, respond. What is erased and kept: docs/retention.md."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.logging import correlation_paths

from shared import config, wiring
from shared.api import resolver
from shared.api.resolver import COGNITO, create_resolver
from shared.domain.models import WithdrawResponse
from shared.logic.account import CONFIRMATION, ErasureInProgress
from shared.observability import entry_point

config.at_cold_start("account")  # a missing setting fails the start, not the first request needing it
app = create_resolver("ふるさと住民登録 app API: account")
SIGNED_IN = [{COGNITO: []}]
LgCodePath = Annotated[str, Path(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits)")]

service = lru_cache(maxsize=1)(wiring.account_service)
access = lru_cache(maxsize=1)(wiring.access_recorder)

IN_PROGRESS = {
    "description": "More remains than one request erases: repeat the same request until it answers 200/204",
    "content": {"application/json": {"model": ErasureInProgress}},
}


def _respond(result):
    if isinstance(result, ErasureInProgress):
        return Response(status_code=202, content_type="application/json", body=result)
    if result is None:
        return Response(status_code=204)
    return Response(status_code=200, content_type="application/json", body=result)


@app.delete(
    "/me/registrations/<code>",
    tags=["registrations"],
    summary="Withdraw a registration: its personal data, answers, applications and evidence are erased, records "
    "kept anonymously",
    security=SIGNED_IN,
    responses={200: {"description": "Withdrawn", "content": {"application/json": {"model": WithdrawResponse}}}, 202: IN_PROGRESS},
)
def withdraw(code: LgCodePath):  # 200 or 202: documented in `responses`
    return _respond(service().withdraw(resolver.signed_in_user(app, access().note), code))


@app.delete(
    "/me",
    tags=["account"],
    summary="Delete my account: every registration, personal data, applications, evidence and files, and the "
    "sign-in; records kept anonymously",
    security=SIGNED_IN,
    responses={204: {"description": "Deleted (also when repeated after completion)"}, 202: IN_PROGRESS},
)
def delete_account(
    confirmation: Annotated[
        str | None,
        Header(
            alias="Confirm-Account-Deletion",
            pattern=f"^{CONFIRMATION}$",
            description=f"`{CONFIRMATION}`: the app sends it only after the person confirmed (428 without it)",
        ),
    ] = None,
):  # 204 or 202: documented in `responses`
    # No access is noted: deleting is not a use of the account (and a deleted account refuses notes).
    user_id = resolver.current_user_id(app)
    claims = app.current_event.request_context.authorizer.claims or {}
    return _respond(service().delete_account(user_id, claims.get("cognito:username") or user_id, confirmation))


@entry_point(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
