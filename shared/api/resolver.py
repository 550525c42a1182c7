"""One resolver setup for every HTTP function: validation and OpenAPI on, every error an RFC 9457 problem
(application/problem+json) with a Japanese title the app shows as is. Domain errors map by type, never by text."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from ..domain.errors import DomainError
from ..observability import logger

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://furusato.example.jp/problems/"  # stable identifiers, documented in docs/problems.md
COGNITO = "cognito"


class Unauthenticated(DomainError):
    status = 401
    type_slug = "unauthenticated"
    title = "ログインが必要です"


def problem(status: int, type_slug: str, title: str, detail: str, instance: str | None = None, **extensions: Any) -> Response:
    body = {"type": PROBLEM_TYPE_BASE + type_slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return Response(status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body, ensure_ascii=False, default=str))


def create_resolver(title: str) -> APIGatewayRestResolver:
    # Japanese stays readable in responses (UTF-8), not escaped as \u sequences.
    app = APIGatewayRestResolver(
        enable_validation=True, serializer=partial(json.dumps, ensure_ascii=False, separators=(",", ":"), default=str)
    )
    app.configure_openapi(
        title=title,
        version="1.0.0",
        security_schemes={
            COGNITO: {"type": "apiKey", "name": "Authorization", "in": "header", "description": "Cognito ID token"}
        },
    )

    def path() -> str | None:
        return getattr(app.current_event, "path", None)

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response:
        return problem(error.status, error.type_slug, error.title, error.detail, path(), **error.extensions)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        errors = [
            {"location": [str(p) for p in e.get("loc", ())], "message": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['location'])}: {e['message']}" for e in errors) or "invalid request"
        return problem(422, "invalid-input", "入力内容に誤りがあります", detail, path(), errors=errors)

    @app.not_found
    def _not_found(_: NotFoundError) -> Response:
        return problem(404, "not-found", "ページが見つかりません", "no such route", path())

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unexpected error")
        return problem(500, "internal-error", "システムエラーが発生しました", "an unexpected error occurred", path())

    return app


def current_user_id(app: APIGatewayRestResolver) -> str:
    """The Cognito subject the authorizer put in the request context; never taken from the body."""
    claims = (app.current_event.request_context.authorizer.claims or {}) if app.current_event.request_context else {}
    subject = claims.get("sub")
    if not subject:
        raise Unauthenticated("a valid Cognito ID token is required")
    return subject


def signed_in_user(app: APIGatewayRestResolver, note_access) -> str:
    """The signed-in citizen, noting the day's access for the inactivity rule (R-BAS-5) on the way."""
    user_id = current_user_id(app)
    note_access(user_id)
    return user_id
