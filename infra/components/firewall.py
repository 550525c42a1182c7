"""Regional AWS WAF web ACL for a REST API stage (one per API): AWS's common rule set and a per-IP rate limit.

A request a rule blocks is answered by API Gateway's WAF_FILTERED gateway response (403 problem JSON, infra/
components/api.py), except a body over the common rule set's 8 KB on an API that takes no files: that is answered
by WAF itself with a 413 problem (the same `request-too-large` the functions answer), so a client learns what to fix."""

from __future__ import annotations

import json

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from shared.domain.errors import RequestTooLarge

from .. import constants

SIZE_RULE = "SizeRestrictions_BODY"  # AWSManagedRulesCommonRuleSet: a body over 8 KB (8,192 bytes)
WAF_BODY_LIMIT_BYTES = 8 * 1024
TOO_LARGE_BODY_KEY = "request-too-large"


def too_large_problem() -> str:
    """The body WAF answers an oversized request with: the resolver's problem (WAF allows no problem+json content
    type; it sends application/json)."""
    problem = {
        "type": constants.PROBLEM_TYPE_BASE + RequestTooLarge.type_slug,
        "title": RequestTooLarge.title,
        "status": RequestTooLarge.status,
        "detail": f"a request body on this API is at most {WAF_BODY_LIMIT_BYTES} bytes",
        "limit_bytes": WAF_BODY_LIMIT_BYTES,
    }
    return json.dumps(problem, ensure_ascii=False, separators=(",", ":"))


def _size_rule_override(allows_large_bodies: bool) -> wafv2.CfnWebACL.RuleActionOverrideProperty:
    if allows_large_bodies:  # file uploads: count only; API Gateway's 10 MB and the function's own caps apply
        action = wafv2.CfnWebACL.RuleActionProperty(count={})
    else:
        action = wafv2.CfnWebACL.RuleActionProperty(
            block=wafv2.CfnWebACL.BlockActionProperty(
                custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                    response_code=RequestTooLarge.status, custom_response_body_key=TOO_LARGE_BODY_KEY
                )
            )
        )
    return wafv2.CfnWebACL.RuleActionOverrideProperty(name=SIZE_RULE, action_to_use=action)


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class RegionalWebAcl(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        stage: apigateway.Stage,
        rate_limit_per_5_min: int,
        allows_large_bodies: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(name),
            custom_response_bodies={
                TOO_LARGE_BODY_KEY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=too_large_problem()
                )
            },
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="AWSManagedRulesCommonRuleSet",
                    priority=0,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name="AWSManagedRulesCommonRuleSet",
                            rule_action_overrides=[_size_rule_override(allows_large_bodies)],
                        )
                    ),
                    visibility_config=_visibility(f"{name}-common"),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimitPerIp",
                    priority=1,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=rate_limit_per_5_min,
                            aggregate_key_type="IP",
                            evaluation_window_sec=300,
                        )
                    ),
                    visibility_config=_visibility(f"{name}-rate"),
                ),
            ],
        )
        association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
        association.node.add_dependency(stage)
