"""The premium workflow's constructs without a full synthesis: the `mail` context's validation, and what synthesis
refuses (a state machine granted but never built, approval keys no API serves). The synthesized stack is checked in
test_stack.py."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from infra import constants
from infra.components.approval_keys import ApprovalKeys
from infra.components.mail import mail_config
from infra.components.workflows import WorkflowStateMachine
from shared.functions import PREMIUM_WORKFLOW, Grant
from shared.workflows import PREMIUM

CDK_CONTEXT = json.loads((constants.ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]


def _stack() -> Stack:
    return Stack(App(), "Bare", env=Environment(region=constants.REGION))


# --- the `mail` context --------------------------------------------------------------------------------------------


def test_cdk_json_holds_a_marked_placeholder_that_validates() -> None:
    config = mail_config(CDK_CONTEXT[constants.MAIL_CONTEXT])
    assert (config.domain, config.sender) == ("furusato.example.jp", "no-reply@furusato.example.jp")
    assert config.is_placeholder  # synthesis says so (an info) until the real domain is set
    real = mail_config({"domain": "furusato.city.hida.lg.jp", "from": "no-reply@furusato.city.hida.lg.jp"})
    assert not real.is_placeholder


def test_the_mail_context_may_come_from_the_command_line_and_from_a_subdomain() -> None:
    config = mail_config('{"domain": "furusato.jp", "from": "no-reply@mail.furusato.jp"}')
    assert config.sender == "no-reply@mail.furusato.jp"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "is missing"),
        ("{not json", "is not JSON"),
        ({"domain": "furusato.jp"}, "must be exactly"),
        ({"domain": "furusato.jp", "from": "a@furusato.jp", "reply_to": "b@furusato.jp"}, "must be exactly"),
        ({"domain": "localhost", "from": "a@localhost"}, "domain must be"),
        ({"domain": "Furusato.JP", "from": "a@furusato.jp"}, "domain must be"),
        ({"domain": "furusato.jp", "from": "a@other.jp"}, "from must be"),
        ({"domain": "furusato.jp", "from": "a@notfurusato.jp"}, "from must be"),  # not a subdomain
        ({"domain": "furusato.jp", "from": "ふるさと <a@furusato.jp>"}, "from must be"),  # no display name
        ({"domain": "furusato.jp", "from": "furusato.jp"}, "from must be"),
    ],
)
def test_a_bad_mail_context_fails_synthesis_with_a_clear_message(value: object, message: str) -> None:
    with pytest.raises(ValueError, match="CDK context 'mail'") as raised:
        mail_config(value)
    assert message in str(raised.value)


# --- what synthesis refuses ----------------------------------------------------------------------------------------


def test_a_workflow_granted_but_never_built_fails_synthesis() -> None:
    stack = _stack()
    workflow = WorkflowStateMachine(stack, "PremiumWorkflow", workflow=PREMIUM)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    workflow.grant_access(role, Grant(PREMIUM_WORKFLOW, ("states:StartExecution",)))
    # the ARN is known before the state machine exists: from its fixed name
    assert workflow.state_machine_name == "Bare-premium"
    with pytest.raises(Exception, match="its state machine was never built"):
        Template.from_stack(stack)


def test_a_workflow_built_without_its_functions_is_refused() -> None:
    workflow = WorkflowStateMachine(_stack(), "PremiumWorkflow", workflow=PREMIUM)
    with pytest.raises(ValueError, match=r"invokes \['premium'\], which the stack does not build"):
        workflow.build({})


def test_approval_keys_no_api_serves_fail_synthesis() -> None:
    stack = _stack()
    keys = ApprovalKeys(stack, "ApprovalKeys")
    with pytest.raises(ValueError, match="before an API serves the approval page"):
        keys.base_url()
    with pytest.raises(Exception, match="no API serves the approval page"):
        Template.from_stack(stack)


def test_the_approval_base_url_is_the_apis_stage() -> None:
    stack = _stack()
    keys = ApprovalKeys(stack, "ApprovalKeys")
    api = apigateway.RestApi(stack, "Api", deploy=False)
    api.root.add_method("GET")
    keys.served_by(api, "v1")
    url = stack.resolve(keys.companion_settings["APPROVAL_BASE_URL"])
    api_id = stack.get_logical_id(api.node.default_child)
    assert url == {
        "Fn::Join": ["", ["https://", {"Ref": api_id}, ".execute-api.ap-northeast-1.", {"Ref": "AWS::URLSuffix"}, "/v1/"]]
    }
