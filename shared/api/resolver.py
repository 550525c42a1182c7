"""One resolver setup for every HTTP function: validation and OpenAPI on, every error an RFC 9457 problem
(application/problem+json) with a Japanese title the app shows as is. Domain errors map by type, never by text."""

from __future__ import annotations

import base64
import binascii
import json
import traceback
from dataclasses import dataclass
from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError

from ..domain.errors import DomainError, RequestTooLarge, Unauthenticated, UnsupportedMediaType
from ..observability import logger

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://furusato.example.jp/problems/"  # stable identifiers, documented in docs/problems.md
COGNITO = "cognito"
JSON = "application/json"
# Every JSON body of both APIs, in bytes as sent. The app API's WAF blocks larger bodies before they reach a function
# (AWSManagedRulesCommonRuleSet SizeRestrictions_BODY, answered 413 by infra/components/firewall.py); the admin API's
# WAF only counts that rule (the pre-launch import takes files), so the functions hold the same cap themselves. The
# largest real body, a registration with every survey answer at its limit, stays well under it (docs/decisions.md).
MAX_JSON_BODY_BYTES = 8 * 1024


def problem(
    status: int,
    type_slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    retry_after_seconds: int | None = None,
    **extensions: Any,
) -> Response:
    body = {"type": PROBLEM_TYPE_BASE + type_slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extensions)
    headers = {"Retry-After": str(retry_after_seconds)} if retry_after_seconds is not None else None
    return Response(
        status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body, ensure_ascii=False, default=str), headers=headers
    )


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """`application/json; charset=UTF-8` -> ("application/json", {"charset": "utf-8"}): lower-cased."""
    kind, *parameters = (content_type or "").split(";")
    pairs = (p.split("=", 1) for p in parameters if "=" in p)
    return kind.strip().lower(), {k.strip().lower(): v.strip().strip('"').lower() for k, v in pairs}


def raw_body(event: Any) -> bytes:
    """The request body as the client sent it: API Gateway base64-encodes binary media types (and the local gateway a
    body that is not UTF-8)."""
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error:
        return body.encode("utf-8")  # not base64 after all: read it as text


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:  # {"co_register_prefecture": true, "co_register_prefecture": false}: which did the person mean?
        raise ValueError(f"duplicate member(s) {repeated}")
    return dict(pairs)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _body_error(kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body",), "msg": message, "input": {}, "ctx": {}}])


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, reading a route's body as strict JSON: `application/json` only (it would
    otherwise read forms and multipart too, and raise an unmapped error on anything else), UTF-8 only (it would raise
    UnicodeDecodeError: a 500), at most MAX_JSON_BODY_BYTES, no duplicate members, no NaN or Infinity. Every refusal
    is a problem (415, 413 or 422); the route's code never runs, so nothing is written."""

    def _get_body(self, app: Any) -> Any:
        event = app.current_event
        data = raw_body(event)
        if not data:
            return None  # a required body is then reported missing (422)
        kind, parameters = media_type(event.headers.get("content-type"))
        if kind != JSON or parameters.get("charset", "utf-8") != "utf-8":
            raise UnsupportedMediaType(
                f"this route reads {JSON} (UTF-8), not {kind or 'a body without Content-Type'}", accepted=[JSON]
            )
        if len(data) > MAX_JSON_BODY_BYTES:
            raise RequestTooLarge(f"a JSON body is at most {MAX_JSON_BODY_BYTES} bytes", limit_bytes=MAX_JSON_BODY_BYTES)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _body_error("json_invalid", f"the body is not UTF-8 (byte {error.start})") from None
        try:
            return json.loads(text, object_pairs_hook=_refuse_duplicate_keys, parse_constant=_refuse_constant)
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            raise _body_error("json_invalid", f"the body is not valid JSON: {error}") from None


@dataclass(frozen=True)
class FileBody:
    """A route whose body is a file, not JSON (the pre-launch import): the media types it reads and its cap. Its
    `openapi()` documents the request body (Powertools documents only typed bodies); `read()` refuses another media
    type (415) or a larger body (413) before anything is parsed."""

    media_types: tuple[str, ...]
    max_bytes: int
    description: str

    def openapi(self) -> dict[str, Any]:
        schema = {"type": "string", "format": "binary", "maxLength": self.max_bytes}
        content = {kind: {"schema": schema} for kind in self.media_types}
        return {"requestBody": {"required": True, "description": self.description, "content": content}}

    def read(self, event: Any) -> bytes:
        kind, _ = media_type(event.headers.get("content-type"))
        if kind not in self.media_types:
            raise UnsupportedMediaType(
                f"this route reads {', '.join(self.media_types)}, not {kind or 'a body without Content-Type'}",
                accepted=list(self.media_types),
            )
        data = raw_body(event)
        if len(data) > self.max_bytes:
            raise RequestTooLarge(f"a file is at most {self.max_bytes} bytes", limit_bytes=self.max_bytes)
        return data


FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class FormBody:
    """A route whose body is an HTML form (the approval page): its fields (name -> description) and cap. Its
    `openapi()` documents the form; `read()` refuses another media type (415), a larger body (413), text that is not
    UTF-8, too many or repeated fields (422), before anything is used. Unknown fields are ignored (a browser sends
    its own, e.g. a button's name); missing ones are left to the page, which shows the form again."""

    fields: dict[str, str]
    max_bytes: int = MAX_JSON_BODY_BYTES
    max_field_chars: int = 2000

    def openapi(self) -> dict[str, Any]:
        properties = {name: {"type": "string", "maxLength": self.max_field_chars, "description": description}
                      for name, description in self.fields.items()}
        schema = {"type": "object", "properties": properties}
        return {"requestBody": {"required": True, "content": {FORM: {"schema": schema}}}}

    def read(self, event: Any) -> dict[str, str]:
        from urllib.parse import parse_qsl

        kind, parameters = media_type(event.headers.get("content-type"))
        if kind != FORM or parameters.get("charset", "utf-8") != "utf-8":
            raise UnsupportedMediaType(f"this route reads {FORM} (UTF-8), not {kind or 'a body without Content-Type'}",
                                       accepted=[FORM])
        data = raw_body(event)
        if len(data) > self.max_bytes:
            raise RequestTooLarge(f"a form is at most {self.max_bytes} bytes", limit_bytes=self.max_bytes)
        try:
            pairs = parse_qsl(data.decode("utf-8"), keep_blank_values=True, errors="strict",
                              max_num_fields=2 * len(self.fields) + 10)
        except (UnicodeDecodeError, ValueError) as error:
            raise _body_error("form_invalid", f"the form is not UTF-8 form data: {type(error).__name__}") from None
        names = [name for name, _ in pairs]
        repeated = sorted({n for n in names if names.count(n) > 1 and n in self.fields})
        if repeated:
            raise _body_error("form_invalid", f"repeated field(s) {repeated}")
        long = sorted(n for n, v in pairs if n in self.fields and len(v) > self.max_field_chars)
        if long:
            raise _body_error("form_invalid", f"field(s) {long} longer than {self.max_field_chars} characters")
        return {name: value for name, value in pairs if name in self.fields}


# On every response of both APIs (docs/decisions.md): most carry personal data or a signed-in person's state, and a rule
# that picks routes would miss the next one. No cache (browser, proxy, app's HTTP cache) keeps a response; no browser
# guesses a type other than the one sent (an uploaded name rendered as HTML). API Gateway's own responses carry them
# too (infra/components/api.py), and the local gateway's.
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class ApiResolver(APIGatewayRestResolver):
    """Powertools' REST resolver, every response (a route's, an error's, not-found's) with SECURITY_HEADERS."""

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = super().resolve(event, context)
        headers = result.get("multiValueHeaders")
        if headers is None:
            headers = result["multiValueHeaders"] = {}
        for name, value in SECURITY_HEADERS.items():
            headers[name] = [value]
        if result.get("headers") is not None:
            result["headers"].update(SECURITY_HEADERS)
        return result


def create_resolver(title: str) -> APIGatewayRestResolver:
    # Japanese stays readable in responses (UTF-8), not escaped as \u sequences.
    app = ApiResolver(
        enable_validation=True, serializer=partial(json.dumps, ensure_ascii=False, separators=(",", ":"), default=str)
    )
    # Powertools keeps its request validation in this attribute and puts it first in every route's middleware stack:
    # the one place where a route's body is read. Pinned Powertools; tests/handlers/test_hostile_bodies.py notices a
    # change.
    app._request_validation_middleware = JsonBodyValidation()
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
        return problem(
            error.status, error.type_slug, error.title, error.detail, path(), error.retry_after_seconds, **error.extensions
        )

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        errors = [
            {"location": [str(p) for p in e.get("loc", ())], "message": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['location'])}: {e['message']}" for e in errors) or "invalid request"
        return problem(422, "invalid-input", "入力内容に誤りがあります", detail, path(), errors=errors)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(error: RequestUnsupportedContentType) -> Response:  # JsonBodyValidation raises its own; kept as a net
        return _domain(UnsupportedMediaType(str(error), accepted=[JSON]))

    @app.not_found
    def _not_found(_: NotFoundError) -> Response:
        return problem(404, "not-found", "ページが見つかりません", "no such route", path())

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        # Where it failed (type, AWS error code, stack frames), never the message: a message may quote request data
        # (a validation error quotes its input), and logs are kept a year, past any withdrawal or account deletion.
        code = error.response.get("Error", {}).get("Code") if isinstance(getattr(error, "response", None), dict) else None
        logger.error(
            "unexpected error",
            extra={"error_type": type(error).__qualname__, "aws_error_code": code, "stack": traceback.format_tb(error.__traceback__)},
        )
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
