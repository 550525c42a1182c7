"""The synthesized stack against the application's own definitions (shared.dal.table, shared.routes, the resolver's
problem format) and cdk-nag. One synthesis per session (conftest.py); these tests only read its output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra import constants
from functions.admin.handler import PRELAUNCH_UPLOAD
from shared.api.resolver import MAX_JSON_BODY_BYTES, PROBLEM_JSON, PROBLEM_TYPE_BASE
from shared.domain.staff import ROLES
from shared.dal import table as definition
from shared.dal.keys import UPLOAD_OBJECTS
from shared.domain import errors
from shared.dal.keys import AREAS
from shared.domain.errors import RequestTooLarge, Unauthenticated
from shared.domain.verification import ProviderConfig
from shared.functions import Queue
from shared.functions import (
    APPROVAL_KEYS,
    CHECKIN_SIGNING_KEYS,
    CHECKIN_VERIFICATION_KEYS,
    FUNCTIONS,
    INDEX_SCOPE,
    MAIL,
    PREMIUM_WORKFLOW,
    TABLE,
    VERIFIER_KEYS,
    Function,
)
from shared.dal.approval_keys import SECRET_FIELD, ApprovalKeys
from shared.routes import ROUTES, Route
from shared.workflows import PREMIUM, WORKFLOWS
from shared.domain.evidence import UPLOAD_OPEN_FOR

from .conftest import Synth

ROOT = Path(__file__).resolve().parents[2]
CDK_CONTEXT = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
DECLARED = {f.name: f for f in FUNCTIONS}
ACCOUNT = os.environ.get("CDK_DEFAULT_ACCOUNT") or "${AWS::AccountId}"  # as infra/app.py sets it; _text spells a Ref so
NAMES = tuple(DECLARED)
API_NAMES = {"app": "furusato-app", "admin": "furusato-admin"}
POOL_NAMES = {"app": "furusato-citizens", "admin": "furusato-staff"}  # whose ID tokens each API accepts

# Every acknowledged cdk-nag finding. A new one must be added here and to docs/infra.md, with its reason.
ACKNOWLEDGED = {
    "AwsSolutions-COG2",
    "AwsSolutions-COG8",
    "AwsSolutions-COG4",
    "AwsSolutions-APIG4",
    "AwsSolutions-L1",
    "AwsSolutions-SMG4",
    "AwsSolutions-SQS3",  # the work queues' dead-letter queues (infra/components/queues.py)
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-IAM5[Resource::<EvidenceBucketC67FF768.Arn>/evidence/*]",
    "AwsSolutions-IAM5[Resource::<EvidenceBucketC67FF768.Arn>/uploads/*]",
    "AwsSolutions-IAM5[Resource::<EvidenceBucketC67FF768.Arn>/exports/*]",  # the registrant export CSVs
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
}


# --- helpers -------------------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def _logical_ids_in(value: Any) -> set[str]:
    """Every logical id a CloudFormation expression refers to (Ref / Fn::GetAtt, at any depth)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value:
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for item in value.values():
            found |= _logical_ids_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= _logical_ids_in(item)
    return found


def _text(value: Any) -> str:
    """A CloudFormation string expression as text: Ref -> ${Id}, Fn::GetAtt -> ${Id.Attr}, Fn::Join concatenated (an
    ARN is compared whatever CDK builds it from: a pseudo parameter, a concrete account, a token of a construct)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"${{{value['Ref']}}}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${%s.%s}" % tuple(value["Fn::GetAtt"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_text(part) for part in parts)
    return json.dumps(value, sort_keys=True)


def _only(resources: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.items()))


def _table(synth: Synth) -> tuple[str, dict[str, Any]]:
    return _only(synth.of_type("AWS::DynamoDB::Table"))


def _function(synth: Synth, name: str) -> tuple[str, dict[str, Any]]:
    handler = f"functions.{name}.handler.lambda_handler"
    functions = synth.of_type("AWS::Lambda::Function")
    return _only({k: r for k, r in functions.items() if r["Properties"]["Handler"] == handler})


def _live_alias(synth: Synth, name: str) -> tuple[str, dict[str, Any]]:
    """The function's alias every trigger invokes, and the published version it points at."""
    function_id, _ = _function(synth, name)
    aliases = {
        k: r for k, r in synth.of_type("AWS::Lambda::Alias").items() if _ref(r["Properties"]["FunctionName"]) == function_id
    }
    return _only(aliases)


def _apis(synth: Synth) -> dict[str, str]:
    """Logical id of each RestApi by route API key ("app", "admin")."""
    by_name = {r["Properties"]["Name"]: k for k, r in synth.of_type("AWS::ApiGateway::RestApi").items()}
    return {key: by_name[name] for key, name in API_NAMES.items() if name in by_name}


def _pool(synth: Synth, api: str) -> tuple[str, dict[str, Any]]:
    pools = synth.of_type("AWS::Cognito::UserPool")
    return _only({k: r for k, r in pools.items() if r["Properties"]["UserPoolName"] == POOL_NAMES[api]})


def _stage(synth: Synth, api: str) -> tuple[str, dict[str, Any]]:
    stages = synth.of_type("AWS::ApiGateway::Stage")
    return _only({k: s for k, s in stages.items() if s["Properties"]["RestApiId"] == {"Ref": _apis(synth)[api]}})


SECRET_DESCRIPTIONS = {
    "sign": constants.SIGNING_KEYS_DESCRIPTION,
    "verify": constants.VERIFICATION_KEYS_DESCRIPTION,
    "verifier": constants.VERIFIER_KEYS_DESCRIPTION,
    "verifier-jwks": constants.VERIFIER_JWKS_DESCRIPTION,
    "approval": constants.APPROVAL_KEYS_DESCRIPTION,
}
# The secret of each secret resource of the function list.
SECRET_OF = {CHECKIN_SIGNING_KEYS: "sign", CHECKIN_VERIFICATION_KEYS: "verify", VERIFIER_KEYS: "verifier", APPROVAL_KEYS: "approval"}


def _secret(synth: Synth, keys: str = "sign") -> tuple[str, dict[str, Any]]:
    """The check-in signing keys secret ("sign"), their verification keys secret ("verify"), the identity verifier's
    keys ("verifier"), their public JWK Set ("verifier-jwks") or the premium approval keys ("approval")."""
    description = SECRET_DESCRIPTIONS[keys]
    return _only({k: s for k, s in synth.of_type("AWS::SecretsManager::Secret").items() if s["Properties"]["Description"] == description})


# Which check-in key secret a function reads: "sign" (the private signing keys: admin makes codes) or "verify" (their
# public halves: checkin, internet-facing, cannot make a code). docs/decisions.md, "Check-in codes are signed with
# Ed25519"; an independent copy of what shared/functions.py grants.
CHECKIN_KEYS = {"register": None, "checkin": "verify", "admin": "sign"}
KEY_SETTINGS = {"sign": "CHECKIN_KEYS_SECRET", "verify": "CHECKIN_VERIFY_KEYS_SECRET"}


def _state_machine(synth: Synth, workflow: str = "premium") -> tuple[str, dict[str, Any]]:
    machines = synth.of_type("AWS::StepFunctions::StateMachine")
    name = constants.STATE_MACHINE_NAME.format(stack=constants.STACK_NAME, workflow=workflow)
    return _only({k: m for k, m in machines.items() if m["Properties"]["StateMachineName"] == name})


def _state_machine_arn(synth: Synth, workflow: str = "premium") -> str:
    """The ARN of the workflow's state machine, as text (_text): what `Ref` of it returns once deployed."""
    _, machine = _state_machine(synth, workflow)
    return f"arn:aws:states:{constants.REGION}:{ACCOUNT}:stateMachine:{machine['Properties']['StateMachineName']}"


def _methods(synth: Synth) -> dict[tuple[str, str, str], dict[str, Any]]:
    """API Gateway methods by (API key, full path, HTTP method), the path rebuilt from the Resource parent chain."""
    resources = synth.of_type("AWS::ApiGateway::Resource")
    api_of = {logical: key for key, logical in _apis(synth).items()}

    def path_of(resource_id: Any) -> str:
        logical = _ref(resource_id)
        if logical not in resources:  # Fn::GetAtt [RestApi, RootResourceId]
            return ""
        props = resources[logical]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    return {
        (api_of[_ref(m["Properties"]["RestApiId"])], path_of(m["Properties"]["ResourceId"]) or "/", m["Properties"]["HttpMethod"]): m
        for m in synth.of_type("AWS::ApiGateway::Method").values()
    }


def _statements(synth: Synth, role: str) -> list[dict[str, Any]]:
    policies = [
        p for p in synth.of_type("AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"].get("Roles", [])
    ]
    inline = synth.resources[role]["Properties"].get("Policies", [])
    return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]] + [
        s for p in inline for s in p["PolicyDocument"]["Statement"]
    ]


def _problem(template: str, detail: str = "from API Gateway") -> dict[str, Any]:
    """A gateway response body as the client receives it ($context.error.messageString is a JSON string)."""
    return json.loads(template.replace("$context.error.messageString", json.dumps(detail)))


def _asset_dir(synth: Synth, name: str, handler: str = "functions.{name}.handler.lambda_handler") -> Path:
    functions = synth.of_type("AWS::Lambda::Function")
    _, function = _only({k: f for k, f in functions.items() if f["Properties"]["Handler"] == handler.format(name=name)})
    key = function["Properties"]["Code"]["S3Key"]
    return synth.outdir / f"asset.{key.removesuffix('.zip')}"


def _resource_pairs(statements: list[dict[str, Any]], prefix: str) -> set[tuple[str, str]]:
    """(action, resource as JSON) for every action starting with `prefix`: independent of how IAM statements are
    merged (@aws-cdk/aws-iam:minimizePolicies)."""
    return {
        (action, json.dumps(resource, sort_keys=True))
        for s in statements
        for action in _as_list(s["Action"])
        if action.startswith(prefix)
        for resource in _as_list(s["Resource"])
    }


# --- table ---------------------------------------------------------------------------------------------------------


def test_table_keys_and_indexes_are_the_data_layers(synth: Synth) -> None:
    expected = definition.create_table_request("any")
    _, table = _table(synth)
    props = table["Properties"]
    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == expected["AttributeDefinitions"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {i.name for i in definition.INDEXES}
    for wanted in expected["GlobalSecondaryIndexes"]:
        index = indexes[wanted["IndexName"]]
        assert index["KeySchema"] == wanted["KeySchema"]
        assert index["Projection"]["ProjectionType"] == "INCLUDE"
        assert index["Projection"]["NonKeyAttributes"] == wanted["Projection"]["NonKeyAttributes"]
        assert "ProvisionedThroughput" not in index


def test_table_is_protected_encrypted_and_expires_items(synth: Synth) -> None:
    _, table = _table(synth)
    props = table["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": definition.TTL_ATTRIBUTE, "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    sse = props["SSESpecification"]
    assert sse["SSEEnabled"] is True and sse["SSEType"] == "KMS"
    key_id = _ref(sse["KMSMasterKeyId"])
    key = synth.resources[key_id]
    assert key["Type"] == "AWS::KMS::Key"  # customer managed, not aws/dynamodb
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


# --- APIs ----------------------------------------------------------------------------------------------------------


def test_every_route_and_nothing_else_is_a_method_of_its_api(synth: Synth) -> None:
    assert set(_apis(synth)) == {"app", "admin"} == {route.api for route in ROUTES}
    assert len(synth.of_type("AWS::ApiGateway::RestApi")) == 2
    assert set(_methods(synth)) == {(route.api, route.path, route.method) for route in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.api} {r.method} {r.path}")
def test_route_method_has_its_authorization_and_function(synth: Synth, route: Route) -> None:
    method = _methods(synth)[(route.api, route.path, route.method)]["Properties"]
    alias_id, _ = _live_alias(synth, route.function)

    integration = method["Integration"]
    assert integration["Type"] == "AWS_PROXY" and integration["IntegrationHttpMethod"] == "POST"
    # The live alias, not $LATEST: SnapStart restores published versions only.
    assert _logical_ids_in(integration["Uri"]) == {alias_id}

    if route.auth:
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
        authorizer = synth.resources[_ref(method["AuthorizerId"])]["Properties"]
        assert authorizer["Type"] == "COGNITO_USER_POOLS"
        assert authorizer["RestApiId"] == method["RestApiId"]  # the API's own authorizer
        assert authorizer["IdentitySource"] == "method.request.header.Authorization"
        pool_id, _ = _pool(synth, route.api)  # citizens' pool for the app API, staff pool for the admin API
        assert _logical_ids_in(authorizer["ProviderARNs"]) == {pool_id}
    else:
        # The admin API's only public routes: the approval page the e-mailed link opens (its own staff session)
        assert route.api == "app" or route.path in constants.ADMIN_API.public_paths
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method

    validator = synth.resources[_ref(method["RequestValidatorId"])]["Properties"]
    assert validator["ValidateRequestParameters"] is True and validator["ValidateRequestBody"] is True
    path_parameters = re.findall(r"\{(\w+)\}", route.path)
    assert method.get("RequestParameters", {}) == {f"method.request.path.{p}": True for p in path_parameters}


def test_admin_api_only_answers_the_allow_listed_networks(synth: Synth) -> None:
    apis = _apis(synth)
    assert "Policy" not in synth.resources[apis["app"]]["Properties"]  # the app API is for everyone's phones
    policy = synth.resources[apis["admin"]]["Properties"]["Policy"]
    allow, deny = policy["Statement"]
    assert allow["Effect"] == "Allow" and "Condition" not in allow
    assert deny["Effect"] == "Deny"
    for statement in (allow, deny):
        assert statement["Principal"] == {"AWS": "*"}
        assert statement["Action"] == "execute-api:Invoke" and statement["Resource"] == "execute-api:/*"
    assert deny["Condition"] == {"NotIpAddress": {"aws:SourceIp": CDK_CONTEXT["adminAllowedCidrs"]}}
    assert CDK_CONTEXT["adminAllowedCidrs"] == ["203.0.113.0/24"]  # documentation range until LGWAN ranges are known


def test_admin_api_returns_png_as_binary(synth: Synth) -> None:
    apis = _apis(synth)
    assert synth.resources[apis["admin"]]["Properties"]["BinaryMediaTypes"] == [
        "image/png",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv",  # a Shift_JIS CSV reaches the import byte for byte
        "text/tab-separated-values",
    ]
    assert set(PRELAUNCH_UPLOAD.media_types) <= set(synth.resources[apis["admin"]]["Properties"]["BinaryMediaTypes"])
    assert "BinaryMediaTypes" not in synth.resources[apis["app"]]["Properties"]
    # the route that serves it (?format=png) exists on the admin API
    assert ("admin", "/activities/{activity_id}/checkin-code", "GET") in _methods(synth)
    assert 'content_type="image/png"' in (ROOT / "functions/admin/handler.py").read_text(encoding="utf-8")


REQUIRED_GATEWAY_RESPONSES = {
    "DEFAULT_4XX": 400,
    "DEFAULT_5XX": 500,
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,  # the admin API's resource policy refusing the caller's address
    "MISSING_AUTHENTICATION_TOKEN": 404,  # API Gateway's answer to an unknown path or method: a not-found problem
}


def _application_problem_titles() -> dict[str, str]:
    """slug -> title of every problem the functions return: domain errors and the resolver's own."""
    titles: dict[str, str] = {}
    pending = [errors.DomainError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls is not errors.DomainError:
            titles[cls.type_slug] = cls.title
    resolver = (ROOT / "shared/api/resolver.py").read_text(encoding="utf-8")
    titles |= dict(re.findall(r'problem\(\d+, "([\w-]+)", "([^"]+)"', resolver))
    return titles


@pytest.mark.parametrize("api", ["app", "admin"])
def test_gateway_responses_are_the_resolvers_problem_json(synth: Synth, api: str) -> None:
    defined = synth.of_type("AWS::ApiGateway::GatewayResponse").values()
    mine = [r["Properties"] for r in defined if r["Properties"]["RestApiId"] == {"Ref": _apis(synth)[api]}]
    responses = {props["ResponseType"]: props for props in mine}
    assert set(REQUIRED_GATEWAY_RESPONSES) <= set(responses)
    application = _application_problem_titles()
    for response_type, props in responses.items():
        assert props["ResponseParameters"] == {
            "gatewayresponse.header.Content-Type": f"'{PROBLEM_JSON}'",
            "gatewayresponse.header.Cache-Control": "'no-store'",  # as every function response (issue 7 part 5)
            "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
        }
        status = int(props["StatusCode"])
        assert status == REQUIRED_GATEWAY_RESPONSES.get(response_type, status)
        body = _problem(props["ResponseTemplates"]["application/json"])
        assert set(body) == {"type", "title", "status", "detail"}, response_type
        assert body["type"].startswith(PROBLEM_TYPE_BASE) and body["type"] != PROBLEM_TYPE_BASE
        assert body["status"] == status, response_type  # the body never contradicts the HTTP status
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", body["title"]), f"{response_type}: title not Japanese"
        slug = body["type"].removeprefix(PROBLEM_TYPE_BASE)
        assert body["title"] == application.get(slug, body["title"]), f"{slug}: same type, different title"
        if response_type != "ACCESS_DENIED":
            assert body["detail"] == "from API Gateway"
    unauthorized = _problem(responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"])
    assert unauthorized["type"] == PROBLEM_TYPE_BASE + Unauthenticated.type_slug  # same problem as the resolver's
    assert unauthorized["title"] == Unauthenticated.title == "ログインが必要です"
    assert unauthorized["status"] == Unauthenticated.status == 401

    denied_template = responses["ACCESS_DENIED"]["ResponseTemplates"]["application/json"]
    denied = _problem(denied_template)
    assert denied["type"] == PROBLEM_TYPE_BASE + "access-denied" and denied["title"] == "アクセスが許可されていません"
    assert "$context" not in denied_template  # API Gateway's message would name the API's ARN (account id)
    assert "access-denied" not in application  # not the domain's `forbidden` (a staff role), a problem of its own


@pytest.mark.parametrize("api", ["app", "admin"])
def test_stage_v1_logs_traces_throttles_and_sits_behind_its_waf(synth: Synth, api: str) -> None:
    spec = {"app": constants.APP_API, "admin": constants.ADMIN_API}[api]
    stage_id, stage = _stage(synth, api)
    props = stage["Properties"]
    assert props["StageName"] == "v1"
    assert props["TracingEnabled"] is True
    log_group = _logical_ids_in(props["AccessLogSetting"]["DestinationArn"]) - {"AWS::AccountId"}
    assert synth.resources[log_group.pop()]["Properties"]["RetentionInDays"] > 0
    assert json.loads(props["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"
    (settings,) = [s for s in props["MethodSettings"] if s["HttpMethod"] == "*" and s["ResourcePath"] == "/*"]
    assert settings["LoggingLevel"] in ("ERROR", "INFO")
    assert settings["DataTraceEnabled"] is False  # request/response bodies (personal data) stay out of the logs
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (spec.rate_limit_rps, spec.burst_limit)
    assert _only(synth.of_type("AWS::ApiGateway::Account"))

    associations = synth.of_type("AWS::WAFv2::WebACLAssociation").values()
    (association,) = [a for a in associations if stage_id in _logical_ids_in(a["Properties"]["ResourceArn"])]
    acl = synth.resources[_ref(association["Properties"]["WebACLArn"])]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["Name"] == f"Furusato-{api}"  # one web ACL per API
    statements = [rule["Statement"] for rule in acl["Rules"]]
    (common,) = [s["ManagedRuleGroupStatement"] for s in statements if "ManagedRuleGroupStatement" in s]
    assert (common["VendorName"], common["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    overrides = {o["Name"]: o["ActionToUse"] for o in common.get("RuleActionOverrides", [])}
    # Only an API taking file uploads counts (not blocks) the rule set's 8 KB body limit; nothing else is relaxed. On
    # the other, WAF answers an oversized body itself with the functions' 413 problem (docs/decisions.md, body caps).
    too_large = {"Block": {"CustomResponse": {"ResponseCode": 413, "CustomResponseBodyKey": "request-too-large"}}}
    assert overrides == {"SizeRestrictions_BODY": {"Count": {}} if spec.allows_large_bodies else too_large}
    body = acl["CustomResponseBodies"]["request-too-large"]
    assert body["ContentType"] == "APPLICATION_JSON"  # WAF offers no application/problem+json
    problem = json.loads(body["Content"])
    assert problem["type"] == PROBLEM_TYPE_BASE + RequestTooLarge.type_slug and problem["status"] == 413
    assert problem["title"] == RequestTooLarge.title == "リクエストが大きすぎます"
    assert problem["limit_bytes"] == MAX_JSON_BODY_BYTES == 8192  # the functions' JSON cap is the rule set's
    (rate,) = [s["RateBasedStatement"] for s in statements if "RateBasedStatement" in s]
    assert rate["AggregateKeyType"] == "IP" and rate["Limit"] == spec.waf_rate_limit_per_5_min


# --- functions -----------------------------------------------------------------------------------------------------


def _pinned(package: str) -> str:
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    return re.search(rf"^{package}(?:\[[^\]]*\])?==(\S+)", text, flags=re.MULTILINE).group(1)


def test_the_function_list_is_consistent_with_the_routes() -> None:
    from shared.functions import problems

    assert problems() == []


def test_decision_ed25519_comes_from_the_powertools_layer_not_the_bundle() -> None:
    """docs/decisions.md "Check-in codes are signed with Ed25519": `cryptography` is compiled (no pure wheel, so never
    vendored); AWS builds the Powertools layer with the [all] extra, whose requirement our pin must satisfy."""
    from importlib import metadata

    from packaging.requirements import Requirement

    assert not [r for r in constants.BUNDLED_REQUIREMENTS if r.startswith("cryptography")]
    powertools = metadata.distribution("aws-lambda-powertools")
    assert powertools.version == constants.POWERTOOLS_VERSION
    (required,) = [
        Requirement(r) for r in powertools.requires or [] if r.startswith("cryptography") and "extra == 'all'" in r
    ]
    assert required.specifier.contains(_pinned("cryptography")) and metadata.version("cryptography") == _pinned("cryptography")


@pytest.mark.parametrize("name", NAMES)
def test_function_runtime_layer_and_environment(synth: Synth, name: str) -> None:
    table_id, _ = _table(synth)
    _, function = _function(synth, name)
    props = function["Properties"]
    assert props["Runtime"] == "python3.12"
    (architecture,) = props["Architectures"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    # SnapStart (docs/decisions.md, cold start): imports run when a version is published; the live alias serves it.
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    _, alias = _live_alias(synth, name)
    assert alias["Properties"]["Name"] == "live"
    version = synth.resources[_ref(alias["Properties"]["FunctionVersion"])]
    assert version["Type"] == "AWS::Lambda::Version" and _ref(version["Properties"]["FunctionName"]) == _function(synth, name)[0]
    env = props["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": table_id}
    assert env["POWERTOOLS_SERVICE_NAME"] == name and env["POWERTOOLS_METRICS_NAMESPACE"] == "Furusato"
    # R-PRIV-1: traces keep no handler response or exception (tests/handlers/test_traces_hold_no_personal_data.py)
    assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false" and env["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"
    # one variable per resource the function is granted (shared/config.py checks them at cold start), nothing else
    powertools = {n for n in env if n.startswith("POWERTOOLS_")}
    assert set(env) - powertools == set(
        DECLARED[name].settings
    )
    assert synth.resources[_ref(props["LoggingConfig"]["LogGroup"])]["Properties"]["RetentionInDays"] > 0

    # CHECKIN_KEYS_SECRET (admin) or CHECKIN_VERIFY_KEYS_SECRET (checkin), the secret's ARN, never both; the first key
    # set exists before the function runs
    keys = CHECKIN_KEYS.get(name)
    assert {v for v in KEY_SETTINGS.values() if v in env} == ({KEY_SETTINGS[keys]} if keys else set())
    if keys:
        assert env[KEY_SETTINGS[keys]] == {"Ref": _secret(synth, keys)[0]}
        (bootstrap_id, _) = _only(synth.of_type("Custom::CheckinSigningKeys"))
        assert bootstrap_id in function.get("DependsOn", [])

    # AWS's Powertools layer for exactly the pinned release, resolved from AWS's public SSM parameter at deploy time.
    (layer,) = props["Layers"]
    parameter = synth.template["Parameters"][_ref(layer)]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == f"/aws/service/powertools/python/{architecture}/python3.12/{_pinned('aws-lambda-powertools')}"


def _expected_grants(synth: Synth, declared: Function) -> set[tuple[str, str, str]]:
    """(action, resource, condition) as JSON, from the function list: what each grant must become in IAM."""
    table_id, table = _table(synth)
    secret_id, _ = _secret(synth)
    (bucket_id,) = [k for k in synth.of_type("AWS::S3::Bucket") if k.startswith("EvidenceBucket")]
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    dump = lambda value: json.dumps(value, sort_keys=True)  # noqa: E731
    expected: set[tuple[str, str, str]] = set()
    for grant in declared.grants:
        if grant.resource is TABLE and grant.scope.startswith(INDEX_SCOPE):
            resource, condition = {"Fn::Join": ["", [table_arn, f"/{grant.scope}"]]}, None
        elif grant.resource is TABLE:  # a key area: every key of the request in the area's prefix
            resource = table_arn
            condition = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{AREAS[grant.scope]}*"]}}
        elif grant.resource.service == "s3":
            # objects under the prefix; a listing on the bucket, for the keys under the prefix only
            objects = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{grant.scope}*"]]}
            bucket = {"Fn::GetAtt": [bucket_id, "Arn"]}
            listing = {"StringLike": {"s3:prefix": [f"{grant.scope}*"]}}
            expected |= {
                (a, _text(bucket), dump(listing)) if a.startswith("s3:List") else (a, _text(objects), dump(None))
                for a in grant.actions
            }
            continue
        elif grant.resource.service == "secretsmanager":
            resource, condition = {"Ref": _secret(synth, SECRET_OF[grant.resource])[0]}, None
        elif grant.resource.service == "cognito-idp":  # the citizens' pool (DELETE /me)
            resource, condition = {"Fn::GetAtt": [_pool(synth, "app")[0], "Arn"]}, None
        elif grant.resource is PREMIUM_WORKFLOW:  # the state machine itself (executions, task tokens)
            resource, condition = _state_machine_arn(synth), None
        elif grant.resource.service == "sqs":  # the work queue itself (infra/components/queues.py)
            resource, condition = {"Fn::GetAtt": [_work_queue(synth, grant.resource.name), "Arn"]}, None
        elif grant.resource is MAIL:  # the domain identity, sending as the From address only
            identity_id, _ = _only(synth.of_type("AWS::SES::EmailIdentity"))
            resource = f"arn:aws:ses:{constants.REGION}:{ACCOUNT}:identity/${{{identity_id}}}"
            condition = {"StringEquals": {"ses:FromAddress": CDK_CONTEXT["mail"]["from"]}}
        else:
            raise AssertionError(f"no expectation for {grant.resource}")
        expected |= {(a, _text(resource), dump(condition)) for a in grant.actions}
    # A queue the function consumes: what its event source mapping needs, added by CDK (SqsEventSource).
    for trigger in declared.triggers:
        if isinstance(trigger, Queue):
            queue = _text({"Fn::GetAtt": [_work_queue(synth, trigger.name), "Arn"]})
            expected |= {(a, queue, dump(None)) for a in CONSUME_ACTIONS}
    return expected


CONSUME_ACTIONS = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                   "sqs:ReceiveMessage")


def _work_queue(synth: Synth, name: str) -> str:
    """The logical id of the work queue of `name` (not its dead-letter queue)."""
    prefix = "Queue" + "".join(p.capitalize() for p in name.split("-"))
    (found,) = [k for k in synth.of_type("AWS::SQS::Queue") if k.startswith(prefix) and "DeadLetters" not in k]
    return found


def _granted(statements: list[dict[str, Any]], prefixes: tuple[str, ...]) -> set[tuple[str, str, str]]:
    return {
        (action, _text(resource), json.dumps(s.get("Condition"), sort_keys=True))
        for s in statements
        for action in _as_list(s["Action"])
        if action.startswith(prefixes)
        for resource in _as_list(s["Resource"])
    }


def _without_stream_reading(
    synth: Synth, name: str, statements: list[dict[str, Any]], table_id: str
) -> list[dict[str, Any]]:
    """A function with a TableStream trigger also holds what its event source mapping needs (CDK's DynamoEventSource
    adds it): reading the table's stream (ListStreams has no resource-level permission), decrypting its records with
    the table key, and sending failed batches' descriptions to its dead-letter queue. Checked here, exactly, and taken
    out; the other statements are held to its grants like every function's."""
    from shared.functions import TableStream

    if not any(isinstance(t, TableStream) for t in DECLARED[name].triggers):
        return statements
    table_key = _ref(synth.resources[table_id]["Properties"]["SSESpecification"]["KMSMasterKeyId"])
    (queue_id,) = [k for k in synth.of_type("AWS::SQS::Queue") if k.startswith(f"Functions{name.capitalize()}StreamDeadLetters")]
    expected = {
        ("dynamodb:DescribeStream", f"{{'Fn::GetAtt': ['{table_id}', 'StreamArn']}}"),
        ("dynamodb:GetRecords", f"{{'Fn::GetAtt': ['{table_id}', 'StreamArn']}}"),
        ("dynamodb:GetShardIterator", f"{{'Fn::GetAtt': ['{table_id}', 'StreamArn']}}"),
        ("dynamodb:ListStreams", "*"),
        ("kms:Decrypt", f"{{'Fn::GetAtt': ['{table_key}', 'Arn']}}"),
        ("kms:DescribeKey", f"{{'Fn::GetAtt': ['{table_key}', 'Arn']}}"),
        ("sqs:GetQueueAttributes", f"{{'Fn::GetAtt': ['{queue_id}', 'Arn']}}"),
        ("sqs:GetQueueUrl", f"{{'Fn::GetAtt': ['{queue_id}', 'Arn']}}"),
        ("sqs:SendMessage", f"{{'Fn::GetAtt': ['{queue_id}', 'Arn']}}"),
    }
    found, kept = set(), []
    for statement in statements:
        resources = [str(r) for r in _as_list(statement["Resource"])]
        remaining = []
        for action in _as_list(statement["Action"]):
            pairs = {(action, r) for r in resources}
            if "Condition" not in statement and pairs <= expected:
                found |= pairs
            else:
                remaining.append(action)
        if remaining:
            kept.append({**statement, "Action": remaining})
    assert found == expected
    return kept


@pytest.mark.parametrize("name", NAMES)
def test_function_role_is_least_privilege(synth: Synth, name: str) -> None:
    """Each role holds exactly its function's grants (shared/functions.py, itself held to the calls the code makes by
    tests/handlers/test_least_privilege.py): per key area, index, key prefix and secret; plus its logs and X-Ray."""
    table_id, table = _table(synth)
    _, function = _function(synth, name)
    role = _ref(function["Properties"]["Role"])
    assert "ManagedPolicyArns" not in synth.resources[role]["Properties"]
    others = {_ref(f["Properties"]["Role"]) for k, f in synth.of_type("AWS::Lambda::Function").items()} - {role}
    assert role not in others  # its own role

    statements = _statements(synth, role)
    assert all(s["Effect"] == "Allow" for s in statements)
    statements = _without_stream_reading(synth, name, statements, table_id)
    actions = [a for s in statements for a in _as_list(s["Action"])]
    assert not [a for a in actions if "*" in a]
    services = {"logs", "xray", "kms", "dynamodb", "s3", "secretsmanager", "cognito-idp", "states", "ses", "sqs"}
    assert {a.split(":")[0] for a in actions} <= services
    declared = DECLARED[name]
    granted = _granted(statements, ("dynamodb:", "s3:", "secretsmanager:", "cognito-idp:", "states:", "ses:", "sqs:"))
    assert granted == _expected_grants(synth, declared)

    # KMS: the table key only through DynamoDB (and S3, which encrypts evidence with it: a data key to write, Decrypt
    # to read); a secret's key only through Secrets Manager for that secret (each key secret has its own key)
    table_key = _ref(table["Properties"]["SSESpecification"]["KMSMasterKeyId"])
    kms_grants = set()
    for statement in statements:
        if any(a.startswith("kms:") for a in _as_list(statement["Action"])):
            condition = statement["Condition"]["StringEquals"]
            context = _text(condition.get("kms:EncryptionContext:SecretARN"))
            kms_grants.add((frozenset(_as_list(statement["Action"])), _ref(statement["Resource"]), condition["kms:ViaService"], context))
    granted_actions = {a for g in declared.grants for a in g.actions}
    expected_kms = set()
    if any(g.resource is TABLE for g in declared.grants):
        expected_kms.add((frozenset({"kms:Decrypt", "kms:Encrypt"}), table_key, "dynamodb.ap-northeast-1.amazonaws.com", "null"))
    for grant in declared.grants:
        if "secretsmanager:GetSecretValue" in grant.actions:
            secret_id, secret = _secret(synth, SECRET_OF[grant.resource])
            secret_key = _ref(secret["Properties"]["KmsKeyId"])
            assert secret_key != table_key
            expected_kms.add(
                (frozenset({"kms:Decrypt"}), secret_key, "secretsmanager.ap-northeast-1.amazonaws.com", f"${{{secret_id}}}")
            )
    s3_kms = {kms for action, kms in (("s3:PutObject", "kms:GenerateDataKey"), ("s3:GetObject", "kms:Decrypt"),
                                      ("s3:AbortMultipartUpload", "kms:Decrypt")) if action in granted_actions}
    if s3_kms:
        expected_kms.add((frozenset(s3_kms), table_key, "s3.ap-northeast-1.amazonaws.com", "null"))
    assert kms_grants == expected_kms

    # the only statement on "*" is X-Ray's (no resource-level permissions); cdk-nag IAM5 is acknowledged for it
    anywhere = [s for s in statements if "*" in _as_list(s["Resource"])]
    assert {a for s in anywhere for a in _as_list(s["Action"])} <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


# Not in the Powertools layer (PyJWT is, at a version we do not pin: the bundle's comes first on sys.path), by the
# name of their dist-info (PyJWT's wheel spells it in lower case)
VENDORED = {"segno": _pinned("segno"), "openpyxl": _pinned("openpyxl"), "pyjwt": _pinned("PyJWT")}
IMPORTED_AS = {"pyjwt": "jwt"}


@pytest.mark.parametrize("name", NAMES)
def test_bundle_holds_shared_its_function_and_the_pure_python_dependencies(synth: Synth, name: str) -> None:
    bundle = _asset_dir(synth, name)
    top = sorted(p.name for p in bundle.iterdir())
    et_xmlfile = next(n for n in top if n.startswith("et_xmlfile-")).removeprefix("et_xmlfile-").removesuffix(".dist-info")
    assert top == sorted(
        ["functions", "shared", "et_xmlfile", *(IMPORTED_AS.get(p, p) for p in VENDORED)]
        + [f"{package}-{version}.dist-info" for package, version in {**VENDORED, "et_xmlfile": et_xmlfile}.items()]
    )
    assert et_xmlfile == metadata.version("et-xmlfile")  # openpyxl's dependency, as installed for the tests
    assert (bundle / "shared/organisations/data/organisations.json").is_file()
    assert (bundle / "shared/organisations/data/postal_codes.tsv.gz").is_file()
    assert (bundle / "functions/__init__.py").is_file()
    assert (bundle / f"functions/{name}/handler.py").is_file()
    assert sorted(p.name for p in (bundle / "functions").iterdir()) == ["__init__.py", name]  # its own code only
    assert not [p for p in bundle.rglob("*") if p.name == "__pycache__" or p.suffix in (".pyc", ".so", ".pyd")]
    source = [p for p in (ROOT / "shared").rglob("*") if p.is_file() and p.suffix != ".pyc" and "__pycache__" not in p.parts]
    shared = {p.relative_to(ROOT).as_posix() for p in source}
    bundled = {p.relative_to(bundle).as_posix() for p in (bundle / "shared").rglob("*") if p.is_file()}
    assert bundled == shared


def test_bundled_dependencies_import_from_the_bundle_alone(synth: Synth) -> None:
    """Without site-packages (-S): segno draws a PNG through shared/qr.py and openpyxl writes and reads a workbook."""
    bundle = _asset_dir(synth, "admin")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import io, openpyxl, segno; from shared.qr import qr_png\n"
        "assert all(m.__file__.startswith(sys.argv[1]) for m in (openpyxl, segno))\n"
        "assert qr_png('https://furusato.example.jp/c/x').startswith(b'\\x89PNG')\n"
        "book = openpyxl.Workbook(); book.active['A1'] = '活動'; buffer = io.BytesIO(); book.save(buffer)\n"
        "assert openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active['A1'].value == '活動'\n"
    )
    subprocess.run([sys.executable, "-S", "-c", script, str(bundle)], check=True, capture_output=True, timeout=120)


# --- check-in signing keys -----------------------------------------------------------------------------------------


def test_signing_keys_secret_is_generated_in_aws_encrypted_and_retained(synth: Synth) -> None:
    secret_id, secret = _secret(synth)
    public_id, public = _secret(synth, "verify")
    for props, retained in ((secret["Properties"], secret), (public["Properties"], public)):
        assert "SecretString" not in props  # no key material in the template
        assert props["GenerateSecretString"]  # a random placeholder; the bootstrap custom resource writes the key set
        assert retained["DeletionPolicy"] == retained["UpdateReplacePolicy"] == "Retain"
    assert secret["Properties"]["KmsKeyId"] == public["Properties"]["KmsKeyId"]
    key = synth.resources[_ref(secret["Properties"]["KmsKeyId"])]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"

    (_, bootstrap) = _only(synth.of_type("Custom::CheckinSigningKeys"))
    assert bootstrap["Properties"]["SecretId"] == {"Ref": secret_id}
    assert bootstrap["Properties"]["VerificationSecretId"] == {"Ref": public_id}
    function_id = _ref(bootstrap["Properties"]["ServiceToken"])
    function = synth.resources[function_id]["Properties"]
    assert function["Handler"] == constants.SIGNING_KEYS_BOOTSTRAP_HANDLER
    assert "Environment" not in function
    # the bootstrap can write the first key set but not read either secret
    statements = _statements(synth, _ref(function["Role"]))
    assert _resource_pairs(statements, "secretsmanager:") == {
        (action, json.dumps({"Ref": s}))
        for action in ("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue")
        for s in (secret_id, public_id)
    }
    assert {a for a, _ in _resource_pairs(statements, "kms:")} == {"kms:GenerateDataKey"}
    assert not [s for s in statements if "*" in _as_list(s["Resource"])]


@pytest.mark.parametrize(("keys", "reader"), [("sign", "admin"), ("verify", "checkin")])
def test_decision_only_admin_reads_the_signing_keys_and_checkin_only_the_public_keys(synth: Synth, keys: str, reader: str) -> None:
    """docs/decisions.md "Check-in codes are signed with Ed25519": the internet-facing checkin function cannot read
    (or decrypt) the private signing keys; nothing it holds can make a code."""
    secret_id, secret = _secret(synth, keys)
    secret_key = _ref(secret["Properties"]["KmsKeyId"])
    readers, decrypters = set(), set()
    for policy in synth.of_type("AWS::IAM::Policy").values():
        roles = {_ref(r) for r in policy["Properties"]["Roles"]}
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = set(_as_list(statement["Action"]))
            resources = {_ref(r) for r in _as_list(statement["Resource"])}
            if actions & {"secretsmanager:GetSecretValue", "secretsmanager:*"} and secret_id in resources:
                readers |= roles
            context = statement.get("Condition", {}).get("StringEquals", {}).get("kms:EncryptionContext:SecretARN")
            if actions & {"kms:Decrypt", "kms:*"} and secret_key in resources and {"Ref": secret_id} in _as_list(context):
                decrypters |= roles
    assert readers == decrypters == {_ref(_function(synth, reader)[1]["Properties"]["Role"])}
    assert not synth.of_type("AWS::SecretsManager::ResourcePolicy")  # no secret resource policy widening it


def test_bootstrap_bundle_holds_shared_and_the_custom_resource_only(synth: Synth) -> None:
    bundle = _asset_dir(synth, "", handler=constants.SIGNING_KEYS_BOOTSTRAP_HANDLER)
    assert sorted(p.name for p in bundle.iterdir()) == ["infra", "shared"]
    assert sorted(p.name for p in (bundle / "infra").iterdir()) == ["__init__.py", "custom_resources"]
    assert (bundle / "infra/custom_resources/signing_keys.py").is_file()
    assert (bundle / "shared/domain/checkin_token.py").is_file()


# --- identity verification (R-BAS-4): the verifier's keys and provider --------------------------------------------

# Renaming it would make CloudFormation create a new secret, hence new keys: a new subject-hash key lets one card
# verify a second account (one person, one account), a new client key is not the one registered with the provider.
VERIFIER_SECRET_LOGICAL_ID = "VerifierKeysSecretD41A66BD"


def test_verifier_keys_are_generated_in_aws_once_under_their_own_key_and_retained(synth: Synth) -> None:
    secret_id, secret = _secret(synth, "verifier")
    jwks_id, jwks = _secret(synth, "verifier-jwks")
    assert secret_id == VERIFIER_SECRET_LOGICAL_ID
    for resource in (secret, jwks):
        assert "SecretString" not in resource["Properties"]  # no key material in the template
        assert resource["Properties"]["GenerateSecretString"]  # a placeholder the bootstrap replaces, once
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    key_id = _ref(secret["Properties"]["KmsKeyId"])
    assert _ref(jwks["Properties"]["KmsKeyId"]) == key_id
    key = synth.resources[key_id]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    # its own key: neither the table's nor the check-in keys'
    others = {_ref(_secret(synth, k)[1]["Properties"]["KmsKeyId"]) for k in ("sign", "verify")}
    assert key_id not in others | {_ref(_table(synth)[1]["Properties"]["SSESpecification"]["KMSMasterKeyId"])}

    (_, bootstrap) = _only(synth.of_type("Custom::VerifierKeys"))
    assert bootstrap["Properties"]["SecretId"] == {"Ref": secret_id}
    assert bootstrap["Properties"]["JwksSecretId"] == {"Ref": jwks_id}
    assert set(bootstrap["Properties"]) == {"ServiceToken", "SecretId", "JwksSecretId"}
    function = synth.resources[_ref(bootstrap["Properties"]["ServiceToken"])]["Properties"]
    assert function["Handler"] == constants.VERIFIER_BOOTSTRAP_HANDLER == "infra.custom_resources.verifier.lambda_handler"
    assert "Environment" not in function

    # the bootstrap writes both secrets, reads only the public JWK Set, and can decrypt only that
    statements = _statements(synth, _ref(function["Role"]))
    assert _resource_pairs(statements, "secretsmanager:") == {
        (action, json.dumps({"Ref": s}))
        for action in ("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue")
        for s in (secret_id, jwks_id)
    } | {("secretsmanager:GetSecretValue", json.dumps({"Ref": jwks_id}))}
    kms_statements = [s for s in statements if any(a.startswith("kms:") for a in _as_list(s["Action"]))]
    contexts = {
        a: _as_list(s["Condition"]["StringEquals"]["kms:EncryptionContext:SecretARN"])
        for s in kms_statements
        for a in _as_list(s["Action"])
    }
    assert contexts == {"kms:GenerateDataKey": [{"Ref": secret_id}, {"Ref": jwks_id}], "kms:Decrypt": [{"Ref": jwks_id}]}
    assert all(_ref(s["Resource"]) == key_id for s in kms_statements)
    assert not [s for s in statements if "*" in _as_list(s["Resource"])]


def _readers_and_decrypters(synth: Synth, secret_id: str, key_id: str) -> tuple[set, set]:
    """The roles that may read a secret, and those that may decrypt it with its key (for that secret only)."""
    readers, decrypters = set(), set()
    for policy in synth.of_type("AWS::IAM::Policy").values():
        roles = {_ref(r) for r in policy["Properties"]["Roles"]}
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = set(_as_list(statement["Action"]))
            resources = {_ref(r) for r in _as_list(statement["Resource"])}
            if actions & {"secretsmanager:GetSecretValue", "secretsmanager:*"} and resources & {secret_id, None}:
                readers |= roles
            context = statement.get("Condition", {}).get("StringEquals", {}).get("kms:EncryptionContext:SecretARN")
            if actions & {"kms:Decrypt", "kms:*"} and key_id in resources and {"Ref": secret_id} in _as_list(context):
                decrypters |= roles
    return readers, decrypters


def test_decision_only_verify_reads_or_decrypts_the_verifier_keys(synth: Synth) -> None:
    """R-BAS-4 / R-PRIV-1: the client key and the subject-hash key are read by the verify function alone (not even
    the bootstrap that wrote them); every other role, and any secret resource policy, is checked."""
    secret_id, secret = _secret(synth, "verifier")
    key_id = _ref(secret["Properties"]["KmsKeyId"])
    readers, decrypters = _readers_and_decrypters(synth, secret_id, key_id)
    verify_role = _ref(_function(synth, "verify")[1]["Properties"]["Role"])
    assert readers == decrypters == {verify_role}
    assert not synth.of_type("AWS::SecretsManager::ResourcePolicy")


def test_verify_function_has_the_verifier_secret_and_the_providers_configuration(synth: Synth) -> None:
    """VERIFIER_SECRET is the secret's ARN; VERIFIER_PROVIDER, its companion setting, is the `verifier` context of
    cdk.json as shared.config validates it at cold start; the function exists only once the keys do."""
    _, function = _function(synth, "verify")
    env = function["Properties"]["Environment"]["Variables"]
    assert env["VERIFIER_SECRET"] == {"Ref": _secret(synth, "verifier")[0]}
    provider = ProviderConfig.model_validate_json(env["VERIFIER_PROVIDER"])
    assert provider == ProviderConfig.model_validate(CDK_CONTEXT["verifier"])
    (bootstrap_id, _) = _only(synth.of_type("Custom::VerifierKeys"))
    assert bootstrap_id in function.get("DependsOn", [])
    for name in NAMES:  # no other function knows the verifier
        other = set(_function(synth, name)[1]["Properties"]["Environment"]["Variables"])
        verifier = {"VERIFIER_SECRET", "VERIFIER_PROVIDER"}
        assert other & verifier == (verifier if name == "verify" else set())
    # Outbound HTTPS to the provider needs no IAM permission and no network path of ours: no function is in a VPC.
    assert not [k for k, f in synth.of_type("AWS::Lambda::Function").items() if "VpcConfig" in f["Properties"]]


DEVELOPMENT_PROVIDER = ("oidc_provider", "DevelopmentProvider", "furusato-local", "localhost", "127.0.0.1")


def test_the_development_provider_is_local_only(synth: Synth) -> None:
    """local/oidc_provider.py stands in for the Digital Agency locally; nothing deployed knows it: not the template
    (environment, custom resource properties), not the asset manifest, not a bundle."""
    texts = [json.dumps(synth.template)] + [p.read_text(encoding="utf-8") for p in synth.outdir.glob("*.assets.json")]
    assert not [marker for marker in DEVELOPMENT_PROVIDER for text in texts if marker in text]
    bundles = [p for p in synth.outdir.iterdir() if p.name.startswith("asset.") and p.is_dir()]
    assert bundles
    for bundle in bundles:
        assert not (bundle / "local").exists()
        assert not [p for p in bundle.rglob("oidc_provider*")]


def test_verifier_bootstrap_bundle_holds_shared_the_custom_resource_and_pyjwt(synth: Synth) -> None:
    bundle = _asset_dir(synth, "", handler=constants.VERIFIER_BOOTSTRAP_HANDLER)
    assert sorted(p.name for p in bundle.iterdir()) == ["infra", "jwt", f"pyjwt-{_pinned('PyJWT')}.dist-info", "shared"]
    assert (bundle / "infra/custom_resources/verifier.py").is_file()
    assert (bundle / "shared/dal/identity_provider.py").is_file()


def test_bundled_pyjwt_signs_es256_with_the_layers_cryptography(synth: Synth) -> None:
    """PyJWT is pure Python and comes from the bundle; its EC/RSA algorithms need `cryptography`, which is compiled and
    comes from the Powertools layer (built with the [all] extra for arm64; here the venv's site-packages stands in for
    /opt/python). Without it PyJWT imports but has no ES256: the layer is what makes the verifier work."""
    bundle = _asset_dir(synth, "verify")
    with_layer = (
        "import sys; sys.path.insert(0, sys.argv[1]); import jwt, jwt.algorithms, cryptography\n"
        "assert jwt.__file__.startswith(sys.argv[1]) and not cryptography.__file__.startswith(sys.argv[1])\n"
        "assert jwt.algorithms.has_crypto and 'ES256' in jwt.algorithms.get_default_algorithms()\n"
        "from shared.dal.identity_provider import VerifierKeys\n"
        "keys = VerifierKeys.generate(); (jwk,) = keys.public_jwks()['keys']\n"
        "token = jwt.encode({'sub': 'x'}, keys.client_key_pem, algorithm='ES256', headers={'kid': keys.client_key_id})\n"
        "assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=['ES256']) == {'sub': 'x'}\n"
    )
    subprocess.run([sys.executable, "-c", with_layer, str(bundle)], check=True, capture_output=True, timeout=120)
    without_layer = (
        "import sys; sys.path.insert(0, sys.argv[1]); import jwt.algorithms\n"
        "assert not jwt.algorithms.has_crypto and 'ES256' not in jwt.algorithms.get_default_algorithms()\n"
    )
    subprocess.run([sys.executable, "-S", "-c", without_layer, str(bundle)], check=True, capture_output=True, timeout=120)


# --- premium workflow (R-PRE-5): the state machine, the sender identity, the approval keys ------------------------


def _definition(machine: dict[str, Any]) -> dict[str, Any]:
    """The definition as Step Functions receives it: DefinitionString (a literal, or an Fn::Join if CDK ever puts
    tokens into it) with DefinitionSubstitutions applied as CloudFormation does, each value as text (_text)."""
    props = machine["Properties"]
    text = _text(props["DefinitionString"])
    for placeholder, value in props.get("DefinitionSubstitutions", {}).items():
        text = text.replace(f"${{{placeholder}}}", _text(value))
    return json.loads(text)


def _role_of(synth: Synth, name: str) -> str:
    return _ref(_function(synth, name)[1]["Properties"]["Role"])


def _environment(synth: Synth, name: str) -> dict[str, Any]:
    return _function(synth, name)[1]["Properties"]["Environment"]["Variables"]


def test_every_workflow_is_a_state_machine() -> None:
    assert [w.name for w in WORKFLOWS] == ["premium"]  # a new workflow needs its resource, grants and tests here


def test_premium_state_machine_is_the_asl_file_invoking_the_premium_alias(synth: Synth) -> None:
    """shared/workflows/premium.asl.json, inlined (no S3 asset), the one the local runtime runs on moto: only its
    placeholder differs, substituted by CloudFormation with the premium function's live alias (SnapStart)."""
    _, machine = _state_machine(synth)
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"  # waits days for staff
    assert "DefinitionS3Location" not in props and "Definition" not in props
    alias_id, _ = _live_alias(synth, "premium")
    assert props["DefinitionSubstitutions"] == {"PremiumFunction": {"Ref": alias_id}}
    definition = _definition(machine)
    assert definition == json.loads(PREMIUM.definition({"premium": f"${{{alias_id}}}"}))
    source = json.loads(PREMIUM.text())
    assert definition["StartAt"] == source["StartAt"] == "Judge"
    assert set(definition["States"]) == set(source["States"]) >= {"Judge", "AwaitStaff", "Notify", "Unanswered", "Failed"}
    tasks = {n: state for n, state in definition["States"].items() if state["Type"] == "Task"}
    assert set(tasks) == set(PREMIUM.task_functions())
    assert {state["Parameters"]["FunctionName"] for state in tasks.values()} == {f"${{{alias_id}}}"}
    await_staff = definition["States"]["AwaitStaff"]
    assert await_staff["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert await_staff["TimeoutSecondsPath"] == "$.approval_timeout_seconds"
    assert await_staff["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"


def test_premium_state_machine_logs_every_event_without_data_and_traces(synth: Synth) -> None:
    _, machine = _state_machine(synth)
    props = machine["Properties"]
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False  # no payloads in logs (R-PRIV-1)
    (destination,) = logging["Destinations"]
    log_group = synth.resources[_ref(destination["CloudWatchLogsLogGroup"]["LogGroupArn"])]
    assert log_group["Type"] == "AWS::Logs::LogGroup" and log_group["Properties"]["RetentionInDays"] == 365
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["StateMachineName"] == f"{constants.STACK_NAME}-premium"


def test_premium_state_machine_role_invokes_only_the_aliases_its_tasks_name(synth: Synth) -> None:
    _, machine = _state_machine(synth)
    role = _ref(machine["Properties"]["RoleArn"])
    assert role not in {_role_of(synth, name) for name in NAMES}  # its own role
    assert "ManagedPolicyArns" not in synth.resources[role]["Properties"]
    (trust,) = synth.resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert _text(trust["Condition"]["ArnLike"]["aws:SourceArn"]) == _state_machine_arn(synth)  # this machine only
    assert _text(trust["Condition"]["StringEquals"]["aws:SourceAccount"]) == ACCOUNT

    statements = _statements(synth, role)
    invoked = {_live_alias(synth, f)[0] for f in PREMIUM.task_functions().values()}
    assert invoked == {_live_alias(synth, "premium")[0]}
    assert _resource_pairs(statements, "lambda:") == {("lambda:InvokeFunction", json.dumps({"Ref": a})) for a in invoked}
    # everything else: log delivery and X-Ray, which have no resource-level permissions (IAM5 acknowledged)
    others = {a for s in statements for a in _as_list(s["Action"]) if not a.startswith("lambda:")}
    assert {a.split(":")[0] for a in others} == {"logs", "xray"}
    assert not [a for a in others if "*" in a]
    assert all(s["Effect"] == "Allow" for s in statements)


# Who may do what with the premium workflow's executions: an independent copy of shared/functions.py's grants.
WORKFLOW_ACTIONS = {"renewal": {"states:StartExecution"}, "admin": {"states:SendTaskSuccess"}}


@pytest.mark.parametrize("name", NAMES)
def test_only_renewal_starts_executions_and_only_admin_answers_task_tokens(synth: Synth, name: str) -> None:
    """The states: actions of each function, all on the state machine's ARN (how IAM authorizes StartExecution and
    the task-token calls), and PREMIUM_STATE_MACHINE = that ARN for exactly those functions."""
    arn = _state_machine_arn(synth)
    statements = _statements(synth, _role_of(synth, name))
    states = {(a, _text(r)) for s in statements for a in _as_list(s["Action"]) if a.startswith("states:") for r in _as_list(s["Resource"])}
    assert states == {(a, arn) for a in WORKFLOW_ACTIONS.get(name, set())}
    env = _environment(synth, name)
    if name in WORKFLOW_ACTIONS:
        assert _text(env["PREMIUM_STATE_MACHINE"]) == arn
    else:
        assert "PREMIUM_STATE_MACHINE" not in env


SENDERS = {"premium", "renewal", "expiry"}


def test_premium_function_sends_mail_from_the_configured_address_of_the_identity(synth: Synth) -> None:
    """SES v2 SendEmail with raw MIME (shared/dal/mail.py) is authorized as ses:SendRawEmail on the domain identity;
    only the functions granted MAIL may send (the premium workflow, the schedules), and only as MAIL_FROM."""
    identity_id, identity = _only(synth.of_type("AWS::SES::EmailIdentity"))
    mail = CDK_CONTEXT["mail"]
    assert identity["Properties"]["EmailIdentity"] == mail["domain"] == "furusato.example.jp"  # placeholder (info)
    assert mail["from"].endswith("@" + mail["domain"])
    for name in NAMES:
        statements = _statements(synth, _role_of(synth, name))
        ses = _granted(statements, ("ses:",))
        env = _environment(synth, name)
        if name in SENDERS:
            condition = json.dumps({"StringEquals": {"ses:FromAddress": mail["from"]}}, sort_keys=True)
            resource = f"arn:aws:ses:{constants.REGION}:{ACCOUNT}:identity/${{{identity_id}}}"
            assert ses == {("ses:SendRawEmail", resource, condition)}
            assert env["MAIL_FROM"] == mail["from"]
        else:
            assert ses == set() and "MAIL_FROM" not in env


def test_approval_keys_are_generated_by_secrets_manager_under_their_own_key(synth: Synth) -> None:
    secret_id, secret = _secret(synth, "approval")
    props = secret["Properties"]
    assert "SecretString" not in props  # no key material in the template
    assert props["GenerateSecretString"] == {
        "SecretStringTemplate": "{}", "GenerateStringKey": SECRET_FIELD, "ExcludePunctuation": True, "PasswordLength": 64,
    }
    ApprovalKeys.from_secret_string(json.dumps({SECRET_FIELD: "A1" * 32}))  # that shape is what the functions read
    key_id = _ref(props["KmsKeyId"])
    key = synth.resources[key_id]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    others = {_ref(s["Properties"]["KmsKeyId"]) for k, s in synth.of_type("AWS::SecretsManager::Secret").items() if k != secret_id}
    assert key_id not in others  # its own key

    # read (and decrypted) by exactly the functions granted the approval keys: premium signs the e-mailed links
    granted = {name for name in NAMES if any(g.resource is APPROVAL_KEYS for g in DECLARED[name].grants)}
    assert "premium" in granted
    readers, decrypters = _readers_and_decrypters(synth, secret_id, key_id)
    assert readers == decrypters == {_role_of(synth, name) for name in granted}


def test_approval_base_url_is_the_admin_apis_stage_without_depending_on_its_deployment(synth: Synth) -> None:
    """APPROVAL_BASE_URL is built from the admin RestApi's id and the stage's name, not from the API's `url` (a Ref
    of the stage, which depends on the deployment, its methods and so on every integrated function): the admin
    function may hold it too without a cycle (docs/decisions.md)."""
    admin_api = _apis(synth)["admin"]
    _, stage = _stage(synth, "admin")
    assert stage["Properties"]["StageName"] == constants.ADMIN_API.stage == "v1"
    url = f"https://${{{admin_api}}}.execute-api.{constants.REGION}.${{AWS::URLSuffix}}/v1/"
    holders = {name for name in NAMES if "APPROVAL_BASE_URL" in _environment(synth, name)}
    assert holders == {name for name in NAMES if "APPROVAL_BASE_URL" in DECLARED[name].settings} >= {"premium"}
    for name in holders:
        value = _environment(synth, name)["APPROVAL_BASE_URL"]
        assert _text(value) == url
        assert _logical_ids_in(value) == {admin_api, "AWS::URLSuffix"}


def _references(value: Any) -> set[str]:
    """Logical ids an expression refers to: Ref, Fn::GetAtt, and ${Id} / ${Id.Attr} inside Fn::Sub."""
    found = _logical_ids_in(value)
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Fn::Sub":
                template = item[0] if isinstance(item, list) else item
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", template)}
            found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def test_the_template_has_no_dependency_cycle(synth: Synth) -> None:
    """CloudFormation refuses a template whose resources depend on each other in a circle. Synthesis reports one too
    (cdk.json `@aws-cdk/core:validateAgainstDefaultRules`: CloudFormation-Validate F3004); this says it on its own,
    whatever the flags: the state machine (the functions' aliases) and APPROVAL_BASE_URL (the admin API; its `url`
    would close admin -> stage -> deployment -> methods -> admin) are where one could appear."""
    resources = synth.resources
    graph = {
        k: (_references(r.get("Properties", {})) | set(_as_list(r.get("DependsOn", [])))) & set(resources)
        for k, r in resources.items()
    }
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            raise AssertionError(f"cycle: {' -> '.join(path[path.index(node):] + [node])}")
        if node in done:
            return
        for dependency in sorted(graph[node]):
            visit(dependency, [*path, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    assert len(done) == len(resources)


# --- identity ------------------------------------------------------------------------------------------------------

PASSWORD_POLICY = {
    "MinimumLength": 12,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "RequireUppercase": True,
    "TemporaryPasswordValidityDays": 3,
}


def _client(synth: Synth, pool_id: str) -> dict[str, Any]:
    clients = synth.of_type("AWS::Cognito::UserPoolClient")
    _, client = _only({k: c for k, c in clients.items() if c["Properties"]["UserPoolId"] == {"Ref": pool_id}})
    return client["Properties"]


def test_citizen_user_pool_and_app_client(synth: Synth) -> None:
    pool_id, pool = _pool(synth, "app")
    props = pool["Properties"]
    assert props["Policies"]["PasswordPolicy"] == PASSWORD_POLICY
    assert props["UsernameAttributes"] == ["email"] and props["AutoVerifiedAttributes"] == ["email"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False  # citizens sign up themselves
    assert props["MfaConfiguration"] == "OPTIONAL" and props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["DeletionProtection"] == "ACTIVE" and pool["DeletionPolicy"] == "Retain"

    client = _client(synth, pool_id)
    assert client["ClientName"] == "furusato-app" and client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }


def test_staff_user_pool_groups_and_admin_client(synth: Synth) -> None:
    pool_id, pool = _pool(synth, "admin")
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # no self sign-up
    assert "{username}" in props["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailMessage"]
    assert props["UsernameAttributes"] == ["email"] and props["UsernameConfiguration"] == {"CaseSensitive": False}
    assert props["MfaConfiguration"] == "ON" and props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]  # TOTP required
    assert props["Policies"]["PasswordPolicy"] == PASSWORD_POLICY
    assert props["UserPoolTier"] == "ESSENTIALS"  # as the citizens' pool (COG8 acknowledged)
    assert props["DeletionProtection"] == "ACTIVE" and pool["DeletionPolicy"] == "Retain"
    (lg_code,) = [a for a in props["Schema"] if a["Name"] == "lg_code"]
    assert lg_code == {
        "Name": "lg_code",
        "AttributeDataType": "String",
        "Mutable": False,  # an account never moves to another organisation
        "StringAttributeConstraints": {"MinLength": "6", "MaxLength": "6"},
    }
    # the claim and the roles the admin function reads (shared/domain/staff.py: the authorizer's claims, the page's)
    staff = (ROOT / "shared/domain/staff.py").read_text(encoding="utf-8")
    assert 'claims.get("custom:lg_code")' in staff and 'claims.get("cognito:groups")' in staff

    groups = synth.of_type("AWS::Cognito::UserPoolGroup").values()
    assert sorted(g["Properties"]["GroupName"] for g in groups) == sorted(ROLES) == ["editor", "viewer"]
    assert all(g["Properties"]["UserPoolId"] == {"Ref": pool_id} for g in groups)

    client = _client(synth, pool_id)
    assert client["ClientName"] == "furusato-admin" and client["GenerateSecret"] is False
    assert "custom:lg_code" in client["ReadAttributes"]  # in the ID token the authorizer passes on
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert client["RefreshTokenValidity"] == 12 * 60 and client["TokenValidityUnits"]["RefreshToken"] == "minutes"


def test_outputs(synth: Synth) -> None:
    outputs = synth.template["Outputs"]
    assert set(outputs) == {
        "AppApiUrl",
        "CitizenUserPoolId",
        "AppClientId",
        "AdminApiUrl",
        "StaffUserPoolId",
        "AdminClientId",
        "CheckinKeysSecretArn",
        "CheckinVerifyKeysSecretArn",
        "VerifierClientJwks",
        "TableName",
    }
    table_id, _ = _table(synth)
    assert outputs["TableName"]["Value"] == {"Ref": table_id}
    assert outputs["CheckinKeysSecretArn"]["Value"] == {"Ref": _secret(synth)[0]}
    assert outputs["CheckinVerifyKeysSecretArn"]["Value"] == {"Ref": _secret(synth, "verify")[0]}
    assert outputs["StaffUserPoolId"]["Value"] == {"Ref": _pool(synth, "admin")[0]}
    (bootstrap_id, _) = _only(synth.of_type("Custom::VerifierKeys"))
    assert outputs["VerifierClientJwks"]["Value"] == {"Fn::GetAtt": [bootstrap_id, "Jwks"]}  # public, for the provider
    for name in ("AppApiUrl", "AdminApiUrl"):
        synth.assertions.has_output(name, {"Value": {"Fn::Join": ["", Match.array_with(["https://"])]}})


# --- cdk-nag -------------------------------------------------------------------------------------------------------


def test_cdk_nag_reports_nothing_unacknowledged(synth: Synth) -> None:
    violations = [v for plugin in synth.report["pluginReports"] for v in plugin.get("violations", [])]
    assert violations == []


def test_every_acknowledgment_is_expected_and_has_a_reason(synth: Synth) -> None:
    acknowledged: dict[str, set[str]] = {}
    for logical_id, resource in synth.resources.items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            assert len(rule["reason"].strip()) >= 20, f"{logical_id}: {rule['id']} needs a reason"
            acknowledged.setdefault(rule["id"], set()).add(logical_id)
    assert set(acknowledged) == ACKNOWLEDGED  # proves cdk-nag ran and no acknowledgment slipped in unnoticed

    # "no authorization" is acknowledged on exactly the public routes' methods (all on the app API)
    methods = synth.of_type("AWS::ApiGateway::Method")
    public = {k for k, m in methods.items() if m["Properties"]["AuthorizationType"] == "NONE"}
    assert len(public) == len([r for r in ROUTES if not r.auth])
    for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
        assert acknowledged[rule] & set(methods) == public
    # secret rotation is acknowledged on the check-in keys (rotated by an operator) and the verifier's (never rotated)
    assert acknowledged["AwsSolutions-SMG4"] == {_secret(synth, keys)[0] for keys in SECRET_DESCRIPTIONS}
    # MFA optional only for citizens
    assert _pool(synth, "admin")[0] not in acknowledged["AwsSolutions-COG2"]


def test_unsubmitted_evidence_uploads_expire_within_days_but_not_before_they_can_no_longer_be_submitted(synth: Synth) -> None:
    """Issue 7 part 2: uploads/ (what the app's form writes) is emptied within days; a file is never deleted while
    its upload may still be submitted (S3 counts days from the upload, rounded up to midnight UTC)."""
    (bucket_id,) = [k for k in synth.of_type("AWS::S3::Bucket") if k.startswith("EvidenceBucket")]
    rules = {r["Id"]: r for r in synth.resources[bucket_id]["Properties"]["LifecycleConfiguration"]["Rules"]}
    uploads = rules["unsubmitted-uploads"]
    assert uploads["Prefix"] == UPLOAD_OBJECTS == "uploads/" and uploads["Status"] == "Enabled"
    assert uploads["ExpirationInDays"] == constants.EVIDENCE_UPLOAD_RETENTION_DAYS <= 3
    assert timedelta(days=uploads["ExpirationInDays"]) > UPLOAD_OPEN_FOR + timedelta(minutes=15)  # + the form's validity
    assert uploads["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}  # a replaced upload's earlier file too
    assert {r.get("Prefix") for r in rules.values() if "ExpirationInDays" in r} == {"uploads/", "evidence/", "exports/"}


def test_registrant_exports_expire_after_a_week(synth: Synth) -> None:
    """The staff registrant export's CSVs (exports/, personal data) go after RETENTION_DAYS, with their items' TTL."""
    from shared.domain.exports import RETENTION_DAYS

    (bucket_id,) = [k for k in synth.of_type("AWS::S3::Bucket") if k.startswith("EvidenceBucket")]
    rules = {r["Id"]: r for r in synth.resources[bucket_id]["Properties"]["LifecycleConfiguration"]["Rules"]}
    exports = rules["registrant-exports"]
    assert exports["Prefix"] == "exports/" and exports["Status"] == "Enabled"
    assert exports["ExpirationInDays"] == RETENTION_DAYS == 7
    assert exports["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}


def test_evidence_bucket_is_private_encrypted_ssl_only_logged_and_expiring(synth: Synth) -> None:
    """R-ACT-3 evidence holds personal data: private, the table's KMS key, SSL only, access logs, lifecycle."""
    table_id, table = _table(synth)
    (bucket_id,) = [k for k in synth.of_type("AWS::S3::Bucket") if k.startswith("EvidenceBucket")]
    props = synth.resources[bucket_id]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert _ref(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == _ref(table["Properties"]["SSESpecification"]["KMSMasterKeyId"])
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True
    }
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "evidence/"
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    assert all(rule["Status"] == "Enabled" for rule in rules.values())
    assert rules["submitted-evidence"]["Prefix"] == "evidence/"
    assert rules["submitted-evidence"]["ExpirationInDays"] == constants.EVIDENCE_RETENTION_DAYS == 400
    assert rules["submitted-evidence"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rules["incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    policies = [p for p in synth.of_type("AWS::S3::BucketPolicy").values() if _ref(p["Properties"]["Bucket"]) == bucket_id]
    (policy,) = policies
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    assert synth.resources[bucket_id]["DeletionPolicy"] == "Retain"
    for name in NAMES:
        env = _function(synth, name)[1]["Properties"]["Environment"]["Variables"]
        assert ("EVIDENCE_BUCKET" in env) == ("EVIDENCE_BUCKET" in DECLARED[name].settings)


def test_statistics_read_the_tables_stream_filtered_ordered_retried_with_a_dead_letter_queue(synth: Synth) -> None:
    """R-STAT-1: the stats function's event source mapping on the table's stream (both images, shared/dal/table.py):
    only counted item types (new or old image), failed records reported and bisected, bounded retries, then the
    dead-letter queue; and its monthly snapshot schedule."""
    from shared.functions import TableStream, function as declared_function

    table_id, table = _table(synth)
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    mappings = synth.of_type("AWS::Lambda::EventSourceMapping")
    on_stream = [m for m in mappings.values() if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}]
    assert len(on_stream) == 1  # the others read the schedules' work queues
    (mapping,) = on_stream
    properties = mapping["Properties"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["MaximumRetryAttempts"] == 10
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    (types,) = [t.item_types for t in declared_function("stats").triggers if isinstance(t, TableStream)]
    patterns = [json.loads(f["Pattern"]) for f in properties["FilterCriteria"]["Filters"]]
    assert patterns == [{"dynamodb": {image: {"type": {"S": list(types)}}}} for image in ("NewImage", "OldImage")]
    queue_arn = properties["DestinationConfig"]["OnFailure"]["Destination"]
    queue = synth.resources[queue_arn["Fn::GetAtt"][0]]
    assert queue["Type"] == "AWS::SQS::Queue" and queue["Properties"]["SqsManagedSseEnabled"] is True
    _, function = _function(synth, "stats")
    schedules = [
        s for s in synth.of_type("AWS::Scheduler::Schedule").values()
        if "Month-end" in s["Properties"].get("Description", "")
    ]
    assert [s["Properties"]["ScheduleExpression"] for s in schedules] == ["cron(5 0 1 * ? *)"]


def test_the_schedules_read_their_work_queues_one_message_at_a_time_reporting_failures(synth: Synth) -> None:
    """R-PRE-6, R-BAS-5: renewal and expiry each consume their own work queue (batch size 1, partial failures), whose
    messages go to a dead-letter queue after MAX_RECEIVES; each runs on its daily schedule in Japan's time."""
    from infra.components.queues import MAX_RECEIVES
    from shared.functions import QUEUES

    mappings = [m["Properties"] for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()]
    queues = synth.of_type("AWS::SQS::Queue")
    for resource in QUEUES:
        prefix = "Queue" + "".join(p.capitalize() for p in resource.name.split("-"))
        (queue_id,) = [k for k in queues if k.startswith(prefix) and "DeadLetters" not in k]
        properties = queues[queue_id]["Properties"]
        assert properties["SqsManagedSseEnabled"] is True
        assert properties["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
        (mapping,) = [m for m in mappings if m["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}]
        assert mapping["BatchSize"] == constants.QUEUE_BATCH_SIZE == 1
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    from shared.domain.exports import MAX_RECEIVES as EXPORT_LAST_DELIVERY

    assert EXPORT_LAST_DELIVERY == MAX_RECEIVES  # the exports function fails an export on the last delivery
    for name in ("renewal", "expiry"):
        (schedule,) = [s["Properties"] for s in synth.of_type("AWS::Scheduler::Schedule").values()
                       if json.loads(s["Properties"]["Target"]["Input"]).get("schedule") == name]
        assert schedule["ScheduleExpressionTimezone"] == "Asia/Tokyo"
