"""The Furusato stack: composes the components. What exists is read from the application's own definitions:
the table from `shared.dal.table`, the functions (triggers, grants) from `shared.functions`, the API routes from
`shared.routes`."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from shared import functions as function_list
from shared.routes import ROUTES
from shared.workflows import PREMIUM

from . import constants
from .components.api import ApiGatewayAccount, RouteApi, allowed_cidrs, source_ip_allow_list
from .components.approval_keys import ApprovalKeys
from .components.evidence import EvidenceBucket
from .components.firewall import RegionalWebAcl
from .components.functions import FunctionFactory, powertools_layer
from .components.identity import CitizenIdentity, StaffIdentity
from .components.mail import MailIdentity, mail_config
from .components.signing_keys import CheckinSigningKeys
from .components.table import DataTable
from .components.verifier import VerifierKeys, provider_config
from .components.queues import WorkQueue
from .components.workflows import WorkflowStateMachine


class FurusatoStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        built_apis = {spec.key for spec in constants.APIS}
        unknown = sorted({route.api for route in ROUTES} - built_apis)
        if unknown:
            # A route of an API the stack does not build must not be silently left out of the deployment.
            raise ValueError(f"routes exist for API(s) {unknown}, which the stack does not build")
        inconsistent = function_list.problems(function_list.FUNCTIONS, ROUTES)
        if inconsistent:
            raise ValueError(f"shared/functions.py: {'; '.join(inconsistent)}")
        admin_cidrs = allowed_cidrs(self.node.try_get_context(constants.ADMIN_ALLOWED_CIDRS_CONTEXT))
        provider = provider_config(self.node.try_get_context(constants.VERIFIER_CONTEXT))  # fails synthesis if invalid
        mail = mail_config(self.node.try_get_context(constants.MAIL_CONTEXT))  # likewise

        self.data = DataTable(self, "Data")
        self.citizens = CitizenIdentity(self, "Citizens")
        self.staff = StaffIdentity(self, "Staff")
        powertools = powertools_layer(self, "Powertools")
        self.signing_keys = CheckinSigningKeys(self, "CheckinSigningKeys", powertools=powertools)
        self.evidence = EvidenceBucket(self, "Evidence", key=self.data.key)
        self.verifier = VerifierKeys(self, "VerifierKeys", provider=provider, powertools=powertools)
        # The premium workflow (R-PRE-5): its state machine is granted to functions before it is built (its ARN is
        # known from its name), the sender identity, the approval keys (their base URL set once the admin API exists).
        self.premium_workflow = WorkflowStateMachine(self, "PremiumWorkflow", workflow=PREMIUM)
        self.mail = MailIdentity(self, "Mail", config=mail)
        self.approval_keys = ApprovalKeys(self, "ApprovalKeys")
        resources = {
            function_list.TABLE.name: self.data,
            function_list.EVIDENCE_BUCKET.name: self.evidence,
            function_list.CHECKIN_SIGNING_KEYS.name: self.signing_keys,
            function_list.CHECKIN_VERIFICATION_KEYS.name: self.signing_keys.verification,
            function_list.CITIZEN_USER_POOL.name: self.citizens,
            function_list.VERIFIER_KEYS.name: self.verifier,
            function_list.PREMIUM_WORKFLOW.name: self.premium_workflow,
            function_list.MAIL.name: self.mail,
            function_list.APPROVAL_KEYS.name: self.approval_keys,
            # The schedules' work queues (R-PRE-6, R-BAS-5), each with its dead-letter queue.
            **{q.name: WorkQueue(self, f"Queue{''.join(p.capitalize() for p in q.name.split('-'))}", resource=q)
               for q in function_list.QUEUES},
        }
        self.functions = FunctionFactory(
            self, "Functions", resources=resources, powertools=powertools,
            plain_settings={  # the approval page's staff sign-in (InitiateAuth needs no IAM grant)
                "STAFF_USER_POOL_ID": self.staff.user_pool.user_pool_id,
                "STAFF_CLIENT_ID": self.staff.admin_client.user_pool_client_id,
            },
        )
        functions = self.functions.create_all(function_list.FUNCTIONS)
        self.premium_workflow.build(functions)
        self.api_account = ApiGatewayAccount(self, "ApiGatewayAccount")

        self.app_api = self._api(constants.APP_API, functions, user_pool=self.citizens.user_pool)
        self.admin_api = self._api(
            constants.ADMIN_API, functions, user_pool=self.staff.user_pool, policy=source_ip_allow_list(admin_cidrs)
        )
        self.approval_keys.served_by(self.admin_api.api, constants.ADMIN_API.stage)  # the approval page's links

        CfnOutput(self, "AppApiUrl", value=self.app_api.api.url, description="App API base URL (stage v1)")
        CfnOutput(self, "CitizenUserPoolId", value=self.citizens.user_pool.user_pool_id)
        CfnOutput(self, "AppClientId", value=self.citizens.app_client.user_pool_client_id)
        CfnOutput(
            self, "AdminApiUrl", value=self.admin_api.api.url, description="Admin API base URL (stage v1; LGWAN only)"
        )
        CfnOutput(self, "StaffUserPoolId", value=self.staff.user_pool.user_pool_id)
        CfnOutput(self, "AdminClientId", value=self.staff.admin_client.user_pool_client_id)
        CfnOutput(
            self,
            constants.SIGNING_KEYS_OUTPUT,
            value=self.signing_keys.secret.secret_arn,
            description="Check-in signing keys secret (python -m infra.signing_keys status|rotate)",
        )
        CfnOutput(
            self,
            constants.VERIFICATION_KEYS_OUTPUT,
            value=self.signing_keys.verification_secret.secret_arn,
            description="Check-in verification keys secret (public keys; written by python -m infra.signing_keys)",
        )
        CfnOutput(
            self,
            constants.VERIFIER_JWKS_OUTPUT,
            value=self.verifier.jwks,
            description="Identity verification client's public JWK Set: register it with the Digital Agency",
        )
        CfnOutput(self, "TableName", value=self.data.table.table_name)

    def _api(self, spec: constants.ApiSpec, functions: Any, **options: Any) -> RouteApi:
        api = RouteApi(
            self,
            spec.construct_id,
            spec=spec,
            routes=[route for route in ROUTES if route.api == spec.key],
            functions=functions,
            account=self.api_account,
            **options,
        )
        RegionalWebAcl(
            self,
            f"{spec.construct_id.removesuffix('Api')}Firewall",
            name=f"{self.stack_name}-{spec.key}",
            stage=api.stage,
            rate_limit_per_5_min=spec.waf_rate_limit_per_5_min,
            allows_large_bodies=spec.allows_large_bodies,
        )
        api.api.node.try_remove_child("Endpoint")  # RestApi's automatic output: replaced by <Name>ApiUrl
        return api
