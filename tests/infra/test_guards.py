"""What the stack refuses to build, and the admin allow-list parser. Fast: no full synthesis."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_

from infra import constants
from infra.components.api import ApiGatewayAccount, RouteApi, allowed_cidrs
from shared.routes import ROUTES, Route


def test_a_route_of_an_unknown_api_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.stack

    partner = Route("partner", "GET", "/partner/things", "register", auth=True)  # type: ignore[arg-type]
    monkeypatch.setattr(infra.stack, "ROUTES", (*ROUTES, partner))
    with pytest.raises(ValueError, match="partner"):
        infra.stack.FurusatoStack(App(), "Refused")


def test_a_public_admin_route_is_refused() -> None:
    stack = Stack(App(), "Bare")
    function = lambda_.Function(
        stack, "F", runtime=constants.RUNTIME, handler="index.handler", code=lambda_.Code.from_inline("x = 1")
    )
    pool = cognito.UserPool(stack, "Pool")
    public = Route("admin", "GET", "/open", "admin", auth=False)
    with pytest.raises(ValueError, match="public"):
        RouteApi(
            stack,
            "AdminApi",
            spec=constants.ADMIN_API,
            routes=[public],
            functions={"admin": function},
            user_pool=pool,
            account=ApiGatewayAccount(stack, "Account"),
        )


def test_a_function_without_declared_access_is_refused() -> None:
    from infra.components.functions import FunctionFactory

    factory = FunctionFactory(Stack(App(), "Bare"), "F", data=None, signing_keys=None, evidence=None, powertools=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="FUNCTION_ACCESS"):
        factory.create("reports")
    with pytest.raises(ValueError, match="do not exist"):
        factory.create_all(["register"])  # checkin and admin are declared but not given


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["203.0.113.0/24"], ("203.0.113.0/24",)),
        ('["203.0.113.0/24", "198.51.100.7/32"]', ("203.0.113.0/24", "198.51.100.7/32")),  # -c with a JSON list
        ("203.0.113.0/24, 2001:db8::/32", ("203.0.113.0/24", "2001:db8::/32")),  # -c comma-separated, IPv6 too
        (["203.0.113.0/24", "203.0.113.0/24"], ("203.0.113.0/24",)),
    ],
)
def test_allow_list_from_context(value: object, expected: tuple[str, ...]) -> None:
    assert allowed_cidrs(value) == expected


@pytest.mark.parametrize("value", [None, [], "", ["0.0.0.0/0"], ["::/0"], ["203.0.113.1/24"], ["lgwan"]])
def test_allow_list_refuses_nothing_everyone_or_malformed(value: object) -> None:
    with pytest.raises(ValueError):
        allowed_cidrs(value)
