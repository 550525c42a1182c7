"""The synthesized stack against the application's own definitions (shared.dal.table, shared.routes, the resolver's
problem format) and cdk-nag. One synthesis per session (conftest.py); these tests only read its output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match

from shared.api.resolver import PROBLEM_JSON, PROBLEM_TYPE_BASE, Unauthenticated
from shared.dal import table as definition
from shared.routes import FUNCTIONS, ROUTES, Route

from .conftest import Synth

ROOT = Path(__file__).resolve().parents[2]
APP_ROUTES = [route for route in ROUTES if route.api == "app"]

# What the data layer calls (shared/dal/repository.py, shared/dal/idempotency.py): item reads/writes on the table
# (TransactWriteItems is authorized per item as Put/Update/Delete), Query on the two indexes only.
TABLE_ACTIONS = {
    "dynamodb:BatchGetItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
}
INDEX_ACTIONS = {"dynamodb:Query"}

# Every acknowledged cdk-nag finding. A new one must be added here and to docs/infra.md, with its reason.
ACKNOWLEDGED = {
    "AwsSolutions-COG2",
    "AwsSolutions-COG8",
    "AwsSolutions-COG4",
    "AwsSolutions-APIG4",
    "AwsSolutions-L1",
    "AwsSolutions-IAM5[Resource::*]",
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


def _only(resources: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.items()))


def _table(synth: Synth) -> tuple[str, dict[str, Any]]:
    return _only(synth.of_type("AWS::DynamoDB::Table"))


def _function(synth: Synth, name: str) -> tuple[str, dict[str, Any]]:
    handler = f"functions.{name}.handler.lambda_handler"
    functions = synth.of_type("AWS::Lambda::Function")
    return _only({k: r for k, r in functions.items() if r["Properties"]["Handler"] == handler})


def _methods(synth: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    """API Gateway methods by (full path, HTTP method), the path rebuilt from the Resource parent chain."""
    resources = synth.of_type("AWS::ApiGateway::Resource")

    def path_of(resource_id: Any) -> str:
        logical = _ref(resource_id)
        if logical not in resources:  # Fn::GetAtt [RestApi, RootResourceId]
            return ""
        props = resources[logical]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    return {
        (path_of(m["Properties"]["ResourceId"]) or "/", m["Properties"]["HttpMethod"]): m
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


def _asset_dir(synth: Synth, name: str) -> Path:
    _, function = _function(synth, name)
    key = function["Properties"]["Code"]["S3Key"]
    return synth.outdir / f"asset.{key.removesuffix('.zip')}"


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


# --- API -----------------------------------------------------------------------------------------------------------


def test_every_app_route_and_nothing_else_is_a_method(synth: Synth) -> None:
    assert set(_methods(synth)) == {(route.path, route.method) for route in APP_ROUTES}
    apis = synth.of_type("AWS::ApiGateway::RestApi")
    assert [api["Properties"]["Name"] for api in apis.values()] == ["furusato-app"]


@pytest.mark.parametrize("route", APP_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_method_has_its_authorization_and_function(synth: Synth, route: Route) -> None:
    method = _methods(synth)[(route.path, route.method)]["Properties"]
    function_id, _ = _function(synth, route.function)

    integration = method["Integration"]
    assert integration["Type"] == "AWS_PROXY" and integration["IntegrationHttpMethod"] == "POST"
    assert _logical_ids_in(integration["Uri"]) == {function_id}

    if route.auth:
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
        authorizer = synth.resources[_ref(method["AuthorizerId"])]["Properties"]
        assert authorizer["Type"] == "COGNITO_USER_POOLS"
        assert authorizer["IdentitySource"] == "method.request.header.Authorization"
        pool_id, _ = _only(synth.of_type("AWS::Cognito::UserPool"))
        assert _logical_ids_in(authorizer["ProviderARNs"]) == {pool_id}
    else:
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method

    validator = synth.resources[_ref(method["RequestValidatorId"])]["Properties"]
    assert validator["ValidateRequestParameters"] is True and validator["ValidateRequestBody"] is True
    path_parameters = re.findall(r"\{(\w+)\}", route.path)
    assert method.get("RequestParameters", {}) == {f"method.request.path.{p}": True for p in path_parameters}


REQUIRED_GATEWAY_RESPONSES = {
    "DEFAULT_4XX": 400,
    "DEFAULT_5XX": 500,
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "MISSING_AUTHENTICATION_TOKEN": 404,  # API Gateway's answer to an unknown path or method: a not-found problem
}


def test_gateway_responses_are_the_resolvers_problem_json(synth: Synth) -> None:
    defined = synth.of_type("AWS::ApiGateway::GatewayResponse").values()
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in defined}
    assert set(REQUIRED_GATEWAY_RESPONSES) <= set(responses)
    for response_type, props in responses.items():
        assert props["ResponseParameters"] == {"gatewayresponse.header.Content-Type": f"'{PROBLEM_JSON}'"}
        status = int(props["StatusCode"])
        assert status == REQUIRED_GATEWAY_RESPONSES.get(response_type, status)
        body = _problem(props["ResponseTemplates"]["application/json"])
        assert set(body) == {"type", "title", "status", "detail"}, response_type
        assert body["type"].startswith(PROBLEM_TYPE_BASE) and body["type"] != PROBLEM_TYPE_BASE
        assert body["status"] == status, response_type  # the body never contradicts the HTTP status
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", body["title"]), f"{response_type}: title not Japanese"
        assert body["detail"] == "from API Gateway"
    unauthorized = _problem(responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"])
    assert unauthorized["type"] == PROBLEM_TYPE_BASE + Unauthenticated.type_slug  # same problem as the resolver's
    assert unauthorized["title"] == Unauthenticated.title == "ログインが必要です"
    assert unauthorized["status"] == Unauthenticated.status == 401


def test_stage_v1_logs_traces_throttles_and_sits_behind_waf(synth: Synth) -> None:
    stage_id, stage = _only(synth.of_type("AWS::ApiGateway::Stage"))
    props = stage["Properties"]
    assert props["StageName"] == "v1"
    assert props["TracingEnabled"] is True
    log_group = _logical_ids_in(props["AccessLogSetting"]["DestinationArn"]) - {"AWS::AccountId"}
    assert synth.resources[log_group.pop()]["Properties"]["RetentionInDays"] > 0
    assert json.loads(props["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"
    (settings,) = [s for s in props["MethodSettings"] if s["HttpMethod"] == "*" and s["ResourcePath"] == "/*"]
    assert settings["LoggingLevel"] in ("ERROR", "INFO")
    assert settings["DataTraceEnabled"] is False  # request/response bodies (personal data) stay out of the logs
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert any(r["Type"] == "AWS::ApiGateway::Account" for r in synth.resources.values())

    _, association = _only(synth.of_type("AWS::WAFv2::WebACLAssociation"))
    assert stage_id in _logical_ids_in(association["Properties"]["ResourceArn"])
    acl = synth.resources[_ref(association["Properties"]["WebACLArn"])]["Properties"]
    assert acl["Scope"] == "REGIONAL"
    statements = [rule["Statement"] for rule in acl["Rules"]]
    assert {"ManagedRuleGroupStatement": {"Name": "AWSManagedRulesCommonRuleSet", "VendorName": "AWS"}} in statements
    assert any(s.get("RateBasedStatement", {}).get("AggregateKeyType") == "IP" for s in statements)


# --- functions -----------------------------------------------------------------------------------------------------


def _pinned_powertools() -> str:
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    return re.search(r"^aws-lambda-powertools(?:\[[^\]]*\])?==(\S+)", text, flags=re.MULTILINE).group(1)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_runtime_layer_and_environment(synth: Synth, name: str) -> None:
    table_id, _ = _table(synth)
    _, function = _function(synth, name)
    props = function["Properties"]
    assert props["Runtime"] == "python3.12"
    (architecture,) = props["Architectures"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    env = props["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": table_id}
    assert env["POWERTOOLS_SERVICE_NAME"] == name and env["POWERTOOLS_METRICS_NAMESPACE"] == "Furusato"
    assert synth.resources[_ref(props["LoggingConfig"]["LogGroup"])]["Properties"]["RetentionInDays"] > 0

    # AWS's Powertools layer for exactly the pinned release, resolved from AWS's public SSM parameter at deploy time.
    (layer,) = props["Layers"]
    parameter = synth.template["Parameters"][_ref(layer)]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == f"/aws/service/powertools/python/{architecture}/python3.12/{_pinned_powertools()}"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_role_is_least_privilege(synth: Synth, name: str) -> None:
    table_id, _ = _table(synth)
    _, function = _function(synth, name)
    role = _ref(function["Properties"]["Role"])
    assert "ManagedPolicyArns" not in synth.resources[role]["Properties"]
    others = {_ref(f["Properties"]["Role"]) for k, f in synth.of_type("AWS::Lambda::Function").items()} - {role}
    assert role not in others  # its own role

    statements = _statements(synth, role)
    assert all(s["Effect"] == "Allow" for s in statements)
    actions = [a for s in statements for a in _as_list(s["Action"])]
    assert not [a for a in actions if "*" in a]

    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in _as_list(s["Action"]))]
    assert {a for s in dynamodb for a in _as_list(s["Action"])} == TABLE_ACTIONS | INDEX_ACTIONS
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    index_arns = [{"Fn::Join": ["", [table_arn, f"/index/{i.name}"]]} for i in definition.INDEXES]
    for statement in dynamodb:
        resources = _as_list(statement["Resource"])
        if set(_as_list(statement["Action"])) <= INDEX_ACTIONS:
            assert sorted(map(json.dumps, resources)) == sorted(map(json.dumps, index_arns))
        else:
            assert resources == [table_arn]

    kms = [s for s in statements if any(a.startswith("kms:") for a in _as_list(s["Action"]))]
    (key_id,) = {_ref(r) for s in kms for r in _as_list(s["Resource"])}
    assert _ref(_table(synth)[1]["Properties"]["SSESpecification"]["KMSMasterKeyId"]) == key_id
    assert {a for s in kms for a in _as_list(s["Action"])} == {"kms:Decrypt", "kms:Encrypt"}
    assert all(s["Condition"]["StringEquals"]["kms:ViaService"].startswith("dynamodb.") for s in kms)

    # the only statement on "*" is X-Ray's (no resource-level permissions); cdk-nag IAM5 is acknowledged for it
    anywhere = [s for s in statements if "*" in _as_list(s["Resource"])]
    assert {a for s in anywhere for a in _as_list(s["Action"])} <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_bundle_holds_the_shared_package_and_only_its_function(synth: Synth, name: str) -> None:
    bundle = _asset_dir(synth, name)
    assert sorted(p.name for p in bundle.iterdir()) == ["functions", "shared"]
    assert (bundle / "shared/organisations/data/organisations.json").is_file()
    assert (bundle / "shared/organisations/data/postal_codes.tsv.gz").is_file()
    assert (bundle / "functions/__init__.py").is_file()
    assert (bundle / f"functions/{name}/handler.py").is_file()
    assert sorted(p.name for p in (bundle / "functions").iterdir()) == ["__init__.py", name]
    assert not [p for p in bundle.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    source = [p for p in (ROOT / "shared").rglob("*") if p.is_file() and p.suffix != ".pyc"]
    shared = {p.relative_to(ROOT).as_posix() for p in source}
    bundled = {p.relative_to(bundle).as_posix() for p in (bundle / "shared").rglob("*") if p.is_file()}
    assert bundled == shared


# --- identity ------------------------------------------------------------------------------------------------------


def test_citizen_user_pool_and_app_client(synth: Synth) -> None:
    pool_id, pool = _only(synth.of_type("AWS::Cognito::UserPool"))
    props = pool["Properties"]
    assert props["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "RequireUppercase": True,
        "TemporaryPasswordValidityDays": 3,
    }
    assert props["UsernameAttributes"] == ["email"] and props["AutoVerifiedAttributes"] == ["email"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False  # citizens sign up themselves
    assert props["MfaConfiguration"] == "OPTIONAL" and props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["DeletionProtection"] == "ACTIVE" and pool["DeletionPolicy"] == "Retain"

    _, client = _only(synth.of_type("AWS::Cognito::UserPoolClient"))
    assert client["Properties"]["UserPoolId"] == {"Ref": pool_id}
    assert client["Properties"]["GenerateSecret"] is False
    assert set(client["Properties"]["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }


def test_outputs(synth: Synth) -> None:
    outputs = synth.template["Outputs"]
    assert set(outputs) == {"AppApiUrl", "CitizenUserPoolId", "AppClientId", "TableName"}
    table_id, _ = _table(synth)
    assert outputs["TableName"]["Value"] == {"Ref": table_id}
    synth.assertions.has_output("AppApiUrl", {"Value": {"Fn::Join": ["", Match.array_with(["https://"])]}})


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

    # "no authorization" is acknowledged on exactly the public routes' methods
    methods = synth.of_type("AWS::ApiGateway::Method")
    public = {k for k, m in methods.items() if m["Properties"]["AuthorizationType"] == "NONE"}
    assert len(public) == len([r for r in APP_ROUTES if not r.auth])
    for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
        assert acknowledged[rule] & set(methods) == public


def test_admin_routes_are_refused_until_the_admin_api_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.stack
    from aws_cdk import App

    admin = Route("admin", "GET", "/organisations/{code}/registrations", "register", auth=True)
    monkeypatch.setattr(infra.stack, "ROUTES", (*ROUTES, admin))
    with pytest.raises(ValueError, match="admin"):
        infra.stack.FurusatoStack(App(), "Refused")
