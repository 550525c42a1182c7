"""The OpenAPI document of an API, merged from the Powertools resolvers of the functions that serve it (each
resolver generates its part from the same pydantic models the code uses). `python -m local.openapi --write`
refreshes the committed copies in docs/; a test fails when they are stale."""

from __future__ import annotations

import argparse
import importlib
import json
import os
from pathlib import Path

from shared.functions import FUNCTIONS
from shared.routes import ROUTES

ROOT = Path(__file__).resolve().parents[1]
TITLES = {"app": "ふるさと住民登録 app API", "admin": "ふるさと住民登録 admin API"}


# Settings whose value has a shape (checked at cold start) get a placeholder of that shape.
PLACEHOLDER_SETTINGS = {
    "STAFF_USER_POOL_ID": "ap-northeast-1_openapigeneration",
    "VERIFIER_PROVIDER": json.dumps(
        {
            "issuer": "https://provider.invalid",
            "authorization_endpoint": "https://provider.invalid/authorize",
            "token_endpoint": "https://provider.invalid/token",
            "jwks_uri": "https://provider.invalid/jwks",
            "client_id": "openapi-generation",
            "redirect_uri": "https://app.invalid/verification/callback",
        }
    )
}


def build(api: str = "app") -> dict:
    # The documents describe code, not a deployment: the settings each function checks when its module is imported
    # get placeholders here if unset (never in a running function).
    for declared in FUNCTIONS:
        for name in declared.settings:
            os.environ.setdefault(name, PLACEHOLDER_SETTINGS.get(name, f"openapi-generation-{name.lower()}"))
    merged: dict = {"openapi": "3.1.0", "info": {"title": TITLES[api], "version": "1.0.0"}, "paths": {}, "components": {}}
    for function in dict.fromkeys(r.function for r in ROUTES if r.api == api):
        schema = importlib.import_module(f"functions.{function}.handler").app.get_openapi_schema().model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        merged["paths"].update(schema.get("paths", {}))
        for section, entries in schema.get("components", {}).items():
            merged["components"].setdefault(section, {}).update(entries)
    merged["paths"] = dict(sorted(merged["paths"].items()))
    _document_problems(merged)
    return merged


PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `title` is Japanese, for the app to show; `detail` is for developers.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "example": "https://furusato.example.jp/problems/already-registered"},
        "title": {"type": "string", "example": "この自治体にはすでに登録しています"},
        "status": {"type": "integer", "example": 409},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}


# What each status means, as a client reads it; the problem types (slugs) are listed in docs/problems.md.
PROBLEM_STATUSES = {
    400: "Problem `invalid-page-token`: `next` is not a token this list handed out; read again from the first page. "
    "Identity verification: `verification-failed` (the provider's answer could not be trusted: `reason` names the "
    "check) or `verification-expired` (the state is unknown, used or expired); start again",
    401: "Problem `unauthenticated`: no or invalid ID token (API Gateway's Cognito authorizer)",
    403: "Problem: `request-blocked` (the firewall refused the request), `access-denied` (admin API called from outside its "
    "allowed networks) or `forbidden` (the staff role does not allow this)",
    404: "Problem: no such resource (`not-found`, `unknown-organisation`, `activity-not-found`, …)",
    409: "Problem: conflicts with the current state (see the slugs in docs/problems.md)",
    413: "Problem `request-too-large`: the body is over the route's cap",
    415: "Problem `unsupported-media-type`: the body is not of a media type the route reads",
    422: "Problem `invalid-input` (`errors` names each bad value) or a rule's refusal (`invalid-survey-answer`, …)",
    428: "Problem `deletion-not-confirmed`: DELETE /me without `Confirm-Account-Deletion: DELETE`; nothing erased",
    429: "Problem `too-many-requests`: over the per-address rate limit; retry later",
}
# Problems only some routes answer: what their code raises beyond what every route of their kind answers (below).
ROUTE_PROBLEMS: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/organisations"): (404,),  # no such prefecture
    ("POST", "/registrations"): (404, 409),  # unknown organisation; already registered, retried key still running
    ("DELETE", "/me/registrations/{code}"): (409,),  # a concurrent change kept colliding
    ("DELETE", "/me"): (428,),  # not confirmed
    ("POST", "/organisations/{code}/activities/{activity_id}/applications"): (409,),  # closed, external, twice, full
    ("POST", "/checkins"): (404, 409),  # the code's activity is gone; cancelled, not registered, not running
    ("POST", "/me/evidence"): (404, 409),  # no such activity; not registered with its organisation
    ("POST", "/me/evidence/{code}/{evidence_id}/submit"): (409,),  # not uploaded, already decided
    ("PATCH", "/activities/{activity_id}"): (409,),  # cancelled
    ("POST", "/activities/{activity_id}/cancel"): (409,),
    ("GET", "/activities/{activity_id}/checkin-code"): (409,),  # cancelled, not running (rotating)
    ("POST", "/activities/{activity_id}/records"): (409,),  # cancelled
    ("PUT", "/activities/{activity_id}/applications/{user_id}/decision"): (409,),
    ("POST", "/evidence/{user_id}/{evidence_id}/accept"): (409,),  # already decided
    ("POST", "/evidence/{user_id}/{evidence_id}/reject"): (409,),  # already decided
    ("POST", "/prelaunch-imports"): (404,),  # no such venue municipality
    ("POST", "/me/verification"): (409,),  # guardian: no verification is waiting for one
    # the provider's answer refused, the state unknown; the card verified another account, this account another
    # person, no minor waiting; a guardian not accepted is 422
    ("POST", "/me/verification/complete"): (400, 409),
    ("POST", "/me/prelaunch-matches/{code}/{match_id}/confirm"): (409,),  # a concurrent change kept colliding
    ("PUT", "/premium-settings"): (409,),  # saved by someone else since the version sent
    # not registered there (or unknown organisation); the renewal period has not begun, the registration changed
    ("POST", "/me/premium-applications"): (404, 409),
    ("GET", "/me/premium-applications/{code}/{application_id}"): (404,),
    ("GET", "/premium-applications/{user_id}/{application_id}"): (404,),
    # no such application here; decided already (another decision), or the person's premium changed meanwhile
    ("POST", "/premium-applications/{user_id}/{application_id}/decision"): (404, 409),
}


def problem_statuses(method: str, path: str, operation: dict) -> set[int]:
    """Every problem status an operation can answer: the gateway's (firewall 403, rate limit 429; 401 on signed-in
    routes; 403 on every admin route, whose staff roles and allowed networks are checked), validation's (422 where
    there is anything to validate; 413 and 415 for a body), 404 where a path names a resource, and the route's
    own (ROUTE_PROBLEMS); 400 for a paged list's bad `next` token."""
    statuses = {403, 429, *ROUTE_PROBLEMS.get((method.upper(), path), ())}
    if operation.get("security"):
        statuses.add(401)
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(422)
    if operation.get("requestBody"):  # JSON or a file: its media types and size are checked first
        statuses |= {413, 415}
    if "{" in path:
        statuses.add(404)
    if any(p["name"] == "next" and p["in"] == "query" for p in operation.get("parameters", ())):  # paged lists
        statuses.add(400)
    return statuses


def _document_problems(document: dict) -> None:
    """Every error is application/problem+json (shared/api/resolver.py and the gateway responses), including
    validation errors, which Powertools would otherwise document as its own 422 JSON shape (and its unused
    response-validation schema, whose $ref dangles once that shape is gone)."""
    schemas = document["components"].setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for section in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(section, None)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if HTML not in responses.get("422", {}).get("content", {}):  # a page's own 422 stays (the approval page)
                responses.pop("422", None)
            for status, response in responses.items():
                if status == "204":  # no body: Powertools would describe one from the (absent) return type
                    response.pop("content", None)
            for status in sorted(problem_statuses(method, path, operation)):
                _add(responses, status, {"description": PROBLEM_STATUSES[status], "content": problem})
            _add(responses, 503, UNAVAILABLE | {"content": problem})


HTML = "text/html"


def _add(responses: dict, status: int, answer: dict) -> None:
    """The problem a status may carry; where a route answers that status with its own page (the approval page's HTML),
    both: the page from the function, the problem from the gateway or for a request no browser sends."""
    declared = responses.get(str(status))
    if declared is None or HTML not in declared.get("content", {}):
        responses[str(status)] = answer
        return
    declared["description"] = f"{declared['description']}. Or: {answer['description']}"
    declared["content"] = {**declared["content"], **answer["content"]}
    if "headers" in answer:
        declared["headers"] = {**answer["headers"], **declared.get("headers", {})}


# shared/domain/errors.ServiceUnavailable: what a client does is in docs/decisions.md (2026-12-02, per operation).
UNAVAILABLE = {
    "description": (
        "Problem `service-unavailable`: AWS throttled a call or did not answer. Nothing is wrong with the request: "
        "send the same request again (with the same Idempotency-Key where the operation takes one) after Retry-After"
    ),
    "headers": {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}},
}


def path_for(api: str) -> Path:
    return ROOT / "docs" / f"openapi-{api}.json"


def render(api: str) -> str:
    return json.dumps(build(api), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write docs/openapi-<api>.json")
    args = parser.parse_args()
    for api in dict.fromkeys(r.api for r in ROUTES):
        if args.write:
            path_for(api).write_text(render(api), encoding="utf-8")
            print(f"wrote {path_for(api).relative_to(ROOT)}")
        else:
            print(render(api))


if __name__ == "__main__":
    main()
