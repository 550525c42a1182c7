"""One source of truth: each function's resolver serves exactly its rows of the route table, and the committed
OpenAPI documents match the code."""

from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate

from local import openapi
from shared.routes import ROUTES


@pytest.mark.parametrize("api", sorted({r.api for r in ROUTES}))
def test_resolvers_serve_exactly_the_route_table(api):
    document = openapi.build(api)
    served = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert served == {(r.method, r.path) for r in ROUTES if r.api == api}


@pytest.mark.parametrize("api", sorted({r.api for r in ROUTES}))
def test_signed_in_routes_declare_the_cognito_security_scheme(api):
    document = openapi.build(api)
    for route in (r for r in ROUTES if r.api == api):
        operation = document["paths"][route.path][route.method.lower()]
        assert bool(operation.get("security")) == route.auth, route


def test_paths_use_api_gateway_parameter_syntax():
    for route in ROUTES:
        assert re.fullmatch(r"(/([a-z0-9-]+|\{[a-z_]+\}))+", route.path), route


@pytest.mark.parametrize("api", sorted({r.api for r in ROUTES}))
def test_committed_openapi_document_is_current(api):
    assert openapi.path_for(api).read_text(encoding="utf-8") == openapi.render(api), "run: make openapi"


@pytest.mark.parametrize("api", sorted({r.api for r in ROUTES}))
def test_committed_openapi_document_is_valid_openapi(api):
    """What openapi-spec-validator (and so openapi-typescript and schemathesis) reads: no dangling $ref, every
    response well formed."""
    validate(json.loads(openapi.path_for(api).read_text(encoding="utf-8")))


def test_route_specific_problems_name_real_routes():
    routes = {(r.method, r.path) for r in ROUTES}
    assert set(openapi.ROUTE_PROBLEMS) <= routes
    for statuses in openapi.ROUTE_PROBLEMS.values():
        assert set(statuses) <= set(openapi.PROBLEM_STATUSES)


@pytest.mark.parametrize("api", sorted({r.api for r in ROUTES}))
def test_every_response_is_documented_with_its_body(api):
    """Creates answer 201, a withdrawal 204 without a body, every other status its JSON or problem JSON body; a web
    page's routes (the approval page, R-PRE-5) answer their refusals as pages too (text/html beside problem JSON)."""
    document = openapi.build(api)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "4XX" not in responses and "default" not in responses, (method, path)
            assert any(s.startswith("2") for s in responses), (method, path)
            page = any("text/html" in r.get("content", {}) for s, r in responses.items() if s.startswith("2"))
            for status, response in responses.items():
                if status == "204":
                    assert "content" not in response, (method, path)
                elif status.startswith("4") and page:
                    assert set(response["content"]) <= {"text/html", "application/problem+json"}, (method, path, status)
                elif status.startswith("4"):
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
                else:
                    assert response["content"] and all(c.get("schema") for c in response["content"].values()), (method, path)


@pytest.mark.parametrize(
    ("api", "method", "path", "status"),
    [
        ("app", "post", "/registrations", "201"),
        ("app", "post", "/organisations/{code}/activities/{activity_id}/applications", "201"),
        ("app", "delete", "/organisations/{code}/activities/{activity_id}/applications", "204"),
        ("app", "post", "/checkins", "201"),
        ("app", "post", "/me/evidence", "201"),
        ("admin", "post", "/activities", "201"),
        ("admin", "post", "/activities/{activity_id}/records", "201"),
    ],
)
def test_creates_document_the_status_they_answer(api, method, path, status):
    assert status in openapi.build(api)["paths"][path][method]["responses"]


def test_the_import_documents_its_file_body():
    body = openapi.build("admin")["paths"]["/prelaunch-imports"]["post"]["requestBody"]
    assert body["required"] and {"text/csv", openapi_xlsx()} <= set(body["content"])


def openapi_xlsx() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"



def test_a_paged_list_documents_the_bad_page_token_problem():
    paged = {"parameters": [{"name": "next", "in": "query", "schema": {"type": "string"}}], "security": [{"cognito": []}]}
    assert 400 in openapi.problem_statuses("GET", "/me/applications", paged)
    assert 400 not in openapi.problem_statuses("GET", "/me/applications", {"security": [{"cognito": []}]})


def test_the_approval_pages_document_their_html_answers():
    paths = openapi.build("admin")["paths"]
    assert set(paths["/approval"]["get"]["responses"]["200"]["content"]) == {"text/html"}
    assert not paths["/approval"]["get"].get("security")
    sign_in = paths["/approval/sign-in"]["post"]
    assert set(sign_in["requestBody"]["content"]) == {"application/x-www-form-urlencoded"}
    assert {"200", "303", "401", "403", "413", "415", "422", "429", "503"} <= set(sign_in["responses"])
    assert set(sign_in["responses"]["401"]["content"]) == {"text/html"}
    assert "Location" in sign_in["responses"]["303"]["headers"]
    decision = paths["/approval/decision"]["post"]["responses"]
    assert set(decision["422"]["content"]) == {"text/html", "application/problem+json"}
    assert set(decision["409"]["content"]) == {"text/html"}
