"""Local API gateway: turns HTTP requests into the API Gateway REST proxy events the deployed API sends, using
the same route table, and verifies Cognito ID tokens against the user pool's JWKS as the Cognito authorizer does
(claims into requestContext.authorizer.claims). Unauthenticated calls get the same problem JSON as deployed.

Local-only routes (not part of the deployed API) live under /local/ and at /openapi.json and /docs."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

import jwt
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from local.events import api_gateway_event
from shared.api.resolver import SECURITY_HEADERS
from shared.routes import ROUTES, Route

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit (REST APIs)
UNAUTHENTICATED = {
    "type": "https://furusato.example.jp/problems/unauthenticated",
    "title": "ログインが必要です",
    "status": 401,
    "detail": "a valid Cognito ID token is required in the Authorization header",
}


def _werkzeug_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


@dataclass(frozen=True)
class CognitoVerifier:
    """Verifies an ID token as API Gateway's Cognito user pool authorizer does: signature (JWKS), issuer,
    audience (the app client), expiry, token_use=id. A Cognito ID token always has `exp`, `iat` and `token_use`: a
    token without one is not one, whatever its signature."""

    jwks_url: str
    issuer: str
    client_id: str

    def claims(self, token: str) -> dict[str, Any] | None:
        try:
            key = _jwks_client(self.jwks_url).get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token, key, algorithms=["RS256"], audience=self.client_id, issuer=self.issuer,
                options={"require": ["exp", "iat", "token_use", "aud", "iss", "sub"]},
            )
        except jwt.PyJWTError:
            return None
        return claims if claims.get("token_use") == "id" else None


_JWKS: dict[str, jwt.PyJWKClient] = {}


def _jwks_client(url: str) -> jwt.PyJWKClient:
    if url not in _JWKS:
        _JWKS[url] = jwt.PyJWKClient(url, cache_keys=True)
    return _JWKS[url]


LocalRoute = Callable[[Request], Response]


class Gateway:
    def __init__(
        self,
        invoke: Callable[[str, dict], dict],
        verifiers: dict[str, CognitoVerifier],
        local_routes: dict[tuple[str, str], LocalRoute],
        api: str = "app",
        stage: str = "v1",
    ) -> None:
        self._invoke = invoke
        self._verifiers = verifiers
        self._stage = stage
        rules = [Rule(_werkzeug_path(r.path), methods=[r.method], endpoint=r) for r in ROUTES if r.api == api]
        rules += [Rule(path, methods=[method], endpoint=handler) for (method, path), handler in local_routes.items()]
        self._map = Map(rules, strict_slashes=False, merge_slashes=False)

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, params = self._map.bind_to_environ(environ).match()
        except HTTPException as error:
            response = problem_response(error.code or 404, "not-found" if error.code == 404 else "method-not-allowed",
                                "ページが見つかりません" if error.code == 404 else "この操作はできません", error.description or "")
            return response(environ, start_response)
        if isinstance(endpoint, Route):
            response = self._proxy(request, endpoint, params)
        else:
            response = endpoint(request)
        return response(environ, start_response)

    def _proxy(self, request: Request, route: Route, params: dict[str, str]) -> Response:
        claims = None
        if route.auth:
            token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            claims = self._verifiers[route.api].claims(token) if token else None
            if claims is None:
                return problem_response(401, "unauthenticated", UNAUTHENTICATED["title"], UNAUTHENTICATED["detail"])
        # API Gateway refuses a body over 10 MB itself (REQUEST_TOO_LARGE): so does this gateway, before reading it.
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _too_large()
        raw = request.get_data()
        if len(raw) > MAX_BODY_BYTES:  # a chunked body states no length up front
            return _too_large()
        body: bytes | str | None = None
        if raw:
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError:
                body = raw
        headers = {k: v for k, v in request.headers.items()}
        event = api_gateway_event(
            request.method, route.path, request.path, params, _query_string(request), headers, body, claims,
            stage=self._stage, source_ip=request.remote_addr or "127.0.0.1",
        )
        result = self._invoke(route.function, event)
        # As API Gateway merges them: every value of multiValueHeaders (several Set-Cookie headers stay several), a
        # name in both keeping multiValueHeaders' values.
        response_headers = Headers()
        for name, value in (result.get("headers") or {}).items():
            response_headers[name] = value
        for name, values in (result.get("multiValueHeaders") or {}).items():
            response_headers.setlist(name, [str(v) for v in values])
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        return Response(data, result.get("statusCode", 502), headers=response_headers)


def _too_large() -> Response:
    return problem_response(413, "request-too-large", "リクエストが大きすぎます", f"the body exceeds {MAX_BODY_BYTES} bytes")


def _query_string(request: Request) -> str:
    """The query as the client sent it. Clients percent-encode, but curl sends raw UTF-8: http.server reads the
    request line as latin-1 and werkzeug's WSGI "encoding dance" then encodes it once more; undo both."""
    query = request.environ.get("QUERY_STRING", "")
    try:
        return query.encode("latin-1").decode("utf-8").encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return query


def problem_response(status: int, slug: str, title: str, detail: str) -> Response:
    """API Gateway's own answers (gateway responses, infra/components/api.py), as problem JSON with the same headers."""
    body = {"type": f"https://furusato.example.jp/problems/{slug}", "title": title, "status": status, "detail": detail}
    return Response(
        json.dumps(body, ensure_ascii=False), status, content_type="application/problem+json", headers=SECURITY_HEADERS
    )


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status, content_type="application/json")


