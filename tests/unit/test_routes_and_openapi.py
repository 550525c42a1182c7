"""One source of truth: each function's resolver serves exactly its rows of the route table, and the committed
OpenAPI documents match the code."""

from __future__ import annotations

import re

import pytest

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
