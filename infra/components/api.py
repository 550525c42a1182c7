"""A REST API built from the route table (`shared.routes.ROUTES`): one method per route, Lambda proxy integration to
the route's function, the Cognito authorizer on routes with auth=True, an optional resource policy (the admin API's
source-IP allow-list), and API Gateway's own errors answered with the same RFC 9457 problem JSON the functions return
(shared/api/resolver.py)."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy, Size
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from shared.api.resolver import SECURITY_HEADERS
from shared.routes import Route

from .. import constants
from ..nag import acknowledge

_PATH_PARAMETER = re.compile(r"\{([A-Za-z0-9_]+)\}")


def path_parameters(path: str) -> dict[str, bool]:
    """API Gateway request parameters (all required) for the `{name}` segments of a route path."""
    return {f"method.request.path.{name}": True for name in _PATH_PARAMETER.findall(path)}


@dataclass(frozen=True)
class Problem:
    status: int
    slug: str
    title: str  # Japanese, shown by the app as is
    detail: str | None = None  # fixed English detail; None: API Gateway's own message

    def template(self) -> str:
        """Gateway response body: the resolver's problem JSON; `detail` is API Gateway's own (English) message unless
        the problem fixes one."""
        body = {"type": constants.PROBLEM_TYPE_BASE + self.slug, "title": self.title, "status": self.status}
        text = json.dumps({**body, "detail": self.detail or "@DETAIL@"}, ensure_ascii=False, separators=(",", ":"))
        return text.replace('"@DETAIL@"', "$context.error.messageString")  # a JSON string literal already


_RETRY_LATER = "しばらくしてからもう一度お試しください"
# Every gateway response sets its status code, so the HTTP status always equals the body's "status". The DEFAULT_*
# catch-alls therefore answer 400/500; the types that can happen on this API keep their own status explicitly.
_T = apigateway.ResponseType
GATEWAY_RESPONSES: dict[apigateway.ResponseType, Problem] = {
    _T.UNAUTHORIZED: Problem(401, "unauthenticated", "ログインが必要です"),
    # The admin API's resource policy refusing the caller's address (the only source of ACCESS_DENIED here: no IAM or
    # Lambda authorizers). Not the domain's `forbidden` (a staff role that does not allow an operation). A fixed
    # detail: API Gateway's message would name the API's ARN (account id) to a caller outside the allow-list.
    _T.ACCESS_DENIED: Problem(
        403, "access-denied", "アクセスが許可されていません", "this API cannot be called from the caller's network"
    ),
    # API Gateway answers an unknown path or method with MISSING_AUTHENTICATION_TOKEN (403): report it as the
    # resolver reports an unknown route.
    _T.MISSING_AUTHENTICATION_TOKEN: Problem(404, "not-found", "ページが見つかりません"),
    _T.BAD_REQUEST_PARAMETERS: Problem(400, "bad-request", "リクエストに誤りがあります"),
    _T.BAD_REQUEST_BODY: Problem(400, "bad-request", "リクエストに誤りがあります"),
    _T.REQUEST_TOO_LARGE: Problem(413, "request-too-large", "リクエストが大きすぎます"),
    _T.THROTTLED: Problem(429, "too-many-requests", "アクセスが集中しています。" + _RETRY_LATER),
    _T.WAF_FILTERED: Problem(403, "request-blocked", "アクセスが制限されました。" + _RETRY_LATER),
    _T.INTEGRATION_TIMEOUT: Problem(504, "timeout", "処理に時間がかかっています。" + _RETRY_LATER),
    _T.DEFAULT_4_XX: Problem(400, "bad-request", "リクエストに誤りがあります"),
    _T.DEFAULT_5_XX: Problem(500, "internal-error", "システムエラーが発生しました"),
}


class ApiGatewayAccount(Construct):
    """The region's API Gateway account setting (the role API Gateway writes execution logs with). One per
    account and region: every RestApi of the stack depends on it instead of creating its own."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        self.role.apply_removal_policy(RemovalPolicy.RETAIN)  # other APIs of the account/region may rely on it
        self.account = apigateway.CfnAccount(self, "Account", cloud_watch_role_arn=self.role.role_arn)
        self.account.apply_removal_policy(RemovalPolicy.RETAIN)
        acknowledge(
            self.role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level CloudWatch role: AWS's managed policy is the documented one for it and "
            "AWS keeps it in step with what API Gateway needs to create and write its execution log groups.",
        )


def allowed_cidrs(value: Any) -> tuple[str, ...]:
    """The admin API's allow-list from the CDK context: a JSON list (cdk.json), or from the command line
    (`-c adminAllowedCidrs=...`) a JSON list or comma-separated string. Refuses nothing, malformed or 'everyone'."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else [part for part in text.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"context {constants.ADMIN_ALLOWED_CIDRS_CONTEXT} must list at least one CIDR, got {value!r}")
    cidrs: list[str] = []
    for item in value:
        network = ipaddress.ip_network(str(item).strip(), strict=True)  # ValueError on host bits or garbage
        if network.prefixlen == 0:
            raise ValueError(f"{network} allows every address: the admin API allow-list must be specific")
        cidrs.append(str(network))
    return tuple(dict.fromkeys(cidrs))


def source_ip_allow_list(cidrs: Sequence[str]) -> iam.PolicyDocument:
    """Resource policy: anyone may invoke (the Cognito authorizer still applies), but an explicit Deny refuses every
    request whose source address is outside `cidrs`. API Gateway answers those with ACCESS_DENIED (403)."""
    anyone, everything = iam.AnyPrincipal(), "execute-api:/*"
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="AllowInvoke", principals=[anyone], actions=["execute-api:Invoke"], resources=[everything]
            ),
            iam.PolicyStatement(
                sid="DenyOutsideAllowList",
                effect=iam.Effect.DENY,
                principals=[anyone],
                actions=["execute-api:Invoke"],
                resources=[everything],
                conditions={"NotIpAddress": {"aws:SourceIp": list(cidrs)}},
            ),
        ]
    )


class RouteApi(Construct):
    """One REST API (`spec`) with the given routes. `policy` is the API's resource policy (the admin API passes its
    source-IP allow-list); `user_pool` backs the Cognito authorizer of the routes with auth=True."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: constants.ApiSpec,
        routes: Sequence[Route],
        functions: Mapping[str, lambda_.IFunction],
        user_pool: cognito.IUserPool,
        account: ApiGatewayAccount,
        policy: iam.PolicyDocument | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        foreign = [r for r in routes if r.api != spec.key]
        if foreign or not routes:
            raise ValueError(f"{spec.key} API given no routes or routes of another API: {foreign}")
        public = [r for r in routes if not r.auth and spec.public_paths is not None and r.path not in spec.public_paths]
        if public:
            raise ValueError(f"the {spec.key} API allows no public routes (auth=False) but {sorted(spec.public_paths or ())}: {public}")
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=constants.LOG_RETENTION)
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=spec.rest_api_name,
            description=spec.description,
            endpoint_types=[apigateway.EndpointType.REGIONAL],  # callers are in Japan; WAF attaches to the stage
            cloud_watch_role=False,  # ApiGatewayAccount sets it once for the region
            policy=policy,
            binary_media_types=list(spec.binary_media_types) or None,
            min_compression_size=Size.bytes(constants.MIN_COMPRESSION_BYTES),
            deploy_options=apigateway.StageOptions(
                stage_name=spec.stage,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_logs),
                access_log_format=_ACCESS_LOG_FORMAT,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # full request/response logging would write personal data to the logs
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=spec.rate_limit_rps,
                throttling_burst_limit=spec.burst_limit,
            ),
        )
        self.api.deployment_stage.node.add_dependency(account.account)
        self.validator = self.api.add_request_validator(
            "Basic", validate_request_parameters=True, validate_request_body=True
        )
        self._authorizer: apigateway.CognitoUserPoolsAuthorizer | None = None
        self._user_pool = user_pool
        self.methods: dict[Route, apigateway.Method] = {}
        integrations: dict[str, apigateway.LambdaIntegration] = {}
        for route in routes:
            function = functions[route.function]
            integration = integrations.setdefault(
                route.function, apigateway.LambdaIntegration(function, proxy=True, allow_test_invoke=False)
            )
            self.methods[route] = self._add_method(route, integration)
        for response_type, problem in GATEWAY_RESPONSES.items():
            self.api.add_gateway_response(
                f"{response_type.response_type}",
                type=response_type,
                status_code=str(problem.status),
                # The functions' security headers too (shared/api/resolver.py): no cache keeps even an error.
                response_headers={
                    "Content-Type": f"'{constants.PROBLEM_CONTENT_TYPE}'",
                    **{name: f"'{value}'" for name, value in SECURITY_HEADERS.items()},
                },
                templates={"application/json": problem.template()},
            )

    @property
    def stage(self) -> apigateway.Stage:
        return self.api.deployment_stage

    def _authorizer_for_signed_in(self) -> apigateway.CognitoUserPoolsAuthorizer:
        # Created on first use: an API without signed-in routes gets no authorizer (CDK refuses unattached ones).
        if self._authorizer is None:
            self._authorizer = apigateway.CognitoUserPoolsAuthorizer(
                self, "Authorizer", cognito_user_pools=[self._user_pool]  # validates the ID token (Authorization)
            )
        return self._authorizer

    def _add_method(self, route: Route, integration: apigateway.Integration) -> apigateway.Method:
        resource = self.api.root.resource_for_path(route.path)
        common = {"request_validator": self.validator, "request_parameters": path_parameters(route.path) or None}
        if route.auth:
            return resource.add_method(
                route.method,
                integration,
                authorization_type=apigateway.AuthorizationType.COGNITO,
                authorizer=self._authorizer_for_signed_in(),
                **common,
            )
        method = resource.add_method(
            route.method, integration, authorization_type=apigateway.AuthorizationType.NONE, **common
        )
        public = (
            f"{route.method} {route.path} is public by design (auth=False in shared/routes.py): organisation and "
            "postal-code lookups serve anyone before sign-up and return no personal data. WAF and stage throttling "
            "still apply."
        )
        acknowledge(method, "AwsSolutions-APIG4", public)
        acknowledge(method, "AwsSolutions-COG4", public)
        return method


_ACCESS_LOG_FORMAT = apigateway.AccessLogFormat.custom(
    json.dumps(
        {
            "requestId": apigateway.AccessLogField.context_request_id(),
            "time": apigateway.AccessLogField.context_request_time(),
            "ip": apigateway.AccessLogField.context_identity_source_ip(),
            "method": apigateway.AccessLogField.context_http_method(),
            "resource": apigateway.AccessLogField.context_resource_path(),
            "path": apigateway.AccessLogField.context_path(),
            "protocol": apigateway.AccessLogField.context_protocol(),
            "status": apigateway.AccessLogField.context_status(),
            "responseLength": apigateway.AccessLogField.context_response_length(),
            "latencyMs": apigateway.AccessLogField.context_response_latency(),
            "integrationLatencyMs": apigateway.AccessLogField.context_integration_latency(),
            "errorType": apigateway.AccessLogField.context_error_response_type(),
            "user": apigateway.AccessLogField.context_authorizer_claims("sub"),
            "wafStatus": apigateway.AccessLogField.context_waf_response_code(),
            "xrayTraceId": apigateway.AccessLogField.context_xray_trace_id(),
        }
    )
)
