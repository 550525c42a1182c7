"""What the stack refuses to build, a function with only a schedule, and the admin allow-list parser. Fast: no full
synthesis of the whole stack."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from infra import constants
from infra.components.api import ApiGatewayAccount, RouteApi, allowed_cidrs
from infra.components.functions import FunctionFactory
from infra.components.table import DataTable
from shared.functions import (
    CHECKIN_SIGNING_KEYS,
    FUNCTIONS,
    TABLE,
    Function,
    Grant,
    Http,
    Queue,
    Schedule,
    StateMachineTask,
    problems,
    table,
)
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


NIGHTLY = Function(
    "nightly_test",  # test-only: no product function has a schedule yet, and none is created for this test
    triggers=(Schedule("nightly-test", "cron(0 3 * * ? *)", "Every night at 03:00 in Japan"),),
    grants=(table("organisation", "dynamodb:Query"),),
)


def test_a_route_of_an_undeclared_function_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.stack

    orphan = Route("app", "GET", "/reports", "reports", auth=True)
    monkeypatch.setattr(infra.stack, "ROUTES", (*ROUTES, orphan))
    with pytest.raises(ValueError, match="routes of 'reports'"):
        infra.stack.FurusatoStack(App(), "Refused")


def test_an_http_function_without_routes_and_a_function_without_triggers_are_refused() -> None:
    silent = Function("silent", triggers=(), grants=())
    webless = Function("webless", triggers=(Http(),), grants=())
    assert problems((*FUNCTIONS, silent, webless), ROUTES) == [
        "function 'silent' has no trigger: nothing would ever invoke it",
        "function 'webless' has an Http trigger but no route in shared/routes.py",
    ]


def _bare_factory(monkeypatch: pytest.MonkeyPatch) -> tuple[Stack, DataTable, FunctionFactory]:
    import infra.components.functions as module

    monkeypatch.setattr(module, "application_code", lambda name: lambda_.Code.from_inline("def lambda_handler(e, c): pass"))
    stack = Stack(App(), "Bare", env=Environment(region=constants.REGION))
    data = DataTable(stack, "Data")
    layer = lambda_.LayerVersion.from_layer_version_arn(stack, "Layer", "arn:aws:lambda:ap-northeast-1:017000801446:layer:x:1")
    return stack, data, FunctionFactory(stack, "Functions", resources={TABLE.name: data}, powertools=layer)


def test_a_function_with_only_a_schedule_is_declared_and_synthesizes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Room for the schedules: a function no route reaches, invoked by EventBridge Scheduler in Japan's time, with
    exactly its grants (here: Query in the organisation area)."""
    assert problems((*FUNCTIONS, NIGHTLY), ROUTES) == []
    stack, data, factory = _bare_factory(monkeypatch)
    factory.create(NIGHTLY)
    template = Template.from_stack(stack).to_json()
    resources = template["Resources"]

    (function_id,) = [k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"]
    function = resources[function_id]["Properties"]
    assert function["Handler"] == "functions.nightly_test.handler.lambda_handler"
    assert set(function["Environment"]["Variables"]) >= {"TABLE_NAME"}
    assert not [r for r in resources.values() if r["Type"].startswith("AWS::ApiGateway::")]

    (schedule,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Scheduler::Schedule"]
    assert schedule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Tokyo"
    (alias_id,) = [k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Alias"]
    assert schedule["Target"]["Arn"] == {"Ref": alias_id}  # the live alias, as every trigger (SnapStart)
    assert json.loads(schedule["Target"]["Input"]) == {
        "source": "furusato.schedule", "schedule": "nightly-test", "scheduled_time": "<aws.scheduler.scheduled-time>"
    }

    role = function["Role"]["Fn::GetAtt"][0]
    statements = [
        s for r in resources.values() if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    dynamodb = [s for s in statements if str(s["Action"]).startswith("dynamodb:")]
    assert dynamodb == [{
        "Action": "dynamodb:Query",
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["ORG#*"]}},
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [stack.get_logical_id(data.table.node.default_child), "Arn"]},
    }]


def test_a_trigger_the_stack_does_not_build_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, factory = _bare_factory(monkeypatch)
    queued = Function("queued_test", triggers=(Queue("statistics"),), grants=())
    with pytest.raises(ValueError, match="builds no such queue"):
        factory.create(queued)


def test_a_grant_on_a_resource_the_stack_does_not_build_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, factory = _bare_factory(monkeypatch)
    reader = Function("reader_test", triggers=(Http(),), grants=(Grant(CHECKIN_SIGNING_KEYS, ("secretsmanager:GetSecretValue",)),))
    with pytest.raises(ValueError, match="checkin-signing-keys"):
        factory.create(reader)


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


def test_a_state_machine_task_without_its_task_state_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The premium function's triggers and the Task states of premium.asl.json must agree (the state machine's role
    may invoke what the Task states name): synthesis stops before building anything."""
    import dataclasses

    import shared.functions as function_list
    from infra.stack import FurusatoStack

    premium = function_list.function("premium")
    extra = dataclasses.replace(premium, triggers=(*premium.triggers, StateMachineTask("premium", "Route")))
    monkeypatch.setattr(function_list, "FUNCTIONS", tuple(extra if f is premium else f for f in FUNCTIONS))
    with pytest.raises(ValueError, match="state='Route'.* is not a Task state of 'premium'"):
        FurusatoStack(App(), "Refused")


def test_a_state_machine_task_trigger_adds_nothing_to_the_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """The state machine's role is what may invoke the function (infra/components/workflows.py): no permission, no
    event source on the function's side."""
    stack, _, factory = _bare_factory(monkeypatch)
    factory.create(Function("tasked_test", triggers=(StateMachineTask("premium", "Judge"),), grants=()))
    types = {r["Type"] for r in Template.from_stack(stack).to_json()["Resources"].values()}
    assert not [t for t in types if t in ("AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping")]
    assert "AWS::Lambda::Alias" in types
